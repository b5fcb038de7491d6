package results

import (
	"strings"
	"testing"
)

// faultRun is a REST-like result of a run with down@2s+2s in 6 s: the
// caller's calls take ms milliseconds outside the window, errs fail in
// it, and the timeline is healthy again from second healthyFrom.
func faultRun(ms int64, errs int64, healthyFrom int, retried int64) *Result {
	lat := func(n int64, v int64) *Latency {
		h := NewHistogram()
		for range n {
			RecordClamped(h, v)
		}
		return MustLatency(h)
	}
	var tl []TimelinePoint
	for s := range 6 {
		p := TimelinePoint{TS: float64(s), Ops: 100, P50NS: ms * 1e6, P99NS: ms * 1e6}
		if s >= 2 && s < healthyFrom {
			p.Ops, p.Errors, p.P50NS, p.P99NS = 0, errs/int64(healthyFrom-2), 0, 0
			p.ErrorClasses = map[string]int64{"connection_refused": p.Errors}
		}
		tl = append(tl, p)
	}
	ok := int64(400)
	r := &Result{
		Schema: SchemaVersion, Tool: Tool{Name: "commsbench"}, Transport: "rest", DurationS: 6,
		Load:     Load{Mode: OpenLoop, Rate: 100, PayloadBytes: 64},
		Counts:   Counts{Sent: ok + errs, OK: ok, Errors: errs},
		Errors:   map[string]int64{"connection_refused": errs},
		Latency:  map[string]*Latency{Response: lat(ok, ms*1e6), Service: lat(ok, ms*1e6)},
		Timeline: tl,
		Faults:   []Fault{{Spec: "down@2s+2s", Kind: "down", StartS: 2, DurationS: 2, InjectedS: 2, RestoredS: 4}},
		Retries:  &Retries{Max: 2, BackoffS: 0.01, RetryCounts: RetryCounts{Attempts: ok + errs + 2*retried, Retried: retried}},
		Resilience: &Resilience{
			WindowStartS: 2, WindowEndS: 4,
			Before: Phase{DurationS: 2, OK: 200, Latency: map[string]*Latency{Response: lat(200, ms*1e6)}, Retries: &RetryCounts{Attempts: 200}},
			During: Phase{DurationS: 2, Errors: errs, ErrorClasses: map[string]int64{"connection_refused": errs}, Latency: map[string]*Latency{Response: lat(0, 0)}, Retries: &RetryCounts{Attempts: errs + 2*retried, Retried: retried}},
			After:  Phase{DurationS: 2, OK: 200, Latency: map[string]*Latency{Response: lat(200, 2*ms*1e6)}, Retries: &RetryCounts{Attempts: 200}},
		},
	}
	r.Resilience.SetRecovery(tl, nil, false)
	return r
}

func TestMergeResilience(t *testing.T) {
	a, b := faultRun(10, 200, 4, 50), faultRun(20, 300, 5, 70)
	m, err := MergeResults([]*Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	rs := m.Resilience
	if rs == nil || len(m.Faults) != 1 || m.Faults[0].Spec != "down@2s+2s" {
		t.Fatalf("merged resilience %+v, faults %+v", rs, m.Faults)
	}
	if rs.During.Errors != 500 || rs.During.ErrorClasses["connection_refused"] != 500 || rs.Before.OK != 400 || rs.After.OK != 400 {
		t.Errorf("merged phases: before %+v, during %+v, after %+v", rs.Before, rs.During, rs.After)
	}
	if l := rs.After.Latency[Response]; l == nil || l.Count != 400 || l.Max < 39e6 {
		t.Errorf("after: merged latency %+v, want both results' 400 calls up to 40ms", l)
	}
	if got := *rs.During.Retries; got != (RetryCounts{Attempts: 500 + 240, Retried: 120}) {
		t.Errorf("during: retries %+v", got)
	}
	if m.Retries == nil || m.Retries.Retried != 120 || m.Retries.Max != 2 {
		t.Errorf("run retries %+v", m.Retries)
	}
	// b still failed in second 4, so the merged caller is back at 5 s:
	// 1 s after the window, read from the merged timeline.
	if rs.CallerRecoveredS == nil || *rs.CallerRecoveredS != 5 || rs.RecoveryS == nil || *rs.RecoveryS != 1 {
		t.Errorf("merged recovery: caller %v, recovery %v; want 5 and 1", rs.CallerRecoveredS, rs.RecoveryS)
	}
	if !strings.Contains(strings.Join(m.Notes, "\n"), "recovery is read from the merged timeline") {
		t.Errorf("notes: %q", m.Notes)
	}

	// Results with other faults are not merged by phase, and say so.
	c := faultRun(10, 200, 4, 0)
	c.Faults[0].Spec = "down@1s+3s"
	m, err = MergeResults([]*Result{a, c})
	if err != nil {
		t.Fatal(err)
	}
	if m.Resilience != nil || !strings.Contains(strings.Join(m.Notes, "\n"), "not all run with the same faults") {
		t.Errorf("faults differ: resilience %+v, notes %q", m.Resilience, m.Notes)
	}
}

// compare shows the figures of the window side by side: the error rate
// and p99 during it, the p99 after it and the recovery.
func TestCompareResilience(t *testing.T) {
	base, cur := faultRun(10, 200, 4, 0), faultRun(20, 200, 5, 0)
	c, err := Compare([]Side{{Name: "base", Results: []*Result{base}}, {Name: "cur", Results: []*Result{cur}}}, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{
		MetricFaultErrorRate: {1, 1},
		"after.p99":          {20e6, 40e6},
		MetricRecovery:       {0, 1},
	}
	for name, w := range want {
		i := indexOf(c.Metrics, name)
		if i < 0 {
			t.Fatalf("no %s in %v", name, c.Metrics)
		}
		for si, v := range w {
			got := c.Groups[0].Sides[si].Metrics[i]
			if !got.HasValue() || got.Value < v*0.99 || got.Value > v*1.01 {
				t.Errorf("%s on side %d: %+v, want %v", name, si, got, v)
			}
		}
	}
	// No call succeeded during the window: n/a, not 0.
	if d := c.Groups[0].Sides[0].Metrics[indexOf(c.Metrics, "during.p99")]; d.HasValue() {
		t.Errorf("during.p99 of a window without success: %+v", d)
	}
	var out strings.Builder
	if err := WriteComparison(&out, c, FormatText); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"fault errors", "during p99", "after p99", "recovery"} {
		if !strings.Contains(out.String(), h) {
			t.Errorf("compare lacks the column %q:\n%s", h, out.String())
		}
	}
}

func TestPhaseMetrics(t *testing.T) {
	for _, c := range []struct {
		in, name string
		bad      bool
	}{
		{"during.p99", "during.p99", false},
		{"after.max", "after.max", false},
		{"before.p999", "before.p99.9", false},
		{"during.lost", "", true},
	} {
		m, err := ParseMetric(c.in)
		if (err != nil) != c.bad || (!c.bad && (m.Name != c.name || m.Phase == "")) {
			t.Errorf("ParseMetric(%q) = %+v, %v", c.in, m, err)
		}
	}
	th, err := ParseThreshold("during.p99", "< 50ms")
	if err != nil {
		t.Fatal(err)
	}
	r := faultRun(10, 0, 2, 0)
	r.Resilience.During.OK = 200
	r.Resilience.During.Latency[Response] = r.Resilience.After.Latency[Response]
	if v, err := th.Metric.Value(r); err != nil || v < 19e6 || !th.Holds(v) {
		t.Errorf("during.p99 = %v, %v", v, err)
	}
	r.Resilience = nil
	if _, err := th.Metric.Value(r); err == nil {
		t.Error("during.p99 of a run without faults has a value")
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
