package results

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// CheckOptions say what check tests.
type CheckOptions struct {
	// Regressions are the relative rules against the baseline.
	Regressions []RegressionRule
	// Thresholds are absolute limits on the current runs (may be nil).
	Thresholds *ThresholdSet
	// GroupBy are the grouping keys (DefaultGroupBy when empty).
	GroupBy []string
	// Alpha is the significance level (DefaultAlpha when 0).
	Alpha float64
	// PercentileSource is PercentileMedian (default) or PercentileMerged.
	PercentileSource string
	// AllowLoadChange checks a baseline and current runs that asked for
	// different loads (rate, concurrency, connections, payload, transport
	// options), with a note; without it Check refuses them.
	AllowLoadChange bool
}

// Check statuses.
const (
	StatusPass = "PASS"
	StatusFail = "FAIL"
)

// CheckRow is one rule applied to one group.
type CheckRow struct {
	Group string `json:"group"`
	// Kind is "regression" (relative to the baseline) or "threshold" (absolute).
	Kind   string `json:"kind"`
	Metric string `json:"metric"`
	// Latency is the latency kind a latency figure was read from.
	Latency  string   `json:"latency,omitempty"`
	Unit     string   `json:"unit"`
	Baseline *float64 `json:"baseline,omitempty"`
	Current  *float64 `json:"current"`
	// Change is the change against the baseline in ChangeUnit (% of the
	// baseline, pp or ns; positive when the value went up); absent for
	// thresholds and when the baseline is 0 (no percentage).
	Change     *float64 `json:"change,omitempty"`
	ChangeUnit string   `json:"change_unit,omitempty"`
	// Limit is the rule as a reader sees it ("≤ +10%", "< 5ms").
	Limit        string        `json:"limit"`
	Significance *Significance `json:"significance,omitempty"`
	Status       string        `json:"status"`
	// Reason says why, in a few words.
	Reason string `json:"reason"`

	metric Metric
	// baseNA and curNA mark a side that measured nothing (shown n/a).
	baseNA, curNA bool
}

// CheckReport is the outcome of Check.
type CheckReport struct {
	Alpha            float64    `json:"alpha"`
	PercentileSource string     `json:"percentile_source"`
	Passed           bool       `json:"passed"`
	Failed           int        `json:"failed"`
	Rows             []CheckRow `json:"rows"`
	Notes            []string   `json:"notes,omitempty"`
}

// ErrCheckSetup is wrapped by Check's errors: the rules do not fit the
// results (a threshold for a transport nobody measured, no common group,
// a latency the results lack). It is a usage error, never a pass.
var ErrCheckSetup = errors.New("check cannot apply its rules")

// Check applies the regression rules (current against baseline) and the
// thresholds (current alone). A change counts as a regression only when it
// is larger than allowed and, with at least MinSamples runs a side,
// significant; with fewer runs it is a plain comparison and a note says so.
func Check(baseline, current []*Result, o CheckOptions) (*CheckReport, error) {
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return nil, fmt.Errorf("%w: alpha %v must be between 0 and 1", ErrCheckSetup, o.Alpha)
	}
	switch o.PercentileSource {
	case "":
		o.PercentileSource = PercentileMedian
	case PercentileMedian, PercentileMerged:
	default:
		return nil, fmt.Errorf("%w: percentile source %q: choose %s or %s", ErrCheckSetup, o.PercentileSource, PercentileMedian, PercentileMerged)
	}
	if len(o.GroupBy) == 0 {
		o.GroupBy = DefaultGroupBy()
	}
	if len(current) == 0 {
		return nil, fmt.Errorf("%w: no current result", ErrCheckSetup)
	}
	if len(o.Regressions) > 0 && len(baseline) == 0 {
		return nil, fmt.Errorf("%w: regression rules need baseline results", ErrCheckSetup)
	}
	if len(o.Regressions) == 0 && (o.Thresholds == nil || len(o.Thresholds.Entries) == 0) {
		return nil, fmt.Errorf("%w: no rule to check: give regression rules against a baseline, thresholds, or both", ErrCheckSetup)
	}
	rep := &CheckReport{Alpha: o.Alpha, PercentileSource: o.PercentileSource}
	curGroups := groupRuns(current, o.GroupBy)
	for _, g := range curGroups {
		rep.Notes = append(rep.Notes, groupWarnings(g, "current")...)
	}
	if len(o.Regressions) > 0 {
		baseGroups := groupRuns(baseline, o.GroupBy)
		changes := loadChanges(groupIndex(baseGroups), groupIndex(curGroups))
		if len(changes) > 0 && !o.AllowLoadChange {
			var groups []string
			for _, lc := range changes {
				groups = append(groups, fmt.Sprintf("%s (%s)", lc.group, lc.loads("baseline", "current")))
			}
			return nil, fmt.Errorf("%w: the baseline and the current runs asked for different loads: %s. A regression would be the load's, not the code's: run both sides with the same load, or pass --allow-load-change to check them anyway",
				ErrCheckSetup, strings.Join(groups, "; "))
		}
		for _, lc := range changes {
			rep.Notes = append(rep.Notes, lc.note("baseline", "current"))
		}
		if err := rep.checkRegressions(baseGroups, curGroups, o); err != nil {
			return nil, err
		}
	}
	if o.Thresholds != nil {
		if err := rep.checkThresholds(curGroups, o); err != nil {
			return nil, err
		}
	}
	for _, r := range rep.Rows {
		if r.Status == StatusFail {
			rep.Failed++
		}
	}
	rep.Passed = rep.Failed == 0
	rep.Notes = append(rep.Notes, rep.footnotes()...)
	for _, side := range []struct {
		name string
		rs   []*Result
	}{{"baseline", baseline}, {"current", current}} {
		for _, r := range side.rs {
			if r.Partial {
				rep.Notes = append(rep.Notes, fmt.Sprintf("the %s includes interrupted (partial) runs", side.name))
				break
			}
		}
	}
	return rep, nil
}

func groupIndex(gs []*runGroup) map[string]*runGroup {
	m := make(map[string]*runGroup, len(gs))
	for _, g := range gs {
		m[g.name] = g
	}
	return m
}

func groupNames(gs []*runGroup) string {
	var names []string
	for _, g := range gs {
		names = append(names, g.name)
	}
	return strings.Join(names, ", ")
}

func (rep *CheckReport) checkRegressions(base, cur []*runGroup, o CheckOptions) error {
	curIndex := map[string]*runGroup{}
	for _, g := range cur {
		curIndex[g.name] = g
	}
	baseIndex := map[string]bool{}
	matched := 0
	for _, bg := range base {
		baseIndex[bg.name] = true
		if curIndex[bg.name] != nil {
			matched++
		}
	}
	if matched == 0 {
		return fmt.Errorf("%w: no group of the current results matches a group of the baseline (baseline: %s; current: %s); runs are matched by %s, so give both sides the same --label, or choose --group-by",
			ErrCheckSetup, groupNames(base), groupNames(cur), strings.Join(o.GroupBy, "+"))
	}
	for _, bg := range base {
		cg := curIndex[bg.name]
		for _, rule := range o.Regressions {
			if cg == nil {
				rep.Rows = append(rep.Rows, CheckRow{
					Group: bg.name, Kind: "regression", Metric: rule.Metric.Name, Unit: rule.Metric.Unit(),
					Limit: rule.LimitString(), Status: StatusFail, metric: rule.Metric,
					Reason: "no current run of this group",
				})
				continue
			}
			row, err := regressionRow(bg, cg, rule, o)
			if err != nil {
				return err
			}
			rep.Rows = append(rep.Rows, row)
		}
	}
	for _, cg := range cur {
		if !baseIndex[cg.name] {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s has no baseline run: only thresholds apply to it", cg.name))
		}
	}
	return nil
}

// center is the figure a rule compares: the median of the runs, or for a
// latency figure with the merged source, the figure of the merged histograms.
func center(g *runGroup, m Metric, source string) (MetricSummary, error) {
	ms, err := summariseMetric(g.runs, m, source, newMergedHistograms(g.runs))
	if err != nil {
		if errors.Is(err, ErrMissingLatency) || errors.Is(err, ErrNoDelivery) || errors.Is(err, ErrNoResilience) {
			return ms, fmt.Errorf("%w: %s: %v", ErrCheckSetup, g.name, err)
		}
		return ms, fmt.Errorf("%s: %w", g.name, err)
	}
	return ms, nil
}

func regressionRow(bg, cg *runGroup, rule RegressionRule, o CheckOptions) (CheckRow, error) {
	m := rule.Metric
	b, err := center(bg, m, o.PercentileSource)
	if err != nil {
		return CheckRow{}, err
	}
	c, err := center(cg, m, o.PercentileSource)
	if err != nil {
		return CheckRow{}, err
	}
	if b.NoSamples > 0 || c.NoSamples > 0 {
		row := CheckRow{
			Group: bg.name, Kind: "regression", Metric: m.Name, Unit: m.Unit(), ChangeUnit: rule.Unit,
			Limit: rule.LimitString(), Status: StatusFail, metric: m,
			Reason: noSamplesReason(map[string]MetricSummary{"baseline": b, "current": c}, len(bg.runs), len(cg.runs)),
		}
		row.baseNA, row.curNA = b.NoSamples > 0, c.NoSamples > 0
		if !row.baseNA {
			row.Baseline = &b.Value
		}
		if !row.curNA {
			row.Current = &c.Value
		}
		return row, nil
	}
	sig := TestSamples(b.Runs, c.Runs, o.Alpha)
	row := CheckRow{
		Group: bg.name, Kind: "regression", Metric: m.Name, Unit: m.Unit(),
		Baseline: &b.Value, Current: &c.Value, ChangeUnit: rule.Unit,
		Limit: rule.LimitString(), Significance: &sig, metric: m,
	}
	if m.IsLatency() {
		row.Latency = m.LatencyOf(cg.runs[0])
	}
	worse, change := worsening(m, rule.Unit, b.Value, c.Value)
	if !math.IsInf(change, 0) {
		row.Change = &change
	}
	tooLarge := worse > rule.Allowed
	switch {
	case !tooLarge:
		row.Status, row.Reason = StatusPass, "within the limit"
	case sig.Tested && !sig.Significant:
		row.Status, row.Reason = StatusPass, fmt.Sprintf("over the limit but not significant (p=%.3f ≥ %g)", sig.P, sig.Alpha)
	case sig.Tested:
		row.Status, row.Reason = StatusFail, fmt.Sprintf("significant regression (p=%.3f)", sig.P)
	default:
		row.Status, row.Reason = StatusFail, fmt.Sprintf("over the limit (not significance-tested: n=%d+%d)", sig.N1, sig.N2)
	}
	return row, nil
}

// worsening is how much worse cur is than base, in unit: positive when
// worse (latency or errors up, throughput down). change is the plain
// signed change in unit (+ when the value went up).
func worsening(m Metric, unit string, base, cur float64) (worse, change float64) {
	switch unit {
	case "pp":
		change = (cur - base) * 100
	case "ns", "count":
		change = cur - base
	default:
		switch {
		case base == cur:
			change = 0
		case base == 0:
			change = math.Inf(1)
			if cur < 0 {
				change = math.Inf(-1)
			}
		default:
			change = (cur/base - 1) * 100
		}
	}
	worse = change
	if m.HigherIsBetter() {
		worse = -change
	}
	return worse, change
}

func (rep *CheckReport) checkThresholds(cur []*runGroup, o CheckOptions) error {
	for _, e := range o.Thresholds.Entries {
		var matched []*runGroup
		for _, g := range cur {
			if entryMatches(e, g) {
				matched = append(matched, g)
			}
		}
		if len(matched) == 0 {
			return fmt.Errorf("%w: thresholds for %q match no current result (current groups: %s); check the spelling of the transport and label", ErrCheckSetup, e.Key, groupNames(cur))
		}
		for _, g := range matched {
			for _, t := range e.Rules {
				c, err := center(g, t.Metric, o.PercentileSource)
				if errors.Is(err, ErrNotRecovered) {
					rep.Rows = append(rep.Rows, CheckRow{
						Group: g.name, Kind: "threshold", Metric: t.Metric.Name, Unit: t.Metric.Unit(),
						Limit: t.Text, metric: t.Metric, Status: StatusFail, Reason: "did not recover within the run",
					})
					continue
				}
				if err != nil {
					return err
				}
				row := CheckRow{
					Group: g.name, Kind: "threshold", Metric: t.Metric.Name, Unit: t.Metric.Unit(),
					Current: &c.Value, Limit: t.Text, metric: t.Metric,
				}
				if t.Metric.IsLatency() {
					row.Latency = t.Metric.LatencyOf(g.runs[0])
				}
				switch {
				case c.NoSamples > 0:
					row.Current, row.curNA = nil, true
					row.Status = StatusFail
					row.Reason = noSamplesReason(map[string]MetricSummary{"current": c}, 0, len(g.runs))
				case t.Holds(c.Value):
					row.Status, row.Reason = StatusPass, "within the limit"
				default:
					row.Status, row.Reason = StatusFail, "over the limit"
					switch t.Op {
					case ">", ">=":
						row.Reason = "under the limit"
					case "==":
						row.Reason = "over the limit"
						if c.Value < t.Value {
							row.Reason = "under the limit"
						}
					}
				}
				rep.Rows = append(rep.Rows, row)
			}
		}
	}
	return nil
}

// noSamplesReason says which side measured nothing: a rule on it fails,
// as a figure of nothing passes any limit it is compared with.
func noSamplesReason(sides map[string]MetricSummary, nBase, nCur int) string {
	var parts []string
	for _, side := range []string{"baseline", "current"} {
		ms, ok := sides[side]
		if !ok || ms.NoSamples == 0 {
			continue
		}
		n := nCur
		if side == "baseline" {
			n = nBase
		}
		parts = append(parts, fmt.Sprintf("%d of %d %s runs: %s", ms.NoSamples, n, side, ms.why))
	}
	return "no samples (" + strings.Join(parts, "; ") + ")"
}

// entryMatches says whether every run of g is of the key's transport (and label).
func entryMatches(e ThresholdEntry, g *runGroup) bool {
	for _, r := range g.runs {
		if r.Transport != e.Transport || (e.HasLabel && r.Label != e.Label) {
			return false
		}
	}
	return true
}

func (rep *CheckReport) footnotes() []string {
	var notes []string
	if rep.PercentileSource == PercentileMerged {
		notes = append(notes, "values are medians of each group's runs; latency figures are read from the merged HDR histograms of the runs")
	} else {
		notes = append(notes, "values are medians of each group's runs")
	}
	untested := map[string]bool{}
	tested := false
	for _, r := range rep.Rows {
		if r.Significance == nil {
			continue
		}
		if r.Significance.Tested {
			tested = true
		} else {
			untested[fmt.Sprintf("n=%d+%d", r.Significance.N1, r.Significance.N2)] = true
		}
	}
	if tested {
		notes = append(notes, fmt.Sprintf("a regression fails only when it is larger than allowed and significant (Mann–Whitney U test, p < %g)", rep.Alpha))
	}
	if len(untested) > 0 {
		ns := make([]string, 0, len(untested))
		for n := range untested {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		notes = append(notes, fmt.Sprintf("not significance-tested: fewer than %d runs a side (%s), so regressions are plain comparisons that noise alone can fail or pass; run each side %d times or more (commsbench run --count %d)", MinSamples, strings.Join(ns, ", "), MinSamples, MinSamples))
	}
	return notes
}
