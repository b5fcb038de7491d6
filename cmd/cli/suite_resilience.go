package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/report"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/scenarios"
	"github.com/commsbench/commsbench/targets/transport"
)

// The suite's resilience phase: every scenario at the same offered load,
// its receiving side down for a window in the middle of the measured
// period (down@5s+5s of 15 s by default), to measure what the trade-off
// between calls and messaging is usually about. It takes 16 s or more per
// scenario, so the default suite leaves it out (make run stays around
// three minutes): --resilience adds it, --resilience=only runs it alone,
// and a suite file that sets phases: resilience: runs it unless
// --resilience=off.

// Modes of --resilience.
const (
	resilienceOff  = "off"
	resilienceWith = "with"
	resilienceOnly = "only"
)

// defaultResilienceDuration is the resilience phase's measured period;
// its fault takes the middle third of it.
const defaultResilienceDuration = 15 * time.Second

// resilienceFlags are the suite's flags of the resilience phase.
type resilienceFlags struct {
	Mode     string
	Fault    string
	Duration time.Duration
}

func (r *resilienceFlags) addFlags(fl *pflag.FlagSet) {
	fl.StringVar(&r.Mode, "resilience", "", "the resilience phase, every scenario at the same offered load with its receiving side down for a window:\n'with' (or --resilience alone) adds it after the other two, 'only' runs it alone, 'off' leaves it out\n(default: off, unless the suite file sets phases: resilience:)")
	fl.Lookup("resilience").NoOptDefVal = resilienceWith
	fl.StringVar(&r.Fault, "resilience-fault", "", "the resilience phase's fault (default: down for the middle third of its measured period, down@5s+5s of 15s)")
	fl.DurationVar(&r.Duration, "resilience-duration", 0, "measured period of the resilience phase (default: the suite's, else 15s)")
}

// plan returns the phases to run: the suite's two, the resilience phase
// after them, or the resilience phase alone.
func (r *resilienceFlags) plan(cmd *cobra.Command, s *scenarios.Suite, two [2]suitePhase) ([]suitePhase, error) {
	changed := cmd.Flags().Changed
	mode := r.Mode
	switch mode {
	case "":
		mode = resilienceOff
		if s.Resilience != nil || changed("resilience-fault") || changed("resilience-duration") {
			mode = resilienceWith
		}
	case resilienceOff, resilienceWith, resilienceOnly:
	default:
		return nil, flagErrorf("--resilience %q: choose with, only or off", r.Mode)
	}
	if mode == resilienceOff {
		if changed("resilience-fault") || changed("resilience-duration") {
			return nil, flagErrorf("--resilience=off with --resilience-fault or --resilience-duration: give one or the other")
		}
		return two[:], nil
	}
	ph := suitePhase{name: report.Resilience, title: "resilience", rate: two[0].rate, measure: defaultResilienceDuration, warmup: two[0].warmup}
	var faults []fault.Fault
	if sp := s.Resilience; sp != nil {
		if sp.Rate > 0 && !changed("rate") {
			ph.rate = sp.Rate
		}
		if sp.Duration > 0 {
			ph.measure = sp.Duration
		}
		if sp.Warmup != nil && !changed("warmup") {
			ph.warmup = *sp.Warmup
		}
		faults = sp.Faults
	}
	if changed("resilience-duration") {
		if r.Duration <= 0 {
			return nil, flagErrorf("--resilience-duration %v: must be positive, such as 15s", r.Duration)
		}
		ph.measure = r.Duration
	}
	if changed("resilience-fault") {
		f, err := fault.Parse(r.Fault)
		if err != nil {
			return nil, &FlagError{err: fmt.Errorf("--resilience-fault: %w", err)}
		}
		faults = []fault.Fault{f}
	}
	if len(faults) == 0 {
		third := (ph.measure / 3).Round(100 * time.Millisecond)
		if third <= 0 {
			return nil, flagErrorf("--resilience-duration %v: too short to place a fault in (give 1s or more)", ph.measure)
		}
		faults = []fault.Fault{{Kind: fault.Down, Start: third, Duration: third}}
	}
	if err := fault.Check(faults, ph.measure); err != nil {
		return nil, &FlagError{err: fmt.Errorf("resilience phase: %w", err)}
	}
	ph.faults = faults
	if mode == resilienceOnly {
		return []suitePhase{ph}, nil
	}
	return append(two[:], ph), nil
}

// takes says whether a scenario of transport t can run phase p: every
// transport runs the load phases, the resilience phase only those that
// take its faults.
func (p suitePhase) takes(t transport.Transport) (bool, string) {
	for _, f := range p.faults {
		if !fault.Takes(t.Faults, f.Kind) {
			return false, fmt.Sprintf("no %s phase: %v", p.title, fault.Refusal(t.Name, t.Faults, f))
		}
	}
	return true, ""
}

// setPhase puts a phase's result and error in a row.
func setPhase(row *report.Row, phase string, got *results.Result, errText string) {
	switch phase {
	case report.SameLoad:
		row.SameLoad, row.SameLoadErr = got, errText
	case report.Saturation:
		row.Saturation, row.SaturationErr = got, errText
	case report.Resilience:
		row.Resilience, row.ResilienceErr = got, errText
	}
}

// phaseTitles joins the phases' titles for a progress line.
func phaseTitles(phases []suitePhase) string {
	parts := make([]string, len(phases))
	for i, p := range phases {
		parts[i] = phaseSummary(p)
		if len(p.faults) > 0 {
			var specs []string
			for _, f := range p.faults {
				specs = append(specs, f.String())
			}
			parts[i] += " " + strings.Join(specs, ", ")
		}
	}
	return strings.Join(parts, "; ")
}
