package results

import (
	"fmt"
	"strings"
)

// Metrics of runs with faults beside recovery_s and fault_error_rate: the
// caller's latency in one phase of the faults' window, "before.p99",
// "during.p99", "after.max". They read the phase's histogram of the
// caller's operation (the response, or the publish of a brokered run), so
// that compare shows what the fault did to the caller side by side, and
// check can hold a run to it.

// Phase names, as metric prefixes and in the result's resilience section.
const (
	PhaseBefore = "before"
	PhaseDuring = "during"
	PhaseAfter  = "after"
)

// ResilienceMetrics are the metrics compare adds when a run had faults:
// the caller's error rate and p99 during the window, its p99 after it,
// and the recovery time.
func ResilienceMetrics() []Metric {
	return []Metric{
		{Name: MetricFaultErrorRate, kind: kindFraction},
		{Name: PhaseDuring + ".p99", Phase: PhaseDuring, Figure: "p99", kind: kindLatency},
		{Name: PhaseAfter + ".p99", Phase: PhaseAfter, Figure: "p99", kind: kindLatency},
		{Name: MetricRecovery, kind: kindSeconds},
	}
}

// parsePhaseMetric reads "during.p99"; ok is false when s names no phase.
func parsePhaseMetric(s string) (m Metric, ok bool, err error) {
	phase, figure, found := strings.Cut(s, ".")
	if !found || (phase != PhaseBefore && phase != PhaseDuring && phase != PhaseAfter) {
		return Metric{}, false, nil
	}
	fig, err := ParseFigure(figure)
	if err != nil {
		return Metric{}, true, fmt.Errorf("unknown metric %q: a phase's metric is a figure of the caller's latency in it, such as %s.p99 or %s.max", s, phase, phase)
	}
	return Metric{Name: phase + "." + fig, Phase: phase, Figure: fig, kind: kindLatency}, true, nil
}

// phase returns the phase named name of rs.
func (rs *Resilience) phase(name string) *Phase {
	switch name {
	case PhaseBefore:
		return &rs.Before
	case PhaseDuring:
		return &rs.During
	case PhaseAfter:
		return &rs.After
	}
	return nil
}

// phaseLatency is the caller's latency of m's phase in r.
func (m Metric) phaseLatency(r *Result) (*Latency, error) {
	if r.Resilience == nil {
		return nil, fmt.Errorf("%w: the %s result had no faults (run it with --fault)", ErrNoResilience, r.Transport)
	}
	p := r.Resilience.phase(m.Phase)
	l := p.callerLatency()
	if l == nil || l.Count == 0 {
		return nil, errNoSamples(fmt.Sprintf("no operation of the caller succeeded %s the faults' window", phaseWord(m.Phase)))
	}
	return l, nil
}

func phaseWord(phase string) string {
	if phase == PhaseDuring {
		return "during"
	}
	return phase
}

func (m Metric) phaseValue(r *Result) (float64, error) {
	l, err := m.phaseLatency(r)
	if err != nil {
		return 0, err
	}
	return l.Quantile(m.Figure)
}

// phaseValue is a phase metric over the runs' merged phase histograms.
func (mh *mergedHistograms) phaseValue(m Metric) (float64, bool, error) {
	key := "phase:" + m.Phase
	sum := mh.byKind[key]
	if sum == nil {
		sum = NewHistogram()
		for _, r := range mh.runs {
			l, err := m.phaseLatency(r)
			if err != nil {
				return 0, false, err
			}
			h, err := l.Histogram()
			if err != nil {
				return 0, false, err
			}
			sum.Merge(h)
		}
		mh.byKind[key] = sum
	}
	return histogramFigure(sum, m.Figure), true, nil
}

// CallerRecovered is when, in seconds from the start of the measured
// period, the caller was back after a window that ended at end: the first
// second of the timeline that ends after it with operations, no errors
// and a p99 within twice before's p99 (when there was a before). A second
// that straddles the end counts from the end, and only if it is healthy
// as a whole, so a caller the fault never touched is back at once, and
// one it did is not called back by the healthy half of a second.
func CallerRecovered(tl []TimelinePoint, before *Latency, end float64) (float64, bool) {
	var bound int64
	if before != nil && before.Count > 0 {
		bound = 2 * before.P99
	}
	for _, p := range tl {
		if p.TS+1 <= end || p.Ops == 0 || p.Errors > 0 {
			continue
		}
		if bound > 0 && p.P99NS > bound {
			continue
		}
		return max(p.TS, end), true
	}
	return 0, false
}

// SetRecovery fills the recovery of rs from the run's timeline and the
// moment its backlog was first empty after the window (nil when never,
// or when sampled is false: the run had no backlog to sample).
func (rs *Resilience) SetRecovery(tl []TimelinePoint, backlogEmpty *float64, sampled bool) {
	end := rs.WindowEndS
	rs.CallerRecoveredS, rs.BacklogEmptyS, rs.RecoveryS = nil, nil, nil
	caller, ok := CallerRecovered(tl, rs.Before.callerLatency(), end)
	if ok {
		rs.CallerRecoveredS = &caller
	}
	if backlogEmpty != nil {
		v := *backlogEmpty
		rs.BacklogEmptyS = &v
	}
	if ok && (!sampled || backlogEmpty != nil) {
		rec := max(caller, 0)
		if backlogEmpty != nil {
			rec = max(rec, *backlogEmpty)
		}
		rec = max(rec-end, 0)
		rs.RecoveryS = &rec
	}
}
