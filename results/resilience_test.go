package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func resilientResult() *Result {
	backlog, empty, rec := int64(600), 4.1, 0.1
	lat := func(p50, p99 int64) *Latency {
		h := NewHistogram()
		RecordClamped(h, p50)
		l := MustLatency(h)
		l.P50, l.P99, l.Max = p50, p99, 2*p99 // the figures the table shows
		return l
	}
	return &Result{
		Schema: SchemaVersion, Tool: Tool{Name: "commsbench"}, Transport: "queue", DurationS: 6, Load: Load{Mode: OpenLoop, Rate: 300},
		Counts: Counts{Sent: 1800, OK: 1800, Delivery: &Delivery{Received: 1800}},
		Faults: []Fault{{Spec: "down@2s+2s", Kind: "down", StartS: 2, DurationS: 2, InjectedS: 2, RestoredS: 4.02}},
		Resilience: &Resilience{
			WindowStartS: 2, WindowEndS: 4.02, RecoveryS: &rec, BacklogEmptyS: &empty,
			Before: Phase{OK: 600, Latency: map[string]*Latency{Publish: lat(400e3, 3e6), EndToEnd: lat(500e3, 4e6)}},
			During: Phase{OK: 600, Errors: 3, ErrorClasses: map[string]int64{"eof": 1, "timeout": 2}, Latency: map[string]*Latency{Publish: lat(400e3, 3e6), EndToEnd: lat(1e9, 2e9)}, BacklogPeak: &backlog},
			After:  Phase{OK: 600, Latency: map[string]*Latency{Publish: lat(400e3, 3e6), EndToEnd: lat(500e3, 4e6)}},
		},
	}
}

func TestResilienceSummary(t *testing.T) {
	r := resilientResult()
	var text, md bytes.Buffer
	if err := writeResilienceText(&text, r); err != nil {
		t.Fatal(err)
	}
	writeResilienceMarkdown(&md, r)
	for _, want := range []string{
		"faults     down@2s+2s (applied 2.00–4.02s)",
		"recovered  0.10s after the window (backlog empty at 4.10s); lost 0, duplicates 0",
		"during  2.0–4.0s  600  3       timeout 2, eof 1  400µs       3.00ms      2.00s    4.00s    600",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(md.String(), "| during | 2.0–4.0s | 600 | 3 | timeout 2, eof 1 | 400µs | 3.00ms | 2.00s | 4.00s | 600 |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	// A run without end-to-end latency or backlog shows no such columns.
	r.Resilience.During.BacklogPeak = nil
	for _, p := range []*Phase{&r.Resilience.Before, &r.Resilience.During, &r.Resilience.After} {
		delete(p.Latency, EndToEnd)
	}
	header, _ := r.resilienceTable()
	if got := strings.Join(header, ","); got != "phase,span,ok,failed,errors,caller p50,caller p99" {
		t.Errorf("header without broker figures: %s", got)
	}
}

// A result with faults survives the file format, and one without has none
// of the new keys.
func TestResilienceRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, resilientResult()); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Resilience == nil || *back.Resilience.During.BacklogPeak != 600 || back.Faults[0].RestoredS != 4.02 {
		t.Errorf("read back: %+v %+v", back.Resilience, back.Faults)
	}
	plain, _ := json.Marshal(&Result{})
	for _, k := range []string{`"faults"`, `"resilience"`} {
		if strings.Contains(string(plain), k) {
			t.Errorf("a result without faults writes %s", k)
		}
	}
}

// check gates the figures of runs with faults: recovery_s and the error
// rate during the window; a run that never recovered fails, and a run
// without faults is a set-up error, never a pass.
func TestCheckResilience(t *testing.T) {
	run := func(label string, recovery *float64, failed int64) *Result {
		r := resilientResult()
		r.Label = label
		r.Resilience.RecoveryS = recovery
		r.Resilience.During.Errors = failed
		return r
	}
	fast, slow := 0.3, 4.0
	cur := []*Result{run("fast", &fast, 0), run("slow", &slow, 300), run("never", nil, 0)}
	cur[1].Counts.Delivery.Lost = 2
	set, err := ParseThresholds([]byte("queue:\n  recovery_s: \"< 2s\"\n  fault_error_rate: \"< 1%\"\n  lost: \"< 1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(nil, cur, CheckOptions{Thresholds: set})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rep.Rows {
		got[r.Group+" "+r.Metric] = r.Status + " " + r.Reason
	}
	want := map[string]string{
		"queue/fast recovery_s":        "PASS within the limit",
		"queue/fast fault_error_rate":  "PASS within the limit",
		"queue/slow recovery_s":        "FAIL over the limit",
		"queue/slow fault_error_rate":  "FAIL over the limit", // 300 of 900
		"queue/never recovery_s":       "FAIL did not recover within the run",
		"queue/never fault_error_rate": "PASS within the limit",
		"queue/fast lost":              "PASS within the limit",
		"queue/slow lost":              "FAIL over the limit",
		"queue/never lost":             "PASS within the limit",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	var buf bytes.Buffer
	for _, format := range []string{FormatJSON, FormatText, FormatMarkdown} {
		if err := WriteCheck(&buf, rep, format); err != nil {
			t.Fatalf("a check with a run that never recovered must still write %s: %v", format, err)
		}
	}
	plain := resilientResult()
	plain.Resilience = nil
	if _, err := Check(nil, []*Result{plain}, CheckOptions{Thresholds: set}); !errors.Is(err, ErrCheckSetup) {
		t.Errorf("a run without faults: %v, want a set-up error", err)
	}
	for _, c := range []struct{ metric, expr, err string }{
		{MetricRecovery, "< 1.5", ""}, {MetricRecovery, "< 500ms", ""}, {MetricRecovery, "< soon", "not a time"},
		{MetricLost, "< 1", ""}, {MetricLost, "<= 0.5", "not a count"},
	} {
		th, err := ParseThreshold(c.metric, c.expr)
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s %q: %+v, %v", c.metric, c.expr, th, err)
		}
	}
}
