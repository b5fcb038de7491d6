package bench_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// rateLimiter refuses operations above a fixed rate, by their intended
// times (a generic cell rate algorithm with a small tolerance): a target
// of fixed capacity whose verdict does not depend on how busy this
// machine is, since intended times are the schedule's.
type rateLimiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

var errRefused = errors.New("over capacity")

func (l *rateLimiter) do(_ context.Context, op bench.Op) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Workers may take neighbouring operations in either order.
	tolerance := 8 * l.interval
	if l.next.IsZero() || op.Intended.After(l.next) {
		l.next = op.Intended
	}
	if op.Intended.Before(l.next.Add(-tolerance)) {
		return errRefused
	}
	l.next = l.next.Add(l.interval)
	return nil
}

// TestSearchFindsTheCapacityOfARateLimitedTarget drives the engine
// through a search against a target that refuses what exceeds 2200
// ops/s: the rate found must be within a step of the capacity.
func TestSearchFindsTheCapacityOfARateLimitedTarget(t *testing.T) {
	const capacity = 2200.0
	var lines []string
	s := bench.Search{
		Start:    1000,
		MaxSteps: 20,
		MaxTime:  time.Minute,
		StepTime: 300 * time.Millisecond,
		Step: func(ctx context.Context, rate float64) (*results.Result, error) {
			l := &rateLimiter{interval: time.Second * 10 / 22000} // 1/capacity
			w := &fakeWorkload{do: l.do}
			return bench.Run(ctx, w, bench.Options{Rate: rate, Concurrency: 4, Duration: 300 * time.Millisecond})
		},
		Progress: func(n int, st results.SearchStep) {
			lines = append(lines, st.Why)
		},
	}
	rec, res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range rec.Steps {
		t.Logf("step %d: asked %v achieved %.0f sustained %v %s", i+1, st.AskedOpsPerS, st.AchievedOpsPerS, st.Sustained, st.Why)
	}
	t.Logf("found %v: %s", rec.FoundOpsPerS, rec.Stopped)
	// Sustained means 99% succeeded: a rate up to capacity/0.99 passes.
	if rec.FoundOpsPerS < capacity/1.05 || rec.FoundOpsPerS > capacity/0.99 {
		t.Errorf("found %v ops/s, want within a step (5%%) of the capacity %v", rec.FoundOpsPerS, capacity)
	}
	if !strings.HasPrefix(rec.Stopped, "bracketed") {
		t.Errorf("stopped: %q, want the bracket closed", rec.Stopped)
	}
	if len(lines) != len(rec.Steps) {
		t.Errorf("%d progress calls for %d steps", len(lines), len(rec.Steps))
	}
	if res == nil || res.Load.Rate != rec.FoundOpsPerS {
		t.Errorf("the result returned is not the step at the rate found")
	}
	if rec.Latency != results.Response || rec.P99NS <= 0 {
		t.Errorf("latency at the rate found: %q %d", rec.Latency, rec.P99NS)
	}
}

// fakeStep measures nothing: it makes the result a target of the given
// capacity would give at a rate, with a p99 that climbs as the rate
// nears the capacity, and an optional growing backlog.
func fakeStep(capacity float64, backlog bool) func(context.Context, float64) (*results.Result, error) {
	return func(_ context.Context, rate float64) (*results.Result, error) {
		const d = 2.0
		due := int64(rate * d)
		ok := due
		if rate > capacity {
			ok = int64(capacity * d)
		}
		p99 := int64(time.Millisecond)
		if rate > capacity*0.8 {
			p99 = int64(20 * time.Millisecond)
		}
		res := &results.Result{
			Load:    results.Load{Mode: results.OpenLoop, Rate: rate, DurationS: d},
			Counts:  results.Counts{Sent: due, OK: ok, Errors: due - ok},
			Latency: map[string]*results.Latency{results.Response: {Count: ok, P99: p99}},
		}
		if backlog {
			// The target takes every message; its receivers keep up to
			// the capacity only.
			grow := max(rate-capacity, 0)
			res.Counts.Errors, res.Counts.OK = 0, due
			for s := range 2 {
				b := int64(10 + grow*float64(s+1))
				res.Timeline = append(res.Timeline, results.TimelinePoint{TS: float64(s), Ops: due / 2, Backlog: &b})
			}
		}
		return res, nil
	}
}

func TestSearchBracketsAndStops(t *testing.T) {
	clock := time.Unix(0, 0)
	// found is the range the rate found must fall in: within a step of the
	// capacity (and of what the criteria tolerate: 1% of errors, a backlog
	// growing by 5% of a second's worth of the rate).
	tests := []struct {
		name      string
		s         bench.Search
		lo, hi    float64
		stopped   string
		maxSteps  int
		wantSteps int
	}{
		{"errors above the capacity", bench.Search{Start: 100, Step: fakeStep(5000, false)}, 5000 / 1.05, 5000 / 0.99, "bracketed", 20, 0},
		{"a backlog that grows", bench.Search{Start: 100, Step: fakeStep(5000, true)}, 5000 / 1.05, 5000 * 1.05, "bracketed", 20, 0},
		{"the p99 bound", bench.Search{Start: 100, MaxP99: 10 * time.Millisecond, Step: fakeStep(5000, false)}, 4000 / 1.05, 4000, "bracketed", 20, 0},
		{"nothing sustained: down to the minimum", bench.Search{Start: 8, Step: fakeStep(0.5, false)}, 0, 0, "not even", 20, 0},
		{"the first rate too high", bench.Search{Start: 1000, Step: fakeStep(300, false)}, 300 / 1.05, 300 / 0.99, "bracketed", 20, 0},
		{"the step bound", bench.Search{Start: 100, MaxSteps: 3, Step: fakeStep(5000, false)}, 400, 400, "step bound", 3, 3},
		{"the highest rate", bench.Search{Start: bench.MaxRate / 2, Step: fakeStep(bench.MaxRate*2, false)}, bench.MaxRate, bench.MaxRate, "sustained the highest", 20, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s.MaxSteps == 0 {
				s.MaxSteps = tt.maxSteps
			}
			s.StepTime, s.MaxTime = time.Second, time.Hour
			s.Now = func() time.Time { return clock }
			rec, res, err := s.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rec.FoundOpsPerS < tt.lo || rec.FoundOpsPerS > tt.hi || !strings.HasPrefix(rec.Stopped, tt.stopped) {
				for _, st := range rec.Steps {
					t.Logf("asked %v sustained %v %s", st.AskedOpsPerS, st.Sustained, st.Why)
				}
				t.Errorf("found %v (%s), want %v to %v (%s…)", rec.FoundOpsPerS, rec.Stopped, tt.lo, tt.hi, tt.stopped)
			}
			if tt.wantSteps > 0 && len(rec.Steps) != tt.wantSteps {
				t.Errorf("%d steps, want %d", len(rec.Steps), tt.wantSteps)
			}
			if res == nil {
				t.Fatal("no result")
			}
			if rec.FoundOpsPerS > 0 && res.Load.Rate != rec.FoundOpsPerS {
				t.Errorf("result at %v, want the step at the rate found", res.Load.Rate)
			}
			if rec.FoundOpsPerS == 0 && res.Load.Rate != tt.s.Start {
				t.Errorf("result at %v, want the first step when none was sustained", res.Load.Rate)
			}
		})
	}
}

func TestSearchTimeBound(t *testing.T) {
	now := time.Unix(0, 0)
	s := bench.Search{
		Start: 100, MaxSteps: 50, StepTime: 10 * time.Second, MaxTime: 35 * time.Second,
		Now: func() time.Time { return now },
		Step: func(ctx context.Context, rate float64) (*results.Result, error) {
			now = now.Add(10 * time.Second)
			return fakeStep(1e6, false)(ctx, rate)
		},
	}
	rec, _, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Steps) != 3 || !strings.HasPrefix(rec.Stopped, "time bound") {
		t.Errorf("%d steps, stopped %q: want 3 steps within 35 s and the time bound", len(rec.Steps), rec.Stopped)
	}
}

func TestSearchStepError(t *testing.T) {
	boom := errors.New("broker gone")
	n := 0
	s := bench.Search{
		Start: 100, MaxSteps: 10, StepTime: time.Second, MaxTime: time.Hour,
		Step: func(ctx context.Context, rate float64) (*results.Result, error) {
			if n++; n == 3 {
				return nil, boom
			}
			return fakeStep(1e6, false)(ctx, rate)
		},
	}
	rec, res, err := s.Run(context.Background())
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the step's", err)
	}
	if rec == nil || len(rec.Steps) != 2 || rec.FoundOpsPerS != 200 || !strings.Contains(rec.Stopped, "step 3") || res == nil {
		t.Errorf("record %+v: want the two steps before the failure and 200 found", rec)
	}
}

func TestSearchValidate(t *testing.T) {
	step := fakeStep(1, false)
	ok := bench.Search{Start: 100, MaxSteps: 10, StepTime: time.Second, MaxTime: time.Minute, Step: step}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*bench.Search){
		"no start":       func(s *bench.Search) { s.Start = 0 },
		"start too high": func(s *bench.Search) { s.Start = bench.MaxRate + 1 },
		"growth 1":       func(s *bench.Search) { s.Growth = 1 },
		"precision 1":    func(s *bench.Search) { s.Precision = 1 },
		"negative p99":   func(s *bench.Search) { s.MaxP99 = -1 },
		"one step":       func(s *bench.Search) { s.MaxSteps = 1 },
		"too many steps": func(s *bench.Search) { s.MaxSteps = bench.MaxSearchSteps + 1 },
		"time for one":   func(s *bench.Search) { s.MaxTime = time.Second },
		"no step":        func(s *bench.Search) { s.Step = nil },
	}
	for name, f := range bad {
		s := ok
		f(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
}
