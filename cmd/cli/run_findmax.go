package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// run --find-max: a search for the highest open-loop rate the target
// sustains (bench.Search), each step one measurement of this run's load at
// one rate. The result written is the step at the rate found, with every
// step recorded in its search section.

// Defaults of a search.
const (
	defaultSearchSteps    = 12
	defaultSearchTime     = 3 * time.Minute
	defaultSearchDuration = 5 * time.Second
)

// searchFlags are the flags of a search.
type searchFlags struct {
	On       bool
	MaxP99   time.Duration
	MaxSteps int
	MaxTime  time.Duration
}

func (s *searchFlags) addFlags(fl *pflag.FlagSet) {
	fl.BoolVar(&s.On, "find-max", false, "search for the highest open-loop rate the target sustains: from --rate, doubling, then narrowing, each step one measurement of --duration (default 5s here) after --warmup")
	fl.DurationVar(&s.MaxP99, "max-p99", 0, "with --find-max: a rate is sustained only with a p99 (of the main latency) within this bound, such as 10ms")
	fl.IntVar(&s.MaxSteps, "find-max-steps", defaultSearchSteps, "with --find-max: at most this many steps")
	fl.DurationVar(&s.MaxTime, "find-max-time", defaultSearchTime, "with --find-max: stop before a step that would end after this long")
}

// searchRequest is a checked search.
type searchRequest struct {
	On       bool
	MaxP99   time.Duration
	MaxSteps int
	MaxTime  time.Duration
}

// check validates the search flags against the rest of the run. Errors
// are usage errors.
func (s *searchFlags) check(changed func(string) bool, o *RunOptions) (searchRequest, error) {
	if !s.On {
		for _, name := range []string{"max-p99", "find-max-steps", "find-max-time"} {
			if changed(name) {
				return searchRequest{}, flagErrorf("--%s: only with --find-max", name)
			}
		}
		return searchRequest{}, nil
	}
	switch {
	case o.Rate <= 0:
		return searchRequest{}, flagErrorf("--find-max searches open-loop rates: give --rate, its first rate (such as 1000), not 0")
	case changed("requests"):
		return searchRequest{}, flagErrorf("--find-max and --requests: each step is measured for --duration; leave out --requests")
	case o.Count > 1:
		return searchRequest{}, flagErrorf("--find-max and --count: one search at a time")
	case len(o.Faults.faults) > 0:
		return searchRequest{}, flagErrorf("--find-max and --fault: a search measures a healthy target; run faults at the rate found")
	case o.Dist.Shard != "" || o.Dist.Shards > 0 || o.Dist.StartAt != "":
		return searchRequest{}, flagErrorf("--find-max searches from one process: leave out --shard, --shards and --start-at")
	}
	if !changed("duration") {
		o.Duration = defaultSearchDuration
	}
	r := searchRequest{On: true, MaxP99: s.MaxP99, MaxSteps: s.MaxSteps, MaxTime: s.MaxTime}
	if err := r.search(o.Rate, o.Warmup+o.Duration).Validate(); err != nil {
		return searchRequest{}, flagErrorf("--find-max: %v (--max-p99 %v, --find-max-steps %d, --find-max-time %v)", err, s.MaxP99, s.MaxSteps, s.MaxTime)
	}
	return r, nil
}

// search is the engine's search of r, without its step.
func (r searchRequest) search(start float64, step time.Duration) bench.Search {
	return bench.Search{
		Start: start, MaxP99: r.MaxP99, MaxSteps: r.MaxSteps, MaxTime: r.MaxTime, StepTime: step,
		Step: func(context.Context, float64) (*results.Result, error) { return nil, nil },
	}
}

// executeSearch runs a search. progress, when set (a suite), receives each
// step's engine progress and no line is printed.
func executeSearch(ctx context.Context, f *Factory, req *runRequest, progress func(bench.Progress)) (*results.Result, error) {
	out := req.Output
	say := func(format string, a ...any) {
		if !out.Quiet && progress == nil {
			fmt.Fprintf(f.IO.ErrOut, format+"\n", a...)
		}
	}
	step := req.Engine.Warmup + req.Engine.Duration
	s := req.Search.search(req.Engine.Rate, step)
	say("searching for the highest rate %s sustains: from %s ops/s, steps of %v, at most %d steps or %v",
		req.Transport.Name, results.FormatRate(req.Engine.Rate), step, s.MaxSteps, s.MaxTime)
	var hardErr error
	s.Step = func(ctx context.Context, rate float64) (*results.Result, error) {
		one := *req
		one.Search = searchRequest{}
		one.Engine.Rate, one.Run.Rate, one.Run.OpenLoop = rate, rate, true
		one.Output = runOutput{Quiet: true, Count: 1}
		cb := progress
		var line *progressLine
		if cb == nil {
			line = newProgressLine(f, out.Quiet, fmt.Sprintf("%s %s ops/s", req.Transport.Name, results.FormatRate(rate)))
			cb = line.callback()
			if cb == nil {
				cb = func(bench.Progress) {}
			}
		}
		res, err := executeOne(ctx, f, &one, cb)
		line.done()
		switch {
		case res == nil:
			return nil, err
		case err != nil && res.Measured() && res.Counts.OK > 0 && !res.Partial:
			// A failure after the load (the broker went away): the search
			// cannot go on.
			hardErr = err
			return res, err
		}
		return res, nil
	}
	s.Progress = func(n int, st results.SearchStep) { say("  step %d: %s", n, st.StepLine()) }
	rec, res, err := s.Run(ctx)
	if res == nil {
		if err == nil {
			err = errors.New("the search measured nothing")
		}
		var ee *ExitError
		if errors.As(err, &ee) {
			return nil, err
		}
		return nil, &ExitError{Code: ExitFailure, Err: err}
	}
	res.Search = rec
	if werr := writeRunOutputs(f, out, res); werr != nil {
		return res, &ExitError{Code: ExitFailure, Err: werr}
	}
	switch {
	case ctx.Err() != nil || rec.Stopped == "interrupted":
		return res, &ExitError{Code: ExitInterrupted, Err: errors.New("the search was interrupted; the result holds the steps measured")}
	case hardErr != nil:
		return res, hardErr
	case err != nil:
		return res, &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s: %w", rec.Stopped, err)}
	case rec.FoundOpsPerS <= 0 && len(rec.Steps) > 0:
		return res, &ExitError{Code: ExitFailure, Err: fmt.Errorf("no rate was sustained, down to %s ops/s: check the target, or start lower with --rate", results.FormatRate(rec.Steps[len(rec.Steps)-1].AskedOpsPerS))}
	}
	return res, nil
}
