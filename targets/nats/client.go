package nats

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// client is one engine worker's side: its own message buffer.
type client struct {
	w      *Workload
	worker int
	body   []byte
	// order and reply: typed messages (typed.go); nil for random bytes.
	order *messages.OrderSender
	reply *messages.PaymentConfirmation
}

// NewClient returns a worker's client.
func (w *Workload) NewClient(_ context.Context, worker int) (bench.Client, error) {
	body := make([]byte, messageSize(w.cfg.PayloadBytes))
	if w.cfg.Payload != nil {
		copy(body[HeaderSize:], w.cfg.Payload)
	} else {
		_, _ = rand.Read(body)
	}
	c := &client{w: w, worker: worker, body: body}
	if c.order = w.newOrderSender(); c.order != nil {
		c.reply = new(messages.PaymentConfirmation)
	}
	return c, nil
}

// publisher deals operations to publishers: in turn in open loop, so that
// each carries its share of the rate; by worker in closed loop.
func (c *client) publisher(op bench.Op) *publisher {
	pubs := c.w.pubs
	if c.w.cfg.OpenLoop {
		return pubs[uint64(op.Seq)%uint64(len(pubs))]
	}
	return pubs[c.worker%len(pubs)]
}

// Do sends one message and waits for what the mode waits for: nothing
// beyond the client library taking it (publish), the PubAck (jetstream) or
// the reply (request).
func (c *client) Do(ctx context.Context, op bench.Op) error {
	w := c.w
	p := c.publisher(op)
	h := Header{Run: w.runTag, Producer: p.id, SentNS: op.Intended.UnixNano(), Warmup: op.Warmup}
	var codec time.Duration
	if c.order != nil {
		start := time.Now()
		body, err := c.order.AppendEncoded(c.body[:HeaderSize], op.Seq, false)
		if err != nil {
			return fmt.Errorf("nats: %w", err)
		}
		c.body = body
		codec = time.Since(start)
		if !op.Warmup {
			defer func() { c.order.Clock().Add(codec) }()
		}
	}
	switch w.cfg.Mode {
	case ModeRequest:
		return c.request(ctx, p, h, &codec)
	case ModeJetStream:
		if w.cfg.BrokerFaults {
			return c.publishStreamReliably(ctx, p, h)
		}
		return c.publishStream(ctx, p, h)
	}
	return c.publish(p, h)
}

// send stamps body with h and the publisher's next sequence number and
// hands it to publish, all under the publisher's lock, so that numbers
// leave in order. A publish the library refused takes no number.
func (p *publisher) send(h Header, body []byte, publish func() error) (uint64, error) {
	p.mu.Lock()
	h.Seq = p.next
	h.Put(body)
	err := publish()
	if err == nil {
		p.next++
	}
	p.mu.Unlock()
	if err == nil {
		p.log.record(h.Seq, h.Warmup)
	}
	return h.Seq, err
}

// publish hands the message to the client library.
func (c *client) publish(p *publisher, h Header) error {
	_, err := p.send(h, c.body, func() error { return p.nc.Publish(c.w.cfg.Subject, c.body) })
	if err != nil {
		return c.w.opError("publish", err)
	}
	return nil
}

// publishStream publishes to the stream and waits for its PubAck. A
// PubAck that comes after the operation timed out is still recorded.
// Without a deadline from the engine, RequestTimeout bounds the wait: the
// client library does not fail pending publishes when the server goes.
func (c *client) publishStream(ctx context.Context, p *publisher, h Header) error {
	ctx, cancel, own := c.w.bounded(ctx)
	defer cancel()
	// The client library keeps the message until its PubAck, to publish it
	// again; so each message has a body of its own.
	body := bytes.Clone(c.body)
	var fut jetstream.PubAckFuture
	seq, err := p.send(h, body, func() (err error) {
		fut, err = p.js.PublishMsgAsync(&gonats.Msg{Subject: c.w.cfg.Subject, Data: body})
		return err
	})
	if err != nil {
		return c.w.opError("publish to the stream", err)
	}
	select {
	case <-fut.Ok():
		p.log.answer(seq, true)
		return nil
	case err := <-fut.Err():
		p.log.answer(seq, false)
		return c.w.opError("publish to the stream", err)
	case <-ctx.Done():
		go c.w.lateAnswer(p, seq, fut)
		if own && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return c.w.opError("publish to the stream", gonats.ErrTimeout)
		}
		return ctx.Err()
	}
}

// bounded returns ctx with RequestTimeout as its deadline when it has
// none, and says whether it set it.
func (w *Workload) bounded(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}, false
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.RequestTimeout)
	return ctx, cancel, true
}

// lateAnswer waits, within the drain timeout, for the answer to a publish
// whose operation gave up.
func (w *Workload) lateAnswer(p *publisher, seq uint64, fut jetstream.PubAckFuture) {
	t := time.NewTimer(w.cfg.DrainTimeout + w.cfg.DialTimeout)
	defer t.Stop()
	select {
	case <-fut.Ok():
		p.log.answer(seq, true)
	case <-fut.Err():
		p.log.answer(seq, false)
	case <-t.C:
	}
}

// request sends the message as a request and waits for the echo, or the
// confirmation of a typed order, whose decode time goes to codec. Without
// a deadline from the engine, RequestTimeout bounds the wait.
func (c *client) request(ctx context.Context, p *publisher, h Header, codec *time.Duration) error {
	w := c.w
	// Concurrent requests have no order to keep: the number is taken
	// before the request leaves.
	_, _ = p.send(h, c.body, func() error { return nil })
	ctx, cancel, own := w.bounded(ctx)
	defer cancel()
	reply, err := p.nc.RequestWithContext(ctx, w.cfg.Subject, c.body)
	if err != nil {
		if own && errors.Is(err, context.DeadlineExceeded) {
			err = gonats.ErrTimeout
		}
		return w.opError("request", err)
	}
	if c.order != nil {
		return c.checkReply(reply, codec)
	}
	if !bytes.Equal(reply.Data, c.body) {
		return fmt.Errorf("%w (reply of %d bytes for %d sent)", bench.ErrEchoMismatch, len(reply.Data), len(c.body))
	}
	return nil
}

// opError classifies a failed operation, without the URL's secrets.
func (w *Workload) opError(what string, err error) error {
	switch {
	case errors.Is(err, gonats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse):
		return bench.WithClass(ClassNoResponders, fmt.Errorf("nats: %s on %q: no responders: nothing listens on the subject (start 'commsbench serve nats', or give --consumers)", what, w.cfg.Subject))
	case errors.Is(err, gonats.ErrTimeout):
		return bench.WithClass(ClassTimeout, fmt.Errorf("nats: %s on %q: no answer within %v", what, w.cfg.Subject, w.cfg.RequestTimeout))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, gonats.ErrConnectionClosed), errors.Is(err, gonats.ErrDisconnected), errors.Is(err, gonats.ErrConnectionDraining):
		if lost := w.RunError(); lost != nil {
			return bench.WithClass(ClassConnectionClosed, fmt.Errorf("%s: %w", what, lost))
		}
		return bench.WithClass(ClassConnectionClosed, fmt.Errorf("nats: %s: %w", what, w.red.err(err)))
	case errors.Is(err, gonats.ErrSlowConsumer):
		return bench.WithClass(ClassSlowConsumer, fmt.Errorf("nats: %s: %w", what, w.red.err(err)))
	}
	return fmt.Errorf("nats: %s: %w", what, w.red.err(err))
}
