package report

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/commsbench/commsbench/results"
)

// palette colours the scenarios of a chart, in row order.
func palette(i int) string {
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}
	return colors[i%len(colors)]
}

// svg accumulates one chart's markup. Coordinates are rounded to 0.1 so
// that the output is stable and small.
type svg struct {
	b strings.Builder
}

func f1(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

func (s *svg) open(kind string, w, h float64, title string) {
	fmt.Fprintf(&s.b, `<svg class="chart" data-chart="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`, kind, f1(w), f1(h), f1(w), f1(h), html.EscapeString(title))
	fmt.Fprintf(&s.b, "<title>%s</title>", html.EscapeString(title))
}

func (s *svg) close() string {
	s.b.WriteString("</svg>")
	return s.b.String()
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`, f1(x1), f1(y1), f1(x2), f1(y2), class)
}

func (s *svg) text(x, y float64, anchor, class, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, f1(x), f1(y), anchor, class, html.EscapeString(t))
}

func (s *svg) polyline(pts [][2]float64, color string, dashed bool) {
	if len(pts) == 0 {
		return
	}
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f1(p[0]) + "," + f1(p[1]))
	}
	dash := ""
	if dashed {
		dash = ` stroke-dasharray="5 3"`
	}
	fmt.Fprintf(&s.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, b.String(), color, dash)
	if len(pts) == 1 {
		fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, f1(pts[0][0]), f1(pts[0][1]), color)
	}
}

func (s *svg) swatch(x, y float64, color string, dashed bool) {
	dash := ""
	if dashed {
		dash = ` stroke-dasharray="5 3"`
	}
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"%s/>`, f1(x), f1(y), f1(x+22), f1(y), color, dash)
}

// percentileXs are the chart's x ticks: 50% … 99.99% on the usual
// HdrHistogram scale, where x = log10(1 / (1 - p)).
func percentileTicks() []struct {
	p     float64
	label string
} {
	return []struct {
		p     float64
		label string
	}{{50, "50%"}, {90, "90%"}, {99, "99%"}, {99.9, "99.9%"}, {99.99, "99.99%"}}
}

func percentileX(p float64) float64 { return math.Log10(100 / (100 - p)) }

// logTicks returns the 1-2-5 values from the largest one at or below lo
// to the smallest one at or above hi (lo, hi > 0).
func logTicks(lo, hi float64) (ticks []float64, min, max float64) {
	d := math.Pow(10, math.Floor(math.Log10(lo)))
	for ; ; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := d * m
			switch {
			case v <= lo*(1+1e-9):
				ticks = []float64{v}
			case len(ticks) == 0:
				ticks = []float64{d / 2}
				fallthrough
			default:
				ticks = append(ticks, v)
			}
			if v >= hi*(1-1e-9) && len(ticks) > 1 {
				return ticks, ticks[0], v
			}
		}
	}
}

// linTicks returns about n round ticks from 0 to at least hi.
func linTicks(hi float64, n int) []float64 {
	if hi <= 0 {
		hi = 1
	}
	raw := hi / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for v := 0.0; ; v += step {
		ticks = append(ticks, v)
		if v >= hi {
			return ticks
		}
	}
}

// seriesLabel is a row's name in chart legends.
func seriesLabel(r Row) string { return r.Scenario + " · " + r.Mechanism() }

// percentileChart overlays every row's end-to-end latency at the same
// offered load by percentile. It returns "" when no row has one.
func percentileChart(rows []Row) string {
	type series struct {
		label, color string
		pts          [][2]float64 // x = log scale, y = ns
	}
	var all []series
	lo, hi := math.Inf(1), 0.0
	xMin, xMax := percentileX(50), percentileX(99.99)
	for i, r := range rows {
		l := r.EndToEndLatency()
		if l == nil {
			continue
		}
		h, err := l.Histogram()
		if err != nil || h.TotalCount() == 0 {
			continue
		}
		var pts [][2]float64
		const steps = 120
		for k := 0; k <= steps; k++ {
			x := xMin + (xMax-xMin)*float64(k)/steps
			p := 100 - 100/math.Pow(10, x)
			v := math.Max(float64(h.ValueAtPercentile(p)), 1)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			pts = append(pts, [2]float64{x, v})
		}
		p, _ := r.EndToEnd()
		all = append(all, series{label: seriesLabel(r) + " (" + strings.ReplaceAll(p.Name, "_", " ") + ")", color: palette(i), pts: pts})
	}
	if len(all) == 0 {
		return ""
	}
	const w, plotH = 760.0, 300.0
	const left, right, top = 72.0, 24.0, 16.0
	bottom := 44.0
	legendH := 20.0 * float64(len(all))
	h := top + plotH + bottom + legendH
	ticks, yMin, yMax := logTicks(lo, hi)
	px := func(x float64) float64 { return left + (x-xMin)/(xMax-xMin)*(w-left-right) }
	py := func(v float64) float64 {
		return top + plotH - (math.Log10(v)-math.Log10(yMin))/(math.Log10(yMax)-math.Log10(yMin))*plotH
	}
	var s svg
	s.open("percentiles", w, h, "Latency by percentile in the same-load phase")
	for _, t := range ticks {
		s.line(left, py(t), w-right, py(t), "grid")
		s.text(left-6, py(t)+4, "end", "tick", results.FormatNS(t))
	}
	for _, t := range percentileTicks() {
		x := px(percentileX(t.p))
		s.line(x, top, x, top+plotH, "grid")
		s.text(x, top+plotH+16, "middle", "tick", t.label)
	}
	s.line(left, top+plotH, w-right, top+plotH, "axis")
	s.line(left, top, left, top+plotH, "axis")
	s.text(left+(w-left-right)/2, top+plotH+34, "middle", "axis-label", "percentile (log scale: each step is ten times rarer)")
	for _, se := range all {
		pts := make([][2]float64, len(se.pts))
		for i, p := range se.pts {
			pts[i] = [2]float64{px(p[0]), py(p[1])}
		}
		s.polyline(pts, se.color, false)
	}
	for i, se := range all {
		y := top + plotH + bottom + 20*float64(i) + 10
		s.swatch(left, y-4, se.color, false)
		s.text(left+30, y, "start", "legend", se.label)
	}
	return s.close()
}

// timelineChart draws one row's throughput and p99 per second, the
// same-load phase then the saturation phase. It returns "" when the row
// has no timeline.
func timelineChart(r Row, color string) string {
	// p99 is absent (ok false) for a second in which nothing finished.
	type point struct {
		t, ops, p99 float64
		ok          bool
	}
	var pts []point
	type span struct {
		label    string
		from, to float64
	}
	var spans []span
	offset := 0.0
	for _, ph := range []struct {
		label string
		res   *results.Result
	}{{"same load", r.SameLoad}, {"saturation", r.Saturation}} {
		if ph.res == nil || len(ph.res.Timeline) == 0 {
			continue
		}
		end := offset
		for _, p := range ph.res.Timeline {
			// A second cut short by the end of the measured period counts
			// for the part of it that was measured; a sliver of one (or
			// operations finishing after the end) would only be noise.
			covered := 1.0
			if d := ph.res.DurationS; d > 0 {
				covered = math.Min(p.TS+1, d) - p.TS
			}
			if covered < 0.25 {
				continue
			}
			pts = append(pts, point{offset + p.TS + covered/2, float64(p.Ops) / covered, float64(p.P99NS), p.P99NS > 0})
			end = math.Max(end, offset+p.TS+covered)
		}
		spans = append(spans, span{ph.label, offset, end})
		offset = end + 1
	}
	if len(pts) == 0 {
		return ""
	}
	maxOps, maxP99 := 0.0, 0.0
	for _, p := range pts {
		maxOps, maxP99 = math.Max(maxOps, p.ops), math.Max(maxP99, p.p99)
	}
	opsTicks := linTicks(maxOps, 4)
	p99Ticks := linTicks(maxP99, 4)
	const w, h = 520.0, 230.0
	const left, right, top, bottom = 56.0, 64.0, 28.0, 50.0
	tMax := spans[len(spans)-1].to
	px := func(t float64) float64 { return left + t/tMax*(w-left-right) }
	pyOps := func(v float64) float64 { return top + (h-top-bottom)*(1-v/opsTicks[len(opsTicks)-1]) }
	pyP99 := func(v float64) float64 { return top + (h-top-bottom)*(1-v/p99Ticks[len(p99Ticks)-1]) }
	var s svg
	s.open("timeline", w, h, r.Scenario+": throughput and p99 per second")
	s.text(left, 16, "start", "chart-title", seriesLabel(r))
	for _, t := range opsTicks {
		s.line(left, pyOps(t), w-right, pyOps(t), "grid")
		s.text(left-6, pyOps(t)+4, "end", "tick", results.FormatRate(t))
	}
	for _, t := range p99Ticks {
		s.text(w-right+6, pyP99(t)+4, "start", "tick", results.FormatNS(t))
	}
	for i, sp := range spans {
		if i > 0 {
			s.line(px(sp.from-0.5), top, px(sp.from-0.5), h-bottom, "divider")
		}
		s.text(px((sp.from+sp.to)/2), h-bottom+16, "middle", "tick", sp.label)
	}
	s.line(left, h-bottom, w-right, h-bottom, "axis")
	s.line(left, top, left, h-bottom, "axis")
	s.line(w-right, top, w-right, h-bottom, "axis")
	var opsPts, p99Pts [][2]float64
	for i, p := range pts {
		// A new phase starts a new line: no segment across the divider.
		if i > 0 && p.t-pts[i-1].t > 1.5 {
			s.polyline(opsPts, color, false)
			s.polyline(p99Pts, "#444", true)
			opsPts, p99Pts = nil, nil
		}
		opsPts = append(opsPts, [2]float64{px(p.t), pyOps(p.ops)})
		if !p.ok {
			// No operation finished: a gap, not a latency of 0.
			s.polyline(p99Pts, "#444", true)
			p99Pts = nil
			continue
		}
		p99Pts = append(p99Pts, [2]float64{px(p.t), pyP99(p.p99)})
	}
	s.polyline(opsPts, color, false)
	s.polyline(p99Pts, "#444", true)
	s.swatch(left, h-14, color, false)
	s.text(left+28, h-10, "start", "legend", "ops/s (left)")
	s.swatch(left+140, h-14, "#444", true)
	s.text(left+168, h-10, "start", "legend", "p99 the caller waited (right)")
	return s.close()
}
