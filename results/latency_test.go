package results_test

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

func sampleResult(t *testing.T) *results.Result {
	t.Helper()
	h := results.NewHistogram()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		results.RecordClamped(h, int64(rng.ExpFloat64()*float64(200*time.Microsecond)))
	}
	return &results.Result{
		Schema:    results.SchemaVersion,
		Tool:      results.Tool{Name: "commsbench", Version: "test"},
		Transport: "rest",
		StartedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		DurationS: 1,
		Load:      results.Load{Mode: results.OpenLoop, Rate: 10000, Concurrency: 100, PayloadBytes: 256},
		Target:    results.Target{Kind: results.TargetEmbedded, Address: "http://127.0.0.1:1"},
		Counts:    results.Counts{Sent: 10000, OK: 10000},
		Errors:    map[string]int64{},
		Latency:   map[string]*results.Latency{results.Response: results.MustLatency(h), results.Service: results.MustLatency(h)},
		Timeline:  []results.TimelinePoint{{TS: 0, Ops: 10000, P50NS: 1, P99NS: 2}},
	}
}

func TestResultRoundTripKeepsEveryPercentile(t *testing.T) {
	orig := sampleResult(t)
	var buf bytes.Buffer
	if err := results.Encode(&buf, orig); err != nil {
		t.Fatal(err)
	}
	back, err := results.Unmarshal(buf.Bytes())
	if err != nil {
		t.Fatalf("reading back what was written: %v", err)
	}
	a, b := orig.Latency[results.Response], back.Latency[results.Response]
	if *a != *b {
		t.Errorf("summary changed in the round trip:\n%+v\n%+v", a, b)
	}
	ha, _ := a.Histogram()
	hb, err := b.Histogram()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []float64{1, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100} {
		if x, y := ha.ValueAtPercentile(p), hb.ValueAtPercentile(p); x != y {
			t.Errorf("p%v: %d before, %d after reading the hdr back", p, x, y)
		}
	}
	if got, _ := b.Quantile("p99.9"); int64(got) != a.P999 {
		t.Errorf("Quantile(p99.9) = %v, want %d", got, a.P999)
	}
	if got, _ := b.Quantile("p95"); int64(got) != ha.ValueAtPercentile(95) {
		t.Errorf("Quantile(p95) recomputed = %v, want %d", got, ha.ValueAtPercentile(95))
	}
}

func TestMergeEqualsRecordingBothStreamsInOne(t *testing.T) {
	one, a, b := results.NewHistogram(), results.NewHistogram(), results.NewHistogram()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		v := int64(rng.NormFloat64()*float64(time.Millisecond)) + int64(5*time.Millisecond)
		results.RecordClamped(one, v)
		if i%3 == 0 {
			results.RecordClamped(a, v)
		} else {
			results.RecordClamped(b, v)
		}
	}
	merged, err := results.Merge(results.MustLatency(a), results.MustLatency(b))
	if err != nil {
		t.Fatal(err)
	}
	want := results.MustLatency(one)
	if merged.Count != want.Count || merged.P50 != want.P50 || merged.P99 != want.P99 || merged.P9999 != want.P9999 || merged.Max != want.Max || merged.Min != want.Min {
		t.Errorf("merged %+v\nwant   %+v", merged, want)
	}
}

func TestParsePercentile(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"p50", 50, true},
		{"p99.9", 99.9, true},
		{"p100", 100, true},
		{"p0", 0, false},   // not a percentile of anything
		{"p101", 0, false}, // out of range
		{"99", 0, false},   // no p
		{"p9x", 0, false},  // trailing garbage
		{"p", 0, false},
	}
	for _, tt := range tests {
		got, err := results.ParsePercentile(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePercentile(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestRecordClampedKeepsOutOfRangeValues(t *testing.T) {
	h := results.NewHistogram()
	results.RecordClamped(h, -5)
	results.RecordClamped(h, 2*int64(time.Hour))
	if h.TotalCount() != 2 {
		t.Errorf("recorded %d values, want 2: out-of-range samples are clamped, never dropped", h.TotalCount())
	}
}
