package results_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

// typedRun is a run with a typed encoding: its options and its client's
// encode and decode time.
func typedRun(t *testing.T, enc string, codecUS, cpuUS float64, seed uint64) *results.Result {
	r := synthRun(t, "rest", "2x2", time.Millisecond, 2000, seed)
	r.Options = map[string]any{"encoding": enc, "items": 3, "request_bytes": 650, "reply_bytes": 111, "payload": "order"}
	r.Resources = &results.Resources{CPUPerOpUS: cpuUS, ClientCodecPerOpUS: codecUS}
	return r
}

func TestMessagesSummary(t *testing.T) {
	raw := synthRun(t, "rest", "", time.Millisecond, 2000, 1)
	typed := typedRun(t, "json", 12.5, 80, 1)
	for _, c := range []struct {
		name string
		r    *results.Result
		want string
	}{
		{"raw echo", raw, ""},
		{"typed", typed, "json, 650 B request, 111 B reply; client encode + decode 12.5µs per operation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.r.MessagesSummary(); got != c.want {
				t.Errorf("MessagesSummary() = %q, want %q", got, c.want)
			}
			// Read back from a file, the numbers are float64: the same line.
			var buf bytes.Buffer
			if err := results.Encode(&buf, c.r); err != nil {
				t.Fatal(err)
			}
			back, err := results.Unmarshal(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if got := back.MessagesSummary(); got != c.want {
				t.Errorf("read back: %q, want %q", got, c.want)
			}
			var text bytes.Buffer
			if err := results.WriteSummary(&text, back, results.FormatText); err != nil {
				t.Fatal(err)
			}
			if has := strings.Contains(text.String(), "messages"); has != (c.want != "") {
				t.Errorf("summary %s a messages line:\n%s", map[bool]string{true: "has", false: "lacks"}[has], text.String())
			}
		})
	}
}

func TestMergeWeighsCodecTimeByOperations(t *testing.T) {
	a, b := typedRun(t, "json", 10, 50, 1), typedRun(t, "json", 40, 50, 2)
	b.Env.Hostname = "gen-b"
	a.Counts.Sent, b.Counts.Sent = 3000, 1000
	a.Resources.CPUUserS, b.Resources.CPUUserS = 0.15, 0.05
	m, err := results.MergeResults([]*results.Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Resources.ClientCodecPerOpUS; got != 17.5 {
		t.Errorf("merged codec time %v µs/op, want (3000×10 + 1000×40) / 4000 = 17.5", got)
	}
}

func TestCompareCosts(t *testing.T) {
	var jsonRuns, pbRuns, rawRuns []*results.Result
	for i := range 5 {
		jsonRuns = append(jsonRuns, typedRun(t, "json", 30+float64(i), 100+float64(i), uint64(i+1)))
		pbRuns = append(pbRuns, typedRun(t, "protobuf", 10+float64(i), 80+float64(i), uint64(i+10)))
		rawRuns = append(rawRuns, synthRun(t, "rest", "2x2", time.Millisecond, 2000, uint64(i+20)))
	}
	sides := []results.Side{{Name: "json", Results: jsonRuns}, {Name: "protobuf", Results: pbRuns}, {Name: "raw", Results: rawRuns}}
	o := results.CompareOptions{Costs: true, Percentiles: []string{"p50"}}
	c, err := results.Compare(sides, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{results.MetricOpsPerS, results.MetricErrorRate, "p50", results.MetricCPUPerOpUS, results.MetricCodecPerOpUS}
	if strings.Join(c.Metrics, ",") != strings.Join(want, ",") {
		t.Fatalf("metrics %v, want %v", c.Metrics, want)
	}
	g := c.Groups[0]
	codec := func(side int) results.MetricSummary { return g.Sides[side].Metrics[4] }
	if codec(0).Value != 32 || codec(1).Value != 12 {
		t.Errorf("codec medians %v and %v, want 32 and 12", codec(0).Value, codec(1).Value)
	}
	if d := codec(1).Delta; d == nil || !d.Significant || *d.Change > -60 {
		t.Errorf("protobuf's codec delta %+v: want a significant drop of about 62%%", d)
	}
	if !codec(2).Missing {
		t.Errorf("raw runs have no codec time, yet got %+v", codec(2))
	}
	var buf bytes.Buffer
	if err := results.WriteComparison(&buf, c, results.FormatText); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"cpu/op", "codec/op", "32.0µs", "12.0µs"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
	// Without Costs the table is as before.
	c, _ = results.Compare(sides, results.CompareOptions{Percentiles: []string{"p50"}})
	if len(c.Metrics) != 3 {
		t.Errorf("metrics without costs: %v", c.Metrics)
	}
}
