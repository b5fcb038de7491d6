package nats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/targets/transport"
)

// Faults of a NATS run:
//   - down: the receiving side goes away for the window. Responders and
//     subscribers unsubscribe (requests then find no responders; core
//     publish delivers at most once, so what subscribers miss is lost, and
//     counted); JetStream consumers stop consuming and the messages wait
//     in the stream. They subscribe, or consume, again when it ends.
//   - slow: each responder, subscriber or consumer waits the fault's
//     delay before it answers or acknowledges.
//   - broker-down: every connection between the run and the server is cut,
//     and new ones refused, through a network proxy in front of the server
//     (embedded or not). Clients reconnect with a bounded backoff and the
//     client library subscribes again; a JetStream publish not
//     acknowledged is published again (at least once: the receivers count
//     the copies as duplicates; no message id is set, so the server does
//     not hide them).
//   - network: latency, jitter, a bandwidth bound or resets on that path.

var (
	_ bench.Injector   = (*Workload)(nil)
	_ bench.Backlogger = (*Workload)(nil)
)

// Faults are the kinds of fault a NATS run takes.
func Faults() []fault.Kind { return transport.BrokerFaults() }

// Bounds of the wait between two attempts to reach the server again.
const (
	reconnectMin = 50 * time.Millisecond
	reconnectMax = time.Second
)

// faultState is what the run's members and clients share of its faults.
type faultState struct {
	delay atomic.Int64 // ns, a slow fault's wait
	mu    sync.Mutex   // guards down
	down  bool         // a down fault holds the members away

	breaks, reconnects atomic.Int64
	republished        atomic.Int64
	brokeAt            atomic.Int64 // Unix ns of the break not yet recovered, 0: none
	reconnectedAt      atomic.Int64 // Unix ns of the last reconnection
	longest            atomic.Int64 // ns, the longest outage of a publisher
}

// wait is a slow fault's delay, if one is applied.
func (f *faultState) wait() {
	if d := time.Duration(f.delay.Load()); d > 0 {
		time.Sleep(d)
	}
}

// reconnecting are the connection options of a run with broker faults: the
// client library reconnects, with a backoff from 50 ms to 1 s, for as long
// as the run lasts.
func reconnecting() []gonats.Option {
	return []gonats.Option{
		func(o *gonats.Options) error { o.AllowReconnect = true; return nil },
		gonats.MaxReconnects(-1),
		gonats.CustomReconnectDelay(func(attempts int) time.Duration {
			return min(reconnectMin<<min(attempts, 5), reconnectMax)
		}),
	}
}

// publisherHandlers are a publishing connection's handlers in a run with
// broker faults: a break is counted and timed, not the end of the run.
func (w *Workload) publisherHandlers() []gonats.Option {
	f := &w.faults
	return []gonats.Option{
		gonats.DisconnectErrHandler(func(*gonats.Conn, error) {
			if w.closed.Load() {
				return
			}
			if f.brokeAt.CompareAndSwap(0, time.Now().UnixNano()) {
				f.breaks.Add(1)
			}
		}),
		gonats.ReconnectHandler(func(*gonats.Conn) {
			f.reconnectedAt.Store(time.Now().UnixNano())
			f.reconnects.Add(1)
			if at := f.brokeAt.Swap(0); at != 0 {
				d := time.Now().UnixNano() - at
				for {
					cur := f.longest.Load()
					if d <= cur || f.longest.CompareAndSwap(cur, d) {
						break
					}
				}
			}
		}),
	}
}

// proxied starts the network proxy in front of the server at rawURL and
// returns the URL to dial instead.
func (w *Workload) proxied(rawURL string) (string, error) {
	first := strings.TrimSpace(strings.Split(rawURL, ",")[0])
	u, err := url.Parse(first)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("nats: a network proxy needs a server URL such as nats://127.0.0.1:4222")
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "4222")
	}
	p, err := transport.StartNetProxy(host)
	if err != nil {
		return "", fmt.Errorf("nats: %w", err)
	}
	w.proxy = p
	u.Host = p.Addr()
	return u.String(), nil
}

// Inject applies f.
func (w *Workload) Inject(ctx context.Context, f fault.Fault) (func() error, error) {
	switch f.Kind {
	case fault.Down:
		if err := w.pauseMembers(); err != nil {
			return nil, err
		}
		return func() error { return w.resumeMembers(ctx) }, nil
	case fault.Slow:
		w.faults.delay.Store(int64(f.Delay))
		return func() error { w.faults.delay.Store(0); return nil }, nil
	case fault.BrokerDown, fault.Network:
		if w.proxy == nil {
			return nil, fmt.Errorf("nats: the run was not set up for a %s fault", f.Kind)
		}
		return w.proxy.InjectBroker(f)
	}
	return nil, fault.Refusal("nats", Faults(), f)
}

// pauseMembers takes the receiving side away.
func (w *Workload) pauseMembers() error {
	w.faults.mu.Lock()
	defer w.faults.mu.Unlock()
	if w.faults.down {
		return nil
	}
	w.faults.down = true
	var errs []error
	for _, m := range w.members {
		m.mu.Lock()
		cc, sub := m.cc, m.sub
		m.mu.Unlock()
		if cc != nil {
			cc.Stop()
			select {
			case <-cc.Closed():
			case <-time.After(w.cfg.DialTimeout):
				errs = append(errs, errors.New("nats: a consumer did not stop in time"))
			}
		}
		if sub != nil {
			if err := sub.Unsubscribe(); err != nil {
				errs = append(errs, w.red.err(err))
			}
		}
	}
	return errors.Join(errs...)
}

// resumeMembers brings the receiving side back.
func (w *Workload) resumeMembers(ctx context.Context) error {
	w.faults.mu.Lock()
	defer w.faults.mu.Unlock()
	if !w.faults.down {
		return nil
	}
	w.faults.down = false
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, m := range w.members {
		if w.cfg.Mode == ModeJetStream {
			if err := w.consume(ctx, m); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if m.resub == nil {
			continue
		}
		sub, err := m.resub()
		if err == nil {
			err = m.nc.FlushTimeout(w.cfg.DialTimeout)
		}
		if err != nil {
			errs = append(errs, w.red.err(err))
			continue
		}
		m.mu.Lock()
		m.sub = sub
		m.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Backlog is what was published and not yet received by the slowest
// receiver (publish and jetstream modes).
func (w *Workload) Backlog() (int64, bool) {
	if w.cfg.Mode == ModeRequest || len(w.ledger.receivers) == 0 {
		return 0, false
	}
	var sent uint64
	for _, p := range w.ledger.producers {
		p.mu.Lock()
		sent += p.published
		p.mu.Unlock()
	}
	var least int64 = -1
	for _, r := range w.ledger.receivers {
		r.mu.Lock()
		n := r.firstN
		r.mu.Unlock()
		if least < 0 || n < least {
			least = n
		}
	}
	return max(int64(sent)-least, 0), true
}

// brokerFindings says how the clients recovered from the server's faults.
func (w *Workload) brokerFindings() []string {
	f := &w.faults
	if w.proxy == nil || f.breaks.Load() == 0 {
		return nil
	}
	s := fmt.Sprintf("the publishing connections to the server broke %d time(s) and reconnected %d time(s), the longest outage lasting %.2fs; the client library subscribed again on its own",
		f.breaks.Load(), f.reconnects.Load(), time.Duration(f.longest.Load()).Seconds())
	if w.cfg.Mode == ModeJetStream {
		s += fmt.Sprintf("; %d stream publish(es) without a PubAck were published again (at least once: copies count as duplicates)", f.republished.Load())
	}
	if w.cfg.Mode == ModePublish {
		s += "; core NATS delivers at most once, so what was published while a subscriber was cut off is lost, and counted"
	}
	return []string{s}
}
