package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
)

// Workload is a queue run: it declares the run's queue, starts the
// consumers and gives each engine worker a client that publishes.
type Workload struct {
	cfg    Config
	red    redactor
	runTag uint32
	queue  string
	// ownsQueue: the run declared the queue and deletes it afterwards
	// (unless KeepQueue). A queue consumed elsewhere belongs to its consumers.
	ownsQueue bool

	conns     []*amqp.Connection
	producers []*producer
	spec      *consumerSpec
	// consMu guards the consumers, which a down fault retires and replaces.
	consMu     sync.Mutex
	consumers  []*consumer
	retired    []*consumer
	generation int
	ledger     *ledger
	broker     Broker
	// rec reconnects after the broker went away, in runs with broker
	// faults (recovery.go); nil otherwise.
	rec *recovery

	// firstMeasuredNS is the earliest intended send of a measured message:
	// where consumption is counted from.
	firstMeasuredNS atomic.Int64

	lostMu        sync.Mutex
	lost          error
	blockedSince  time.Time // zero while not blocked
	blockedFor    time.Duration
	blockedReason string
	stopOnce      sync.Once
	closed        bool
	leftQueue     bool // Close could not delete the queue

	clocks messages.Clocks // the producers' encode time, typed messages only
}

var _ bench.Workload = (*Workload)(nil)

// NewWorkload returns the queue workload for cfg.
func NewWorkload(cfg Config) (*Workload, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	w := &Workload{
		cfg:    cfg,
		red:    newRedactor(cfg.URL),
		runTag: binary.BigEndian.Uint32(tag[:]),
		queue:  cfg.QueueName(),
		ledger: newLedger(cfg.Producers, cfg.Confirm),
	}
	w.firstMeasuredNS.Store(math.MaxInt64)
	return w, nil
}

// OperationLatency names what the engine times: in one-way mode an
// operation ends at the broker's confirm (a publish), in rpc mode at the
// consumer's reply (a response).
func (w *Workload) OperationLatency() string {
	if w.cfg.Mode == ModeOneway {
		return results.Publish
	}
	return results.Response
}

// Queue is the name of the run's queue.
func (w *Workload) Queue() string { return w.queue }

// Broker describes the broker, once Start reached it.
func (w *Workload) Broker() Broker { return w.broker }

// Start connects, declares the queue and starts the consumers. An
// unreachable broker fails it within the dial timeout.
func (w *Workload) Start(ctx context.Context) (results.Target, error) {
	cfg := w.cfg
	url := cfg.URL
	if cfg.Reconnect || cfg.NetProxy {
		var err error
		if url, err = w.startRecovery(); err != nil {
			return results.Target{}, err
		}
	}
	first, err := dial(url, cfg.DialTimeout, "commsbench "+w.queue)
	if err != nil {
		return results.Target{}, unreachable(cfg.URL, err)
	}
	w.conns = append(w.conns, first)
	w.broker = brokerInfo(first, cfg.URL)
	if cfg.QueueType == QueueQuorum && !versionAtLeast(w.broker.Version, 3, 8) {
		return results.Target{}, fmt.Errorf("queue: quorum queues need RabbitMQ 3.8 or later; the broker at %s is %s %s: use --queue-type classic", w.broker.Address, w.broker.Product, w.broker.Version)
	}
	for i := 1; i < cfg.Connections; i++ {
		if ctx.Err() != nil {
			return results.Target{}, ctx.Err()
		}
		c, err := dial(url, cfg.DialTimeout, fmt.Sprintf("commsbench %s #%d", w.queue, i))
		if err != nil {
			return results.Target{}, fmt.Errorf("queue: connection %d of %d to %s: %w", i+1, cfg.Connections, w.broker.Address, err)
		}
		w.conns = append(w.conns, c)
	}
	for _, c := range w.conns {
		w.watch(c)
	}
	if err := w.declare(); err != nil {
		return results.Target{}, err
	}
	w.spec = &consumerSpec{
		queue: w.queue, prefetch: cfg.Prefetch, autoAck: cfg.AutoAck, work: cfg.Work, requeueEvery: cfg.RequeueEvery, enc: cfg.Encoding,
		acct: &consumerAccounting{run: w.runTag, ledger: w.ledger, producers: cfg.Producers},
	}
	for j := range cfg.Consumers {
		conn := w.conns[w.consumerConn(j)]
		c, err := startConsumer(conn, w.spec, fmt.Sprintf("commsbench-%s-c%d", cfg.RunID, j), cfg.DialTimeout)
		if err != nil {
			return results.Target{}, fmt.Errorf("queue: consumer %d: %w", j, w.red.err(err))
		}
		w.consumers = append(w.consumers, c)
	}
	for i := range cfg.Producers {
		p, err := w.startProducer(i, w.conns[i%len(w.conns)])
		if err != nil {
			return results.Target{}, fmt.Errorf("queue: producer %d: %w", i, w.red.err(err))
		}
		w.producers = append(w.producers, p)
	}
	return results.Target{
		Kind:          results.TargetExternal,
		Broker:        "rabbitmq",
		BrokerVersion: w.broker.Version,
		Address:       w.broker.Address,
	}, nil
}

// declare makes sure the queue exists: declared by the run, or, when it is
// consumed elsewhere, already there.
func (w *Workload) declare() error {
	cfg := w.cfg
	conn := w.conns[0]
	return boundedCall(conn, cfg.DialTimeout, func() error {
		ch, err := conn.Channel()
		if err != nil {
			return fmt.Errorf("queue: open a channel: %w", w.red.err(err))
		}
		defer ch.Close()
		if cfg.External != nil {
			return w.checkExternal(ch)
		}
		durable := cfg.Persistent || cfg.QueueType == QueueQuorum
		if cfg.Consumers == 0 {
			if _, err := ch.QueueDeclarePassive(w.queue, durable, false, false, false, queueArgs(cfg.QueueType)); err != nil {
				return fmt.Errorf("queue: %q is not on the broker (%v); start its consumers first, for example 'commsbench serve queue --queue %s'", w.queue, w.red.err(err), w.queue)
			}
			return nil
		}
		if _, err := ch.QueueDeclare(w.queue, durable, false, false, false, queueArgs(cfg.QueueType)); err != nil {
			return fmt.Errorf("queue: declare %q (%s, durable %v): %w; a queue of that name with other settings may exist: choose another --queue or delete it", w.queue, cfg.QueueType, durable, w.red.err(err))
		}
		w.ownsQueue = true
		return nil
	})
}

// watch notices a connection the broker closed or that broke, and the
// broker blocking publishers (a memory or disk alarm).
func (w *Workload) watch(c *amqp.Connection) {
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		if e, ok := <-closes; ok && e != nil {
			if w.rec != nil && w.rec.reconnect {
				w.rec.broke()
				return
			}
			w.brokerLost(e)
		}
	}()
	blocks := c.NotifyBlocked(make(chan amqp.Blocking, 4))
	go func() {
		for b := range blocks {
			w.lostMu.Lock()
			switch {
			case b.Active && w.blockedSince.IsZero():
				w.blockedSince, w.blockedReason = time.Now(), b.Reason
			case !b.Active && !w.blockedSince.IsZero():
				w.blockedFor += time.Since(w.blockedSince)
				w.blockedSince = time.Time{}
			}
			w.lostMu.Unlock()
		}
	}()
}

func (w *Workload) brokerLost(e *amqp.Error) {
	w.lostMu.Lock()
	if w.lost != nil || w.closed {
		w.lostMu.Unlock()
		return
	}
	w.lost = fmt.Errorf("queue: lost the connection to the broker at %s: %w", w.broker.Address, w.red.err(e))
	if !w.blockedSince.IsZero() {
		w.lost = fmt.Errorf("%w (the broker had blocked publishers for %.0fs: %s; see its memory and disk alarms)", w.lost, time.Since(w.blockedSince).Seconds(), w.blockedReason)
	}
	err := w.lost
	w.lostMu.Unlock()
	if w.cfg.OnBrokerLost != nil {
		w.cfg.OnBrokerLost(err)
	}
}

// brokerErr is the error of a lost broker connection, nil while all is well.
func (w *Workload) brokerErr() error {
	w.lostMu.Lock()
	defer w.lostMu.Unlock()
	return w.lost
}

// BrokerErr is the error of a connection to the broker lost during the run.
func (w *Workload) BrokerErr() error { return w.brokerErr() }

func (w *Workload) noteMeasured(intended time.Time) {
	ns := intended.UnixNano()
	for {
		cur := w.firstMeasuredNS.Load()
		if ns >= cur || w.firstMeasuredNS.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// Finish drains the queue, stops the consumers and adds the accounting,
// the publish and end-to-end latencies and the consumed rate to r.
func (w *Workload) Finish(ctx context.Context, r *results.Result) error {
	cfg := w.cfg
	drainStart := time.Now()
	settled := w.drain(ctx)
	drained := time.Since(drainStart)
	w.stopConsumers()
	acct := w.ledger.count()
	if settled {
		var none int64
		acct.Measured.Unread, acct.Warmup.Unread = &none, &none
	} else if depth, ok := w.queueDepth(); ok {
		splitUnread(&acct, depth)
	}
	d := acct.Measured
	for _, c := range w.consumers {
		d.Invalid += c.invalid.Load()
	}
	r.Counts.Delivery = &d
	if us, ok := w.clocks.PerOpUS(); ok {
		r.SetClientCodecPerOpUS(us)
	}

	// Latencies. In one-way mode the engine timed each publish under its
	// name (OperationLatency); in rpc mode the producers timed the confirms.
	if cfg.Mode != ModeOneway && cfg.Confirm {
		h := results.NewHistogram()
		for _, p := range w.producers {
			p.pubMu.Lock()
			h.Merge(p.publish)
			p.pubMu.Unlock()
		}
		r.Latency[results.Publish] = results.MustLatency(h)
	}
	var lastRecv int64
	if cfg.Consumers > 0 {
		e2e := results.NewHistogram()
		for _, c := range w.allConsumers() {
			h, last := c.snapshot()
			e2e.Merge(h)
			lastRecv = max(lastRecv, last)
		}
		r.Latency[results.EndToEnd] = results.MustLatency(e2e)
	}

	// Throughput: published over the measured period; consumed from the
	// first measured send to the last measured arrival, never less than the
	// measured period, so that a consumer that lagged into the drain shows
	// its true pace.
	if r.DurationS > 0 {
		published := d.Confirmed
		if !cfg.Confirm {
			published = acct.PublishedMeasured
		}
		r.Throughput.PublishedPerS = float64(published) / r.DurationS
		window := r.DurationS
		if first := w.firstMeasuredNS.Load(); lastRecv > first && first != math.MaxInt64 {
			window = max(window, float64(lastRecv-first)/1e9)
		}
		r.Throughput.ConsumedPerS = float64(d.Received) / window
		r.Throughput.ConsumedBytesPerS = r.Throughput.ConsumedPerS * float64(bodySize(cfg.PayloadBytes))
	}

	w.addPhaseLatencies(r)
	w.addFindings(r, acct)
	r.Notes = append(r.Notes, w.notes(acct, settled, ctx.Err() != nil, drained)...)
	return w.brokerErr()
}

// drain waits until every message's fate is known, the drain timeout
// passes, the run is interrupted or the broker is gone.
func (w *Workload) drain(ctx context.Context) bool {
	deadline := time.Now().Add(w.cfg.DrainTimeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if w.ledger.settled() {
			return true
		}
		if ctx.Err() != nil || w.brokerErr() != nil || !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}

// notes says in plain words what a reader must know beside the numbers.
func (w *Workload) notes(a accounting, settled, interrupted bool, drained time.Duration) []string {
	cfg := w.cfg
	var n []string
	if err := w.brokerErr(); err != nil {
		n = append(n, fmt.Sprintf("%v; the counts cover what was known when it broke (the queue could not be counted, so confirmed messages still on the broker count as lost, unconfirmed ones as outstanding)", err))
	} else if !settled {
		why := fmt.Sprintf("the drain ended after %.1fs before every message arrived (--drain-timeout %v)", drained.Seconds(), cfg.DrainTimeout)
		if interrupted {
			why = "the run was interrupted, so the queue was not drained"
		}
		n = append(n, why+": "+unreadNote(a.Measured))
	}
	w.lostMu.Lock()
	blocked, reason := w.blockedFor, w.blockedReason
	if !w.blockedSince.IsZero() {
		blocked += time.Since(w.blockedSince)
	}
	w.lostMu.Unlock()
	if blocked > 0 {
		n = append(n, fmt.Sprintf("the broker blocked publishers for %.1fs (%s): a memory or disk alarm; the wait is in the publish latency", blocked.Seconds(), reason))
	}
	if !cfg.Confirm {
		n = append(n, "publisher confirms were off: publish latency is the time to hand the message to the client library, and unreceived messages count as outstanding, not lost, since the broker never vouched for them")
	}
	if cfg.Consumers == 0 {
		n = append(n, fmt.Sprintf("the queue %q was consumed outside this run: received counts the replies, and there is no end-to-end latency", w.queue))
	}
	if cfg.PayloadBytes < HeaderSize {
		n = append(n, fmt.Sprintf("each message carries a %d-byte header, so bodies were %d bytes, not %d", HeaderSize, HeaderSize, cfg.PayloadBytes))
	}
	wu := a.Warmup
	if wu.Lost+wu.Duplicates+wu.Outstanding+wu.Nacked+wu.Returned > 0 {
		n = append(n, fmt.Sprintf("warm-up messages (not in the counts): %d published, %d received, %d lost, %d duplicates, %d outstanding, %d nacked, %d returned", a.PublishedWarmup, wu.Received, wu.Lost, wu.Duplicates, wu.Outstanding, wu.Nacked, wu.Returned))
	}
	if a.Foreign > 0 {
		n = append(n, fmt.Sprintf("%d messages on the queue were not this run's (left over on a shared queue?); they were consumed and not counted", a.Foreign))
	}
	return n
}

// stopConsumers cancels every consumer, within a bounded time.
func (w *Workload) stopConsumers() {
	w.stopOnce.Do(func() {
		w.consMu.Lock()
		defer w.consMu.Unlock()
		w.stopEach(nil)
	})
}

// stopEach cancels the consumers at once, each within two seconds, and
// then calls then, if set, on each. The caller holds consMu.
func (w *Workload) stopEach(then func(*consumer)) {
	var wg sync.WaitGroup
	for i, c := range w.consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stop(w.conns[w.consumerConn(i)], 2*time.Second)
			if then != nil {
				then(c)
			}
		}()
	}
	wg.Wait()
}

// Close stops the consumers, deletes the run's queue (unless kept) and
// closes the connections, each step bounded in time even when the broker
// went away.
func (w *Workload) Close() error {
	w.lostMu.Lock()
	w.closed = true
	w.lostMu.Unlock()
	if w.rec != nil {
		w.rec.shutdown()
	}
	if len(w.conns) == 0 {
		return nil
	}
	w.stopConsumers()
	var err error
	if w.ownsQueue && !w.cfg.KeepQueue {
		err = w.deleteQueue()
	}
	var wg sync.WaitGroup
	for _, c := range w.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !c.IsClosed() {
				_ = c.CloseDeadline(time.Now().Add(2 * time.Second))
			}
		}()
	}
	wg.Wait()
	// The listeners end with their channels; a bounded wait keeps a
	// misbehaving library from holding the run.
	done := make(chan struct{})
	go func() {
		for _, p := range w.producers {
			p.listeners.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	if w.rec != nil {
		w.rec.closeProxy()
	}
	return err
}

func (w *Workload) deleteQueue() error {
	conn := w.openConn()
	if conn == nil {
		// Every connection broke: one fresh try, in case the broker is back.
		c, err := dial(w.dialURL(), w.cfg.DialTimeout, "commsbench "+w.queue+" clean-up")
		if err != nil {
			w.leftQueue = true
			return fmt.Errorf("queue: could not reach the broker to delete the queue %q (%v); delete it with 'rabbitmqctl delete_queue %s'", w.queue, err, w.queue)
		}
		w.conns = append(w.conns, c)
		conn = c
	}
	err := boundedCall(conn, w.cfg.DialTimeout, func() error {
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		defer ch.Close()
		_, err = ch.QueueDelete(w.queue, false, false, false)
		return err
	})
	if err != nil {
		w.leftQueue = true
		return fmt.Errorf("queue: could not delete the queue %q (%v); delete it with 'rabbitmqctl delete_queue %s'", w.queue, w.red.err(err), w.queue)
	}
	return nil
}

func (w *Workload) openConn() *amqp.Connection {
	for _, c := range w.conns {
		if !c.IsClosed() {
			return c
		}
	}
	return nil
}

// LeftQueue reports whether the run's queue stayed on the broker against
// the plan: Close could not delete it.
func (w *Workload) LeftQueue() bool { return w.leftQueue }
