package rest_test

import (
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/rest"
)

// The embedded target down for 1 s at 200 calls/s, with callers that
// retry up to 4 times from 100 ms (100, 200, 400, 800 ms: 1.5 s in all):
// the calls due while it was down are retried until it is back, and
// succeed then; their latency holds the wait.
func TestRetriesRideOutDown(t *testing.T) {
	const rate = 200
	res, err := run(t, rest.Config{Connections: 20, PayloadBytes: 64}, bench.Options{
		Rate: rate, Concurrency: 200, Duration: 3 * time.Second, Warmup: 200 * time.Millisecond,
		Timeout: 3 * time.Second, Faults: []fault.Fault{fault.MustParse("down@1s+1s")},
		Retries: 4, RetryBackoff: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, rt := res.Resilience, res.Retries
	if rs == nil || rt == nil || rs.During.Retries == nil {
		t.Fatalf("resilience %+v, retries %+v", rs, rt)
	}
	d := rs.During.Retries
	t.Logf("during: %d ok, %d failed %v, retries %+v; run: %+v", rs.During.OK, rs.During.Errors, rs.During.ErrorClasses, *d, rt.RetryCounts)
	// Calls sent while the target was being taken down or brought back
	// may have needed no retry: most of the window's did.
	if d.Retried < rate/2 {
		t.Errorf("%d calls retried during the window, want most of its %d", d.Retried, rate)
	}
	// Every call of the window was retried until the target was back.
	if rs.During.Errors > rate/100 || d.SucceededAfterRetry < d.Retried-rs.During.Errors {
		t.Errorf("during: %d failed, %d of %d retried succeeded", rs.During.Errors, d.SucceededAfterRetry, d.Retried)
	}
	if rt.Attempts < res.Counts.Sent+2*d.Retried {
		t.Errorf("%d attempts for %d calls, %d retried", rt.Attempts, res.Counts.Sent, d.Retried)
	}
	// None before the window; after it, at most a few calls whose pooled
	// connection the restarted target had closed.
	if rs.Before.Retries.Retried != 0 || rs.After.Retries.Retried > rate/20 {
		t.Errorf("retries outside the window: before %+v, after %+v", *rs.Before.Retries, *rs.After.Retries)
	}
	// A call due as the target went down waited for it to come back.
	if l := rs.During.Latency[results.Response]; l.Max < int64(700*time.Millisecond) {
		t.Errorf("during: max latency %v, want the wait for the target's return in it", time.Duration(l.Max))
	}
}
