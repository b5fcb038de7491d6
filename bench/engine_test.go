package bench_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// fakeWorkload is an in-process workload whose clients call do.
type fakeWorkload struct {
	do        func(ctx context.Context, op bench.Op) error
	startErr  error
	clientErr error

	mu       sync.Mutex
	workers  map[int]bool
	closed   atomic.Bool
	finished atomic.Bool
	inFlight atomic.Int64
	maxIn    atomic.Int64
}

func (w *fakeWorkload) Start(context.Context) (results.Target, error) {
	return results.Target{Kind: results.TargetEmbedded, Address: "fake"}, w.startErr
}

func (w *fakeWorkload) NewClient(_ context.Context, worker int) (bench.Client, error) {
	if w.clientErr != nil {
		return nil, w.clientErr
	}
	w.mu.Lock()
	if w.workers == nil {
		w.workers = map[int]bool{}
	}
	w.workers[worker] = true
	w.mu.Unlock()
	return clientFunc(func(ctx context.Context, op bench.Op) error {
		n := w.inFlight.Add(1)
		defer w.inFlight.Add(-1)
		for {
			m := w.maxIn.Load()
			if n <= m || w.maxIn.CompareAndSwap(m, n) {
				break
			}
		}
		if w.do == nil {
			return nil
		}
		return w.do(ctx, op)
	}), nil
}

func (w *fakeWorkload) Finish(context.Context, *results.Result) error {
	w.finished.Store(true)
	return nil
}

func (w *fakeWorkload) Close() error { w.closed.Store(true); return nil }

func (w *fakeWorkload) workerCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.workers)
}

type clientFunc func(ctx context.Context, op bench.Op) error

func (f clientFunc) Do(ctx context.Context, op bench.Op) error { return f(ctx, op) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func mustRun(t *testing.T, w bench.Workload, o bench.Options) *results.Result {
	t.Helper()
	res, err := bench.Run(context.Background(), w, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestClosedLoopRunsExactlyConcurrencyWorkers(t *testing.T) {
	w := &fakeWorkload{do: func(ctx context.Context, _ bench.Op) error { return sleepCtx(ctx, time.Millisecond) }}
	res := mustRun(t, w, bench.Options{Concurrency: 7, Duration: 300 * time.Millisecond})
	if got := w.workerCount(); got != 7 {
		t.Errorf("clients made: %d, want 7", got)
	}
	if got := w.maxIn.Load(); got != 7 {
		t.Errorf("most operations in flight: %d, want 7", got)
	}
	if res.Load.Mode != results.ClosedLoop || res.Load.Concurrency != 7 {
		t.Errorf("load = %+v, want closed loop with 7 workers", res.Load)
	}
	if _, ok := res.Latency[results.SendDelay]; ok {
		t.Error("closed loop has no send_delay")
	}
	if res.Latency[results.Response].P99 != res.Latency[results.Service].P99 {
		t.Error("in closed loop response and service are the same histogram")
	}
	if !w.finished.Load() || !w.closed.Load() {
		t.Error("Finish and Close must both be called")
	}
}

func TestOpenLoopAchievesAModestRate(t *testing.T) {
	w := &fakeWorkload{do: func(ctx context.Context, _ bench.Op) error { return sleepCtx(ctx, 200*time.Microsecond) }}
	res := mustRun(t, w, bench.Options{Rate: 2000, Concurrency: 100, Duration: time.Second, Warmup: 100 * time.Millisecond})
	// Open loop sends exactly rate × duration operations.
	if res.Counts.Sent != 2000 {
		t.Errorf("sent %d operations, want exactly 2000 (rate × duration)", res.Counts.Sent)
	}
	if got := res.Throughput.OpsPerS; got < 1900 || got > 2100 {
		t.Errorf("achieved %.0f ops/s, want within 5%% of 2000", got)
	}
	if res.Throughput.RequestedOpsPerS != 2000 || res.Load.Mode != results.OpenLoop {
		t.Errorf("requested rate not recorded: %+v %+v", res.Throughput, res.Load)
	}
	if res.Latency[results.SendDelay] == nil || res.Latency[results.SendDelay].Count != 2000 {
		t.Errorf("send_delay must hold every operation: %+v", res.Latency[results.SendDelay])
	}
}

func TestRequestsBoundTheMeasuredOperations(t *testing.T) {
	for _, o := range []bench.Options{
		{Rate: 5000, Concurrency: 10, Requests: 777, Warmup: 50 * time.Millisecond},
		{Concurrency: 5, Requests: 777, Warmup: 50 * time.Millisecond},
	} {
		res := mustRun(t, &fakeWorkload{}, o)
		if res.Counts.Sent != 777 || res.Latency[results.Response].Count != 777 {
			t.Errorf("rate %v: sent %d, recorded %d; want exactly 777 measured operations (warm-up excluded)",
				o.Rate, res.Counts.Sent, res.Latency[results.Response].Count)
		}
	}
}

func TestWarmupIsExcluded(t *testing.T) {
	var warm, measured atomic.Int64
	w := &fakeWorkload{do: func(_ context.Context, op bench.Op) error {
		if op.Warmup {
			warm.Add(1)
		} else {
			measured.Add(1)
		}
		return nil
	}}
	res := mustRun(t, w, bench.Options{Rate: 1000, Concurrency: 10, Duration: 300 * time.Millisecond, Warmup: 200 * time.Millisecond})
	if warm.Load() != 200 || measured.Load() != 300 {
		t.Errorf("warm-up ops %d, measured ops %d; want 200 and 300", warm.Load(), measured.Load())
	}
	if res.Counts.Sent != 300 {
		t.Errorf("result counts %d operations, want only the 300 measured", res.Counts.Sent)
	}
}

func TestErrorsAreClassifiedAndKeptOutOfLatency(t *testing.T) {
	w := &fakeWorkload{do: func(_ context.Context, op bench.Op) error {
		switch op.Seq % 10 {
		case 1:
			return bench.Errorf("http_503", "HTTP 503")
		case 2:
			return fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
		case 3:
			return fmt.Errorf("%w: got other bytes", bench.ErrEchoMismatch)
		}
		return nil
	}}
	res := mustRun(t, w, bench.Options{Rate: 10000, Concurrency: 10, Requests: 1000})
	want := map[string]int64{"http_503": 100, bench.ClassRefused: 100, bench.ClassEchoMismatch: 100}
	for class, n := range want {
		if res.Errors[class] != n {
			t.Errorf("errors[%s] = %d, want %d (all: %v)", class, res.Errors[class], n, res.Errors)
		}
	}
	if res.Counts.Errors != 300 || res.Counts.OK != 700 || res.Counts.Sent != 1000 {
		t.Errorf("counts = %+v, want 1000 sent, 700 ok, 300 errors", res.Counts)
	}
	if n := res.Latency[results.Response].Count; n != 700 {
		t.Errorf("response histogram holds %d values, want only the 700 successes", n)
	}
}

func TestTimeoutIsCountedAndTheRunEnds(t *testing.T) {
	w := &fakeWorkload{do: func(ctx context.Context, _ bench.Op) error {
		<-ctx.Done() // a target that never answers
		return ctx.Err()
	}}
	start := time.Now()
	res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: 2, Requests: 4, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[bench.ClassTimeout] != 4 || res.Counts.OK != 0 {
		t.Errorf("errors = %v, want 4 timeouts", res.Errors)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("run took %v; timeouts must bound it", d)
	}
}

func TestCancellationReturnsAPartialResult(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &fakeWorkload{do: func(ctx context.Context, _ bench.Op) error { return sleepCtx(ctx, time.Millisecond) }}
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := bench.Run(ctx, w, bench.Options{Rate: 1000, Concurrency: 10, Duration: time.Minute, Grace: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run after cancel: %v (want a partial result, no error)", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run returned %v after start; cancellation must stop it promptly", d)
	}
	if !res.Partial {
		t.Error("an interrupted result must be marked partial")
	}
	if res.Counts.OK < 100 || res.DurationS > 1 {
		t.Errorf("partial result: %d ok over %.2fs; want what was measured in the 0.3s before the cancel", res.Counts.OK, res.DurationS)
	}
	if !w.closed.Load() {
		t.Error("Close must be called after a cancellation")
	}
}

func TestInFlightBoundMakesSendsLateNotFewer(t *testing.T) {
	// One operation in flight at most, each taking 2 ms, offered 1000/s:
	// the target can serve only 500/s. The engine must not lower the offered
	// load silently: every operation is still sent, late, and the lateness
	// shows in the response latency and in a note.
	w := &fakeWorkload{do: func(ctx context.Context, _ bench.Op) error { return sleepCtx(ctx, 2*time.Millisecond) }}
	res := mustRun(t, w, bench.Options{Rate: 1000, Concurrency: 1, Requests: 200})
	if res.Counts.Sent != 200 {
		t.Errorf("sent %d, want 200", res.Counts.Sent)
	}
	resp, svc := res.Latency[results.Response], res.Latency[results.Service]
	// The last operation was due at 199 ms and finished at ≥ 400 ms.
	if resp.Max < int64(150*time.Millisecond) {
		t.Errorf("response max %v: the queueing behind the in-flight bound must show", time.Duration(resp.Max))
	}
	if svc.P99 > int64(20*time.Millisecond) {
		t.Errorf("service p99 %v: the service time must not include the wait for a worker", time.Duration(svc.P99))
	}
	if len(res.Notes) == 0 {
		t.Error("reaching the in-flight bound must be noted in the result")
	}
}

func TestStartAndClientErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, tt := range []struct {
		name string
		w    *fakeWorkload
	}{
		{"start fails", &fakeWorkload{startErr: boom}},
		{"client fails", &fakeWorkload{clientErr: boom}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, rate := range []float64{0, 100} {
				res, err := bench.Run(context.Background(), tt.w, bench.Options{Rate: rate, Concurrency: 2, Duration: time.Second})
				if !errors.Is(err, boom) || res != nil {
					t.Errorf("rate %v: got %v, %v; want the error and no result", rate, res, err)
				}
				if !tt.w.closed.Load() {
					t.Error("Close must be called when Start or NewClient fails")
				}
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    bench.Options
		ok   bool
	}{
		{"closed loop with duration", bench.Options{Concurrency: 1, Duration: time.Second}, true},
		{"open loop with requests", bench.Options{Rate: 10, Concurrency: 1, Requests: 5}, true},
		{"no bound at all", bench.Options{Concurrency: 1}, false},
		{"no worker", bench.Options{Concurrency: 0, Duration: time.Second}, false},
		{"negative rate", bench.Options{Rate: -1, Concurrency: 1, Duration: time.Second}, false},
		{"negative warm-up", bench.Options{Concurrency: 1, Duration: time.Second, Warmup: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.o.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestTimelineCoversEverySecond(t *testing.T) {
	w := &fakeWorkload{}
	res := mustRun(t, w, bench.Options{Rate: 500, Concurrency: 10, Duration: 2 * time.Second})
	if len(res.Timeline) < 2 || len(res.Timeline) > 3 {
		t.Fatalf("timeline has %d points for a 2s run, want 2 (or 3 with a tail)", len(res.Timeline))
	}
	var ops int64
	for i, p := range res.Timeline {
		if p.TS != float64(i) {
			t.Errorf("point %d at t=%v; points must be consecutive seconds", i, p.TS)
		}
		ops += p.Ops + p.Errors
	}
	if ops != res.Counts.Sent {
		t.Errorf("timeline sums to %d operations, the run counted %d", ops, res.Counts.Sent)
	}
	if p := res.Timeline[0]; p.Ops < 450 || p.P99NS <= 0 {
		t.Errorf("first second: %+v; want ~500 operations and a p99", p)
	}
}

func TestOverloadedOpenLoopEndsOnTimeAndCountsWhatWasNotSent(t *testing.T) {
	// Offered 1000/s for 0.5 s to a target that serves 500/s through one
	// connection: half cannot be sent by the planned end. The run must end
	// then (not a quarter-second later for each backlog), and every
	// operation that was due must be either sent or counted as unsent.
	w := &fakeWorkload{do: func(ctx context.Context, _ bench.Op) error { return sleepCtx(ctx, 2*time.Millisecond) }}
	start := time.Now()
	res := mustRun(t, w, bench.Options{Rate: 1000, Concurrency: 1, Duration: 500 * time.Millisecond})
	if d := time.Since(start); d > 800*time.Millisecond {
		t.Errorf("a 0.5 s run took %v: an overloaded run must still end on time", d)
	}
	if got := res.Counts.Sent + res.Counts.Unsent; got != 500 {
		t.Errorf("sent %d + unsent %d = %d, want the 500 operations that were due", res.Counts.Sent, res.Counts.Unsent, got)
	}
	if res.Counts.Unsent < 100 {
		t.Errorf("unsent %d: about half could not be sent", res.Counts.Unsent)
	}
	found := false
	for _, n := range res.Notes {
		found = found || strings.Contains(n, "never sent")
	}
	if !found {
		t.Errorf("notes %q must say that operations were not sent", res.Notes)
	}
}
