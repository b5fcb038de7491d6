package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

// fixedDelayEcho serves the echo contract after a fixed delay: a target
// whose latency does not depend on who calls it.
func fixedDelayEcho(t *testing.T, delay time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		time.Sleep(delay)
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// runCommsbench runs this test binary as commsbench and returns the
// result it wrote to out.
func runCommsbench(t *testing.T, out string, args ...string) *results.Result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{Path: exe, Args: append([]string{"commsbench"}, append(args, "--out", out, "-q")...), Env: os.Environ()}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("commsbench %v: %v\n%s", args, err, b)
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestShardsMeasureWhatOneGeneratorMeasures runs one load at rate R from
// one process and from N = 2 and 4 shards (run --shards N) against a target with
// a fixed delay: the merged result must ask for exactly the same
// operations, per second of the same timeline, and see the same latency.
//
// Counts are exact in every attempt. Latency and per-second counts are
// compared within a tolerance, and on a shared machine a stall of either
// run (hundreds of milliseconds, seen here) can break it: the comparison
// is tried up to three times, which a real difference fails every time.
// Under the race detector only the counts are checked.
func TestShardsMeasureWhatOneGeneratorMeasures(t *testing.T) {
	if testing.Short() {
		t.Skip("timed runs")
	}
	// A delay long against this machine's scheduling noise, so that the
	// comparison is of the sharding, not of the noise.
	const delay = 10 * time.Millisecond
	target := fixedDelayEcho(t, delay)
	load := []string{"run", "rest", "--target", target, "--rate", "600", "--duration", "3s", "--warmup", "500ms", "--concurrency", "100"}
	for _, shards := range []int{2, 4} {
		t.Run(fmt.Sprintf("%d shards", shards), func(t *testing.T) {
			const attempts = 3
			for a := 1; ; a++ {
				dir := t.TempDir()
				single := runCommsbench(t, filepath.Join(dir, "single.json"), load...)
				merged := runCommsbench(t, filepath.Join(dir, "merged.json"), append(load, "--shards", fmt.Sprint(shards))...)
				checkShardCounts(t, single, merged, shards)
				diffs := latencyDiffs(single, merged, delay)
				if len(diffs) == 0 {
					return
				}
				if raceDetector {
					// Counts were checked; latency under the race detector
					// measures the detector.
					t.Logf("latency not compared under the race detector: %v", diffs)
					return
				}
				if a == attempts {
					for _, d := range diffs {
						t.Error(d)
					}
					return
				}
				t.Logf("attempt %d of %d differs (%v); trying again", a, attempts, diffs)
			}
		})
	}
}

// checkShardCounts checks what must hold exactly: both ask for the same
// operations, and the merged result is of both shards.
func checkShardCounts(t *testing.T, single, merged *results.Result, shards int) {
	t.Helper()
	if merged.Shard == nil || !merged.Shard.Merged || merged.Shard.Count != shards || merged.Partial {
		t.Fatalf("merged result: shard %+v, partial %v; want all %d shards merged", merged.Shard, merged.Partial, shards)
	}
	if single.Asked() != 1800 || merged.Asked() != 1800 || merged.Load.Rate != 600 || merged.Load.Concurrency != 100 {
		t.Errorf("asked %d (single) and %d (merged) at %v ops/s with %d in flight; want 1800 each at 600 with 100",
			single.Asked(), merged.Asked(), merged.Load.Rate, merged.Load.Concurrency)
	}
	if merged.Counts.Errors != 0 || single.Counts.Errors != 0 {
		t.Errorf("errors: %d single, %d merged", single.Counts.Errors, merged.Counts.Errors)
	}
	if len(merged.Timeline) < 3 || len(single.Timeline) < 3 {
		t.Fatalf("timelines %+v and %+v: want the 3 measured seconds", single.Timeline, merged.Timeline)
	}
}

// latencyDiffs says where the two results' latencies and seconds differ
// by more than the tolerance.
func latencyDiffs(single, merged *results.Result, delay time.Duration) []string {
	var diffs []string
	s, m := single.Latency[results.Response], merged.Latency[results.Response]
	for _, p := range []struct {
		name       string
		a, b       float64
		rel, slack float64
	}{
		{"p50", float64(s.P50), float64(m.P50), 0.1, float64(time.Millisecond)},
		{"p90", float64(s.P90), float64(m.P90), 0.25, float64(2 * time.Millisecond)},
		{"p99", float64(s.P99), float64(m.P99), 1, float64(20 * time.Millisecond)},
	} {
		if d := math.Abs(p.a - p.b); d > max(p.rel*p.a, p.slack) {
			diffs = append(diffs, fmt.Sprintf("response %s: %v single, %v merged", p.name, time.Duration(p.a), time.Duration(p.b)))
		}
		if p.b < float64(delay) {
			diffs = append(diffs, fmt.Sprintf("merged response %s %v is below the target's delay %v", p.name, time.Duration(p.b), delay))
		}
	}
	// The timelines align: the same seconds, the same operations in each.
	for i := range 3 {
		sp, mp := single.Timeline[i], merged.Timeline[i]
		if sp.TS != mp.TS || math.Abs(float64(sp.Ops-mp.Ops)) > 60 {
			diffs = append(diffs, fmt.Sprintf("second %d: single %+v, merged %+v", i, sp, mp))
		}
	}
	return diffs
}

// TestBrokeredShardsAccountForEveryMessage runs the queue (a real
// RabbitMQ) and the event stream (the embedded broker) as two shards:
// every message of every shard is accounted for.
func TestBrokeredShardsAccountForEveryMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("brokered runs")
	}
	for _, transport := range []string{"queue", "event"} {
		t.Run(transport, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged.json")
			m := runCommsbench(t, out, "run", transport, "--rate", "300", "--duration", "2s", "--warmup", "300ms", "--shards", "2")
			c := m.Counts
			if m.Partial || m.Shard == nil || m.Shard.Count != 2 || c.Delivery == nil {
				t.Fatalf("partial %v, shard %+v, delivery %v; want both shards with their accounting", m.Partial, m.Shard, c.Delivery)
			}
			if m.Asked() != 600 || c.Sent != c.Received || c.Lost != 0 || c.Duplicates != 0 {
				t.Errorf("asked %d, sent %d, received %d, lost %d, duplicates %d; want 600 asked, all received, none lost or twice",
					m.Asked(), c.Sent, c.Received, c.Lost, c.Duplicates)
			}
		})
	}
}
