package bench_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// stallingTarget answers at once, except during a stall window of a known
// length at a known period: an operation arriving in the window finishes
// when the window ends, like a service frozen by a GC pause or a fsync.
type stallingTarget struct {
	start          time.Time
	period, window time.Duration
	mu             sync.Mutex // one request at a time, like one connection
}

func (s *stallingTarget) do(ctx context.Context, _ bench.Op) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	phase := time.Since(s.start) % s.period
	if phase < s.window {
		return sleepCtx(ctx, s.window-phase)
	}
	return nil
}

// TestOpenLoopShowsStallsThatServiceTimeHides is the claim the tool rests
// on. A target stalls 100 ms out of every second. With one connection, a
// closed-loop tool (or service time) sees one slow request per stall: the
// requests that would have been sent during the stall are simply not sent
// — coordinated omission. commsbench's open loop counts each operation from
// when it was due, so a tenth of them carry up to 100 ms of waiting, and the
// p99 is about 90 ms.
func TestOpenLoopShowsStallsThatServiceTimeHides(t *testing.T) {
	if testing.Short() {
		t.Skip("3 s timing test")
	}
	tgt := &stallingTarget{start: time.Now(), period: time.Second, window: 100 * time.Millisecond}
	w := &fakeWorkload{do: tgt.do}
	res := mustRun(t, w, bench.Options{Rate: 1000, Concurrency: 1, Duration: 3 * time.Second})

	resp, svc := res.Latency[results.Response], res.Latency[results.Service]
	t.Logf("response p50 %v p90 %v p99 %v max %v; service p50 %v p99 %v max %v",
		time.Duration(resp.P50), time.Duration(resp.P90), time.Duration(resp.P99), time.Duration(resp.Max),
		time.Duration(svc.P50), time.Duration(svc.P99), time.Duration(svc.Max))

	// 10% of the operations fall in a stall, with waits spread over
	// 0–100 ms: the 99th percentile is near 90 ms.
	if resp.P99 < int64(70*time.Millisecond) || resp.P99 > int64(115*time.Millisecond) {
		t.Errorf("open-loop response p99 = %v, want about 90 ms (the stall must show)", time.Duration(resp.P99))
	}
	if resp.P90 > int64(20*time.Millisecond) {
		t.Errorf("response p90 = %v: only 10%% of the time is stalled", time.Duration(resp.P90))
	}
	// Service time sees one slow operation per stall: 3 of 3000.
	if svc.P99 > int64(10*time.Millisecond) {
		t.Errorf("service-time p99 = %v, want the healthy time: it must not show the stall", time.Duration(svc.P99))
	}
	if svc.Max < int64(50*time.Millisecond) {
		t.Errorf("service-time max = %v: the one operation caught in each stall must still be there", time.Duration(svc.Max))
	}
	// And no operation was dropped to make the numbers look better: each
	// was sent, or (when a stall holds the one connection at the planned
	// end) counted as unsent.
	if got := res.Counts.Sent + res.Counts.Unsent; got != 3000 || res.Counts.Unsent > 100 {
		t.Errorf("sent %d + unsent %d, want all 3000 offered, at most a stall's worth unsent", res.Counts.Sent, res.Counts.Unsent)
	}
}
