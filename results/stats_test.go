package results_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

func TestTestSamples(t *testing.T) {
	tests := []struct {
		name        string
		base, cur   []float64
		tested      bool
		significant bool
	}{
		// A 50% shift with little noise: every current value is above every
		// baseline value, the smallest p the U test can give at n=5.
		{"large shift is flagged", []float64{100, 102, 98, 101, 99}, []float64{150, 149, 152, 151, 148}, true, true},
		// The smallest sample that can be significant at α=0.05 (min p 0.029).
		{"4 vs 4 clear shift is flagged", []float64{10, 11, 12, 13}, []float64{20, 21, 22, 23}, true, true},
		// Same values on both sides: nothing to find.
		{"identical distributions are not flagged", []float64{5, 6, 7, 8, 9}, []float64{5, 6, 7, 8, 9}, true, false},
		// Interleaved noise, 4 a side: the ranks mix, p is large.
		{"4 vs 4 noise is not flagged", []float64{100, 104, 97, 102}, []float64{101, 99, 103, 98}, true, false},
		// Three runs a side cannot reach p < 0.05 however far apart: not tested.
		{"3 vs 3 is not tested", []float64{1, 2, 3}, []float64{100, 200, 300}, false, false},
		// One side with enough runs does not make up for the other.
		{"1 vs 10 is not tested", []float64{1}, []float64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := append([]float64(nil), tt.base...)
			s := results.TestSamples(tt.base, tt.cur, results.DefaultAlpha)
			if s.Tested != tt.tested || s.Significant != tt.significant {
				t.Errorf("tested=%v significant=%v (p=%v), want tested=%v significant=%v", s.Tested, s.Significant, s.P, tt.tested, tt.significant)
			}
			if s.N1 != len(tt.base) || s.N2 != len(tt.cur) {
				t.Errorf("n=%d+%d, want %d+%d", s.N1, s.N2, len(tt.base), len(tt.cur))
			}
			for i := range base {
				if base[i] != tt.base[i] {
					t.Fatalf("TestSamples reordered its input: %v, was %v", tt.base, base)
				}
			}
		})
	}
}

func TestMedian(t *testing.T) {
	if got := results.Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd count: %v, want 2", got)
	}
	if got := results.Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("even count: %v, want 2.5", got)
	}
}

// synthRun is a result whose response latency is drawn around centre
// (exponential spread), with the given throughput.
func synthRun(t *testing.T, transport, label string, centre time.Duration, ops float64, seed uint64) *results.Result {
	t.Helper()
	h := results.NewHistogram()
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	for range 2000 {
		results.RecordClamped(h, int64(centre)+int64(rng.ExpFloat64()*float64(centre)/10))
	}
	return &results.Result{
		Schema:     results.SchemaVersion,
		Tool:       results.Tool{Name: "commsbench", Version: "test"},
		Transport:  transport,
		Label:      label,
		StartedAt:  time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		DurationS:  1,
		Load:       results.Load{Mode: results.OpenLoop, Rate: 2000, Concurrency: 100, PayloadBytes: 256},
		Env:        results.Env{Hostname: "gen", CPUModel: "cpu", NumCPU: 2, GOMAXPROCS: 2},
		Counts:     results.Counts{Sent: 2000, OK: 2000},
		Errors:     map[string]int64{},
		Throughput: results.Throughput{OpsPerS: ops},
		Latency:    map[string]*results.Latency{results.Response: results.MustLatency(h), results.Service: results.MustLatency(h)},
	}
}

// runs makes n runs around centre, each with its own noise.
func runs(t *testing.T, label string, n int, centre time.Duration, seed uint64) []*results.Result {
	var out []*results.Result
	for i := range n {
		out = append(out, synthRun(t, "rest", label, centre, 2000+float64(i%3), seed+uint64(i)))
	}
	return out
}

func p99Delta(t *testing.T, c *results.Comparison) results.Delta {
	t.Helper()
	g := c.Groups[0]
	for i, m := range c.Metrics {
		if m == "p99" {
			return *g.Sides[1].Metrics[i].Delta
		}
	}
	t.Fatal("no p99 column")
	return results.Delta{}
}

func TestCompareFlagsOnlyRealShifts(t *testing.T) {
	tests := []struct {
		name      string
		base, cur []*results.Result
		want      string // the p99 delta as the table prints it
		footnote  string // must appear among the notes
	}{
		// Current is 1.5× slower in every run: significant.
		{"large shift", runs(t, "x", 5, time.Millisecond, 1), runs(t, "x", 5, 1500*time.Microsecond, 100), "+49.", "Mann–Whitney"},
		// Same distribution, other random draws: the test says ~.
		{"noise 4 vs 4", runs(t, "x", 4, time.Millisecond, 1), runs(t, "x", 4, time.Millisecond, 200), "~", "no significant difference"},
		// Too few runs: the delta is printed but marked, and a footnote says why.
		{"2 vs 2", runs(t, "x", 2, time.Millisecond, 1), runs(t, "x", 2, 1500*time.Microsecond, 100), "*", "not significance-tested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := results.Compare([]results.Side{{Name: "old", Results: tt.base}, {Name: "new", Results: tt.cur}}, results.CompareOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d := p99Delta(t, c)
			if !strings.Contains(d.String(), tt.want) {
				t.Errorf("p99 delta %q, want it to contain %q", d, tt.want)
			}
			if d.Significant != (tt.want == "+49.") {
				t.Errorf("significant = %v (p=%v)", d.Significant, d.P)
			}
			if notes := strings.Join(c.Notes, "\n"); !strings.Contains(notes, tt.footnote) {
				t.Errorf("notes do not say %q:\n%s", tt.footnote, notes)
			}
		})
	}
}

func TestCompareShowsMedianOrMergedPercentiles(t *testing.T) {
	// Two runs with very different tails: the median of their p99s and the
	// p99 of their merged histograms differ, and the table must show the one asked for.
	fast, slow := synthRun(t, "rest", "x", time.Millisecond, 1000, 1), synthRun(t, "rest", "x", 20*time.Millisecond, 1000, 2)
	side := []results.Side{{Name: "a", Results: []*results.Result{fast, slow}}}
	merged, err := results.Merge(fast.Latency[results.Response], slow.Latency[results.Response])
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		source string
		want   float64
	}{
		{results.PercentileMedian, float64(fast.Latency[results.Response].P99+slow.Latency[results.Response].P99) / 2},
		{results.PercentileMerged, float64(merged.P99)},
	} {
		c, err := results.Compare(side, results.CompareOptions{PercentileSource: tt.source, Percentiles: []string{"p99"}})
		if err != nil {
			t.Fatal(err)
		}
		ms := c.Groups[0].Sides[0].Metrics[2]
		if ms.Metric != "p99" || ms.Value != tt.want {
			t.Errorf("%s: %s = %v, want %v", tt.source, ms.Metric, ms.Value, tt.want)
		}
		if ms.Merged == nil || *ms.Merged != float64(merged.P99) || ms.Median != float64(fast.Latency[results.Response].P99+slow.Latency[results.Response].P99)/2 {
			t.Errorf("%s: both figures must be kept: median %v merged %v", tt.source, ms.Median, ms.Merged)
		}
		if !strings.Contains(strings.Join(c.Notes, " "), tt.source) {
			t.Errorf("%s: the notes do not say which figure is shown: %q", tt.source, c.Notes)
		}
	}
}

func TestCompareRejectsBadOptions(t *testing.T) {
	side := []results.Side{{Name: "a", Results: runs(t, "x", 1, time.Millisecond, 1)}}
	tests := []struct {
		name string
		o    results.CompareOptions
		msg  string
	}{
		{"unknown latency", results.CompareOptions{Latency: "publsh"}, `unknown latency "publsh"`},
		{"latency no run has", results.CompareOptions{Latency: results.Publish}, "no run has a publish latency"},
		{"bad percentile", results.CompareOptions{Percentiles: []string{"p101"}}, `unknown latency figure "p101"`},
		{"baseline out of range", results.CompareOptions{Baseline: 3}, "baseline side 4: there are 1 sides"},
		{"unknown percentile source", results.CompareOptions{PercentileSource: "mean"}, `percentile source "mean"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := results.Compare(side, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one saying %q", err, tt.msg)
			}
		})
	}
}
