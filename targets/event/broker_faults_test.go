package event

import (
	"context"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// brokerFaultRun runs the embedded broker behind its proxy with faults.
func brokerFaultRun(t *testing.T, name string, rate float64, spec string) (*Workload, *results.Result) {
	t.Helper()
	cfg := baseConfig(nil, name)
	cfg.BrokerFaults = true
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(context.Background(), w, bench.Options{
		Rate: rate, Concurrency: 200, Duration: 4 * time.Second, Warmup: 300 * time.Millisecond, Timeout: 8 * time.Second,
		Faults: []fault.Fault{fault.MustParse(spec)},
	})
	if err != nil {
		if res != nil {
			t.Logf("counts %+v delivery %+v subscribers %+v notes %q", res.Counts, res.Counts.Delivery, res.Subscribers, res.Notes)
		}
		t.Fatalf("run: %v", err)
	}
	if res.Resilience == nil || len(res.Faults) != 1 || res.Faults[0].Error != "" {
		t.Fatalf("resilience %+v, faults %+v", res.Resilience, res.Faults)
	}
	return w, res
}

// Every connection to the embedded broker cut for 1.5 s at 200 events/s
// (the broker advertises the proxy's address, so the metadata sends every
// client through it): the producers retry their batches until the broker
// is back, the groups fetch again, and no acknowledged event is lost.
// Retried batches the broker had written are counted as duplicates.
func TestBrokerDownLosesNothingAcked(t *testing.T) {
	const rate = 200
	w, res := brokerFaultRun(t, "test-broker-down", rate, "broker-down@1s+1500ms")
	d, rs := res.Counts.Delivery, res.Resilience
	if d.Acked < res.Counts.Sent*95/100 {
		t.Errorf("sent %d, acked %d: the producers retry until the broker is back", res.Counts.Sent, d.Acked)
	}
	if rs.Lost != 0 {
		t.Errorf("lost %d: no acknowledged event may be lost; notes %q", rs.Lost, res.Notes)
		for _, s := range w.subs {
			for _, m := range s.allMembers() {
				if e := m.lastErr.Load(); e != nil {
					t.Logf("group %s: %d errors, last %v", s.tally.name, m.errs.Load(), *e)
				}
			}
		}
	}
	var dups int64
	for _, s := range res.Subscribers {
		if s.Received != d.Acked || s.Lost != 0 {
			t.Errorf("group %s: received %d of %d acked, lost %d", s.Group, s.Received, d.Acked, s.Lost)
		}
		dups += s.Duplicates
	}
	if rs.Duplicates != dups {
		t.Errorf("resilience duplicates %d, groups' %d", rs.Duplicates, dups)
	}
	if p := rs.During.Latency[results.Publish]; p == nil || p.Max < int64(time.Second) {
		t.Errorf("publish latency during the window %+v: the outage must show as latency", p)
	}
	t.Logf("sent %d acked %d; during: ok %d errors %d %v; lag peak %v; duplicates %d; caught up at %v; recovery %v",
		res.Counts.Sent, d.Acked, rs.During.OK, rs.During.Errors, rs.During.ErrorClasses, deref(rs.During.BacklogPeak), rs.Duplicates, deref(rs.BacklogEmptyS), deref(rs.RecoveryS))
}

// A latency toxic of 50 ms on the path from the broker: acknowledgements
// arrive at least 50 ms later during the window (about that much on an idle
// machine; a partition's sender keeps one request in flight, so on a loaded
// one events also queue behind the slower answers: the upper bound is loose).
func TestBrokerNetworkLatencyDelaysAcks(t *testing.T) {
	_, res := brokerFaultRun(t, "test-broker-latency", 100, "network@1s+2s,latency=50ms")
	rs := res.Resilience
	before, during := rs.Before.Latency[results.Publish], rs.During.Latency[results.Publish]
	// The baseline is the quieter of the seconds around the window: a
	// loaded machine stalls in one of them now and then.
	base := before.P50
	if after := rs.After.Latency[results.Publish]; after != nil && after.Count > 0 {
		base = min(base, after.P50)
	}
	rise := time.Duration(during.P50 - base)
	if rise < 40*time.Millisecond || rise > 500*time.Millisecond {
		t.Errorf("publish p50 before %v, during %v: want about 50 ms more", time.Duration(before.P50), time.Duration(during.P50))
	}
	if rs.Lost != 0 {
		t.Errorf("lost %d", rs.Lost)
	}
	t.Logf("publish p50 before %v during %v", time.Duration(before.P50), time.Duration(during.P50))
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
