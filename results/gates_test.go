package results_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

// emptyRun is what an open-loop run whose rate schedules nothing in its
// measured period returns: no operation, every histogram empty.
func emptyRun(t *testing.T, label string) *results.Result {
	t.Helper()
	r := synthRun(t, "rest", label, time.Millisecond, 0, 1)
	r.Counts = results.Counts{}
	r.Load.Rate = 0.0001
	r.DurationS = 2
	r.Load.DurationS = 2
	for _, k := range []string{results.Response, results.Service, results.SendDelay} {
		r.Latency[k] = results.MustLatency(results.NewHistogram())
	}
	return r
}

// queueRun is a brokered run with the given delivery accounting.
func queueRun(t *testing.T, label string, seed uint64, d results.Delivery) *results.Result {
	t.Helper()
	r := synthRun(t, "queue", label, time.Millisecond, 2000, seed)
	r.Latency[results.EndToEnd] = r.Latency[results.Response]
	delete(r.Latency, results.Response)
	delete(r.Latency, results.Service)
	r.Counts.Delivery = &d
	return r
}

func count(n int64) *int64 { return &n }

// checkRules checks cur (against base) with the regression rules and
// thresholds given as text, either of which may be empty.
func checkRules(t *testing.T, base, cur []*results.Result, rules, thresholds string, allowLoadChange bool) *results.CheckReport {
	t.Helper()
	o := results.CheckOptions{AllowLoadChange: allowLoadChange}
	if rules != "" {
		o.Regressions = mustRules(t, rules)
	}
	if thresholds != "" {
		o.Thresholds = mustThresholds(t, thresholds)
	}
	rep, err := results.Check(base, cur, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// render returns what write prints.
func render(t *testing.T, write func(io.Writer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestEmptyLatencyIsWrittenWithoutFiguresAndShownNA(t *testing.T) {
	r := emptyRun(t, "ci")
	r.Timeline = []results.TimelinePoint{{TS: 0}, {TS: 1}}
	var buf bytes.Buffer
	if err := results.Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Latency  map[string]map[string]any `json:"latency"`
		Timeline []map[string]any          `json:"timeline"`
	}
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for i, p := range raw.Timeline {
		if _, ok := p["p99_ns"]; ok {
			t.Errorf("timeline[%d] of a second without operations has a p99: %v", i, p)
		}
	}
	for kind, l := range raw.Latency {
		for _, fig := range []string{"min", "mean", "stddev", "p50", "p90", "p99", "p999", "p9999", "max"} {
			if v, ok := l[fig]; ok {
				t.Errorf("latency.%s.%s is written as %v; a latency with no samples has no %s", kind, fig, v, fig)
			}
		}
		if l["count"] != 0.0 || l["hdr"] == "" {
			t.Errorf("latency.%s = %v, want count 0 and its (empty) histogram", kind, l)
		}
	}
	back, err := results.Unmarshal(buf.Bytes())
	if err != nil {
		t.Fatalf("a result with empty latencies does not read back: %v", err)
	}
	if back.Latency[results.Response].Count != 0 {
		t.Errorf("count %d after reading back", back.Latency[results.Response].Count)
	}
	for _, format := range []string{results.FormatText, results.FormatMarkdown} {
		out := render(t, func(w io.Writer) error { return results.WriteSummary(w, r, format) })
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "response") && strings.Count(line, "n/a") != 5 {
				t.Errorf("%s summary shows a latency figure of nothing: %q (want n/a for p50, p90, p99, p99.9 and max)", format, line)
			}
		}
	}
	if out := render(t, func(w io.Writer) error { return results.WriteRuns(w, []*results.Result{r}, results.FormatText) }); !strings.Contains(out, "n/a") {
		t.Errorf("runs table of an empty run shows no n/a:\n%s", out)
	}
}

func TestMeasured(t *testing.T) {
	overloaded := emptyRun(t, "ci")
	overloaded.Counts.Unsent = 3
	tests := []struct {
		name string
		r    *results.Result
		ok   bool
		why  string // part of the reason when nothing was measured
	}{
		{"a run that sent operations", synthRun(t, "rest", "ci", time.Millisecond, 2000, 1), true, ""},
		// 0.0001 ops/s over 2s schedules no operation.
		{"a rate too low for the duration", emptyRun(t, "ci"), false, "0.0001 ops/s"},
		// Due but never sent: the target did not keep up at all.
		{"everything unsent", overloaded, false, "3 operations were due"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Measured(); got != tt.ok {
				t.Fatalf("Measured() = %v, want %v", got, tt.ok)
			}
			err := tt.r.NothingMeasured()
			if tt.ok {
				if err != nil {
					t.Fatalf("NothingMeasured() = %v for a measured run", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "nothing was measured") || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("NothingMeasured() = %v, want a sentence saying nothing was measured and %q", err, tt.why)
			}
		})
	}
}

// TestCheckNeverPassesAMetricWithNoSamples: an empty run must fail every
// rule that reads it, absolute or relative, never pass with a 0.
func TestCheckNeverPassesAMetricWithNoSamples(t *testing.T) {
	empty := func(n int) []*results.Result {
		var rs []*results.Result
		for range n {
			rs = append(rs, emptyRun(t, "ci"))
		}
		return rs
	}
	tests := []struct {
		name       string
		base, cur  []*results.Result
		rules      string
		thresholds string
	}{
		{"latency threshold on an empty run", nil, empty(1), "", "rest: {p99: \"< 5ms\"}"},
		{"error rate threshold on an empty run", nil, empty(1), "", "rest: {error_rate: \"< 1%\"}"},
		{"throughput threshold on an empty run", nil, empty(1), "", "rest: {ops_per_s: \"< 1M\"}"},
		{"unsent threshold on an empty run", nil, empty(1), "", "rest: {unsent: \"== 0\"}"},
		// Today this reads as -100% and passes.
		{"latency regression against an empty current", runs(t, "ci", 4, time.Millisecond, 1), empty(4), "p99=10%", ""},
		{"latency regression from an empty baseline", empty(4), runs(t, "ci", 4, time.Millisecond, 1), "p99=10%", ""},
		// One empty run among four is enough to fail.
		{"one empty run in the group", runs(t, "ci", 4, time.Millisecond, 1), append(runs(t, "ci", 3, time.Millisecond, 1), emptyRun(t, "ci")), "p99=10%", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The empty runs asked for a rate that schedules nothing.
			rep := checkRules(t, tt.base, tt.cur, tt.rules, tt.thresholds, true)
			if rep.Passed || rep.Rows[0].Status != results.StatusFail {
				t.Fatalf("passed: %+v", rep.Rows[0])
			}
			if !strings.Contains(rep.Rows[0].Reason, "no samples") {
				t.Errorf("reason %q, want it to say no samples", rep.Rows[0].Reason)
			}
			if out := render(t, func(w io.Writer) error { return results.WriteCheck(w, rep, results.FormatText) }); !strings.Contains(out, "n/a") {
				t.Errorf("check output shows no n/a:\n%s", out)
			}
		})
	}
}

func TestCompareShowsNAForNoSamples(t *testing.T) {
	c, err := results.Compare([]results.Side{
		{Name: "base", Results: runs(t, "ci", 2, time.Millisecond, 1)},
		{Name: "head", Results: []*results.Result{emptyRun(t, "ci"), emptyRun(t, "ci")}},
	}, results.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, func(w io.Writer) error { return results.WriteComparison(w, c, results.FormatText) })
	if !strings.Contains(out, "n/a") || strings.Contains(out, "-100") {
		t.Errorf("an empty side must show n/a, never a -100%% change:\n%s", out)
	}
	js := render(t, func(w io.Writer) error { return results.WriteComparison(w, c, results.FormatJSON) })
	var back struct {
		Groups []struct {
			Sides []struct {
				Metrics []struct {
					Metric string   `json:"metric"`
					Value  *float64 `json:"value"`
				} `json:"metrics"`
			} `json:"sides"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(js), &back); err != nil {
		t.Fatal(err)
	}
	for _, m := range back.Groups[0].Sides[1].Metrics {
		if m.Value != nil {
			t.Errorf("%s of an empty side is written as %v, want null", m.Metric, *m.Value)
		}
	}
}

// TestBenchfmtLeavesOutEmptyRuns: Go benchmark format has no n/a, so a
// run that measured nothing is left out, never written as 0 ns/op.
func TestBenchfmtLeavesOutEmptyRuns(t *testing.T) {
	out := render(t, func(w io.Writer) error {
		return results.WriteBenchfmt(w, []results.Side{{Name: "base", Results: append(runs(t, "ci", 2, time.Millisecond, 1), emptyRun(t, "ci"))}}, results.BenchfmtOptions{})
	})
	if n := strings.Count(out, "\nBenchmark"); n != 2 {
		t.Errorf("%d benchmark lines, want the 2 runs that measured something:\n%s", n, out)
	}
}

func TestFailedRateCountsUnsent(t *testing.T) {
	r := synthRun(t, "rest", "ci", time.Millisecond, 450, 1)
	r.Counts = results.Counts{Sent: 450, OK: 440, Errors: 10, Unsent: 550}
	if got := r.ErrorRate(); got != 10.0/450 {
		t.Errorf("error_rate %v, want errors over sent (10/450)", got)
	}
	if got := r.FailedRate(); got != 560.0/1000 {
		t.Errorf("failed_rate %v, want errors and unsent over asked (560/1000)", got)
	}
	m, err := results.ParseMetric("failed_rate")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := m.Value(r); err != nil || v != 0.56 {
		t.Errorf("failed_rate value %v, %v", v, err)
	}
	out := render(t, func(w io.Writer) error { return results.WriteSummary(w, r, results.FormatText) })
	if !strings.Contains(out, "unsent 550") || !strings.Contains(out, "the target kept up with 45.0% of the asked rate") {
		t.Errorf("summary does not put unsent beside errors:\n%s", out)
	}
}

func TestMergeSumsUnsentAndUnread(t *testing.T) {
	a := queueRun(t, "ci", 1, results.Delivery{Confirmed: 2000, Received: 1990, Unread: count(10)})
	b := queueRun(t, "ci", 2, results.Delivery{Confirmed: 2000, Received: 1995, Unread: count(5)})
	a.Counts.Unsent, b.Counts.Unsent = 7, 3
	m, err := results.MergeResults([]*results.Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.Unsent != 10 {
		t.Errorf("merged unsent %d, want 7+3", m.Counts.Unsent)
	}
	if m.Counts.Delivery.Unread == nil || *m.Counts.Delivery.Unread != 15 {
		t.Errorf("merged unread %v, want 10+5", m.Counts.Delivery.Unread)
	}
	// One generator that did not count unread makes the sum unknown.
	b.Counts.Delivery.Unread = nil
	if m, err = results.MergeResults([]*results.Result{a, b}); err != nil {
		t.Fatal(err)
	}
	if m.Counts.Delivery.Unread != nil {
		t.Errorf("merged unread %d, want it absent when a part did not count it", *m.Counts.Delivery.Unread)
	}
}

func TestCheckGatesDeliveryCounts(t *testing.T) {
	clean := results.Delivery{Confirmed: 2000, Received: 2000, Unread: count(0)}
	lossy := results.Delivery{Confirmed: 2000, Received: 1990, Lost: 4, Unread: count(6), Duplicates: 2, OutOfOrder: 1, Redelivered: 3}
	old := results.Delivery{Confirmed: 2000, Received: 2000} // written before unread was counted
	unsent := queueRun(t, "ci", 1, clean)
	unsent.Counts.Unsent = 12
	tests := []struct {
		name       string
		base, cur  []*results.Result
		rules      string
		thresholds string
		pass       bool
		reason     string
	}{
		{"no loss passes lost == 0", nil, []*results.Result{queueRun(t, "ci", 1, clean)}, "", "queue: {lost: \"== 0\"}", true, "within the limit"},
		{"a loss fails lost == 0", nil, []*results.Result{queueRun(t, "ci", 1, lossy)}, "", "queue: {lost: \"== 0\"}", false, "over the limit"},
		{"unread over its limit fails", nil, []*results.Result{queueRun(t, "ci", 1, lossy)}, "", "queue: {unread: \"< 5\"}", false, "over the limit"},
		{"duplicates fail", nil, []*results.Result{queueRun(t, "ci", 1, lossy)}, "", "queue: {duplicates: \"== 0\"}", false, "over the limit"},
		{"out of order fails", nil, []*results.Result{queueRun(t, "ci", 1, lossy)}, "", "queue: {out_of_order: \"== 0\"}", false, "over the limit"},
		{"redelivered fails", nil, []*results.Result{queueRun(t, "ci", 1, lossy)}, "", "queue: {redelivered: \"<= 2\"}", false, "over the limit"},
		{"unsent fails", nil, []*results.Result{unsent}, "", "queue: {unsent: \"== 0\"}", false, "over the limit"},
		{"failed rate counts unsent", nil, []*results.Result{unsent}, "", "queue: {failed_rate: \"< 0.1%\"}", false, "over the limit"},
		// A result that never counted unread cannot pass a rule on it.
		{"unread not counted fails", nil, []*results.Result{queueRun(t, "ci", 1, old)}, "", "queue: {unread: \"== 0\"}", false, "no samples"},
		// Relative: an absolute allowance in messages…
		{"lost regression over an allowance of 0", []*results.Result{queueRun(t, "ci", 1, clean)}, []*results.Result{queueRun(t, "ci", 1, lossy)}, "lost=0", "", false, "over the limit"},
		{"lost regression within an allowance", []*results.Result{queueRun(t, "ci", 1, clean)}, []*results.Result{queueRun(t, "ci", 1, lossy)}, "lost=5", "", true, "within the limit"},
		// …or a percentage, where any rise from 0 is too much.
		{"duplicates regression from 0", []*results.Result{queueRun(t, "ci", 1, clean)}, []*results.Result{queueRun(t, "ci", 1, lossy)}, "duplicates=50%", "", false, "over the limit"},
		{"unsent regression", []*results.Result{queueRun(t, "ci", 1, clean)}, []*results.Result{unsent}, "unsent=0", "", false, "over the limit"},
		{"no change passes", []*results.Result{queueRun(t, "ci", 1, lossy)}, []*results.Result{queueRun(t, "ci", 2, lossy)}, "lost=0,unread=0,duplicates=0,out_of_order=0,redelivered=0,unsent=0", "", true, "within the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := checkRules(t, tt.base, tt.cur, tt.rules, tt.thresholds, false)
			if rep.Passed != tt.pass {
				t.Errorf("passed = %v, want %v: %+v", rep.Passed, tt.pass, rep.Rows)
			}
			if !strings.Contains(rep.Rows[0].Reason, tt.reason) {
				t.Errorf("reason %q, want %q", rep.Rows[0].Reason, tt.reason)
			}
		})
	}
}

// TestDeliveryGateOnAResultWithoutDelivery: lost means nothing for REST,
// and a rule that asks for it is a mistake to report, not a pass.
func TestDeliveryGateOnAResultWithoutDelivery(t *testing.T) {
	_, err := results.Check(nil, runs(t, "ci", 1, time.Millisecond, 1), results.CheckOptions{Thresholds: mustThresholds(t, "rest: {lost: \"== 0\"}")})
	if !errors.Is(err, results.ErrCheckSetup) || !strings.Contains(err.Error(), "delivery") {
		t.Fatalf("error %v, want a setup error saying REST has no delivery accounting", err)
	}
}

func TestCompareShowsDeliveryCountsAndUnsent(t *testing.T) {
	lossy := results.Delivery{Confirmed: 2000, Received: 1990, Lost: 4, Unread: count(6), Duplicates: 2}
	head := queueRun(t, "ci", 2, lossy)
	head.Counts.Unsent = 9
	c, err := results.Compare([]results.Side{
		{Name: "base", Results: []*results.Result{queueRun(t, "ci", 1, results.Delivery{Confirmed: 2000, Received: 2000, Unread: count(0)}), synthRun(t, "rest", "ci", time.Millisecond, 2000, 1)}},
		{Name: "head", Results: []*results.Result{head, synthRun(t, "rest", "ci", time.Millisecond, 2000, 2)}},
	}, results.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"unsent", "lost", "unread", "duplicates", "out_of_order", "redelivered"} {
		found := false
		for _, n := range c.Metrics {
			found = found || n == m
		}
		if !found {
			t.Errorf("compare has no %s metric (has %v)", m, c.Metrics)
		}
	}
	out := render(t, func(w io.Writer) error { return results.WriteComparison(w, c, results.FormatText) })
	if !strings.Contains(out, "lost") || !strings.Contains(out, "unsent") {
		t.Errorf("compare text has no lost or unsent column:\n%s", out)
	}
}

func TestLoadChangeAcrossSides(t *testing.T) {
	base := runs(t, "ci", 4, time.Millisecond, 1)
	cur := runs(t, "ci", 4, time.Millisecond, 9)
	for _, r := range cur {
		r.Load.PayloadBytes = 64 << 10
	}
	rules := mustRules(t, "p99=10%")
	_, err := results.Check(base, cur, results.CheckOptions{Regressions: rules})
	if !errors.Is(err, results.ErrCheckSetup) || !strings.Contains(err.Error(), "different loads") || !strings.Contains(err.Error(), "--allow-load-change") {
		t.Fatalf("check of unlike loads: error %v, want a refusal naming --allow-load-change", err)
	}
	rep, err := results.Check(base, cur, results.CheckOptions{Regressions: rules, AllowLoadChange: true})
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(rep.Notes, "different loads") {
		t.Errorf("check with --allow-load-change does not warn: %v", rep.Notes)
	}
	// Equal loads: no word about it.
	rep, err = results.Check(base, runs(t, "ci", 4, time.Millisecond, 9), results.CheckOptions{Regressions: rules})
	if err != nil {
		t.Fatal(err)
	}
	if hasNote(rep.Notes, "different loads") {
		t.Errorf("equal loads warned about: %v", rep.Notes)
	}
	// Transport options are part of the load; a queue name is not.
	opt := runs(t, "ci", 4, time.Millisecond, 9)
	for i, r := range opt {
		r.Options = map[string]any{"http2": true, "queue": "commsbench.run" + string(rune('a'+i))}
	}
	if _, err := results.Check(base, opt, results.CheckOptions{Regressions: rules}); err == nil || !strings.Contains(err.Error(), "http2") {
		t.Errorf("changed transport options: error %v, want a refusal naming http2", err)
	}
	c, err := results.Compare([]results.Side{{Name: "base", Results: base}, {Name: "head", Results: cur}}, results.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(c.Notes, "different loads") {
		t.Errorf("compare of unlike loads does not warn: %v", c.Notes)
	}
}

func hasNote(notes []string, s string) bool {
	for _, n := range notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
