package queue

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
)

// consumerSpec is what the consumers of a group share.
type consumerSpec struct {
	queue        string
	prefetch     int
	autoAck      bool
	work         time.Duration
	requeueEvery int
	// enc, when typed, makes the consumers decode and validate each
	// message's order, and confirm it to a request; an invalid one is
	// rejected without requeue (typed.go).
	enc messages.Encoding
	// acct is the run's accounting; nil for a standalone echo target, which
	// only answers.
	acct *consumerAccounting
	// delay is a slow fault's wait before each acknowledgement (ns).
	delay atomic.Int64
	// clock, once a run with faults starts measuring, says in which phase
	// of the faults' window a message was sent.
	clock atomic.Pointer[fault.Clock]
}

// consumerAccounting connects consumers to the run they measure.
type consumerAccounting struct {
	run       uint32
	ledger    *ledger
	producers int
}

// consumer is the far side of the queue: an inventory-like service that
// takes each message, works on it for a while, answers the reply-to address
// if there is one, and acknowledges it.
type consumer struct {
	spec       *consumerSpec
	ch         *amqp.Channel
	tag        string
	deliveries <-chan amqp.Delivery
	done       chan struct{}
	order      *orderTracker

	consumed, replied, rejected, invalid atomic.Int64

	// mu guards what Finish reads while the consumer may still run.
	mu         sync.Mutex
	e2e        *hdrhistogram.Histogram
	phaseE2E   [fault.Phases]*hdrhistogram.Histogram // made at first use
	lastRecvNS int64                                 // when the last measured message first arrived, Unix ns
	err        error                                 // first failed ack or reply
}

func newConsumer(spec *consumerSpec, tag string) *consumer {
	c := &consumer{spec: spec, tag: tag, done: make(chan struct{})}
	if spec.acct != nil {
		c.e2e = results.NewHistogram()
		c.order = newOrderTracker(spec.acct.producers)
	}
	return c
}

// startConsumer opens a channel on conn and starts consuming.
func startConsumer(conn *amqp.Connection, spec *consumerSpec, tag string, timeout time.Duration) (*consumer, error) {
	c := newConsumer(spec, tag)
	err := boundedCall(conn, timeout, func() error {
		ch, err := conn.Channel()
		if err != nil {
			return fmt.Errorf("open a channel: %w", err)
		}
		c.ch = ch
		if spec.prefetch > 0 && !spec.autoAck {
			if err := ch.Qos(spec.prefetch, 0, false); err != nil {
				return fmt.Errorf("set prefetch %d: %w", spec.prefetch, err)
			}
		}
		c.deliveries, err = ch.Consume(spec.queue, tag, spec.autoAck, false, false, false, nil)
		if err != nil {
			return fmt.Errorf("consume %q: %w", spec.queue, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	go c.loop()
	return c, nil
}

// maxAckBatch bounds how many handled messages one multiple ack covers.
const maxAckBatch = 64

// ackBatch is how many handled messages may share one acknowledgement. A
// consumer acknowledges every message it handled, but when the next message
// is already waiting it handles that one first and acknowledges both with
// one multiple ack: the broker then processes one ack frame for a burst
// instead of one per message. With simulated work each message is
// acknowledged on its own, as a real service would, and never more than
// half the prefetch waits, so the broker never stops delivering for want
// of acknowledgements.
func (s *consumerSpec) ackBatch() int {
	switch {
	case s.autoAck:
		return 0
	case s.work > 0:
		return 1
	case s.prefetch == 0:
		return maxAckBatch
	}
	return max(1, min(maxAckBatch, s.prefetch/2))
}

func (c *consumer) loop() {
	defer close(c.done)
	batch := c.spec.ackBatch()
	var lastTag uint64
	unacked := 0
	ack := func() {
		if unacked > 0 {
			c.fail(c.ch.Ack(lastTag, unacked > 1))
			unacked = 0
		}
	}
	defer ack()
	for {
		var d amqp.Delivery
		var ok bool
		if unacked > 0 {
			select {
			case d, ok = <-c.deliveries:
			default:
				// Nothing waiting: acknowledge what was handled, then wait.
				ack()
				d, ok = <-c.deliveries
			}
		} else {
			d, ok = <-c.deliveries
		}
		if !ok {
			return
		}
		if c.handle(&d) && batch > 0 {
			lastTag = d.DeliveryTag
			unacked++
			if unacked >= batch {
				ack()
			}
		}
	}
}

// handle processes one delivery and reports whether it awaits an
// acknowledgement.
func (c *consumer) handle(d *amqp.Delivery) bool {
	now := time.Now()
	spec := c.spec
	h, herr := ParseHeader(d.Body)
	if n := uint64(spec.requeueEvery); n > 0 && herr == nil && !d.Redelivered && h.Seq%n == n-1 {
		// Rejected before any processing: the message is not received yet.
		c.rejected.Add(1)
		c.fail(d.Nack(false, true))
		return false
	}
	if a := spec.acct; a != nil {
		if herr != nil || h.Run != a.run {
			a.ledger.foreign.Add(1)
		} else {
			c.account(h, d.Redelivered, now.UnixNano())
		}
	}
	reply := d.Body
	if spec.enc.Typed() && herr == nil {
		var err error
		if reply, err = typedWork(spec.enc, d); err != nil {
			c.invalid.Add(1)
			c.refuse(d, err)
			if !spec.autoAck {
				c.fail(d.Nack(false, false))
			}
			return false
		}
	}
	if spec.work > 0 {
		time.Sleep(spec.work)
	}
	if d := spec.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	if d.ReplyTo != "" {
		err := c.ch.Publish("", d.ReplyTo, false, false, amqp.Publishing{
			CorrelationId: d.CorrelationId,
			Body:          reply,
		})
		if err == nil {
			c.replied.Add(1)
		}
		c.fail(err)
	}
	c.consumed.Add(1)
	return true
}

// account records a delivery of one of the run's messages, received at
// nowNS: in the ledger, and, the first time a measured message arrives, in
// the end-to-end histogram.
func (c *consumer) account(h Header, redelivered bool, nowNS int64) {
	ooo := false
	if !redelivered {
		ooo = c.order.observe(h.Producer, h.Seq)
	}
	if !c.spec.acct.ledger.received(h, redelivered, ooo) || h.Warmup {
		return
	}
	clk := c.spec.clock.Load()
	c.mu.Lock()
	results.RecordClamped(c.e2e, nowNS-h.SentNS)
	if clk != nil {
		ph := clk.PhaseNS(h.SentNS)
		if c.phaseE2E[ph] == nil {
			c.phaseE2E[ph] = results.NewHistogram()
		}
		results.RecordClamped(c.phaseE2E[ph], nowNS-h.SentNS)
	}
	c.lastRecvNS = max(c.lastRecvNS, nowNS)
	c.mu.Unlock()
}

func (c *consumer) fail(err error) {
	if err == nil {
		return
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// stop cancels the subscription and waits, within timeout, for the
// messages already handed over to be handled. Unacknowledged messages go
// back to the queue when the channel closes.
func (c *consumer) stop(conn *amqp.Connection, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	if !c.ch.IsClosed() {
		_ = boundedCall(conn, timeout, func() error { return c.ch.Cancel(c.tag, false) })
	}
	select {
	case <-c.done:
	case <-time.After(time.Until(deadline)):
	}
	// Close the channel now rather than with the connection: the broker
	// then puts what this consumer held unacknowledged back in the queue,
	// where the count of unread messages finds it.
	if !c.ch.IsClosed() {
		_ = boundedCall(conn, time.Until(deadline)+100*time.Millisecond, c.ch.Close)
	}
}

// mergedPhases merges the consumers' end-to-end histograms per phase.
func mergedPhases(cs []*consumer) [fault.Phases]*hdrhistogram.Histogram {
	var out [fault.Phases]*hdrhistogram.Histogram
	for i := range out {
		out[i] = results.NewHistogram()
	}
	for _, c := range cs {
		c.mu.Lock()
		for i, h := range c.phaseE2E {
			if h != nil {
				out[i].Merge(h)
			}
		}
		c.mu.Unlock()
	}
	return out
}

// snapshot returns a copy of the consumer's end-to-end histogram and the
// time of its last measured message.
func (c *consumer) snapshot() (*hdrhistogram.Histogram, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := results.NewHistogram()
	if c.e2e != nil {
		h.Merge(c.e2e)
	}
	return h, c.lastRecvNS
}
