package queue

import (
	"context"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/correlate"
)

// pipeProducer publishes to the service's input on one channel; a mutex
// keeps its sequence numbers in publish order.
type pipeProducer struct {
	id        uint32
	ch        *amqp.Channel
	sem       chan struct{}
	mu        sync.Mutex
	next      uint64
	listeners sync.WaitGroup
}

func (w *Pipeline) newProducer(id uint32) (*pipeProducer, error) {
	cfg := w.cfg
	p := &pipeProducer{id: id}
	if cfg.InFlight > 0 {
		p.sem = make(chan struct{}, cfg.InFlight)
	}
	err := boundedCall(w.pubConn, cfg.DialTimeout, func() error {
		ch, err := w.pubConn.Channel()
		if err != nil {
			return fmt.Errorf("open a channel: %w", err)
		}
		p.ch = ch
		if cfg.Confirm {
			if err := ch.Confirm(false); err != nil {
				return fmt.Errorf("enable publisher confirms: %w", err)
			}
		}
		// Unroutable messages come back (mandatory): counted as returned.
		returns := ch.NotifyReturn(make(chan amqp.Return, 256))
		p.listeners.Add(1)
		go func() {
			defer p.listeners.Done()
			for r := range returns {
				if id, err := cfg.Correlate.Extract(correlate.AMQPHeaders(r.Headers), nil); err == nil && id.Run == w.runTag {
					w.ledger.returned(id.Producer, id.Seq)
				}
			}
		}()
		return nil
	})
	return p, err
}

type pipeClient struct {
	w      *Pipeline
	worker int
	msg    amqp.Publishing
}

// NewClient returns a worker's client.
func (w *Pipeline) NewClient(_ context.Context, worker int) (bench.Client, error) {
	c := &pipeClient{w: w, worker: worker}
	c.msg = amqp.Publishing{Body: w.body, DeliveryMode: amqp.Transient}
	if w.cfg.Persistent {
		c.msg.DeliveryMode = amqp.Persistent
	}
	return c, nil
}

// Do publishes one message to the service's input, stamped with its ID,
// and waits for the broker's confirm (with confirms on).
func (c *pipeClient) Do(ctx context.Context, op bench.Op) error {
	w := c.w
	var p *pipeProducer
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
	if !op.Warmup {
		w.sent.noteMeasured(op.Intended.UnixNano())
	}
	headers := make(amqp.Table, len(w.cfg.Headers)+1)
	for _, h := range w.cfg.Headers {
		headers[h.Name] = h.Value
	}
	p.mu.Lock()
	seq := p.next
	id := correlate.ID{Run: w.runTag, Producer: p.id, Seq: seq, Warmup: op.Warmup}
	w.cfg.Correlate.Inject(id, correlate.AMQPHeaders(headers))
	msg := c.msg
	msg.Headers = headers
	msg.CorrelationId = id.Token()
	msg.MessageId = msg.CorrelationId
	now := time.Now()
	w.sent.put(p.id, seq, op.Intended.UnixNano(), now.UnixNano())
	dc, err := p.ch.PublishWithDeferredConfirm(w.cfg.Exchange, w.cfg.RoutingKey, true, false, msg)
	if err == nil {
		p.next++
		w.ledger.published(p.id, seq, op.Warmup)
	}
	p.mu.Unlock()
	if err != nil {
		return w.opError("publish", err)
	}
	if dc == nil {
		return nil
	}
	select {
	case <-dc.Done():
	case <-ctx.Done():
		go func() {
			<-dc.Done()
			if !p.ch.IsClosed() || dc.Acked() {
				w.ledger.confirm(p.id, seq, dc.Acked())
			}
		}()
		return ctx.Err()
	}
	ack := dc.Acked()
	if ack || !p.ch.IsClosed() {
		w.ledger.confirm(p.id, seq, ack)
	}
	if !ack {
		if p.ch.IsClosed() {
			return w.opError("await confirm", amqp.ErrClosed)
		}
		return bench.Errorf(ClassNacked, "the broker nacked message %d of producer %d", seq, p.id)
	}
	return nil
}

func (w *Pipeline) opError(what string, err error) error {
	if lost := w.brokerErr(); lost != nil {
		return bench.WithClass(ClassConnectionClosed, fmt.Errorf("%s: %w", what, lost))
	}
	return fmt.Errorf("%s: %w", what, w.red.err(err))
}
