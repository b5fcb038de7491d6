package queue

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/transport"
)

// Recovery from a broker that went away. In a run with broker faults the
// client behaves as a service that must not lose what it was given:
//   - every connection the broker (or the path to it) dropped is dialled
//     again, with a bounded backoff, until the broker answers;
//   - the queue is declared again (a broker that restarted may have
//     dropped a transient one);
//   - each producer opens a fresh channel in confirm mode and publishes
//     again, in order, every message the broker had not confirmed when the
//     connection broke (at least once: a message that had reached the
//     queue but whose confirm was lost arrives twice, and the ledger counts
//     it as a duplicate);
//   - consumers subscribe again (unless a down fault holds them away).
//
// A publish waits for its confirm across the outage, within the
// operation's timeout: the caller sees the outage as latency, and as
// timeouts when it outlasts them. A message whose operation timed out
// stays in its producer's outbox and is still published again: the ledger
// counts it when it arrives.

// Bounds of the wait between two attempts to reach the broker again, and
// of the whole effort.
const (
	reconnectMin  = 50 * time.Millisecond
	reconnectMax  = time.Second
	reconnectSpan = 2 * time.Minute
)

// recovery is the state of a run that reconnects.
type recovery struct {
	w     *Workload
	url   string              // what to dial: the broker, or the proxy in front of it
	proxy *transport.NetProxy // nil without one
	boxes []*outbox           // per producer
	kick  chan struct{}       // a connection broke
	stop  chan struct{}       // the run closes
	done  chan struct{}       // the loop ended
	once  sync.Once           // closes stop
	ctl   string              // rabbitmqctl, for broker-restart
	// reconnect: the run recovers from broken connections; without it the
	// recovery only holds the proxy, and a broken connection ends the run.
	reconnect bool
	down      atomic.Bool // rabbitmqctl stop_app ran and start_app did not yet

	mu          sync.Mutex
	breaks      int       // times the connections broke
	brokeAt     time.Time // the first break not yet recovered
	recoveries  []time.Duration
	republished int64
	// How long rabbitmqctl took to stop and start the broker.
	stopTook, startTook time.Duration
}

// outbox holds a producer's messages that the broker has not confirmed.
type outbox struct {
	mu      sync.Mutex
	pending map[uint64]*unconfirmed
}

// unconfirmed is one message awaiting its confirm.
type unconfirmed struct {
	seq  uint64
	msg  amqp.Publishing
	done chan error // one answer
	once sync.Once
}

func (u *unconfirmed) finish(err error) { u.once.Do(func() { u.done <- err }) }

func (b *outbox) add(u *unconfirmed) {
	b.mu.Lock()
	b.pending[u.seq] = u
	b.mu.Unlock()
}

func (b *outbox) remove(seq uint64) {
	b.mu.Lock()
	delete(b.pending, seq)
	b.mu.Unlock()
}

// inOrder is what the outbox holds, by sequence number.
func (b *outbox) inOrder() []*unconfirmed {
	b.mu.Lock()
	out := make([]*unconfirmed, 0, len(b.pending))
	for _, u := range b.pending {
		out = append(out, u)
	}
	b.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// proxiedURL is rawURL with its host and port replaced by addr.
func proxiedURL(rawURL, addr string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("not an AMQP URL")
	}
	u.Host = addr
	return u.String(), nil
}

// startRecovery sets up reconnection when the run's faults need it, and
// the proxy in front of the broker when they need one. It returns the URL
// to dial.
func (w *Workload) startRecovery() (string, error) {
	r := &recovery{w: w, url: w.cfg.URL, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), ctl: w.cfg.Rabbitmqctl, reconnect: w.cfg.Reconnect}
	if w.cfg.NetProxy {
		addr, err := address(w.cfg.URL)
		if err != nil {
			return "", err
		}
		p, err := transport.StartNetProxy(addr)
		if err != nil {
			return "", fmt.Errorf("queue: %w", err)
		}
		r.proxy = p
		if r.url, err = proxiedURL(w.cfg.URL, p.Addr()); err != nil {
			p.Close()
			return "", err
		}
	}
	for range w.cfg.Producers {
		r.boxes = append(r.boxes, &outbox{pending: map[uint64]*unconfirmed{}})
	}
	w.rec = r
	if r.reconnect {
		go r.loop()
	} else {
		close(r.done)
	}
	return r.url, nil
}

// dialURL is the URL connections dial: through the proxy when there is one.
func (w *Workload) dialURL() string {
	if w.rec != nil {
		return w.rec.url
	}
	return w.cfg.URL
}

// broke is told that a connection closed.
func (r *recovery) broke() {
	r.mu.Lock()
	if r.brokeAt.IsZero() {
		r.brokeAt = time.Now()
		r.breaks++
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// shutdown ends the loop (Close), and starts the broker again if a
// broker-restart left it stopped.
func (r *recovery) shutdown() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
	if r.down.Load() {
		_ = r.startApp()
	}
}

// closeProxy stops the proxy, once the connections through it closed.
func (r *recovery) closeProxy() {
	if r.proxy != nil {
		r.proxy.Close()
	}
}

func (r *recovery) loop() {
	defer close(r.done)
	for {
		select {
		case <-r.stop:
			return
		case <-r.kick:
		}
		if err := r.recover(); err != nil {
			r.w.brokerLost(&amqp.Error{Code: amqp.ChannelError, Reason: err.Error()})
			return
		}
	}
}

// recover reconnects what broke, redeclares the queue, reopens the
// producers' channels with what they had not confirmed, and brings the
// consumers back.
func (r *recovery) recover() error {
	w := r.w
	deadline := time.Now().Add(reconnectSpan)
	wait := reconnectMin
	for {
		err := r.attempt()
		if err == nil {
			break
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("the broker did not come back within %v: %v", reconnectSpan, w.red.err(err))
		}
		select {
		case <-r.stop:
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, reconnectMax)
	}
	r.mu.Lock()
	if !r.brokeAt.IsZero() {
		r.recoveries = append(r.recoveries, time.Since(r.brokeAt))
		r.brokeAt = time.Time{}
	}
	r.mu.Unlock()
	return nil
}

// attempt makes one attempt at the whole recovery; an error means try
// again.
func (r *recovery) attempt() error {
	w := r.w
	w.consMu.Lock()
	defer w.consMu.Unlock()
	for i, c := range w.conns {
		if !c.IsClosed() {
			continue
		}
		nc, err := dial(r.url, w.cfg.DialTimeout, fmt.Sprintf("commsbench %s #%d", w.queue, i))
		if err != nil {
			return err
		}
		w.conns[i] = nc
		w.watch(nc)
	}
	if err := w.declare(); err != nil {
		return err
	}
	for i, p := range w.producers {
		if err := r.reopenProducer(p, w.conns[i%len(w.conns)]); err != nil {
			return err
		}
	}
	if w.consumers == nil {
		return nil // a down fault holds them away; it brings them back
	}
	for j, c := range w.consumers {
		if !c.ch.IsClosed() {
			continue
		}
		w.generation++
		tag := fmt.Sprintf("commsbench-%s-c%d-%d", w.cfg.RunID, j, w.generation)
		nc, err := startConsumer(w.conns[w.consumerConn(j)], w.spec, tag, w.cfg.DialTimeout)
		if err != nil {
			return err
		}
		w.retired = append(w.retired, c)
		w.consumers[j] = nc
	}
	return nil
}

// reopenProducer gives p a fresh channel in confirm mode if its channel
// closed, and publishes again what the broker had not confirmed.
func (r *recovery) reopenProducer(p *producer, conn *amqp.Connection) error {
	w := r.w
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ch.IsClosed() {
		return nil
	}
	err := boundedCall(conn, w.cfg.DialTimeout, func() error {
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		if err := ch.Confirm(false); err != nil {
			return err
		}
		returns := ch.NotifyReturn(make(chan amqp.Return, 256))
		p.listeners.Add(1)
		go func() {
			defer p.listeners.Done()
			for ret := range returns {
				if h, err := ParseHeader(ret.Body); err == nil && h.Run == w.runTag {
					w.ledger.returned(h.Producer, h.Seq)
				}
			}
		}()
		p.ch = ch
		return nil
	})
	if err != nil {
		return err
	}
	var n int64
	for _, u := range r.boxes[p.id].inOrder() {
		dc, err := p.ch.PublishWithDeferredConfirm("", w.queue, true, false, u.msg)
		if err != nil {
			return err
		}
		n++
		go r.track(p, p.ch, u, dc)
	}
	r.mu.Lock()
	r.republished += n
	r.mu.Unlock()
	return nil
}

// track waits for the broker's answer to u on ch. A channel that closed
// first is no answer: u stays in the outbox for the next channel.
func (r *recovery) track(p *producer, ch *amqp.Channel, u *unconfirmed, dc *amqp.DeferredConfirmation) {
	<-dc.Done()
	ack := dc.Acked()
	if !ack && ch.IsClosed() {
		return
	}
	r.w.ledger.confirm(p.id, u.seq, ack)
	r.boxes[p.id].remove(u.seq)
	if ack {
		u.finish(nil)
		return
	}
	u.finish(bench.Errorf(ClassNacked, "the broker nacked message %d of producer %d", u.seq, p.id))
}

// publishReliably publishes the message in c.body through p, keeping it
// until the broker confirms it, across reconnections.
func (c *client) publishReliably(ctx context.Context, p *producer, warm bool) error {
	w := c.w
	r := w.rec
	u := &unconfirmed{msg: c.msg, done: make(chan error, 1)}
	u.msg.Body = bytes.Clone(c.body)
	p.mu.Lock()
	u.seq = p.next
	p.next++
	putSeq(u.msg.Body, u.seq)
	r.boxes[p.id].add(u)
	w.ledger.published(p.id, u.seq, warm)
	ch := p.ch
	dc, err := ch.PublishWithDeferredConfirm("", w.queue, true, false, u.msg)
	if err == nil {
		go r.track(p, ch, u, dc)
	}
	// A failed publish means the channel is gone: the recovery publishes
	// it again once the broker is back.
	p.mu.Unlock()
	select {
	case err := <-u.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// brokerFindings says what the broker's faults did, in sentences for the
// result's resilience section.
func (w *Workload) brokerFindings() []string {
	r := w.rec
	if r == nil {
		return nil
	}
	r.mu.Lock()
	breaks, recs, republished := r.breaks, append([]time.Duration(nil), r.recoveries...), r.republished
	r.mu.Unlock()
	if breaks == 0 {
		return nil
	}
	var longest time.Duration
	for _, d := range recs {
		longest = max(longest, d)
	}
	s := fmt.Sprintf("the connections to the broker broke %d time(s); the client reconnected, declared the queue again and resumed %d time(s), the longest outage lasting %.2fs from the break to every producer and consumer back; %d message(s) the broker had not confirmed were published after the reconnection (again, or for the first time when the outage refused them: at least once, and a copy that had reached the queue arrives twice and counts as a duplicate)",
		breaks, len(recs), longest.Seconds(), republished)
	return []string{s}
}

// loopbackBroker says whether the broker's URL names this machine, where
// rabbitmqctl can restart it.
func loopbackBroker(rawURL string) bool {
	addr, err := address(rawURL)
	if err != nil {
		return false
	}
	host, _, _ := net.SplitHostPort(addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
