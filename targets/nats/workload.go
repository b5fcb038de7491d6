package nats

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// Error classes of NATS operations.
const (
	ClassNoResponders     = "nats_no_responders"
	ClassTimeout          = "nats_timeout"
	ClassSlowConsumer     = "nats_slow_consumer"
	ClassConnectionClosed = "connection_closed"
)

// publishQuiet ends a core NATS drain early: core NATS never delivers a
// message again, so once nothing has arrived for this long after the load,
// what is missing was dropped and waiting longer cannot bring it.
const publishQuiet = time.Second

// Workload is a NATS run: it starts or reaches the server, sets up the far
// side of the mode (responders, subscribers or a stream and its durable
// consumer) and gives each engine worker a client that publishes.
type Workload struct {
	cfg    Config
	red    redactor
	runTag uint32
	url    string

	server     *Server
	slowBefore int64 // the embedded server's slow-consumer count at start
	pubs       []*publisher
	members    []*member
	ledger     *ledger
	streamMade bool

	slowEvents  atomic.Int64 // the client library's slow-consumer reports
	membersLost atomic.Int64 // receiving connections the server closed

	// lost is the first broken publishing connection's error; closed says
	// the run closes them itself.
	lost     atomic.Pointer[error]
	closed   atomic.Bool
	stopOnce sync.Once

	clocks messages.Clocks // the clients' encode and decode time, typed messages only

	faults faultState          // faults.go
	proxy  *transport.NetProxy // in front of the server, for broker faults
}

var (
	_ bench.Workload       = (*Workload)(nil)
	_ bench.OperationNamer = (*Workload)(nil)
)

// publisher is one publishing connection. Engine workers share it; its
// mutex keeps sequence numbers in the order messages leave.
type publisher struct {
	id uint32
	nc *gonats.Conn
	js jetstream.JetStream
	mu sync.Mutex
	// next is the next sequence number; log is its accounting.
	next uint64
	log  *producerLog
}

// member is one receiving connection: a responder, a subscriber or one
// member of the durable consumer.
type member struct {
	nc    *gonats.Conn
	sub   *gonats.Subscription
	recv  *receiver
	order []int64
	// enc is a responder's encoding; check a subscriber's or consumer's
	// work on a typed message (typed.go). Both are unset for echoes.
	enc   messages.Encoding
	check func([]byte) error
	// resub subscribes again after a down fault (responders, subscribers);
	// faults holds a slow fault's delay.
	resub  func() (*gonats.Subscription, error)
	faults *faultState

	mu sync.Mutex // guards cc, which a restart replaces
	cc jetstream.ConsumeContext
}

// stop ends the member's subscription or consumption.
func (m *member) stop() {
	m.mu.Lock()
	cc := m.cc
	m.mu.Unlock()
	if cc != nil {
		cc.Stop()
	}
	if m.sub != nil {
		_ = m.sub.Unsubscribe()
	}
}

// NewWorkload returns the NATS workload for cfg.
func NewWorkload(cfg Config) (*Workload, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	w := &Workload{
		cfg:    cfg,
		red:    newRedactor(cfg.URL),
		runTag: binary.BigEndian.Uint32(tag[:]),
		ledger: newLedger(cfg.Publishers),
	}
	return w, nil
}

// OperationLatency names what the engine times: a publish (until the
// client took it, or until JetStream's PubAck) or a request's response.
func (w *Workload) OperationLatency() string {
	if w.cfg.Mode == ModeRequest {
		return results.Response
	}
	return results.Publish
}

// Subject is the subject the run publishes to.
func (w *Workload) Subject() string { return w.cfg.Subject }

// Start reaches (or starts) the server and sets up the mode's far side.
// An unreachable server fails it within the dial timeout.
func (w *Workload) Start(ctx context.Context) (results.Target, error) {
	cfg := w.cfg
	target := results.Target{Kind: results.TargetExternal, Broker: "nats"}
	if cfg.URL == "" {
		s, err := StartServer("127.0.0.1:0")
		if err != nil {
			return results.Target{}, err
		}
		w.server = s
		w.url = s.URL()
		w.slowBefore = s.SlowConsumers()
		target.Kind = results.TargetEmbedded
		target.Address = s.Addr()
	} else {
		w.url = cfg.URL
		target.Address = hostOf(cfg.URL)
	}
	onBreak := []gonats.Option{gonats.DisconnectErrHandler(func(_ *gonats.Conn, err error) { w.brokerLost(err) })}
	if cfg.BrokerFaults {
		var err error
		if w.url, err = w.proxied(w.url); err != nil {
			return results.Target{}, err
		}
		onBreak = append(reconnecting(), w.publisherHandlers()...)
	}
	for i := range cfg.Publishers {
		if ctx.Err() != nil {
			return results.Target{}, ctx.Err()
		}
		nc, err := connect(w.url, fmt.Sprintf("commsbench %s p%d", cfg.RunID, i), cfg.DialTimeout, onBreak...)
		if err != nil {
			return results.Target{}, err
		}
		p := &publisher{id: uint32(i), nc: nc, log: w.ledger.producers[i]}
		w.pubs = append(w.pubs, p)
	}
	first := w.pubs[0].nc
	target.BrokerVersion = first.ConnectedServerVersion()
	if limit, size := first.MaxPayload(), messageSize(cfg.PayloadBytes); int64(size) > limit {
		return results.Target{}, fmt.Errorf("nats: the server at %s takes messages of at most %d bytes (max_payload), and this run's are %d: lower --payload-size or raise the server's max_payload", target.Address, limit, size)
	}
	var err error
	switch cfg.Mode {
	case ModeRequest:
		err = w.startRequest(ctx)
	case ModePublish:
		err = w.startPublish()
	case ModeJetStream:
		err = w.startJetStream(ctx)
	}
	if err != nil {
		return results.Target{}, err
	}
	return target, nil
}

// memberConn opens a receiving connection. The server closing it (a slow
// consumer cut off, or the server gone) is counted, not fatal: what the
// member then misses is counted as lost.
func (w *Workload) memberConn(name string) (*gonats.Conn, error) {
	var again []gonats.Option
	if w.cfg.BrokerFaults {
		again = reconnecting()
	}
	return connect(w.url, name, w.cfg.DialTimeout, append(again,
		gonats.ErrorHandler(func(_ *gonats.Conn, _ *gonats.Subscription, err error) {
			if errors.Is(err, gonats.ErrSlowConsumer) {
				w.slowEvents.Add(1)
			}
		}),
		gonats.DisconnectErrHandler(func(*gonats.Conn, error) {
			if !w.isClosed() && !w.cfg.BrokerFaults {
				w.membersLost.Add(1)
			}
		}))...)
}

// probeBody is a request that tells whether anyone answers; responders
// echo it like any other and the ledger does not count it.
const probeBody = "commsbench probe"

func (w *Workload) startRequest(ctx context.Context) error {
	cfg := w.cfg
	if cfg.Consumers > 0 {
		recv := newReceiver("responders", cfg.Consumers, cfg.Publishers, w.runTag)
		w.ledger.receivers = append(w.ledger.receivers, recv)
		for j := range cfg.Consumers {
			nc, err := w.memberConn(fmt.Sprintf("commsbench %s responder %d", cfg.RunID, j))
			if err != nil {
				return err
			}
			m := &member{nc: nc, recv: recv, enc: cfg.Encoding, faults: &w.faults}
			w.members = append(w.members, m)
			m.resub = func() (*gonats.Subscription, error) {
				return nc.QueueSubscribe(cfg.Subject, responderGroup, func(msg *gonats.Msg) {
					m.respond(msg, time.Now().UnixNano())
				})
			}
			m.sub, err = m.resub()
			if err == nil {
				err = nc.FlushTimeout(cfg.DialTimeout)
			}
			if err != nil {
				return fmt.Errorf("nats: responder %d on %q: %w", j, cfg.Subject, w.red.err(err))
			}
		}
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	_, err := w.pubs[0].nc.RequestWithContext(pctx, cfg.Subject, []byte(probeBody))
	switch {
	case errors.Is(err, gonats.ErrNoResponders):
		return fmt.Errorf("nats: no responders on subject %q at %s: start them with 'commsbench serve nats --nats-url URL' (they answer on %s), or run with --consumers 1 or more", cfg.Subject, w.where(), DefaultEchoSubject)
	case err != nil:
		return fmt.Errorf("nats: a probe request on %q got no answer within %v (%v): are the responders on %q overloaded?", cfg.Subject, cfg.DialTimeout, w.red.err(err), cfg.Subject)
	}
	return nil
}

// respond accounts a request (probes aside) and echoes it, or, with a
// typed encoding, answers the order it carries.
func (m *member) respond(msg *gonats.Msg, nowNS int64) {
	probe := isProbe(msg.Data)
	if m.recv != nil && !probe {
		m.recv.delivery(msg.Data, false, nowNS, nil)
	}
	if m.faults != nil && !probe {
		m.faults.wait()
	}
	if m.enc.Typed() && !probe {
		if !respondOrder(m.enc, msg) && m.recv != nil {
			m.recv.invalid.Add(1)
		}
		return
	}
	_ = msg.Respond(msg.Data)
}

func isProbe(b []byte) bool { return string(b) == probeBody }

func (w *Workload) startPublish() error {
	cfg := w.cfg
	var shared *receiver
	if cfg.QueueGroup {
		shared = newReceiver("queue group "+responderGroup, cfg.Subscribers, cfg.Publishers, w.runTag)
		w.ledger.receivers = append(w.ledger.receivers, shared)
	}
	for j := range cfg.Subscribers {
		recv := shared
		if recv == nil {
			recv = newReceiver(fmt.Sprintf("subscriber %d", j), 1, cfg.Publishers, w.runTag)
			w.ledger.receivers = append(w.ledger.receivers, recv)
		}
		nc, err := w.memberConn(fmt.Sprintf("commsbench %s subscriber %d", cfg.RunID, j))
		if err != nil {
			return err
		}
		m := &member{nc: nc, recv: recv, order: newOrder(cfg.Publishers), check: messages.OrderCheck(cfg.Encoding), faults: &w.faults}
		w.members = append(w.members, m)
		handler := func(msg *gonats.Msg) {
			now := time.Now().UnixNano()
			if m.recv.delivery(msg.Data, false, now, m.order) {
				m.checkOrder(msg.Data)
			}
			m.faults.wait()
		}
		m.resub = func() (*gonats.Subscription, error) {
			if cfg.QueueGroup {
				return nc.QueueSubscribe(cfg.Subject, responderGroup, handler)
			}
			return nc.Subscribe(cfg.Subject, handler)
		}
		m.sub, err = m.resub()
		// The flush makes sure the server knows the subscription before the
		// first publish.
		if err == nil {
			err = nc.FlushTimeout(cfg.DialTimeout)
		}
		if err != nil {
			return fmt.Errorf("nats: subscriber %d on %q: %w", j, cfg.Subject, w.red.err(err))
		}
	}
	return nil
}

func (w *Workload) startJetStream(ctx context.Context) error {
	cfg := w.cfg
	sctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	for _, p := range w.pubs {
		js, err := jetstream.New(p.nc, jetstream.WithPublishAsyncMaxPending(bench.MaxConcurrency))
		if err != nil {
			return fmt.Errorf("nats: JetStream: %w", w.red.err(err))
		}
		p.js = js
	}
	js := w.pubs[0].js
	if _, err := js.AccountInfo(sctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return fmt.Errorf("nats: the server at %s has no JetStream (%v): start it with -js, or use --mode request or publish", w.where(), w.red.err(err))
		}
		return fmt.Errorf("nats: ask the server at %s about JetStream: %w", w.where(), w.red.err(err))
	}
	storage := jetstream.FileStorage
	if cfg.Storage == StorageMemory {
		storage = jetstream.MemoryStorage
	}
	_, err := js.CreateStream(sctx, jetstream.StreamConfig{
		Name:      cfg.stream(),
		Subjects:  []string{cfg.Subject},
		Storage:   storage,
		Replicas:  cfg.Replicas,
		Retention: jetstream.LimitsPolicy,
	})
	if err != nil {
		return fmt.Errorf("nats: create the stream %s (%s storage, %d replicas) on %s: %v; with more replicas than servers, lower --replicas", cfg.stream(), cfg.Storage, cfg.Replicas, w.where(), w.red.err(err))
	}
	w.streamMade = true
	cc := jetstream.ConsumerConfig{
		Durable:       cfg.durable(),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 20000,
	}
	if cfg.Consumer == ConsumerPush {
		cc.DeliverSubject = "commsbench." + cfg.RunID + ".deliver"
		cc.DeliverGroup = responderGroup
		_, err = js.CreateOrUpdatePushConsumer(sctx, cfg.stream(), cc)
	} else {
		_, err = js.CreateOrUpdateConsumer(sctx, cfg.stream(), cc)
	}
	if err != nil {
		return fmt.Errorf("nats: create the durable %s consumer %s: %w", cfg.Consumer, cfg.durable(), w.red.err(err))
	}
	recv := newReceiver("durable "+cfg.durable(), cfg.Consumers, cfg.Publishers, w.runTag)
	w.ledger.receivers = append(w.ledger.receivers, recv)
	for j := range cfg.Consumers {
		nc, err := w.memberConn(fmt.Sprintf("commsbench %s consumer %d", cfg.RunID, j))
		if err != nil {
			return err
		}
		m := &member{nc: nc, recv: recv, order: newOrder(cfg.Publishers), check: messages.OrderCheck(cfg.Encoding), faults: &w.faults}
		w.members = append(w.members, m)
		if err := w.consume(ctx, m); err != nil {
			return fmt.Errorf("nats: consumer %d: %w", j, err)
		}
	}
	return nil
}

// consume starts (or restarts) a member's consumption of the durable
// consumer, acknowledging each message after accounting for it.
func (w *Workload) consume(ctx context.Context, m *member) error {
	cfg := w.cfg
	js, err := jetstream.New(m.nc)
	if err != nil {
		return w.red.err(err)
	}
	sctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	handler := func(msg jetstream.Msg) {
		now := time.Now().UnixNano()
		redelivered := false
		if md, err := msg.Metadata(); err == nil {
			redelivered = md.NumDelivered > 1
		}
		if m.recv.delivery(msg.Data(), redelivered, now, m.order) && !m.checkOrder(msg.Data()) {
			// An invalid order is refused for good: delivering it again
			// would not make it valid.
			_ = msg.Term()
			return
		}
		m.faults.wait()
		_ = msg.Ack()
	}
	var cc jetstream.ConsumeContext
	if cfg.Consumer == ConsumerPush {
		var c jetstream.PushConsumer
		if c, err = js.PushConsumer(sctx, cfg.stream(), cfg.durable()); err == nil {
			cc, err = c.Consume(handler)
		}
	} else {
		var c jetstream.Consumer
		if c, err = js.Consumer(sctx, cfg.stream(), cfg.durable()); err == nil {
			cc, err = c.Consume(handler)
		}
	}
	if err != nil {
		return w.red.err(err)
	}
	m.setConsume(cc)
	return nil
}

func (m *member) setConsume(cc jetstream.ConsumeContext) {
	m.mu.Lock()
	m.cc = cc
	m.mu.Unlock()
}

// restart stops a member's consumption abruptly, as a consumer process
// that dies, and starts it again: messages it held unacknowledged come
// back after the ack wait.
func (w *Workload) restart(ctx context.Context, m *member, down time.Duration) error {
	m.mu.Lock()
	cc := m.cc
	m.mu.Unlock()
	if cc != nil {
		cc.Stop()
		select {
		case <-cc.Closed():
		case <-time.After(w.cfg.DialTimeout):
		}
	}
	time.Sleep(down)
	return w.consume(ctx, m)
}

// where is the server's address for messages.
func (w *Workload) where() string {
	if w.server != nil {
		return "the embedded server " + w.server.Addr()
	}
	return w.red.redact(w.cfg.URL)
}

func (w *Workload) isClosed() bool { return w.closed.Load() }

// brokerLost records the first publishing connection that broke, unless
// the run is closing it.
func (w *Workload) brokerLost(err error) {
	if w.closed.Load() {
		return
	}
	if err == nil {
		err = errors.New("the server closed it")
	}
	lost := fmt.Errorf("nats: lost the connection to %s: %w", w.where(), w.red.err(err))
	if w.lost.CompareAndSwap(nil, &lost) && w.cfg.OnBrokerLost != nil {
		w.cfg.OnBrokerLost(lost)
	}
}

// RunError is the error of a connection lost during the run, nil while
// all is well.
func (w *Workload) RunError() error {
	if p := w.lost.Load(); p != nil {
		return *p
	}
	return nil
}
