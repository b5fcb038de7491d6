package cli

import (
	"fmt"
	"io"
	"sync"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// progressLine draws a one-line live display on a terminal: elapsed of
// total, ops/s, errors and p99 so far. It draws nothing when the stream is
// not a terminal, so CI logs stay clean.
type progressLine struct {
	liveLine
	label string
}

// liveLine is one line of a terminal that is redrawn in place.
type liveLine struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool
}

// draw replaces the line with s.
func (l *liveLine) draw(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "\r\033[K%s", s)
	l.drawn = true
}

// settle replaces the line with s for good and starts a new one below.
func (l *liveLine) settle(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "\r\033[K%s\n", s)
	l.drawn = false
}

// clear erases the line if anything was drawn.
func (l *liveLine) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drawn {
		fmt.Fprint(l.w, "\r\033[K")
		l.drawn = false
	}
}

func newProgressLine(f *Factory, quiet bool, label string) *progressLine {
	if quiet || !f.IO.ErrTTY {
		return nil
	}
	return &progressLine{liveLine: liveLine{w: f.IO.ErrOut}, label: label}
}

// update is the engine's progress callback.
func (p *progressLine) update(s bench.Progress) {
	if p == nil {
		return
	}
	var line string
	switch {
	case s.Warmup:
		line = fmt.Sprintf("%s  warming up (%.0fs left)", p.label, -s.Elapsed.Seconds())
	default:
		total := "?"
		if s.Planned > 0 {
			total = fmt.Sprintf("%.0fs", s.Planned.Seconds())
		} else if s.PlannedOps > 0 {
			total = fmt.Sprintf("%d ops", s.PlannedOps)
		}
		line = fmt.Sprintf("%s  %.0fs/%s  %s ops/s  errors %d  p99 %s",
			p.label, s.Elapsed.Seconds(), total, results.FormatRate(s.OpsPerS), s.Errors, progressP99(s))
		if s.InFlightBound {
			line += "  (in-flight bound reached)"
		}
	}
	p.draw(line)
}

// progressP99 is the p99 so far, n/a before an operation of the measured
// period finished: there is no p99 of nothing, and 0 would read as fast.
func progressP99(s bench.Progress) string {
	if s.Ops == 0 || s.P99 <= 0 {
		return "n/a"
	}
	return results.FormatNS(float64(s.P99))
}

// done clears the line.
func (p *progressLine) done() {
	if p == nil {
		return
	}
	p.clear()
}

// callback returns the engine callback, nil when nothing is drawn.
func (p *progressLine) callback() func(bench.Progress) {
	if p == nil {
		return nil
	}
	return p.update
}
