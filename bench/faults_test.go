package bench_test

import (
	"context"
	"math"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// faultyWorkload is a fakeWorkload whose far side can be taken down: its
// clients are refused while it is down, and it counts a backlog that
// grows while down and empties at once after.
type faultyWorkload struct {
	fakeWorkload
	down     atomic.Bool
	injected atomic.Int64
	backlog  atomic.Int64
	clock    atomic.Pointer[fault.Clock]
}

func newFaultyWorkload() *faultyWorkload {
	w := &faultyWorkload{}
	w.do = func(context.Context, bench.Op) error {
		if w.down.Load() {
			w.backlog.Add(1)
			return syscall.ECONNREFUSED
		}
		return nil
	}
	return w
}

func (w *faultyWorkload) Inject(_ context.Context, f fault.Fault) (func() error, error) {
	w.injected.Add(1)
	w.down.Store(true)
	return func() error { w.down.Store(false); w.backlog.Store(0); return nil }, nil
}

func (w *faultyWorkload) FaultClock(c fault.Clock) { w.clock.Store(&c) }

func (w *faultyWorkload) Backlog() (int64, bool) { return w.backlog.Load(), true }

func TestFaultWindowIsMeasuredByPhase(t *testing.T) {
	w := newFaultyWorkload()
	f := fault.MustParse("down@1s+1s")
	const rate = 500
	res, err := bench.Run(context.Background(), w, bench.Options{
		Rate: rate, Concurrency: 50, Duration: 3 * time.Second, Warmup: 200 * time.Millisecond,
		Timeout: time.Second, Faults: []fault.Fault{f},
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.injected.Load() != 1 || w.down.Load() {
		t.Fatalf("injected %d times, still down %v; want once, and back", w.injected.Load(), w.down.Load())
	}
	if c := w.clock.Load(); c == nil || c.Window != (fault.Window{Start: time.Second, End: 2 * time.Second}) {
		t.Fatalf("the workload's fault clock: %+v", c)
	}
	if len(res.Faults) != 1 || res.Faults[0].Spec != "down@1s+1s" || math.Abs(res.Faults[0].InjectedS-1) > 0.05 || math.Abs(res.Faults[0].RestoredS-2) > 0.05 {
		t.Fatalf("faults recorded: %+v", res.Faults)
	}
	rs := res.Resilience
	if rs == nil {
		t.Fatal("no resilience section")
	}
	// Every refused call falls in the window, and about a second of calls was refused.
	if rs.Before.Errors != 0 || rs.After.Errors != 0 {
		t.Errorf("errors outside the window: before %d, after %d", rs.Before.Errors, rs.After.Errors)
	}
	if got := rs.During.ErrorClasses[bench.ClassRefused]; math.Abs(float64(got)-rate) > 0.1*rate {
		t.Errorf("refused during the window: %d, want about %d", got, rate)
	}
	if rs.Before.OK < rate*9/10 || rs.After.OK < rate*9/10 {
		t.Errorf("ok before %d, after %d; want about %d each", rs.Before.OK, rs.After.OK, rate)
	}
	if rs.Before.Latency[results.Response] == nil || rs.Before.Latency[results.Response].Count != rs.Before.OK {
		t.Errorf("before: latency %+v for %d ok", rs.Before.Latency[results.Response], rs.Before.OK)
	}
	if p := rs.During.BacklogPeak; p == nil || *p < rate/2 {
		t.Errorf("backlog peak during the window: %v, want about %d", p, rate)
	}
	if rs.BacklogEmptyS == nil || *rs.BacklogEmptyS < 2 || *rs.BacklogEmptyS > 2.5 {
		t.Errorf("backlog empty at %v, want soon after 2 s", rs.BacklogEmptyS)
	}
	// The timeline says which errors, second by second. It bins an
	// operation by when it finished, so a call refused just as the window
	// closed may land at the start of second 2: a handful, no more.
	var refused int64
	for _, p := range res.Timeline {
		n := p.ErrorClasses[bench.ClassRefused]
		refused += n
		if n > 0 && (p.TS < 1 || p.TS > 2 || (p.TS == 2 && n > rate/100)) {
			t.Errorf("second %v: %d refused, outside the window", p.TS, p.ErrorClasses[bench.ClassRefused])
		}
	}
	if refused != res.Errors[bench.ClassRefused] {
		t.Errorf("timeline refused %d, run %d", refused, res.Errors[bench.ClassRefused])
	}
}

func TestFaultsNeedAnInjector(t *testing.T) {
	_, err := bench.Run(context.Background(), &fakeWorkload{}, bench.Options{
		Rate: 10, Concurrency: 1, Duration: time.Second,
		Faults: []fault.Fault{{Kind: fault.Down, Duration: time.Second}},
	})
	if err == nil {
		t.Fatal("a workload that cannot inject faults ran with one")
	}
}

// A run interrupted before its fault's window ends the fault anyway.
func TestFaultEndsWithTheRun(t *testing.T) {
	w := newFaultyWorkload()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	res, err := bench.Run(ctx, w, bench.Options{
		Rate: 100, Concurrency: 10, Duration: 5 * time.Second, Timeout: time.Second,
		Faults: []fault.Fault{{Kind: fault.Down, Start: time.Second, Duration: 3 * time.Second}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.down.Load() {
		t.Error("the far side is still down after the run")
	}
	if !res.Partial || len(res.Faults) != 1 || res.Faults[0].RestoredS >= 3 {
		t.Errorf("partial %v, faults %+v", res.Partial, res.Faults)
	}
}
