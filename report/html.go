package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/commsbench/commsbench/results"
)

// Page is what the HTML report shows.
type Page struct {
	Title string
	// Generated is when the report was made.
	Generated time.Time
	Rows      []Row
	// Commands are the command lines that made the results; when empty
	// they are taken from the results.
	Commands []string
}

// WriteHTML writes the report as one self-contained HTML file: styles
// inline, charts as inline SVG drawn here, no scripts and nothing loaded
// from anywhere when it is opened (a Content-Security-Policy forbids it).
func WriteHTML(w io.Writer, p Page) error {
	tmpl, err := template.New("report").Parse(pageTemplate)
	if err != nil {
		return err
	}
	return tmpl.Execute(w, newView(p))
}

// view is the template's data.
type view struct {
	Title      string
	Generated  string
	PhaseLine  string
	Header     []string
	Rows       []viewRow
	Sentences  []string
	Problems   []string
	Legend     []string
	Percentile template.HTML
	Timelines  []template.HTML
	Faults     []template.HTML
	Runs       []viewRun
	Notes      []string
	Env        [][2]string
	Commands   []string
}

type viewRow struct {
	Cells  []string
	Status string
	Color  string
}

type viewRun struct {
	Scenario, Phase, Asked, Achieved, Errors, Latency string
	P50, P99, P999, Max                               string
	Delivery                                          string
}

func newView(p Page) view {
	v := view{
		Title:     p.Title,
		Generated: p.Generated.UTC().Format("2006-01-02 15:04:05 MST"),
		PhaseLine: PhaseLine(p.Rows),
		Header:    TableHeader(p.Rows),
		Sentences: Sentences(p.Rows),
		Problems:  Problems(p.Rows),
		Legend:    TableLegend(p.Rows),
		Commands:  p.Commands,
	}
	if v.Title == "" {
		v.Title = "commsbench report"
	}
	v.Percentile = template.HTML(percentileChart(p.Rows))
	var all []*results.Result
	v.Notes = Notes(p.Rows)
	for i, r := range p.Rows {
		v.Rows = append(v.Rows, viewRow{Cells: r.TableCells(p.Rows), Status: r.Status(), Color: palette(i)})
		if c := timelineChart(r, palette(i)); c != "" {
			v.Timelines = append(v.Timelines, template.HTML(c))
		}
		if c := faultChart(r, palette(i)); c != "" {
			v.Faults = append(v.Faults, template.HTML(c))
		}
		for _, res := range append(r.allRuns(), r.resilienceRuns()...) {
			all = append(all, res)
			v.Runs = append(v.Runs, newViewRun(r, res))
		}
	}
	v.Env = environment(all, p.Rows)
	if len(v.Commands) == 0 {
		seen := map[string]bool{}
		for _, res := range all {
			if res.Command != "" && !seen[res.Command] {
				seen[res.Command] = true
				v.Commands = append(v.Commands, res.Command)
			}
		}
	}
	return v
}

func newViewRun(r Row, res *results.Result) viewRun {
	phase := res.Phase
	switch {
	case phase == "" && res.Resilience != nil:
		phase = Resilience
	case phase == "":
		phase = phaseWords("", res.Load.Mode)
	}
	vr := viewRun{
		Scenario: r.Scenario,
		Phase:    phase,
		Asked:    res.AskedLoad(),
		Achieved: results.FormatRate(res.Throughput.OpsPerS) + " ops/s",
		Errors:   fmt.Sprintf("%d", res.Counts.Errors),
		Delivery: res.DeliverySummary(),
	}
	if res.Counts.Errors > 0 {
		vr.Errors += " (" + res.ErrorSummary() + ")"
	}
	name := res.MainLatency()
	if l := res.Latency[name]; l != nil {
		vr.Latency = strings.ReplaceAll(name, "_", " ")
		vr.P50, vr.P99, vr.P999, vr.Max = l.FormatFigure("p50"), l.FormatFigure("p99"), l.FormatFigure("p99.9"), l.FormatFigure("max")
	}
	return vr
}

// environment lists where the results were measured: the load
// generator's machine and runtime, the tool, and the brokers.
func environment(all []*results.Result, rows []Row) [][2]string {
	var env [][2]string
	add := func(key string, vals map[string]bool) {
		if len(vals) == 0 {
			return
		}
		var list []string
		for v := range vals {
			if v != "" {
				list = append(list, v)
			}
		}
		if len(list) == 0 {
			return
		}
		sort.Strings(list)
		env = append(env, [2]string{key, strings.Join(list, "; ")})
	}
	collect := func(f func(*results.Result) string) map[string]bool {
		m := map[string]bool{}
		for _, r := range all {
			m[f(r)] = true
		}
		return m
	}
	add("commsbench", collect(func(r *results.Result) string {
		s := r.Tool.Version
		if r.Tool.Commit != "" {
			s += " (commit " + r.Tool.Commit + ")"
		}
		return s
	}))
	add("Go", collect(func(r *results.Result) string { return r.Env.GoVersion }))
	add("OS / arch", collect(func(r *results.Result) string { return r.Env.OS + "/" + r.Env.Arch }))
	add("CPU", collect(func(r *results.Result) string { return r.Env.CPUModel }))
	add("CPUs / GOMAXPROCS", collect(func(r *results.Result) string {
		return fmt.Sprintf("%d / %d", r.Env.NumCPU, r.Env.GOMAXPROCS)
	}))
	add("host", collect(func(r *results.Result) string { return r.Env.Hostname }))
	brokers := map[string]bool{}
	for _, r := range rows {
		if res := r.any(); res != nil && (res.Target.Broker != "" || res.Target.Image != "") {
			brokers[r.Transport+": "+r.Broker()] = true
		}
	}
	add("brokers", brokers)
	var first, last time.Time
	for _, r := range all {
		if first.IsZero() || r.StartedAt.Before(first) {
			first = r.StartedAt
		}
		if end := r.StartedAt.Add(time.Duration(r.DurationS * float64(time.Second))); end.After(last) {
			last = end
		}
	}
	if !first.IsZero() {
		env = append(env, [2]string{"measured", first.UTC().Format("2006-01-02 15:04:05") + " to " + last.UTC().Format("15:04:05 MST")})
	}
	return env
}

const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 24px auto; max-width: 1180px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; margin: 0 0 12px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.tradeoff td:first-child { border-left: 4px solid transparent; }
tr.skipped td, tr.failed td { color: #999; }
.sentences li { margin: 3px 0; }
.problems { color: #8a4b00; }
.legend-text { color: #666; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { background: #fff; border: 1px solid #e4e4e4; max-width: 100%; height: auto; }
svg .grid { stroke: #eee; }
svg .axis { stroke: #888; }
svg .divider { stroke: #aaa; stroke-dasharray: 2 3; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
svg .axis-label { font-size: 12px; }
svg .chart-title { font-size: 12px; font-weight: 600; }
svg .legend { font-size: 12px; }
svg .window { fill: #f2c6c6; fill-opacity: 0.45; }
code { background: #f5f5f5; padding: 1px 4px; word-break: break-all; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="sub">Generated {{.Generated}} by commsbench.{{if .PhaseLine}}<br>{{.PhaseLine}}.{{end}}</p>

<h2>Trade-offs</h2>
<table class="tradeoff" id="tradeoff">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Status}} class="{{.Status}}"{{end}}>{{range $i, $c := .Cells}}{{if eq $i 0}}<td style="border-left-color: {{$.ColorOf $c}}">{{$c}}</td>{{else if and (ge $i 2) (le $i 5)}}<td class="num">{{$c}}</td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</tbody>
</table>
{{if .Sentences}}<ul class="sentences">
{{range .Sentences}}<li>{{.}}</li>
{{end}}</ul>{{end}}
{{if .Problems}}<ul class="problems">
{{range .Problems}}<li>{{.}}</li>
{{end}}</ul>{{end}}
<p class="legend-text">{{range .Legend}}{{.}}<br>
{{end}}</p>

<h2>Latency by percentile</h2>
{{if .Percentile}}<p class="sub">End-to-end latency of every scenario in the same-load phase (for calls, the response), from the median to the 99.99th percentile.</p>
<div class="charts">{{.Percentile}}</div>{{else}}<p>No scenario has a latency to chart.</p>{{end}}

<h2>Throughput and p99 over time</h2>
{{if .Timelines}}<p class="sub">Operations completed per second and the p99 of what the caller waited for, each second of the same-load phase, then of the saturation phase.</p>
<div class="charts">
{{range .Timelines}}{{.}}
{{end}}</div>{{else}}<p>No scenario has a timeline to chart.</p>{{end}}

{{if .Faults}}<h2 id="resilience">Across the fault</h2>
<p class="sub">Each scenario of the resilience phase, second by second, with the window in which its receiving side was down shaded: operations completed and errors per second, the p99 the caller waited, and the messages waiting (sent, not yet received) where a broker held them.</p>
<div class="charts">
{{range .Faults}}{{.}}
{{end}}</div>

{{end}}<h2>Runs</h2>
<table class="runs">
<thead><tr><th>scenario</th><th>phase</th><th>asked</th><th>achieved</th><th>errors</th><th>latency</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>delivery</th></tr></thead>
<tbody>
{{range .Runs}}<tr><td>{{.Scenario}}</td><td>{{.Phase}}</td><td>{{.Asked}}</td><td class="num">{{.Achieved}}</td><td>{{.Errors}}</td><td>{{.Latency}}</td><td class="num">{{.P50}}</td><td class="num">{{.P99}}</td><td class="num">{{.P999}}</td><td class="num">{{.Max}}</td><td>{{.Delivery}}</td></tr>
{{end}}</tbody>
</table>
{{if .Notes}}<ul class="legend-text">
{{range .Notes}}<li>{{.}}</li>
{{end}}</ul>{{end}}

<h2>Environment</h2>
<table class="env">
<tbody>
{{range .Env}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}{{range .Commands}}<tr><th>command</th><td><code>{{.}}</code></td></tr>
{{end}}</tbody>
</table>
</body>
</html>
`

// ColorOf is the colour of the row named scenario, for the table's
// left border that matches the charts.
func (v view) ColorOf(scenario string) template.CSS {
	for _, r := range v.Rows {
		if len(r.Cells) > 0 && r.Cells[0] == scenario {
			return template.CSS(r.Color)
		}
	}
	return "transparent"
}
