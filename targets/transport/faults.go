package transport

import (
	"fmt"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
)

// StoppableTarget is an embedded echo target that a run's faults can take
// down (it stops accepting and drops its connections, then listens again
// on the same address) and slow (each operation waits a delay first).
type StoppableTarget interface {
	Down() error
	Up() error
	SetDelay(time.Duration)
}

// ReceiverFaults are the kinds of fault that a transport's receiving side
// (an embedded target, a run's consumers or subscribers) takes.
func ReceiverFaults() []fault.Kind { return []fault.Kind{fault.Down, fault.Slow} }

// TargetFaults are the kinds of fault an embedded echo target takes: those
// of every receiving side, and network through a NetProxy in front of it.
func TargetFaults() []fault.Kind { return append(ReceiverFaults(), fault.Network) }

// BrokerFaults are the kinds of fault a brokered transport takes: those
// of its receiving side (consumers, subscribers), and broker-down and
// network on the path to the broker, through a NetProxy.
func BrokerFaults() []fault.Kind {
	return append(ReceiverFaults(), fault.Network, fault.BrokerDown)
}

// NeedsNetProxy says whether a run's faults need a NetProxy in front of
// its target or broker.
func NeedsNetProxy(fs []fault.Fault) bool {
	for _, f := range fs {
		if f.Kind == fault.Network || f.Kind == fault.BrokerDown {
			return true
		}
	}
	return false
}

// Has says whether fs holds a fault of kind k.
func Has(fs []fault.Fault, k fault.Kind) bool {
	for _, f := range fs {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// InjectTarget applies f to t, the embedded target of the transport named
// name (nil when the run has an external target), or to the proxy in
// front of it, and returns what ends it.
func InjectTarget(name string, t StoppableTarget, proxy *NetProxy, f fault.Fault) (func() error, error) {
	if t == nil {
		return nil, fmt.Errorf("%s: faults apply to the embedded target only", name)
	}
	switch f.Kind {
	case fault.Network:
		if proxy == nil {
			return nil, fmt.Errorf("%s: a network fault needs the network proxy, which the run did not start", name)
		}
		return proxy.Inject(f)
	case fault.Down:
		if err := t.Down(); err != nil {
			return nil, err
		}
		return t.Up, nil
	case fault.Slow:
		t.SetDelay(f.Delay)
		return func() error { t.SetDelay(0); return nil }, nil
	}
	return nil, fault.Refusal(name, TargetFaults(), f)
}

// RefuseExternalFaults is the usage error of a run that asks for faults
// against an external target, which commsbench cannot take down.
func RefuseExternalFaults(run *Run) error {
	if run.Target != "" && len(run.Faults) > 0 {
		return Usagef("--fault: faults apply to the embedded target, which commsbench can take down and slow; drop --target")
	}
	return nil
}
