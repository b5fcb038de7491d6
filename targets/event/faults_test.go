package event

import (
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// Every subscriber down for 2 s at 300 events/s on the embedded broker:
// the producers never notice, the groups' lag grows to about 600, nothing
// is lost, and the new members resume from the committed offsets, so the
// events sent during the window arrive late, not never. Delivery is at
// least once: a member whose last commit did not reach the broker before
// it left (a rebalance in between rejects it) has its events read again
// by its successor, which counts them as duplicates.
func TestSubscribersDown(t *testing.T) {
	const rate = 300
	cfg := baseConfig(nil, "test-fault-down")
	_, res := runWorkload(t, cfg, bench.Options{
		Rate: rate, Concurrency: 100, Duration: 4 * time.Second, Warmup: 300 * time.Millisecond, Timeout: 5 * time.Second,
		Faults: []fault.Fault{fault.MustParse("down@1s+2s")},
	})
	rs := res.Resilience
	if rs == nil || len(res.Faults) != 1 || res.Faults[0].Error != "" {
		t.Fatalf("resilience %+v, faults %+v", rs, res.Faults)
	}
	for _, s := range res.Subscribers {
		if s.Received != res.Counts.Delivery.Acked || s.Lost != 0 || s.LagAtEnd != 0 {
			t.Errorf("group %s: received %d of %d acked, lost %d, lag %d", s.Group, s.Received, res.Counts.Delivery.Acked, s.Lost, s.LagAtEnd)
		}
	}
	if rs.Lost != 0 {
		t.Errorf("lost %d events: the log keeps them for the groups' return", rs.Lost)
	}
	if rs.During.Errors != 0 || rs.During.OK < rate*18/10 {
		t.Errorf("publishes during the window: %d ok, %d failed; the producers must not notice", rs.During.OK, rs.During.Errors)
	}
	e2e := rs.During.Latency[results.EndToEnd]
	if e2e == nil || e2e.Max < int64(1500*time.Millisecond) {
		t.Fatalf("end-to-end of events sent during the window: %+v, want a max of about 2 s", e2e)
	}
	peak := rs.During.BacklogPeak
	if peak == nil || *peak < rate*2*8/10 {
		t.Errorf("lag peak %v, want about %d (rate × 2 s)", peak, rate*2)
	}
	if rs.BacklogEmptyS == nil {
		t.Error("the groups never caught up after the window")
	}
	t.Logf("lag peak %d, caught up at %v; end-to-end during p99 %v max %v; duplicates %d; recovery %v",
		*peak, rs.BacklogEmptyS, time.Duration(e2e.P99), time.Duration(e2e.Max), rs.Duplicates, rs.RecoveryS)
}

// A subscriber slowed below the offered rate: events queue behind it.
func TestSubscribersSlow(t *testing.T) {
	cfg := baseConfig(nil, "test-fault-slow")
	cfg.Subscribers, cfg.GroupConsumers = 1, nil
	_, res := runWorkload(t, cfg, bench.Options{
		Rate: 100, Concurrency: 50, Duration: 3 * time.Second, Warmup: 300 * time.Millisecond, Timeout: 5 * time.Second,
		Faults: []fault.Fault{fault.MustParse("slow@1s+1s,delay=20ms")},
	})
	rs := res.Resilience
	checkDelivery(t, res, []int{1}, false)
	before, during := rs.Before.Latency[results.EndToEnd], rs.During.Latency[results.EndToEnd]
	if during.P50 < int64(20*time.Millisecond) || during.P50-before.P50 < int64(15*time.Millisecond) {
		t.Errorf("end-to-end p50 before %v, during %v: want events to queue during the window only", time.Duration(before.P50), time.Duration(during.P50))
	}
}
