package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/commsbench/commsbench/results"
)

// errorColor draws errors: black, dashed, unlike any scenario's colour.
const errorColor = "#111"

// backlogColor draws the backlog, in no scenario's colour either.
const backlogColor = "#006d5b"

// faultChart draws one row's resilience run second by second, with the
// faults' window shaded: operations and errors per second, the caller's
// p99 (log scale, a gap where nothing succeeded) and, for brokers, the
// backlog. It returns "" when the row has no resilience run.
func faultChart(r Row, color string) string {
	res, rs := r.fault()
	if res == nil || len(res.Timeline) == 0 {
		return ""
	}
	type point struct {
		t, ops, errs, p99, backlog float64
		hasP99, hasBacklog         bool
	}
	tMax := math.Max(res.DurationS, rs.WindowEndS)
	var pts []point
	maxRate, lo, hi, maxBacklog := 0.0, math.Inf(1), 0.0, 0.0
	hasBacklog := false
	for _, p := range res.Timeline {
		covered := math.Min(p.TS+1, tMax) - p.TS
		if covered < 0.25 {
			continue
		}
		q := point{t: p.TS + covered/2, ops: float64(p.Ops) / covered, errs: float64(p.Errors) / covered}
		if p.P99NS > 0 {
			q.p99, q.hasP99 = float64(p.P99NS), true
			lo, hi = math.Min(lo, q.p99), math.Max(hi, q.p99)
		}
		if p.Backlog != nil {
			q.backlog, q.hasBacklog, hasBacklog = float64(*p.Backlog), true, true
			maxBacklog = math.Max(maxBacklog, q.backlog)
		}
		maxRate = math.Max(maxRate, math.Max(q.ops, q.errs))
		pts = append(pts, q)
	}
	if len(pts) == 0 {
		return ""
	}
	const w, left, right, top, panelH, gap = 560.0, 64.0, 16.0, 34.0, 110.0, 26.0
	// Three panels always, so that the charts of a page line up; a call
	// has no backlog, and its third panel says so.
	const panels = 3
	bottom := 58.0
	h := top + float64(panels)*panelH + float64(panels-1)*gap + bottom
	px := func(t float64) float64 { return left + t/tMax*(w-left-right) }
	panelTop := func(i int) float64 { return top + float64(i)*(panelH+gap) }

	var specs []string
	for _, f := range res.Faults {
		specs = append(specs, f.Spec)
	}
	var s svg
	s.open("fault", w, h, r.Scenario+": across the fault "+strings.Join(specs, ", "))
	s.text(left, 16, "start", "chart-title", seriesLabel(r)+" · "+strings.Join(specs, ", "))

	// The window, shaded across every panel.
	x0, x1 := px(rs.WindowStartS), px(rs.WindowEndS)
	fmt.Fprintf(&s.b, `<rect class="window" x="%s" y="%s" width="%s" height="%s"/>`, f1(x0), f1(top), f1(x1-x0), f1(panelTop(panels-1)+panelH-top))
	s.text((x0+x1)/2, top-4, "middle", "tick", "receiver down")

	// Panel 1: operations and errors per second.
	rateTicks := linTicks(math.Max(maxRate, 1), 3)
	y1 := func(v float64) float64 { return panelTop(0) + panelH*(1-v/rateTicks[len(rateTicks)-1]) }
	for _, t := range rateTicks {
		s.line(left, y1(t), w-right, y1(t), "grid")
		s.text(left-6, y1(t)+4, "end", "tick", results.FormatRate(t))
	}
	s.text(left-50, panelTop(0)-6, "start", "tick", "per second")
	var ops, errs [][2]float64
	for _, p := range pts {
		ops = append(ops, [2]float64{px(p.t), y1(p.ops)})
		errs = append(errs, [2]float64{px(p.t), y1(p.errs)})
	}
	s.polyline(ops, color, false)
	s.polyline(errs, errorColor, true)

	// Panel 2: the caller's p99, log scale.
	if hi > 0 {
		ticks, yMin, yMax := logTicks(lo, math.Max(hi, lo*1.01))
		if len(ticks) > 5 {
			step := (len(ticks) + 4) / 5
			var thin []float64
			for i := 0; i < len(ticks); i += step {
				thin = append(thin, ticks[i])
			}
			ticks = thin
		}
		y2 := func(v float64) float64 {
			return panelTop(1) + panelH - (math.Log10(v)-math.Log10(yMin))/(math.Log10(yMax)-math.Log10(yMin))*panelH
		}
		for _, t := range ticks {
			s.line(left, y2(t), w-right, y2(t), "grid")
			s.text(left-6, y2(t)+4, "end", "tick", results.FormatNS(t))
		}
		var seg [][2]float64
		for _, p := range pts {
			if !p.hasP99 {
				s.polyline(seg, "#444", false)
				seg = nil
				continue
			}
			seg = append(seg, [2]float64{px(p.t), y2(p.p99)})
		}
		s.polyline(seg, "#444", false)
	} else {
		s.text(left+8, panelTop(1)+panelH/2, "start", "tick", "no operation of the caller succeeded")
	}
	s.text(left-50, panelTop(1)-6, "start", "tick", "caller p99 (log scale)")

	// Panel 3: the backlog.
	if hasBacklog {
		bTicks := linTicks(math.Max(maxBacklog, 1), 3)
		y3 := func(v float64) float64 { return panelTop(2) + panelH*(1-v/bTicks[len(bTicks)-1]) }
		for _, t := range bTicks {
			s.line(left, y3(t), w-right, y3(t), "grid")
			s.text(left-6, y3(t)+4, "end", "tick", results.FormatRate(t))
		}
		var seg [][2]float64
		for _, p := range pts {
			if !p.hasBacklog {
				s.polyline(seg, backlogColor, false)
				seg = nil
				continue
			}
			seg = append(seg, [2]float64{px(p.t), y3(p.backlog)})
		}
		s.polyline(seg, backlogColor, false)
		s.text(left-50, panelTop(2)-6, "start", "tick", "backlog: messages waiting")
	} else {
		s.text(left-50, panelTop(2)-6, "start", "tick", "backlog")
		s.text(left+8, panelTop(2)+panelH/2, "start", "tick", "none: the caller waits for the receiver itself")
	}
	for i := range panels {
		s.line(left, panelTop(i)+panelH, w-right, panelTop(i)+panelH, "axis")
		s.line(left, panelTop(i), left, panelTop(i)+panelH, "axis")
	}
	// Seconds of the measured period.
	last := panelTop(panels-1) + panelH
	for _, t := range linTicks(tMax, 6) {
		if t > tMax+1e-9 {
			break
		}
		s.line(px(t), last, px(t), last+4, "axis")
		s.text(px(t), last+16, "middle", "tick", fmt.Sprintf("%gs", t))
	}
	ly := h - 12
	s.swatch(left, ly-4, color, false)
	s.text(left+28, ly, "start", "legend", "ops/s")
	s.swatch(left+80, ly-4, errorColor, true)
	s.text(left+108, ly, "start", "legend", "errors/s")
	s.swatch(left+180, ly-4, "#444", false)
	s.text(left+208, ly, "start", "legend", "caller p99")
	if hasBacklog {
		s.swatch(left+290, ly-4, backlogColor, false)
		s.text(left+318, ly, "start", "legend", "backlog")
	}
	return s.close()
}
