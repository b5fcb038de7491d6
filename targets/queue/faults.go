package queue

import (
	"context"
	"fmt"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// Faults of the queue's receiving side, the run's consumers:
//   - down: the consumers cancel their subscriptions and close their
//     channels, so that what they held unacknowledged goes back to the
//     queue; messages wait there. When the fault ends, fresh consumers
//     subscribe on the same connections and take the backlog.
//   - slow: each consumer waits the fault's delay before it acknowledges.
//
// The broker itself stays up: producers publish and the broker confirms
// throughout, which is the point of a queue.

var (
	_ bench.Injector   = (*Workload)(nil)
	_ bench.PhaseTimer = (*Workload)(nil)
	_ bench.Backlogger = (*Workload)(nil)
)

// Inject applies f to the run's consumers.
func (w *Workload) Inject(ctx context.Context, f fault.Fault) (func() error, error) {
	switch f.Kind {
	case fault.Down:
		w.pauseConsumers()
		return w.resumeConsumers, nil
	case fault.Slow:
		w.spec.delay.Store(int64(f.Delay))
		return func() error { w.spec.delay.Store(0); return nil }, nil
	case fault.BrokerDown, fault.Network, fault.BrokerRestart:
		return w.injectBroker(ctx, f)
	}
	return nil, fault.Refusal("queue", Faults(), f)
}

// consumerConn is the connection consumer i uses.
func (w *Workload) consumerConn(i int) int { return (w.cfg.Producers + i) % len(w.conns) }

// pauseConsumers stops every consumer as a service that went away would:
// it stops taking messages, and what it had not acknowledged is requeued.
func (w *Workload) pauseConsumers() {
	w.consMu.Lock()
	defer w.consMu.Unlock()
	w.stopEach(func(c *consumer) { _ = c.ch.Close() })
	w.retired = append(w.retired, w.consumers...)
	w.consumers = nil
}

// resumeConsumers starts fresh consumers in place of the paused ones.
func (w *Workload) resumeConsumers() error {
	w.consMu.Lock()
	defer w.consMu.Unlock()
	if w.consumers != nil {
		return nil
	}
	w.generation++
	for j := range w.cfg.Consumers {
		tag := fmt.Sprintf("commsbench-%s-c%d-%d", w.cfg.RunID, j, w.generation)
		c, err := startConsumer(w.conns[w.consumerConn(j)], w.spec, tag, w.cfg.DialTimeout)
		if err != nil {
			return fmt.Errorf("queue: consumer %d back after the fault: %w", j, w.red.err(err))
		}
		w.consumers = append(w.consumers, c)
	}
	return nil
}

// allConsumers are the consumers of the run, those a fault retired too:
// their histograms hold what they received.
func (w *Workload) allConsumers() []*consumer {
	w.consMu.Lock()
	defer w.consMu.Unlock()
	return append(append([]*consumer(nil), w.retired...), w.consumers...)
}

// FaultClock puts each message's end-to-end latency in the phase of the
// faults' window in which it was sent.
func (w *Workload) FaultClock(c fault.Clock) { w.spec.clock.Store(&c) }

// Backlog is the messages the broker accepted and no consumer received yet.
func (w *Workload) Backlog() (int64, bool) {
	return w.ledger.sent.Load() - w.ledger.arrived.Load(), w.cfg.Consumers > 0
}

// addPhaseLatencies gives each phase of r's resilience the end-to-end
// latency of the messages sent in it.
func (w *Workload) addPhaseLatencies(r *results.Result) {
	if r.Resilience == nil || w.cfg.Consumers == 0 {
		return
	}
	hs := mergedPhases(w.allConsumers())
	phases := [fault.Phases]*results.Phase{&r.Resilience.Before, &r.Resilience.During, &r.Resilience.After}
	for i, p := range phases {
		if p.Latency == nil {
			p.Latency = map[string]*results.Latency{}
		}
		p.Latency[results.EndToEnd] = results.MustLatency(hs[i])
	}
}
