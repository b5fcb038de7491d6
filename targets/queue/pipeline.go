package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/correlate"
)

// ModePipeline measures a user's service end to end: the run publishes to
// the service's input (an exchange and routing key) and consumes the
// service's output queue, matching each output with its input by a
// correlation header (see package correlate).
const ModePipeline = "pipeline"

// PipelineConfig is a pipeline run's settings.
type PipelineConfig struct {
	URL string
	// Exchange and RoutingKey address the service's input; the default
	// exchange with a queue's name as routing key publishes to that queue.
	Exchange, RoutingKey string
	// ResultQueue is the service's output queue: it must exist.
	ResultQueue string
	// Headers go on every message, beside the correlation header.
	Headers   []correlate.Header
	Correlate correlate.Mode
	Producers int
	// Confirm and InFlight as in Config.
	Confirm    bool
	InFlight   int
	Persistent bool
	// Prefetch bounds the outputs the run's consumer holds unacknowledged.
	Prefetch     int
	DrainTimeout time.Duration
	DialTimeout  time.Duration
	// Payload is every message's body as it is (no commsbench header: the
	// service reads it); without one, PayloadBytes random bytes.
	Payload      []byte
	PayloadBytes int
	RunID        string
	OpenLoop     bool
	OnBrokerLost func(error)
}

// Pipeline is a pipeline run's workload.
type Pipeline struct {
	cfg    PipelineConfig
	red    redactor
	runTag uint32
	body   []byte

	pubConn, subConn *amqp.Connection
	broker           Broker
	producers        []*pipeProducer
	ledger           *ledger
	sent             *sendTimes
	out              *outputs

	lostMu sync.Mutex
	lost   error
	closed bool
}

var _ bench.Workload = (*Pipeline)(nil)

// NewPipeline returns the pipeline workload for cfg.
func NewPipeline(cfg PipelineConfig) (*Pipeline, error) {
	switch {
	case cfg.ResultQueue == "":
		return nil, errors.New("queue: name the service's output queue (--result-queue)")
	case cfg.Exchange == "" && cfg.RoutingKey == "":
		return nil, errors.New("queue: name the service's input: --routing-key (its queue, on the default exchange) or --exchange")
	case cfg.Correlate.Kind == correlate.Key:
		return nil, errors.New("queue: AMQP messages have no record key: correlate by traceparent or header:NAME")
	case cfg.Producers < 1 || cfg.Producers > correlate.MaxProducer:
		return nil, fmt.Errorf("queue: producers %d: at least 1", cfg.Producers)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if err := CheckURL(cfg.URL); err != nil {
		return nil, err
	}
	var tag [4]byte
	for binary.BigEndian.Uint32(tag[:]) == 0 {
		_, _ = rand.Read(tag[:])
	}
	body := cfg.Payload
	if body == nil {
		body = make([]byte, cfg.PayloadBytes)
		_, _ = rand.Read(body)
	}
	return &Pipeline{
		cfg: cfg, red: newRedactor(cfg.URL), runTag: binary.BigEndian.Uint32(tag[:]), body: body,
		ledger: newLedger(cfg.Producers, cfg.Confirm), sent: newSendTimes(cfg.Producers),
	}, nil
}

// OperationLatency: an operation is a publish to the service's input.
func (w *Pipeline) OperationLatency() string { return results.Publish }

// Start connects, checks the service's input and output are there, starts
// consuming the output and opens the producers. Each check fails with
// what to do.
func (w *Pipeline) Start(ctx context.Context) (results.Target, error) {
	cfg := w.cfg
	var err error
	if w.pubConn, err = dial(cfg.URL, cfg.DialTimeout, "commsbench pipeline "+cfg.RunID); err != nil {
		return results.Target{}, unreachable(cfg.URL, err)
	}
	w.broker = brokerInfo(w.pubConn, cfg.URL)
	if w.subConn, err = dial(cfg.URL, cfg.DialTimeout, "commsbench pipeline "+cfg.RunID+" results"); err != nil {
		return results.Target{}, unreachable(cfg.URL, err)
	}
	for _, c := range []*amqp.Connection{w.pubConn, w.subConn} {
		closes := c.NotifyClose(make(chan *amqp.Error, 1))
		go func() {
			if e, ok := <-closes; ok && e != nil {
				w.brokerLost(e)
			}
		}()
	}
	if err := w.checkInput(); err != nil {
		return results.Target{}, err
	}
	w.out = &outputs{w: w, order: newOrderTracker(cfg.Producers), e2e: results.NewHistogram(), svc: results.NewHistogram(), done: make(chan struct{})}
	if err := w.out.start(); err != nil {
		return results.Target{}, err
	}
	for i := range cfg.Producers {
		if ctx.Err() != nil {
			return results.Target{}, ctx.Err()
		}
		p, err := w.newProducer(uint32(i))
		if err != nil {
			return results.Target{}, fmt.Errorf("queue: producer %d: %w", i, w.red.err(err))
		}
		w.producers = append(w.producers, p)
	}
	return results.Target{Kind: results.TargetExternal, Broker: "rabbitmq", BrokerVersion: w.broker.Version, Address: w.broker.Address}, nil
}

// checkInput makes sure the messages have somewhere to go: the exchange
// exists, or, on the default exchange, the queue the routing key names.
func (w *Pipeline) checkInput() error {
	cfg := w.cfg
	return boundedCall(w.pubConn, cfg.DialTimeout, func() error {
		ch, err := w.pubConn.Channel()
		if err != nil {
			return fmt.Errorf("queue: open a channel: %w", w.red.err(err))
		}
		defer ch.Close()
		if cfg.Exchange != "" {
			if err := ch.ExchangeDeclarePassive(cfg.Exchange, "direct", false, false, false, false, nil); err != nil {
				return fmt.Errorf("queue: the service's input exchange %q is not on the broker (%v): start the service, which declares it, or check --exchange", cfg.Exchange, w.red.err(err))
			}
			return nil
		}
		if _, err := ch.QueueDeclarePassive(cfg.RoutingKey, false, false, false, false, nil); err != nil {
			return fmt.Errorf("queue: the service's input queue %q is not on the broker (%v): start the service, which declares it, or check --routing-key", cfg.RoutingKey, w.red.err(err))
		}
		return nil
	})
}

func (w *Pipeline) brokerLost(e *amqp.Error) {
	w.lostMu.Lock()
	if w.lost != nil || w.closed {
		w.lostMu.Unlock()
		return
	}
	w.lost = fmt.Errorf("queue: lost the connection to the broker at %s: %w", w.broker.Address, w.red.err(e))
	err := w.lost
	w.lostMu.Unlock()
	if w.cfg.OnBrokerLost != nil {
		w.cfg.OnBrokerLost(err)
	}
}

func (w *Pipeline) brokerErr() error {
	w.lostMu.Lock()
	defer w.lostMu.Unlock()
	return w.lost
}

// RunError says the broker went away during the run, if it did.
func (w *Pipeline) RunError() error {
	if err := w.brokerErr(); err != nil {
		return fmt.Errorf("%w; the run stopped early and its result is partial", err)
	}
	return nil
}

// Finish waits for the outputs of what was sent, up to the drain timeout,
// and adds the accounting and the end-to-end latencies through the service.
func (w *Pipeline) Finish(ctx context.Context, r *results.Result) error {
	start := time.Now()
	settled := w.drain(ctx)
	drained := time.Since(start)
	w.out.stop(w.subConn)
	acct := w.ledger.count()
	d := acct.Measured
	d.Uncorrelated = w.out.uncorrelated.Total()
	r.Counts.Delivery = &d

	e2e, svc, last := w.out.snapshot()
	r.Latency[results.EndToEnd] = results.MustLatency(e2e)
	r.Latency[results.EndToEndService] = results.MustLatency(svc)
	if r.DurationS > 0 {
		published := d.Confirmed
		if !w.cfg.Confirm {
			published = acct.PublishedMeasured
		}
		r.Throughput.PublishedPerS = float64(published) / r.DurationS
		window := r.DurationS
		if first := w.sent.firstMeasured.Load(); last > first && first != math.MaxInt64 {
			window = max(window, float64(last-first)/1e9)
		}
		r.Throughput.ConsumedPerS = float64(d.Received) / window
	}
	r.Notes = append(r.Notes, w.notes(acct, settled, ctx.Err() != nil, drained)...)
	return w.brokerErr()
}

func (w *Pipeline) drain(ctx context.Context) bool {
	deadline := time.Now().Add(w.cfg.DrainTimeout)
	for {
		if w.ledger.settled() {
			return true
		}
		if ctx.Err() != nil || w.brokerErr() != nil || !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-time.After(2 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

func (w *Pipeline) notes(a accounting, settled, interrupted bool, drained time.Duration) []string {
	cfg := w.cfg
	in := cfg.RoutingKey
	if cfg.Exchange != "" {
		in = fmt.Sprintf("exchange %q, routing key %q", cfg.Exchange, cfg.RoutingKey)
	}
	n := []string{fmt.Sprintf("pipeline through the service: published to %s, outputs read from %q and matched by %s; received counts inputs whose output arrived, lost those the broker confirmed and whose output never came, end to end is from the intended send to the output's arrival", in, cfg.ResultQueue, cfg.Correlate)}
	if err := w.brokerErr(); err != nil {
		n = append(n, fmt.Sprintf("%v; the counts cover what was known when it broke", err))
	} else if !settled {
		why := fmt.Sprintf("the drain ended after %.1fs before every output arrived (--drain-timeout %v): outputs still inside the service count as lost", drained.Seconds(), cfg.DrainTimeout)
		if interrupted {
			why = "the run was interrupted before every output arrived: outputs still inside the service count as lost"
		}
		n = append(n, why)
	}
	if note := w.out.uncorrelated.Note("outputs"); note != "" {
		n = append(n, note)
	}
	if a.Foreign > 0 {
		n = append(n, fmt.Sprintf("%d outputs on %q belonged to another run (left over on the queue?); they were consumed and not counted", a.Foreign, cfg.ResultQueue))
	}
	if !cfg.Confirm {
		n = append(n, "publisher confirms were off: inputs without an output count as outstanding, not lost, since the broker never vouched for them")
	}
	wu := a.Warmup
	if wu.Lost+wu.Duplicates+wu.Outstanding > 0 {
		n = append(n, fmt.Sprintf("warm-up messages (not in the counts): %d published, %d outputs, %d lost, %d duplicates, %d outstanding", a.PublishedWarmup, wu.Received, wu.Lost, wu.Duplicates, wu.Outstanding))
	}
	return n
}

// Close stops consuming and closes the connections; the service's queues
// stay as they are.
func (w *Pipeline) Close() error {
	w.lostMu.Lock()
	w.closed = true
	w.lostMu.Unlock()
	if w.out != nil && w.subConn != nil {
		w.out.stop(w.subConn)
	}
	for _, c := range []*amqp.Connection{w.pubConn, w.subConn} {
		if c != nil && !c.IsClosed() {
			_ = c.CloseDeadline(time.Now().Add(2 * time.Second))
		}
	}
	for _, p := range w.producers {
		p.listeners.Wait()
	}
	return nil
}

// sendTimes keeps each message's intended and actual send time, by
// producer and sequence number, for when its output comes back: the
// service does not carry them.
type sendTimes struct {
	mu            sync.Mutex
	intended      [][]int64
	actual        [][]int64
	firstMeasured atomic.Int64
}

func newSendTimes(producers int) *sendTimes {
	s := &sendTimes{intended: make([][]int64, producers), actual: make([][]int64, producers)}
	s.firstMeasured.Store(math.MaxInt64)
	return s
}

func (s *sendTimes) put(producer uint32, seq uint64, intended, actual int64) {
	if seq >= maxSeq {
		return
	}
	s.mu.Lock()
	for uint64(len(s.intended[producer])) <= seq {
		s.intended[producer] = append(s.intended[producer], 0)
		s.actual[producer] = append(s.actual[producer], 0)
	}
	s.intended[producer][seq], s.actual[producer][seq] = intended, actual
	s.mu.Unlock()
}

// get returns the send times of a message, ok false when it was not sent.
func (s *sendTimes) get(producer uint32, seq uint64) (intended, actual int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(producer) >= len(s.intended) || seq >= uint64(len(s.intended[producer])) || s.actual[producer][seq] == 0 {
		return 0, 0, false
	}
	return s.intended[producer][seq], s.actual[producer][seq], true
}

func (s *sendTimes) noteMeasured(ns int64) {
	for {
		cur := s.firstMeasured.Load()
		if ns >= cur || s.firstMeasured.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// outputs consumes the service's output queue.
type outputs struct {
	w            *Pipeline
	ch           *amqp.Channel
	deliveries   <-chan amqp.Delivery
	done         chan struct{}
	stopOnce     sync.Once
	order        *orderTracker // one goroutine reads
	uncorrelated correlate.Tally

	mu       sync.Mutex
	e2e, svc *hdrhistogram.Histogram
	lastNS   int64
}

const outputsTag = "commsbench-pipeline"

func (o *outputs) start() error {
	w := o.w
	cfg := w.cfg
	return boundedCall(w.subConn, cfg.DialTimeout, func() error {
		ch, err := w.subConn.Channel()
		if err != nil {
			return fmt.Errorf("queue: open a channel: %w", w.red.err(err))
		}
		if _, err := ch.QueueDeclarePassive(cfg.ResultQueue, false, false, false, false, nil); err != nil {
			return fmt.Errorf("queue: the result queue %q is not on the broker (%v): start the service, which declares its output queue, or check --result-queue", cfg.ResultQueue, w.red.err(err))
		}
		if cfg.Prefetch > 0 {
			if err := ch.Qos(cfg.Prefetch, 0, false); err != nil {
				return fmt.Errorf("queue: set prefetch %d on the result queue: %w", cfg.Prefetch, w.red.err(err))
			}
		}
		o.deliveries, err = ch.Consume(cfg.ResultQueue, outputsTag, false, false, false, false, nil)
		if err != nil {
			return fmt.Errorf("queue: cannot consume the result queue %q (%v): is it exclusive to another consumer?", cfg.ResultQueue, w.red.err(err))
		}
		o.ch = ch
		go o.loop()
		return nil
	})
}

func (o *outputs) loop() {
	defer close(o.done)
	for d := range o.deliveries {
		o.handle(&d)
		_ = d.Ack(false)
	}
}

// handle matches one output with its input and accounts for it.
func (o *outputs) handle(d *amqp.Delivery) {
	now := time.Now().UnixNano()
	w := o.w
	id, err := w.cfg.Correlate.Extract(correlate.AMQPHeaders(d.Headers), nil)
	if err != nil {
		o.uncorrelated.Add(err)
		return
	}
	if id.Run != w.runTag {
		w.ledger.foreign.Add(1)
		return
	}
	intended, actual, ok := w.sent.get(id.Producer, id.Seq)
	if !ok {
		o.uncorrelated.Add(fmt.Errorf("%w: message %d of producer %d was never sent", correlate.ErrMalformed, id.Seq, id.Producer))
		return
	}
	h := Header{Run: id.Run, Producer: id.Producer, Seq: id.Seq, SentNS: intended, Warmup: id.Warmup}
	ooo := false
	if !d.Redelivered {
		ooo = o.order.observe(h.Producer, h.Seq)
	}
	if !w.ledger.received(h, d.Redelivered, ooo) || h.Warmup {
		return
	}
	o.mu.Lock()
	results.RecordClamped(o.e2e, now-intended)
	results.RecordClamped(o.svc, now-actual)
	o.lastNS = max(o.lastNS, now)
	o.mu.Unlock()
}

func (o *outputs) stop(conn *amqp.Connection) {
	o.stopOnce.Do(func() {
		if o.ch == nil {
			return
		}
		if !o.ch.IsClosed() {
			_ = boundedCall(conn, 2*time.Second, func() error { return o.ch.Cancel(outputsTag, false) })
		}
		select {
		case <-o.done:
		case <-time.After(2 * time.Second):
		}
		if !o.ch.IsClosed() {
			_ = boundedCall(conn, 2*time.Second, o.ch.Close)
		}
	})
}

func (o *outputs) snapshot() (e2e, svc *hdrhistogram.Histogram, lastNS int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e2e, svc = results.NewHistogram(), results.NewHistogram()
	e2e.Merge(o.e2e)
	svc.Merge(o.svc)
	return e2e, svc, o.lastNS
}
