package grpctarget

import (
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
)

// The embedded server down for 1 s at 200 calls/s with callers that
// retry UNAVAILABLE up to 4 times from 100 ms: the calls of the window
// are retried, and each of them either succeeded after a retry or failed
// in the end; none is counted twice.
func TestRetriesDuringDown(t *testing.T) {
	const rate = 200
	res := runFaults(t, Config{Connections: 1, PayloadBytes: 64}, bench.Options{
		Rate: rate, Concurrency: 200, Duration: 4 * time.Second, Warmup: 200 * time.Millisecond,
		Timeout: 3 * time.Second, Retries: 4, RetryBackoff: 100 * time.Millisecond,
	}, "down@1s+1s")
	rs, rt := res.Resilience, res.Retries
	d := rs.During.Retries
	t.Logf("during: %d ok, %d failed %v, retries %+v; after: %d failed", rs.During.OK, rs.During.Errors, rs.During.ErrorClasses, *d, rs.After.Errors)
	if d.Retried < rate/2 || d.SucceededAfterRetry == 0 {
		t.Errorf("during: %d calls retried, %d succeeded after a retry; want most of its %d retried, some succeeding", d.Retried, d.SucceededAfterRetry, rate)
	}
	// A retried call that did not succeed in the end is one of the errors.
	if d.Retried-d.SucceededAfterRetry > rs.During.Errors {
		t.Errorf("during: %d retried, %d succeeded after a retry, %d failed", d.Retried, d.SucceededAfterRetry, rs.During.Errors)
	}
	if rs.Before.Retries.Retried != 0 || rt.Attempts < res.Counts.Sent+d.Retried {
		t.Errorf("before: %+v; run %+v for %d calls", *rs.Before.Retries, rt.RetryCounts, res.Counts.Sent)
	}
}
