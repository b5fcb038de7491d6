package event

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// Faults of the event stream's receiving side, the subscribing groups:
//   - down: every member of every group stops fetching, commits what it
//     read and leaves its group, as a service that went away would; events
//     stay in the log and the groups' lag grows. When the fault ends, fresh
//     members join the same groups and resume from the committed offsets.
//   - slow: each member waits the fault's delay after each event, before
//     committing it and fetching the next.
//
// The broker stays up: producers publish and the broker acknowledges
// throughout.

var (
	_ bench.Injector   = (*Workload)(nil)
	_ bench.PhaseTimer = (*Workload)(nil)
	_ bench.Backlogger = (*Workload)(nil)
)

// faultState is what the members of a run share of its faults.
type faultState struct {
	delay atomic.Int64 // ns, a slow fault's wait after each event
	clock atomic.Pointer[fault.Clock]
}

// wait is the slow fault's delay, if one is applied.
func (f *faultState) wait(ctx context.Context) {
	d := time.Duration(f.delay.Load())
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// recordPhase records a measured event's end-to-end latency in the phase
// it was sent in, once a run with faults measures.
func (m *member) recordPhase(sentNS, now int64) {
	clk := m.faults.clock.Load()
	if clk == nil {
		return
	}
	ph := clk.PhaseNS(sentNS)
	if m.phases[ph] == nil {
		m.phases[ph] = results.NewHistogram()
	}
	results.RecordClamped(m.phases[ph], now-sentNS)
}

// Inject applies f to the subscribing groups.
func (w *Workload) Inject(_ context.Context, f fault.Fault) (func() error, error) {
	switch f.Kind {
	case fault.Down:
		if err := w.pauseGroups(); err != nil {
			return nil, err
		}
		return w.resumeGroups, nil
	case fault.Slow:
		w.faults.delay.Store(int64(f.Delay))
		return func() error { w.faults.delay.Store(0); return nil }, nil
	case fault.BrokerDown, fault.Network:
		return w.injectBroker(f)
	}
	return nil, fault.Refusal("event", Faults(), f)
}

// pauseGroups stops every member and closes its reader (which commits and
// leaves the group).
func (w *Workload) pauseGroups() error {
	deadline := time.After(closeTimeout)
	var wg sync.WaitGroup
	for _, s := range w.subs {
		s.cancel()
		if !s.stopped(deadline) {
			return fmt.Errorf("event: group %s did not stop within %v", s.tally.name, closeTimeout)
		}
		s.close(&wg)
	}
	if !waitTimeout(&wg, closeTimeout) {
		return fmt.Errorf("event: readers did not close within %v", closeTimeout)
	}
	for _, s := range w.subs {
		s.retired = append(s.retired, s.members...)
		s.members = nil
	}
	return nil
}

// resumeGroups starts fresh members in every group; they read on from the
// offsets their groups committed.
func (w *Workload) resumeGroups() error {
	for _, s := range w.subs {
		if s.members != nil {
			continue
		}
		s.gen++
		s.members = s.newMembers()
		s.start(w.membersCtx)
	}
	return nil
}

// FaultClock puts each event's end-to-end latency in the phase of the
// faults' window in which it was sent.
func (w *Workload) FaultClock(c fault.Clock) { w.faults.clock.Store(&c) }

// Backlog is the largest lag of a group: measured events the broker
// acknowledged and that group did not receive yet.
func (w *Workload) Backlog() (int64, bool) {
	var acked int64
	for _, p := range w.producers {
		acked += p.ackedN.Load()
	}
	var lag int64
	for _, s := range w.subs {
		lag = max(lag, acked-s.tally.received.Load())
	}
	return lag, true
}

// addPhaseLatencies gives each phase of r's resilience the end-to-end
// latency of the events sent in it, over every group.
func (w *Workload) addPhaseLatencies(r *results.Result) {
	if r.Resilience == nil {
		return
	}
	phases := [fault.Phases]*results.Phase{&r.Resilience.Before, &r.Resilience.During, &r.Resilience.After}
	for i, p := range phases {
		h := results.NewHistogram()
		for _, s := range w.subs {
			for _, m := range s.allMembers() {
				if m.phases[i] != nil {
					h.Merge(m.phases[i])
				}
			}
		}
		if p.Latency == nil {
			p.Latency = map[string]*results.Latency{}
		}
		p.Latency[results.EndToEnd] = results.MustLatency(h)
	}
}
