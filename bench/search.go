package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/commsbench/commsbench/results"
)

// Search finds the highest open-loop rate a target sustains, as the
// OpenMessaging Benchmark does for brokers: it measures one rate after
// another, doubling while every step keeps up, then halving the bracket
// between the highest rate sustained and the lowest not, until the two
// are within Precision of each other, or the steps or time run out.
//
// A step is sustained when
//   - at least 99% of its due operations were sent and succeeded,
//   - its backlog (for transports whose far side holds what was sent
//     until it is received: a queue's depth, a group's lag) did not grow
//     over the measured period by more than 5% of a second's worth of the
//     rate (1% per second for steps longer than 5 s),
//   - and the p99 of its main latency is within MaxP99, when given.
//
// Search knows no transport: Step runs one measurement.
type Search struct {
	// Start is the first rate asked.
	Start float64
	// Growth multiplies the rate while steps are sustained (default 2).
	Growth float64
	// Precision ends the search once the highest rate sustained and the
	// lowest not differ by at most this fraction (default 0.05).
	Precision float64
	// MaxP99 bounds the p99 of a sustained step (0: no bound).
	MaxP99 time.Duration
	// MaxSteps and MaxTime bound the search; StepTime is what one step
	// takes (warm-up and measured period), to stop before a step that
	// would end after MaxTime.
	MaxSteps int
	MaxTime  time.Duration
	StepTime time.Duration
	// Step measures one rate. A non-nil error ends the search.
	Step func(ctx context.Context, rate float64) (*results.Result, error)
	// Progress, if set, is called after each step with its record and
	// number (from 1).
	Progress func(n int, s results.SearchStep)
	// Now is the clock of the time bound (default time.Now).
	Now func() time.Time
}

// Bounds of a search's settings.
const (
	MaxSearchSteps = 100
	minSearchRate  = 1.0
)

// Validate reports settings that cannot make a search.
func (s Search) Validate() error {
	switch {
	case !(s.Start > 0) || s.Start > MaxRate:
		return fmt.Errorf("the first rate must be 1 to %d operations per second (got %v)", MaxRate, s.Start)
	case s.Growth != 0 && !(s.Growth > 1):
		return fmt.Errorf("the growth factor must be above 1 (got %v)", s.Growth)
	case s.Precision != 0 && !(s.Precision > 0 && s.Precision < 1):
		return fmt.Errorf("the precision must be between 0 and 1 (got %v)", s.Precision)
	case s.MaxP99 < 0:
		return fmt.Errorf("the p99 bound must not be negative (got %v)", s.MaxP99)
	case s.MaxSteps < 2 || s.MaxSteps > MaxSearchSteps:
		return fmt.Errorf("a search takes 2 to %d steps (got %d)", MaxSearchSteps, s.MaxSteps)
	case s.StepTime <= 0:
		return errors.New("a step must take some time")
	case s.MaxTime < 2*s.StepTime:
		return fmt.Errorf("a search needs time for at least two steps of %v (got %v)", s.StepTime, s.MaxTime)
	case s.Step == nil:
		return errors.New("no step to run")
	}
	return nil
}

// Run searches. It returns the record and the result of the step at the
// rate found (or of the first step, when none was sustained). err is a
// step's error; the record and result so far come back with it.
func (s Search) Run(ctx context.Context) (*results.Search, *results.Result, error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	if s.Growth == 0 {
		s.Growth = 2
	}
	if s.Precision == 0 {
		s.Precision = 0.05
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	rec := &results.Search{MaxP99NS: int64(s.MaxP99), Steps: []results.SearchStep{}}
	var best, first *results.Result
	began := s.Now()
	lo, hi := 0.0, 0.0 // highest rate sustained, lowest not (0: none yet)
	rate := roundRate(s.Start)
	for n := 1; ; n++ {
		if n > s.MaxSteps {
			rec.Stopped = fmt.Sprintf("step bound: %d steps", s.MaxSteps)
			break
		}
		if s.Now().Sub(began)+s.StepTime > s.MaxTime {
			rec.Stopped = fmt.Sprintf("time bound: another step would end after %v", s.MaxTime)
			break
		}
		res, err := s.Step(ctx, rate)
		if res != nil && first == nil {
			first = res
		}
		if err != nil || res == nil {
			rec.Stopped = fmt.Sprintf("step %d at %s ops/s failed", n, results.FormatRate(rate))
			if err == nil {
				err = errors.New("the step measured nothing")
			}
			return s.finish(rec, lo, best, first), pick(best, first), err
		}
		st := JudgeStep(res, rate, s.MaxP99)
		rec.Steps = append(rec.Steps, st)
		if s.Progress != nil {
			s.Progress(n, st)
		}
		if res.Partial || ctx.Err() != nil {
			rec.Stopped = "interrupted"
			break
		}
		if st.Sustained {
			lo, best = rate, res
		} else {
			hi = rate
		}
		next := 0.0
		switch {
		case hi == 0 && rate >= MaxRate:
			rec.Stopped = fmt.Sprintf("sustained the highest rate a run may ask (%d ops/s)", MaxRate)
		case hi == 0:
			next = roundRate(min(rate*s.Growth, MaxRate))
		case lo == 0 && rate <= minSearchRate:
			rec.Stopped = fmt.Sprintf("not even %g ops/s was sustained", minSearchRate)
		case lo == 0:
			next = roundRate(max(rate/s.Growth, minSearchRate))
		case hi <= lo*(1+s.Precision):
			rec.Stopped = fmt.Sprintf("bracketed: %s ops/s sustained, %s ops/s not", results.FormatRate(lo), results.FormatRate(hi))
		default:
			next = roundRate((lo + hi) / 2)
			if next <= lo || next >= hi {
				rec.Stopped = fmt.Sprintf("bracketed: %s ops/s sustained, %s ops/s not", results.FormatRate(lo), results.FormatRate(hi))
				next = 0
			}
		}
		if next == 0 {
			break
		}
		rate = next
	}
	return s.finish(rec, lo, best, first), pick(best, first), nil
}

// finish completes the record with the rate found and its latency.
func (s Search) finish(rec *results.Search, found float64, best, first *results.Result) *results.Search {
	rec.FoundOpsPerS = found
	if r := pick(best, first); r != nil {
		rec.Latency = r.MainLatency()
	}
	if best != nil {
		if l := best.Latency[rec.Latency]; l != nil && l.Count > 0 {
			rec.P99NS = l.P99
		}
	}
	return rec
}

func pick(best, first *results.Result) *results.Result {
	if best != nil {
		return best
	}
	return first
}

// roundRate keeps a rate to three significant figures (whole operations
// per second from 100 up), so that the rates asked read as a person would
// write them.
func roundRate(r float64) float64 {
	if r <= 0 {
		return r
	}
	mag := math.Pow(10, math.Floor(math.Log10(r))-2)
	return math.Round(r/mag) * mag
}

// JudgeStep says whether the measurement res, asked rate ops/s, was
// sustained (see Search), with its record.
func JudgeStep(res *results.Result, rate float64, maxP99 time.Duration) results.SearchStep {
	st := results.SearchStep{AskedOpsPerS: rate, Errors: res.Counts.Errors, Unsent: res.Counts.Unsent}
	if d := res.Load.DurationS; d > 0 {
		st.AchievedOpsPerS = float64(res.Counts.OK) / d
	}
	name := res.MainLatency()
	if l := res.Latency[name]; l != nil && l.Count > 0 {
		st.P99NS = l.P99
	}
	var why []string
	if asked := res.Asked(); res.Partial {
		why = append(why, "interrupted")
	} else if float64(res.Counts.OK) < 0.99*float64(asked) || asked == 0 {
		why = append(why, fmt.Sprintf("achieved %s ops/s, below 99%% of the asked %s (%d of %d due operations succeeded)",
			results.FormatRate(st.AchievedOpsPerS), results.FormatRate(rate), res.Counts.OK, asked))
	}
	if first, last, span, ok := backlogSpan(res); ok {
		st.BacklogFirst, st.BacklogLast = &first, &last
		allowed := rate * max(0.05, 0.01*span)
		if float64(last-first) > allowed {
			why = append(why, fmt.Sprintf("the backlog grew from %d to %d messages", first, last))
		}
	}
	if maxP99 > 0 && st.P99NS > int64(maxP99) {
		why = append(why, fmt.Sprintf("%s p99 %s above the bound %s", strings.ReplaceAll(name, "_", " "),
			results.FormatNS(float64(st.P99NS)), results.FormatNS(float64(maxP99))))
	}
	st.Sustained = len(why) == 0
	st.Why = strings.Join(why, "; ")
	return st
}

// backlogSpan is the backlog in the first and last seconds of the measured
// period that sampled it, and the seconds between them.
func backlogSpan(res *results.Result) (first, last int64, span float64, ok bool) {
	var t0, t1 float64
	for _, p := range res.Timeline {
		if p.Backlog == nil || (res.Load.DurationS > 0 && p.TS >= res.Load.DurationS) {
			continue
		}
		if !ok {
			first, t0, ok = *p.Backlog, p.TS, true
		}
		last, t1 = *p.Backlog, p.TS
	}
	return first, last, t1 - t0, ok
}
