package results

import "fmt"

// Faults and resilience. A run with faults records what was injected and
// when (Faults) and the run's figures split by the faults' window
// (Resilience): before it, during it and after it. Every figure here was
// measured while the run went, by phase, not reconstructed from the
// timeline afterwards; files without these fields were runs without faults.

// Fault is one fault injected into a run.
type Fault struct {
	// Spec is the fault as written (canonical form), such as "down@5s+5s".
	Spec string `json:"spec"`
	Kind string `json:"kind"`
	// StartS and DurationS are the planned window, in seconds from the
	// start of the measured period.
	StartS    float64           `json:"start_s"`
	DurationS float64           `json:"duration_s"`
	Params    map[string]string `json:"params,omitempty"`
	// InjectedS and RestoredS are when the fault was applied and ended,
	// in seconds from the start of the measured period; RestoredS is 0
	// when it never ended (the run was interrupted first).
	InjectedS float64 `json:"injected_s"`
	RestoredS float64 `json:"restored_s,omitempty"`
	// Error is why injecting or ending the fault failed, if it did.
	Error string `json:"error,omitempty"`
}

// Resilience is a run's figures before, during and after its faults'
// window (from the first fault's start to the last one's end).
type Resilience struct {
	WindowStartS float64 `json:"window_start_s"`
	WindowEndS   float64 `json:"window_end_s"`
	Before       Phase   `json:"before"`
	During       Phase   `json:"during"`
	After        Phase   `json:"after"`
	// RecoveryS is the time from the end of the window until the per-second
	// p99 of the caller was back within twice its value before the window,
	// with no errors, and the backlog (when measured) was empty; nil when
	// that did not happen before the run ended.
	RecoveryS *float64 `json:"recovery_s"`
	// CallerRecoveredS and BacklogEmptyS are the two halves of RecoveryS,
	// in seconds from the start of the measured period.
	CallerRecoveredS *float64 `json:"caller_recovered_s,omitempty"`
	BacklogEmptyS    *float64 `json:"backlog_empty_s,omitempty"`
	// Lost and Duplicates are the run's message accounting (brokers):
	// what never arrived, and what arrived more than once.
	Lost       int64 `json:"lost"`
	Duplicates int64 `json:"duplicates"`
	// Findings are what the transport found out about its far side's
	// faults, in sentences: how its clients recovered from a broker that
	// went away, what a broker restart kept and dropped.
	Findings []string `json:"findings,omitempty"`
}

// Phase is the figures of one phase of a run with faults.
type Phase struct {
	// DurationS is how long the phase lasted within the measured period.
	DurationS float64 `json:"duration_s"`
	// OK and Errors count the caller's operations of the phase: before
	// holds those that completed before the window began, after those sent
	// after it ended, and during every one that overlapped it.
	// ErrorClasses splits Errors by class.
	OK           int64            `json:"ok"`
	Errors       int64            `json:"errors"`
	ErrorClasses map[string]int64 `json:"error_classes,omitempty"`
	// Latency holds the caller's latency (under the run's operation name)
	// of the phase's successful operations and, for brokers, the
	// end-to-end latency of messages sent in it.
	Latency map[string]*Latency `json:"latency,omitempty"`
	// BacklogPeak is the most messages waiting (sent, not yet received)
	// seen in the phase, sampled every 100 ms; nil when not measurable.
	BacklogPeak *int64 `json:"backlog_peak,omitempty"`
	// Retries counts the attempts of the phase's operations, in runs
	// with retries.
	Retries *RetryCounts `json:"retries,omitempty"`
}

// ErrorRate is the share of the phase's operations that failed (0–1).
func (p Phase) ErrorRate() float64 {
	if n := p.OK + p.Errors; n > 0 {
		return float64(p.Errors) / float64(n)
	}
	return 0
}

// validate checks the phases' latencies, as Validate does the run's.
func (rs *Resilience) validate() error {
	if rs == nil {
		return nil
	}
	for name, p := range map[string]Phase{"before": rs.Before, "during": rs.During, "after": rs.After} {
		if p.OK < 0 || p.Errors < 0 {
			return fmt.Errorf("resilience.%s: negative counts", name)
		}
		for kind, l := range p.Latency {
			if l == nil {
				return fmt.Errorf("resilience.%s.latency.%s is null", name, kind)
			}
			if _, err := l.Histogram(); err != nil {
				return fmt.Errorf("resilience.%s.latency.%s: %v", name, kind, err)
			}
		}
	}
	return nil
}
