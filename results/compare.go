package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Percentile sources: how one figure is made from several runs of a group.
const (
	// PercentileMedian is the median of the runs' own figures (benchstat's
	// habit, and what the significance test compares).
	PercentileMedian = "median"
	// PercentileMerged reads the figure from the runs' HDR histograms
	// merged into one, as if all operations had been one run.
	PercentileMerged = "merged"
)

// DefaultPercentiles are the latency figures compare shows by default.
func DefaultPercentiles() []string { return []string{"p50", "p99", "p99.9", "max"} }

// CompareOptions say what to compare and how.
type CompareOptions struct {
	// Latency is the latency kind to show ("publish"); "" shows each
	// result's main latency.
	Latency string
	// Percentiles are the latency figures to show (DefaultPercentiles when empty).
	Percentiles []string
	// GroupBy are the grouping keys (DefaultGroupBy when empty).
	GroupBy []string
	// Baseline is the index of the side the others are compared against.
	Baseline int
	// Alpha is the significance level (DefaultAlpha when 0).
	Alpha float64
	// PercentileSource is PercentileMedian (default) or PercentileMerged.
	PercentileSource string
	// Costs adds the cost metrics (CostMetrics) after the latencies.
	Costs bool
}

// Side is one side of a comparison: a name and its runs.
type Side struct {
	Name    string
	Results []*Result
}

// Comparison is the outcome of Compare: one row per group, a block per side.
type Comparison struct {
	Alpha            float64 `json:"alpha"`
	PercentileSource string  `json:"percentile_source"`
	// Latency is the latency kind shown, "main" for each result's main one.
	Latency  string            `json:"latency"`
	Baseline int               `json:"baseline"`
	Sides    []SideInfo        `json:"sides"`
	Metrics  []string          `json:"metrics"`
	Groups   []GroupComparison `json:"groups"`
	Notes    []string          `json:"notes,omitempty"`

	metrics []Metric
}

// SideInfo names a side and counts its runs.
type SideInfo struct {
	Name string `json:"name"`
	Runs int    `json:"runs"`
}

// GroupComparison is one row: a group's figures on every side.
type GroupComparison struct {
	Name    string `json:"name"`
	Latency string `json:"latency"`
	// Sides has one entry per side; null where the side has no run of
	// this group.
	Sides []*SideGroup `json:"sides"`
}

// SideGroup is the runs of one group on one side, summarised.
type SideGroup struct {
	N       int             `json:"n"`
	Metrics []MetricSummary `json:"metrics"`
}

// MetricSummary is one metric over the runs of a group on one side.
type MetricSummary struct {
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// Runs are the metric's values, one per run: the sample.
	Runs   []float64 `json:"runs"`
	Median float64   `json:"median"`
	// Merged is the latency figure read from the merged histograms of
	// the runs (latency figures only).
	Merged *float64 `json:"merged,omitempty"`
	// Value is the figure shown: Median, or Merged with the merged source.
	Value float64 `json:"value"`
	// Missing is true when the runs have no such latency or count (Value
	// is then meaningless).
	Missing bool `json:"missing,omitempty"`
	// NoSamples is the number of runs that measured nothing for the metric
	// (an empty latency, no operation sent). When it is not 0 the group
	// has no figure: Value and Median are written as null and shown as n/a.
	NoSamples int `json:"no_samples,omitempty"`
	// Delta is the change against the baseline side (absent on the
	// baseline and where the baseline has no run of the group).
	Delta *Delta `json:"delta,omitempty"`

	// why is the first reason a run had no samples.
	why string
}

// HasValue says whether the summary holds a figure: the runs have the
// metric and every one of them measured it.
func (ms MetricSummary) HasValue() bool { return !ms.Missing && ms.NoSamples == 0 }

// MarshalJSON writes the figures of a summary without samples as null.
func (ms MetricSummary) MarshalJSON() ([]byte, error) {
	type plain MetricSummary
	out := struct {
		plain
		Median *float64 `json:"median"`
		Value  *float64 `json:"value"`
	}{plain: plain(ms)}
	if ms.HasValue() {
		out.Median, out.Value = &ms.Median, &ms.Value
	}
	return json.Marshal(out)
}

// Delta is a change against the baseline.
type Delta struct {
	// Change is in percent of the baseline, or in percentage points for
	// the error rate (Unit says which); null when the baseline is 0 and the
	// change therefore has no percentage.
	Change *float64 `json:"change"`
	Unit   string   `json:"unit"`
	Significance
}

// Compare summarises the runs of each side by group and tests every other
// side against the baseline side.
func Compare(sides []Side, o CompareOptions) (*Comparison, error) {
	if len(sides) == 0 {
		return nil, errors.New("nothing to compare")
	}
	if o.Baseline < 0 || o.Baseline >= len(sides) {
		return nil, fmt.Errorf("baseline side %d: there are %d sides", o.Baseline+1, len(sides))
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return nil, fmt.Errorf("alpha %v: must be between 0 and 1, such as 0.05", o.Alpha)
	}
	switch o.PercentileSource {
	case "":
		o.PercentileSource = PercentileMedian
	case PercentileMedian, PercentileMerged:
	default:
		return nil, fmt.Errorf("percentile source %q: choose %s or %s", o.PercentileSource, PercentileMedian, PercentileMerged)
	}
	if o.Latency != "" && !knownLatencyKind(o.Latency) {
		return nil, fmt.Errorf("unknown latency %q (latencies: %s)", o.Latency, strings.Join(LatencyKinds(), ", "))
	}
	if len(o.GroupBy) == 0 {
		o.GroupBy = DefaultGroupBy()
	}
	if len(o.Percentiles) == 0 {
		o.Percentiles = DefaultPercentiles()
	}
	metrics := append([]Metric{{Name: MetricOpsPerS, kind: kindRate}, {Name: MetricErrorRate, kind: kindFraction}}, countMetrics(sides)...)
	for _, p := range o.Percentiles {
		fig, err := ParseFigure(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		name := fig
		if o.Latency != "" {
			name = o.Latency + "." + fig
		}
		metrics = append(metrics, Metric{Name: name, Latency: o.Latency, Figure: fig, kind: kindLatency})
	}
	if anyResilience(sides) {
		metrics = append(metrics, ResilienceMetrics()...)
	}
	if o.Costs {
		metrics = append(metrics, CostMetrics()...)
	}

	c := &Comparison{
		Alpha:            o.Alpha,
		PercentileSource: o.PercentileSource,
		Latency:          o.Latency,
		Baseline:         o.Baseline,
		metrics:          metrics,
	}
	if c.Latency == "" {
		c.Latency = "main"
	}
	for _, m := range metrics {
		c.Metrics = append(c.Metrics, m.Name)
	}

	// Rows in order of first appearance, baseline side first.
	order := append([]int{o.Baseline}, others(len(sides), o.Baseline)...)
	rowIndex := map[string]int{}
	perSide := make([]map[string]*runGroup, len(sides))
	for i, s := range sides {
		if len(s.Results) == 0 {
			return nil, fmt.Errorf("side %s holds no result", s.Name)
		}
		c.Sides = append(c.Sides, SideInfo{Name: s.Name, Runs: len(s.Results)})
		perSide[i] = map[string]*runGroup{}
		for _, g := range groupRuns(s.Results, o.GroupBy) {
			perSide[i][g.name] = g
			c.Notes = append(c.Notes, groupWarnings(g, s.Name)...)
		}
	}
	for _, i := range order {
		for _, g := range groupRuns(sides[i].Results, o.GroupBy) {
			if _, ok := rowIndex[g.name]; ok {
				continue
			}
			rowIndex[g.name] = len(c.Groups)
			c.Groups = append(c.Groups, GroupComparison{
				Name:    g.name,
				Latency: Metric{Latency: o.Latency}.LatencyOf(g.runs[0]),
				Sides:   make([]*SideGroup, len(sides)),
			})
		}
	}
	for gi := range c.Groups {
		row := &c.Groups[gi]
		for si := range sides {
			g := perSide[si][row.Name]
			if g == nil {
				continue
			}
			sg, err := summariseGroup(g, metrics, o.PercentileSource)
			if err != nil {
				return nil, fmt.Errorf("%s: group %s: %w", sides[si].Name, g.name, err)
			}
			row.Sides[si] = sg
		}
		base := row.Sides[o.Baseline]
		if base == nil {
			continue
		}
		for si, sg := range row.Sides {
			if si == o.Baseline || sg == nil {
				continue
			}
			for mi := range sg.Metrics {
				if !base.Metrics[mi].HasValue() || !sg.Metrics[mi].HasValue() {
					continue
				}
				d := newDelta(metrics[mi], base.Metrics[mi], sg.Metrics[mi], o.Alpha)
				sg.Metrics[mi].Delta = &d
			}
		}
	}
	if err := c.noteMissingLatency(); err != nil {
		return nil, err
	}
	c.noteNoSamples()
	for _, si := range others(len(sides), o.Baseline) {
		for _, lc := range loadChanges(perSide[o.Baseline], perSide[si]) {
			c.Notes = append(c.Notes, lc.note(sides[o.Baseline].Name, sides[si].Name))
		}
	}
	c.Notes = append(c.Notes, c.footnotes(sides)...)
	return c, nil
}

// noteMissingLatency says which groups lack the latency asked for; when
// no group has it at all, the request is an error (most likely a typo of
// transport or latency).
func (c *Comparison) noteMissingLatency() error {
	var missing []string
	last := 0 // the last latency figure: cost metrics may follow it
	for i, m := range c.metrics {
		if m.IsLatency() {
			last = i
		}
	}
	for _, g := range c.Groups {
		for _, sg := range g.Sides {
			if sg == nil {
				continue
			}
			if sg.Metrics[last].Missing {
				missing = append(missing, g.Name)
				break
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(missing) == len(c.Groups) {
		return &missingLatency{fmt.Sprintf("no run has a %s latency", c.Latency)}
	}
	c.Notes = append(c.Notes, fmt.Sprintf("%s: no %s latency in these runs (shown as -)", strings.Join(missing, ", "), strings.ReplaceAll(c.Latency, "_", " ")))
	return nil
}

// countMetrics are the counts compare shows beside the rates: unsent when
// any run left operations unsent, and the delivery counts when any run
// keeps delivery accounting (unread when any counted it).
func countMetrics(sides []Side) []Metric {
	var unsent, delivery, unread bool
	for _, s := range sides {
		for _, r := range s.Results {
			unsent = unsent || r.Counts.Unsent > 0
			if d := r.Counts.Delivery; d != nil {
				delivery = true
				unread = unread || d.Unread != nil
			}
		}
	}
	var out []Metric
	if unsent {
		out = append(out, Metric{Name: MetricUnsent, kind: kindCount})
	}
	if delivery {
		for _, n := range DeliveryMetrics() {
			if n == MetricUnread && !unread {
				continue
			}
			out = append(out, Metric{Name: n, kind: kindCount})
		}
	}
	return out
}

// anyResilience says whether a run of the sides had faults.
func anyResilience(sides []Side) bool {
	for _, s := range sides {
		for _, r := range s.Results {
			if r.Resilience != nil {
				return true
			}
		}
	}
	return false
}

// noteNoSamples says which groups have figures without samples (n/a).
func (c *Comparison) noteNoSamples() {
	for _, g := range c.Groups {
		for si, sg := range g.Sides {
			if sg == nil {
				continue
			}
			for _, ms := range sg.Metrics {
				if ms.NoSamples > 0 {
					c.Notes = append(c.Notes, fmt.Sprintf("n/a: %s on %s: %d of %d runs measured nothing for some figures (%s), so they have no value", g.Name, c.Sides[si].Name, ms.NoSamples, sg.N, ms.why))
					break
				}
			}
		}
	}
}

func others(n, skip int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if i != skip {
			out = append(out, i)
		}
	}
	return out
}

// summariseGroup computes every metric over the runs of one group. A
// latency the runs lack (a publish latency of REST runs) is marked
// missing rather than failing the whole table.
func summariseGroup(g *runGroup, metrics []Metric, source string) (*SideGroup, error) {
	sg := &SideGroup{N: len(g.runs)}
	mh := newMergedHistograms(g.runs)
	for _, m := range metrics {
		ms, err := summariseMetric(g.runs, m, source, mh)
		if errors.Is(err, ErrMissingLatency) || errors.Is(err, ErrNoDelivery) || errors.Is(err, ErrNoResilience) {
			ms = MetricSummary{Metric: m.Name, Unit: m.Unit(), Missing: true}
		} else if errors.Is(err, ErrNotRecovered) {
			ms = MetricSummary{Metric: m.Name, Unit: m.Unit(), NoSamples: 1, why: err.Error()}
		} else if err != nil {
			return nil, err
		}
		sg.Metrics = append(sg.Metrics, ms)
	}
	return sg, nil
}

func summariseMetric(runs []*Result, m Metric, source string, mh *mergedHistograms) (MetricSummary, error) {
	ms := MetricSummary{Metric: m.Name, Unit: m.Unit()}
	for _, r := range runs {
		v, err := m.Value(r)
		if errors.Is(err, ErrNoSamples) {
			if ms.NoSamples == 0 {
				ms.why = strings.TrimPrefix(err.Error(), "no samples: ")
			}
			ms.NoSamples++
			continue
		}
		if err != nil {
			return ms, err
		}
		ms.Runs = append(ms.Runs, v)
	}
	if ms.NoSamples > 0 {
		return ms, nil
	}
	ms.Median = Median(ms.Runs)
	ms.Value = ms.Median
	if v, ok, err := mh.value(m); err != nil {
		return ms, err
	} else if ok {
		ms.Merged = &v
		if source == PercentileMerged {
			ms.Value = v
		}
	}
	return ms, nil
}

// newDelta compares one metric of a side against the baseline.
func newDelta(m Metric, base, cur MetricSummary, alpha float64) Delta {
	d := Delta{Unit: "%", Significance: TestSamples(base.Runs, cur.Runs, alpha)}
	if m.kind == kindCount {
		// A count is compared in its own unit: +3 lost says more than
		// a percentage of a baseline that is most often 0.
		d.Unit = "count"
		v := cur.Value - base.Value
		d.Change = &v
		return d
	}
	if m.kind == kindFraction {
		d.Unit = "pp"
		v := (cur.Value - base.Value) * 100
		d.Change = &v
		return d
	}
	switch {
	case base.Value == cur.Value:
		v := 0.0
		d.Change = &v
	case base.Value != 0:
		v := (cur.Value/base.Value - 1) * 100
		d.Change = &v
	}
	return d
}

// String prints the delta as the tables show it: "+12.3%" when the
// change is significant, "~" when it is not, "+12.3%*" when it was not
// tested (too few runs), "?" when it has no percentage.
func (d Delta) String() string {
	if d.Tested && !d.Significant {
		return "~"
	}
	if d.Change == nil || math.IsNaN(*d.Change) || math.IsInf(*d.Change, 0) {
		return "?"
	}
	var s string
	switch d.Unit {
	case "pp":
		s = fmt.Sprintf("%+.2fpp", *d.Change)
	case "count":
		s = fmt.Sprintf("%+g", *d.Change)
	default:
		s = fmt.Sprintf("%+.1f%%", *d.Change)
	}
	if !d.Tested {
		s += "*"
	}
	return s
}

// footnotes are the sentences a reader needs beside the table.
func (c *Comparison) footnotes(sides []Side) []string {
	var notes []string
	for _, m := range c.metrics {
		if m.Name == MetricLost {
			notes = append(notes, "lost, unread, dup (duplicates), ooo (out of order), redeliv (redelivered): message counts of the brokered runs, - for transports that keep none; Δ is the difference in messages")
			break
		}
	}
	if c.PercentileSource == PercentileMerged {
		notes = append(notes, "latency figures are read from the merged HDR histograms of each group's runs; ops/s and errors are the median of the runs; significance is tested on the per-run values")
	} else {
		notes = append(notes, "every figure is the median of the group's runs (per-run latency percentiles; --percentile-source merged reads them from the merged histograms instead)")
	}
	if len(sides) < 2 {
		return notes
	}
	untested, tested := map[string]bool{}, false
	for _, g := range c.Groups {
		for _, sg := range g.Sides {
			if sg == nil || len(sg.Metrics) == 0 || sg.Metrics[0].Delta == nil {
				continue
			}
			d := sg.Metrics[0].Delta
			if d.Tested {
				tested = true
			} else {
				untested[fmt.Sprintf("n=%d+%d", d.N1, d.N2)] = true
			}
		}
	}
	if tested {
		notes = append(notes, fmt.Sprintf("~: no significant difference (Mann–Whitney U test, p ≥ %g); other deltas are significant at p < %g", c.Alpha, c.Alpha))
	}
	if len(untested) > 0 {
		ns := make([]string, 0, len(untested))
		for n := range untested {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		notes = append(notes, fmt.Sprintf("*: not significance-tested: fewer than %d runs on a side (%s), so the delta is a plain difference that noise alone can explain; repeat the runs (commsbench run --count %d) to test it", MinSamples, strings.Join(ns, ", "), MinSamples))
	}
	var partial []string
	for _, s := range sides {
		for _, r := range s.Results {
			if r.Partial {
				partial = append(partial, s.Name)
				break
			}
		}
	}
	if len(partial) > 0 {
		notes = append(notes, "includes interrupted (partial) runs: "+strings.Join(partial, ", "))
	}
	if m := machines(sides); len(m) > 1 {
		notes = append(notes, "the runs come from different machines ("+strings.Join(m, "; ")+"): a difference may be the machine's")
	}
	return notes
}

// machines lists the distinct machines the runs of sides were measured on.
func machines(sides []Side) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sides {
		for _, r := range s.Results {
			m := fmt.Sprintf("%s, %d CPUs", r.Env.CPUModel, r.Env.NumCPU)
			if r.Env.Hostname != "" {
				m = r.Env.Hostname + ": " + m
			}
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}
