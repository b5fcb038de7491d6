package bench_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// retryingWorkload fails each operation's first failures attempts with
// err, then succeeds; it retries what bench.ConnectionRetryable says.
type retryingWorkload struct {
	faultyWorkload
	mu       sync.Mutex
	attempts map[int64]int
}

func newRetryingWorkload(failures int, err error) *retryingWorkload {
	w := &retryingWorkload{attempts: map[int64]int{}}
	w.do = func(_ context.Context, op bench.Op) error {
		if w.down.Load() {
			return syscall.ECONNREFUSED
		}
		w.mu.Lock()
		w.attempts[op.Seq]++
		n := w.attempts[op.Seq]
		w.mu.Unlock()
		if failures < 0 || n <= failures {
			return err
		}
		return nil
	}
	return w
}

func (w *retryingWorkload) Retryable(class string) bool { return bench.ConnectionRetryable(class) }

func TestRetriesCountAttempts(t *testing.T) {
	const ops = 200
	for _, tc := range []struct {
		name                           string
		failures, retries              int
		err                            error
		attempts, retried, after, errs int64
	}{
		// Every operation fails twice, and succeeds on its third attempt.
		{"succeed on the third attempt", 2, 3, syscall.ECONNREFUSED, 3 * ops, ops, ops, 0},
		// Bounded: two retries of an operation that always fails.
		{"give up after the last retry", -1, 2, syscall.ECONNRESET, 3 * ops, ops, 0, ops},
		// An answer a retry would get again is not retried.
		{"no retry of an answer", 1, 3, bench.Errorf("http_500", "HTTP 500"), ops, 0, 0, ops},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newRetryingWorkload(tc.failures, tc.err)
			res, err := bench.Run(context.Background(), w, bench.Options{
				Concurrency: 4, Requests: ops, Timeout: 5 * time.Second,
				Retries: tc.retries, RetryBackoff: time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			rt := res.Retries
			if rt == nil {
				t.Fatal("no retries in the result")
			}
			want := results.RetryCounts{Attempts: tc.attempts, Retried: tc.retried, SucceededAfterRetry: tc.after}
			if rt.RetryCounts != want || rt.Max != tc.retries || rt.BackoffS != 0.001 {
				t.Errorf("retries %+v, want %+v with max %d", *rt, want, tc.retries)
			}
			if res.Counts.Sent != ops || res.Counts.Errors != tc.errs {
				t.Errorf("sent %d, errors %d; want %d, %d", res.Counts.Sent, res.Counts.Errors, ops, tc.errs)
			}
		})
	}
}

// A retried operation's latency runs from its first attempt's due time:
// the backoff before its retry is in it.
func TestRetryLatencyCountsFromTheFirstAttempt(t *testing.T) {
	w := newRetryingWorkload(1, syscall.ECONNREFUSED)
	const backoff = 30 * time.Millisecond
	res, err := bench.Run(context.Background(), w, bench.Options{
		Rate: 50, Concurrency: 20, Duration: time.Second, Timeout: 5 * time.Second,
		Retries: 1, RetryBackoff: backoff,
	})
	if err != nil {
		t.Fatal(err)
	}
	// An operation whose retry would start after the planned end is not
	// retried: at 50/s, one or two in the last 30 ms.
	if res.Counts.Errors > 2 || res.Retries.SucceededAfterRetry != res.Counts.OK || res.Counts.Sent < 40 {
		t.Fatalf("counts %+v, retries %+v", res.Counts, res.Retries)
	}
	for _, kind := range []string{results.Response, results.Service} {
		if l := res.Latency[kind]; l.Min < int64(backoff) {
			t.Errorf("%s min %v: want at least the %v backoff", kind, time.Duration(l.Min), backoff)
		}
	}
}

// The operation's timeout bounds its attempts together, and no retry
// starts after the planned end.
func TestRetriesAreBounded(t *testing.T) {
	w := newRetryingWorkload(-1, syscall.ECONNREFUSED)
	start := time.Now()
	res, err := bench.Run(context.Background(), w, bench.Options{
		Rate: 20, Concurrency: 20, Duration: time.Second, Timeout: 300 * time.Millisecond,
		Retries: bench.MaxRetries, RetryBackoff: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("the run took %v", el)
	}
	if res.Counts.OK != 0 || res.Counts.Errors != res.Counts.Sent {
		t.Errorf("counts %+v", res.Counts)
	}
	// 100 ms then 200 ms of backoff fit in the 300 ms timeout: at most 3 attempts.
	if a := res.Retries.Attempts; a > 3*res.Counts.Sent || a <= res.Counts.Sent {
		t.Errorf("%d attempts of %d operations", a, res.Counts.Sent)
	}
}

func TestRetriesNeedARetrier(t *testing.T) {
	_, err := bench.Run(context.Background(), &fakeWorkload{}, bench.Options{
		Concurrency: 1, Requests: 10, Retries: 1,
	})
	if err == nil {
		t.Fatal("a workload whose operations cannot be retried ran with --retries")
	}
	for _, o := range []bench.Options{
		{Concurrency: 1, Requests: 1, Retries: bench.MaxRetries + 1},
		{Concurrency: 1, Requests: 1, Retries: -1},
		{Concurrency: 1, Requests: 1, Retries: 1, RetryBackoff: bench.MaxRetryBackoff + 1},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: valid", o)
		}
	}
}

// With a fault, the attempts are counted by phase: the calls refused while
// the far side was down were retried, those before and after were not.
func TestRetriesByPhase(t *testing.T) {
	w := newRetryingWorkload(0, nil)
	const rate = 200
	res, err := bench.Run(context.Background(), w, bench.Options{
		Rate: rate, Concurrency: 50, Duration: 3 * time.Second, Timeout: time.Second,
		Faults:  []fault.Fault{fault.MustParse("down@1s+1s")},
		Retries: 2, RetryBackoff: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := res.Resilience
	for name, p := range map[string]results.Phase{"before": rs.Before, "after": rs.After} {
		if p.Retries == nil || p.Retries.Retried != 0 || p.Retries.Attempts != p.OK+p.Errors {
			t.Errorf("%s: retries %+v for %d operations", name, p.Retries, p.OK+p.Errors)
		}
	}
	d := rs.During.Retries
	if d == nil || d.Retried < rate*8/10 || d.Attempts < 2*d.Retried {
		t.Fatalf("during: retries %+v, want about %d operations retried twice or more", d, rate)
	}
	// Those refused until the end were retried twice, and the ones that
	// came back in time succeeded: every one is counted once.
	if d.Retried != rs.During.Errors+d.SucceededAfterRetry {
		t.Errorf("during: %d retried, %d failed, %d succeeded after a retry", d.Retried, rs.During.Errors, d.SucceededAfterRetry)
	}
	var sum results.RetryCounts
	for _, p := range []results.Phase{rs.Before, rs.During, rs.After} {
		sum.Add(*p.Retries)
	}
	if sum != res.Retries.RetryCounts {
		t.Errorf("phases add up to %+v, run %+v", sum, res.Retries.RetryCounts)
	}
}

// In the open loop a worker retrying an operation is busy, as with a slow
// one: no more operations are in flight than the bound, and every
// operation due is either sent (once, whatever its attempts) or counted
// unsent.
func TestRetriesKeepTheOpenLoopAccounting(t *testing.T) {
	w := newRetryingWorkload(-1, syscall.ECONNRESET)
	var inFlight, most atomic.Int64
	do := w.do
	w.do = func(ctx context.Context, op bench.Op) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return do(ctx, op)
	}
	const rate, workers = 200, 2
	res, err := bench.Run(context.Background(), w, bench.Options{
		Rate: rate, Concurrency: workers, Duration: time.Second,
		Retries: 3, RetryBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m > workers {
		t.Errorf("%d operations in flight at once, bound %d", m, workers)
	}
	if asked := res.Counts.Sent + res.Counts.Unsent; asked != rate {
		t.Errorf("sent %d + unsent %d, want the %d due", res.Counts.Sent, res.Counts.Unsent, rate)
	}
	// Operations are retried until a retry would start after the planned
	// end; those sent late, as the workers catch up, are not.
	if rt := res.Retries; rt.Attempts > 4*res.Counts.Sent || rt.Retried < 2*workers || rt.Attempts < res.Counts.Sent+rt.Retried {
		t.Errorf("retries %+v of %d operations", *rt, res.Counts.Sent)
	}
	if res.Counts.Errors != res.Counts.Sent || !strings.Contains(strings.Join(res.Notes, "\n"), "in-flight bound") {
		t.Errorf("counts %+v, notes %q", res.Counts, res.Notes)
	}
}
