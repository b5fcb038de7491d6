package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/correlate"
	"github.com/commsbench/commsbench/targets/messages"
)

// Error classes of queue operations.
const (
	ClassNacked           = "nacked"
	ClassConnectionClosed = "connection_closed"
)

// producer publishes on one channel. Engine workers share it; a mutex
// keeps the sequence numbers in publish order, so that a consumer seeing
// them out of order means the messages were reordered on the way.
type producer struct {
	id uint32
	w  *Workload
	ch *amqp.Channel
	// sem bounds messages awaiting their confirm or reply; nil when unbounded.
	sem chan struct{}

	mu   sync.Mutex
	next uint64

	// Request-reply: replies are matched to their waiting worker by
	// sequence number.
	waitMu  sync.Mutex
	waiting map[uint64]chan rpcReply

	// Publish latency in request-reply mode (in one-way mode it is the
	// engine's own measurement).
	pubMu   sync.Mutex
	publish *hdrhistogram.Histogram

	listeners sync.WaitGroup
}

// startProducer opens the producer's channel and its listeners.
func (w *Workload) startProducer(id int, conn *amqp.Connection) (*producer, error) {
	cfg := w.cfg
	p := &producer{id: uint32(id), w: w}
	if cfg.InFlight > 0 {
		p.sem = make(chan struct{}, cfg.InFlight)
	}
	if cfg.Mode == ModeRPC {
		p.waiting = map[uint64]chan rpcReply{}
		p.publish = results.NewHistogram()
	}
	err := boundedCall(conn, cfg.DialTimeout, func() error {
		ch, err := conn.Channel()
		if err != nil {
			return fmt.Errorf("open a channel: %w", err)
		}
		p.ch = ch
		if cfg.Confirm {
			if err := ch.Confirm(false); err != nil {
				return fmt.Errorf("enable publisher confirms: %w", err)
			}
		}
		returns := ch.NotifyReturn(make(chan amqp.Return, 256))
		p.listeners.Add(1)
		go func() {
			defer p.listeners.Done()
			for r := range returns {
				if h, err := ParseHeader(r.Body); err == nil && h.Run == w.runTag {
					w.ledger.returned(h.Producer, h.Seq)
				}
			}
		}()
		if cfg.Mode == ModeRPC {
			replies, err := ch.Consume(DirectReplyTo, "", true, false, false, false, nil)
			if err != nil {
				return fmt.Errorf("consume direct replies (%s): %w", DirectReplyTo, err)
			}
			p.listeners.Add(1)
			go func() {
				defer p.listeners.Done()
				for d := range replies {
					p.reply(rpcReply{body: d.Body, refused: refusal(d.Headers), corr: d.CorrelationId})
				}
			}()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// reply hands a reply to the worker waiting for it. Without consumers of
// its own, the run learns from the replies which messages arrived.
func (p *producer) reply(r rpcReply) {
	h, err := ParseHeader(r.body)
	if p.w.cfg.External != nil {
		h, err = p.w.externalReply(r)
	}
	if err != nil || h.Run != p.w.runTag || h.Producer != p.id {
		return
	}
	if p.w.cfg.Consumers == 0 {
		p.w.ledger.received(h, false, false)
	}
	p.waitMu.Lock()
	c := p.waiting[h.Seq]
	delete(p.waiting, h.Seq)
	p.waitMu.Unlock()
	if c != nil {
		c <- r
	}
}

// confirmed waits for the broker's answer to a publish, records it and
// reports whether it was an ack. The client library answers every pending
// publish with a nack when the channel closes: that is no answer from the
// broker, and the ledger does not take it for one.
func (p *producer) confirmed(dc *amqp.DeferredConfirmation, seq uint64) bool {
	<-dc.Done()
	ack := dc.Acked()
	if ack || !p.ch.IsClosed() {
		p.w.ledger.confirm(p.id, seq, ack)
	}
	return ack
}

func (p *producer) forget(seq uint64) {
	p.waitMu.Lock()
	delete(p.waiting, seq)
	p.waitMu.Unlock()
}

// client is one engine worker's side: its own message buffer and reply slot.
type client struct {
	w      *Workload
	worker int
	body   []byte
	replyC chan rpcReply
	msg    amqp.Publishing
	order  *messages.OrderSender // typed messages; nil for random bytes
	reply  *messages.PaymentConfirmation
}

// NewClient returns a worker's client.
func (w *Workload) NewClient(_ context.Context, worker int) (bench.Client, error) {
	body := make([]byte, bodySize(w.cfg.PayloadBytes))
	if w.cfg.Payload != nil {
		copy(body[HeaderSize:], w.cfg.Payload)
	} else {
		_, _ = rand.Read(body)
	}
	c := &client{w: w, worker: worker, body: body, replyC: make(chan rpcReply, 1), order: w.newOrderSender(), reply: new(messages.PaymentConfirmation)}
	c.msg = amqp.Publishing{Body: body, DeliveryMode: amqp.Transient}
	if w.cfg.Persistent {
		c.msg.DeliveryMode = amqp.Persistent
	}
	if w.cfg.Mode == ModeRPC {
		c.msg.ReplyTo = DirectReplyTo
	}
	if w.cfg.External != nil {
		c.body = w.externalBody()
		c.msg.Body = c.body
	}
	return c, nil
}

// Do publishes one message and waits for what the mode waits for: the
// broker's confirm (with confirms on) and, in request-reply mode, the reply.
func (c *client) Do(ctx context.Context, op bench.Op) error {
	w := c.w
	var p *producer
	if w.cfg.OpenLoop {
		p = w.producers[uint64(op.Seq)%uint64(len(w.producers))]
	} else {
		p = w.producers[c.worker%len(w.producers)]
	}
	if p.sem != nil {
		select {
		case p.sem <- struct{}{}:
			defer func() { <-p.sem }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	rpc := w.cfg.Mode == ModeRPC
	var codec time.Duration
	if c.order != nil {
		start := time.Now()
		body, err := c.order.AppendEncoded(c.body[:HeaderSize], op.Seq, false)
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		c.body, c.msg.Body = body, body
		codec = time.Since(start)
		if !op.Warmup {
			defer func() { c.order.Clock().Add(codec) }()
		}
	}
	ext := w.cfg.External != nil
	if !ext {
		Header{Run: w.runTag, Producer: p.id, SentNS: op.Intended.UnixNano(), Warmup: op.Warmup, Reply: rpc}.Put(c.body)
	}
	if !op.Warmup {
		w.noteMeasured(op.Intended)
	}
	if w.rec != nil && w.rec.reconnect && !rpc && w.cfg.Confirm {
		return c.publishReliably(ctx, p, op.Warmup)
	}

	p.mu.Lock()
	seq := p.next
	if ext {
		id := correlate.ID{Run: w.runTag, Producer: p.id, Seq: seq, Warmup: op.Warmup}
		c.msg.Headers, c.msg.CorrelationId = w.externalHeaders(id), id.Token()
	} else {
		putSeq(c.body, seq)
	}
	if rpc && !ext {
		c.msg.CorrelationId = strconv.FormatUint(seq, 10)
	}
	if rpc {
		p.waitMu.Lock()
		p.waiting[seq] = c.replyC
		p.waitMu.Unlock()
	}
	exchange, key := w.publishTo()
	dc, err := p.ch.PublishWithDeferredConfirm(exchange, key, true, false, c.msg)
	if err == nil {
		p.next++
	}
	p.mu.Unlock()
	if err != nil {
		if rpc {
			p.forget(seq)
		}
		return w.opError("publish", err)
	}
	w.ledger.published(p.id, seq, op.Warmup)

	if dc != nil {
		select {
		case <-dc.Done():
		case <-ctx.Done():
			if rpc {
				p.forget(seq)
			}
			// The confirm may still come; the ledger wants it.
			go p.confirmed(dc, seq)
			return ctx.Err()
		}
		if !p.confirmed(dc, seq) {
			if rpc {
				p.forget(seq)
			}
			if p.ch.IsClosed() {
				return w.opError("await confirm", amqp.ErrClosed)
			}
			return bench.Errorf(ClassNacked, "the broker nacked message %d of producer %d", seq, p.id)
		}
		if rpc && !op.Warmup {
			p.pubMu.Lock()
			results.RecordClamped(p.publish, int64(time.Since(op.Intended)))
			p.pubMu.Unlock()
		}
	}
	if !rpc {
		return nil
	}
	for {
		select {
		case r := <-c.replyC:
			got := r.body
			h, err := ParseHeader(got)
			if ext {
				h, err = w.externalReply(r)
			}
			if err == nil && h.Run == w.runTag && (h.Seq != seq || h.Producer != p.id) {
				// A late reply to an earlier request of this worker that
				// timed out: not ours.
				continue
			}
			if ext {
				return nil // a consumer of your own answers as it sees fit
			}
			if c.order != nil {
				return c.checkReply(r, &codec)
			}
			if !bytes.Equal(got, c.body) {
				return fmt.Errorf("%w (reply of %d bytes for %d sent)", bench.ErrEchoMismatch, len(got), len(c.body))
			}
			return nil
		case <-ctx.Done():
			p.forget(seq)
			return ctx.Err()
		}
	}
}

// opError classifies a failed publish. A closed channel or connection is
// the broker gone (or the channel closed by a protocol error): the error
// says which, once, without the password.
func (w *Workload) opError(what string, err error) error {
	if lost := w.brokerErr(); lost != nil {
		return bench.WithClass(ClassConnectionClosed, fmt.Errorf("%s: %w", what, lost))
	}
	if errors.Is(err, amqp.ErrClosed) {
		return bench.WithClass(ClassConnectionClosed, fmt.Errorf("%s: %w", what, w.red.err(err)))
	}
	return fmt.Errorf("%s: %w", what, w.red.err(err))
}
