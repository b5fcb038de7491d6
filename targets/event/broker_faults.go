package event

import (
	"fmt"
	"net"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/targets/transport"
)

// Faults of the broker, beside those of the subscribing groups
// (faults.go). The embedded broker then listens behind a network proxy and
// advertises the proxy's address, so that every connection a client makes,
// the bootstrap and those the metadata sends it to, goes through it:
//   - broker-down: every connection is cut, and new ones refused, for the
//     window. Producers retry their batches (a batch the broker had written
//     before the cut is written again: at least once, and the groups count
//     the copies as duplicates); the group members fetch again once the
//     broker is back, rejoining their groups, from the committed offsets.
//   - network: latency, jitter, a bandwidth bound or resets on the path.

// Faults are the kinds of fault an event run takes.
func Faults() []fault.Kind { return transport.BrokerFaults() }

// brokerRetry is how long a producer keeps retrying a batch in a run with
// broker faults: long enough to outlast the broker's absence, bounded so
// that a broker that never returns does not hold the run.
const brokerRetry = time.Minute

// resolveFaults refuses broker faults without the embedded broker.
func resolveFaults(brokers []string, run *transport.Run) error {
	if len(brokers) > 0 && transport.NeedsNetProxy(run.Faults) {
		return transport.Usagef("--fault broker-down and network apply to the embedded broker, which can advertise the network proxy's address to its clients; a cluster named by --brokers advertises its own: leave --brokers out")
	}
	return nil
}

// proxiedListener is the embedded broker's listener seen through the
// network proxy: it accepts what the proxy passes on, and its address, the
// one the broker advertises in its metadata, is the proxy's.
type proxiedListener struct {
	net.Listener
	addr net.Addr
}

func (l proxiedListener) Addr() net.Addr { return l.addr }

// behindProxy starts a network proxy in front of ln and returns the
// listener to hand the broker.
func behindProxy(ln net.Listener) (net.Listener, *transport.NetProxy, error) {
	p, err := transport.StartNetProxy(ln.Addr().String())
	if err != nil {
		return nil, nil, fmt.Errorf("event: %w", err)
	}
	addr, err := net.ResolveTCPAddr("tcp", p.Addr())
	if err != nil {
		p.Close()
		return nil, nil, fmt.Errorf("event: the network proxy's address %s: %w", p.Addr(), err)
	}
	return proxiedListener{Listener: ln, addr: addr}, p, nil
}

// injectBroker applies a broker fault through the embedded broker's proxy.
func (w *Workload) injectBroker(f fault.Fault) (func() error, error) {
	if w.broker == nil || w.broker.proxy == nil {
		return nil, fmt.Errorf("event: the run was not set up for a %s fault", f.Kind)
	}
	undo, err := w.broker.proxy.InjectBroker(f)
	if err != nil || f.Kind != fault.BrokerDown {
		return undo, err
	}
	return func() error {
		err := undo()
		// kafka-go's transports keep a broken connection pool until told
		// to drop it: the admin client's and the producers' dial again.
		w.adminTr.CloseIdleConnections()
		for _, p := range w.producers {
			p.transport.CloseIdleConnections()
		}
		return err
	}, nil
}

// retryPauseMax bounds the pause between two attempts of a batch.
const retryPauseMax = 500 * time.Millisecond

// retryFor is how long producers retry a batch.
func retryFor(brokerFaults bool) time.Duration {
	if brokerFaults {
		return brokerRetry
	}
	return 0
}

// brokerSession is the group members' session and rebalance timeout in a
// run with broker faults: a member whose connections were cut is let go,
// and its group rebalanced, this soon after.
const brokerSession = 6 * time.Second

func sessionFor(brokerFaults bool) time.Duration {
	if brokerFaults {
		return brokerSession
	}
	return 0
}

// brokerFindings says how the clients recovered from the broker's faults.
func (w *Workload) brokerFindings() []string {
	if w.broker == nil || w.broker.proxy == nil {
		return nil
	}
	var retries int64
	for _, p := range w.producers {
		retries += p.retries.Load()
	}
	if retries == 0 {
		return nil
	}
	return []string{fmt.Sprintf("the producers sent %d batch(es) again after a failed attempt, until the broker answered (at least once: a batch the broker had written before the cut is written twice, and the groups count the copies as duplicates); the groups' members fetched again and rejoined on their own, from the committed offsets", retries)}
}
