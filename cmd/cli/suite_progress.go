package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/scenarios"
)

// suiteProgress shows a suite's progress on a terminal: what it will run,
// a line per finished run, and a live line for the current one with its
// phase and ops/s. It draws nothing when stderr is not a terminal or with
// --quiet, so logs hold only the table.
type suiteProgress struct {
	liveLine
	suite  *scenarios.Suite
	phases []suitePhase
}

func newSuiteProgress(f *Factory, quiet bool, s *scenarios.Suite, phases []suitePhase) *suiteProgress {
	if quiet || !f.IO.ErrTTY {
		return nil
	}
	return &suiteProgress{liveLine: liveLine{w: f.IO.ErrOut}, suite: s, phases: phases}
}

// duration is a phase's measured and warm-up time, per scenario.
func (p suitePhase) duration() time.Duration {
	if p.search {
		return time.Duration(p.steps) * (p.measure + p.warmup)
	}
	return p.measure + p.warmup
}

func (p *suiteProgress) start() {
	if p == nil {
		return
	}
	var names []string
	for _, s := range p.suite.Scenarios {
		names = append(names, s.Name)
	}
	var per time.Duration
	bound := "at least"
	for _, ph := range p.phases {
		per += ph.duration()
		if ph.search {
			bound = "up to" // a search may stop before its last step
		}
	}
	fmt.Fprintf(p.w, "suite %s: %d %s × %d %s (%s), %s %s\n  %s\n",
		p.suite.Name, len(names), pluralS(len(names), "scenario"), len(p.phases), pluralS(len(p.phases), "phase"), phaseTitles(p.phases),
		bound,
		time.Duration(len(names))*per, strings.Join(names, ", "))
}

func phaseSummary(p suitePhase) string {
	if p.search {
		return fmt.Sprintf("%s: highest rate sustained, from %s ops/s, at most %d steps of %v", p.title, strconv.FormatFloat(p.rate, 'f', -1, 64), p.steps, p.measure+p.warmup)
	}
	if p.workers > 0 {
		return fmt.Sprintf("%s %d workers", p.title, p.workers)
	}
	return p.title + " " + strconv.FormatFloat(p.rate, 'f', -1, 64) + " ops/s"
}

// callback returns the engine progress callback of scenario i, phase ph.
func (p *suiteProgress) callback(i, ph int) func(bench.Progress) {
	if p == nil {
		return nil
	}
	name := p.suite.Scenarios[i].Name
	title := ""
	if ph < len(p.phases) {
		title = p.phases[ph].title
	}
	prefix := fmt.Sprintf("  [%d/%d] %s · %s", i+1, len(p.suite.Scenarios), name, title)
	return func(s bench.Progress) {
		var line string
		if s.Warmup {
			line = fmt.Sprintf("%s · warming up", prefix)
		} else {
			line = fmt.Sprintf("%s · %.0fs/%.0fs · %s ops/s · p99 %s", prefix, s.Elapsed.Seconds(), s.Planned.Seconds(),
				results.FormatRate(s.OpsPerS), progressP99(s))
			if s.Errors > 0 {
				line += fmt.Sprintf(" · errors %d", s.Errors)
			}
		}
		p.draw(line)
	}
}

// finished prints one line for a run that ended (or a scenario that did
// not run), above the live line.
func (p *suiteProgress) finished(i int, phase string, res *results.Result, problem string) {
	if p == nil {
		return
	}
	name := p.suite.Scenarios[i].Name
	if phase != "" {
		name += " · " + phase
	}
	var line string
	switch {
	case problem != "" && res == nil:
		line = fmt.Sprintf("  ✗ %s: %s", name, firstLine(problem))
	case res != nil && res.Search != nil:
		line = fmt.Sprintf("  ✓ %s · %s", name, res.Search.SearchFound())
		if problem != "" {
			line += " · " + firstLine(problem)
		}
	case res != nil:
		main := res.MainLatency()
		line = fmt.Sprintf("  ✓ %s · %s ops/s", name, results.FormatRate(res.Throughput.OpsPerS))
		if l := res.Latency[main]; l != nil {
			line += fmt.Sprintf(" · %s p99 %s", strings.ReplaceAll(main, "_", " "), l.FormatFigure("p99"))
		}
		if problem != "" {
			line += " · " + firstLine(problem)
		}
	default:
		return
	}
	p.settle(line)
}

func (p *suiteProgress) done() {
	if p == nil {
		return
	}
	p.clear()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
