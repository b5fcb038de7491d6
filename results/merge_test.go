package results_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/commsbench/commsbench/results"
)

// TestMergeResultsEqualsOneGenerator records two load generators' streams
// apart and together: the merged result must hold exactly the histogram
// of the combined stream, so every percentile is the same.
func TestMergeResultsEqualsOneGenerator(t *testing.T) {
	both := map[string]*histogramSet{results.Response: newHistogramSet(), results.Service: newHistogramSet()}
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 30000 {
		resp := int64(rng.ExpFloat64()*float64(300*time.Microsecond)) + int64(50*time.Microsecond)
		if i%997 == 0 {
			resp += int64(40 * time.Millisecond) // a rare stall on one generator, in the tail
		}
		svc := resp / 2
		gen := i % 2
		both[results.Response].record(gen, resp)
		both[results.Service].record(gen, svc)
	}
	mk := func(gen int, host string) *results.Result {
		r := synthRun(t, "rest", "ci", time.Millisecond, 15000, 1)
		r.Env.Hostname = host
		r.Counts = results.Counts{Sent: 15000, OK: 14990, Errors: 10}
		r.Errors = map[string]int64{"timeout": 10}
		r.Load.Rate, r.Load.Concurrency = 15000, 100
		r.Throughput = results.Throughput{RequestedOpsPerS: 15000, OpsPerS: 14990, BytesPerS: 14990 * 256}
		r.Timeline = []results.TimelinePoint{{TS: 0, Ops: 14990, Errors: 10, P50NS: int64(gen+1) * 1000, P99NS: int64(gen+1) * 9000}}
		r.Latency = map[string]*results.Latency{
			results.Response: results.MustLatency(both[results.Response].parts[gen]),
			results.Service:  results.MustLatency(both[results.Service].parts[gen]),
		}
		return r
	}
	a, b := mk(0, "gen-a"), mk(1, "gen-b")
	m, err := results.MergeResults([]*results.Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	// Written and read back, as a merged file would be.
	var buf bytes.Buffer
	if err := results.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	if m, err = results.Unmarshal(buf.Bytes()); err != nil {
		t.Fatalf("the merged result does not read back: %v", err)
	}
	for kind, set := range both {
		got, want := *m.Latency[kind], *results.MustLatency(set.all)
		got.HDR, want.HDR = "", "" // the encodings may differ in bytes; the figures may not
		if got != want {
			t.Errorf("%s: merged\n%+v\nwant the histogram of both streams\n%+v", kind, got, want)
		}
		hm, err := m.Latency[kind].Histogram()
		if err != nil || !hm.Equals(set.all) {
			t.Errorf("%s: the merged histogram is not the histogram of both streams (err %v)", kind, err)
		}
		for _, p := range []string{"p12.5", "p75", "p99.5", "p99.99"} {
			g, _ := m.Latency[kind].Quantile(p)
			w, _ := results.MustLatency(set.all).Quantile(p)
			if g != w {
				t.Errorf("%s %s: %v, want %v", kind, p, g, w)
			}
		}
	}
	if m.Counts.Sent != 30000 || m.Counts.OK != 29980 || m.Counts.Errors != 20 || m.Errors["timeout"] != 20 {
		t.Errorf("counts %+v errors %v: want the sums", m.Counts, m.Errors)
	}
	if m.Throughput.OpsPerS != 29980 || m.Throughput.RequestedOpsPerS != 30000 || m.Load.Rate != 30000 || m.Load.Concurrency != 200 {
		t.Errorf("throughput %+v load %+v: want the sums", m.Throughput, m.Load)
	}
	if len(m.Timeline) != 1 || m.Timeline[0].Ops != 29980 || m.Timeline[0].P99NS != 18000 {
		t.Errorf("timeline %+v: want ops added and the highest p99 kept", m.Timeline)
	}
	if notes := strings.Join(m.Notes, " "); !strings.Contains(notes, "gen-a, gen-b") || !strings.Contains(notes, "upper bound") {
		t.Errorf("notes do not say where the result comes from and what the timeline means: %q", m.Notes)
	}
}

type histogramSet struct {
	all   *hdrhistogram.Histogram
	parts [2]*hdrhistogram.Histogram
}

func newHistogramSet() *histogramSet {
	return &histogramSet{all: results.NewHistogram(), parts: [2]*hdrhistogram.Histogram{results.NewHistogram(), results.NewHistogram()}}
}

func (s *histogramSet) record(gen int, v int64) {
	results.RecordClamped(s.all, v)
	results.RecordClamped(s.parts[gen], v)
}

func TestMergeResultsRefusesDifferentMeasurements(t *testing.T) {
	base := func() *results.Result { return synthRun(t, "rest", "ci", time.Millisecond, 1000, 1) }
	tests := []struct {
		name   string
		change func(r *results.Result)
		msg    string
	}{
		{"other transport", func(r *results.Result) { r.Transport = "grpc" }, `transport "grpc" differs from "rest"`},
		{"other load mode", func(r *results.Result) { r.Load.Mode = results.ClosedLoop }, `load mode "closed" differs from "open"`},
		{"other payload", func(r *results.Result) { r.Load.PayloadBytes = 1024 }, "payload size 1024 bytes differs from 256"},
		{"other options", func(r *results.Result) { r.Options = map[string]any{"http2": true} }, "transport options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := base()
			tt.change(other)
			_, err := results.MergeResults([]*results.Result{base(), other})
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one saying %q", err, tt.msg)
			}
		})
	}
	if _, err := results.MergeResults([]*results.Result{base()}); err == nil {
		t.Error("merging a single result must be refused")
	}
}
