package results_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/commsbench/commsbench/results"
)

// FuzzDecode feeds the result reader arbitrary bytes, seeded with a real
// result file and damaged copies of it: it must never panic, and whatever
// it accepts must be a valid result whose histograms decode.
func FuzzDecode(f *testing.F) {
	real, err := os.ReadFile(filepath.Join("testdata", "base", "rest-ci-1.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(real[:len(real)/2]) // truncated
	f.Add([]byte(`{"schema": 2, "tool": {"name": "commsbench"}}`))
	f.Add([]byte(`{"schema": 1, "tool": {"name": "commsbench"}, "transport": "rest", "load": {"mode": "open"}, "latency": {"response": {"count": 1, "hdr": "HISTFAAAAB"}}}`))
	f.Add([]byte(`{"schema": 1, "tool": {"name": "commsbench"}, "transport": "rest", "load": {"mode": "open"}, "resilience": {"during": {"ok": 1, "latency": {"response": {"count": 1, "hdr": "x"}}}, "recovery_s": null}}`))
	f.Add([]byte(`{"schema": 1, "tool": {"name": "commsbench"}, "transport": "queue", "load": {"mode": "open"}, "counts": {"delivery": {"lost": 1}}, "faults": [{"spec": "down@1s+1s"}], "resilience": {"before": {"backlog_peak": 3}, "recovery_s": 0.5}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := results.Unmarshal(data)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Unmarshal accepted a result that does not validate: %v", err)
		}
		for name, l := range r.Latency {
			if _, err := l.Histogram(); err != nil {
				t.Fatalf("accepted latency %s whose histogram does not decode: %v", name, err)
			}
		}
		if r.Resilience != nil {
			// What a reader of a run with faults prints must not fail.
			if err := results.WriteSummary(io.Discard, r, results.FormatText); err != nil {
				t.Fatalf("accepted a result whose summary cannot be written: %v", err)
			}
		}
	})
}
