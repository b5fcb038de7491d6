package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// Faults. The engine applies a run's faults at their offsets from the
// start of the measured period and records, beside every operation, the
// phase of the faults' window it completed in; it knows nothing of what a
// fault does. The workload does that: it is an Injector.

// Injector is a workload that can apply faults to its far side.
type Injector interface {
	// Inject applies f now and returns what ends it. Both must return
	// within a second or so: the schedule waits for them.
	Inject(ctx context.Context, f fault.Fault) (undo func() error, err error)
}

// PhaseTimer is a workload that times its own messages (end-to-end): the
// engine hands it the faults' clock before measuring starts, so that it
// can keep one histogram per phase, by when each message was sent, and
// add them to Result.Resilience in Finish.
type PhaseTimer interface {
	FaultClock(c fault.Clock)
}

// Backlogger is a workload whose far side holds what was sent until it is
// received (a queue's depth, a consumer group's lag): the engine samples
// it (backlog.go) for the result's timeline and, while faults run, for the
// backlog's peak and the recovery time.
type Backlogger interface {
	// Backlog returns the messages sent and not yet received, and whether
	// that is known now.
	Backlog() (int64, bool)
}

// backlogEvery is how often the backlog is sampled.
const backlogEvery = 100 * time.Millisecond

// faultRun is the state of a run's faults.
type faultRun struct {
	faults []fault.Fault
	win    fault.Window
	inj    Injector
	bl     Backlogger // nil when the workload has no backlog to sample
	op     string     // the caller's latency name

	mu      sync.Mutex
	records []results.Fault
	// backlog per phase (-1: none sampled), as the run's backlog sampler
	// observes it, and when it was first empty after the window.
	peak      [fault.Phases]int64
	emptyAt   time.Duration
	emptySeen bool
	afterPeak int64 // the largest backlog sampled after the window

	// begun: the schedule started (the run got as far as measuring).
	begun bool
	// The window as it happened, in ns from the start of the measured
	// period: from the moment the first fault began to be applied until the
	// last one had ended (unset: -1). The collector puts each operation in
	// its phase by these, so that an operation refused a millisecond after
	// the planned end, because ending the fault took that long, counts in
	// the window where it belongs.
	startedAt, endedAt atomic.Int64
	ended              atomic.Int64 // faults ended
	wg                 sync.WaitGroup
	stop               context.CancelFunc
}

func newFaultRun(w Workload, fs []fault.Fault) (*faultRun, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	inj, ok := w.(Injector)
	if !ok {
		return nil, fmt.Errorf("this workload cannot inject faults (asked for %s)", fs[0])
	}
	win, _ := fault.Span(fs)
	fr := &faultRun{faults: fs, win: win, inj: inj, emptyAt: -1}
	fr.startedAt.Store(-1)
	fr.endedAt.Store(-1)
	fr.bl, _ = w.(Backlogger)
	for i := range fr.peak {
		fr.peak[i] = -1
	}
	for _, f := range fs {
		fr.records = append(fr.records, results.Fault{
			Spec: f.String(), Kind: string(f.Kind),
			StartS: f.Start.Seconds(), DurationS: f.Duration.Seconds(),
			Params: f.Params(),
		})
	}
	return fr, nil
}

// begin starts the schedule: measuring starts at origin.
func (fr *faultRun) begin(ctx context.Context, w Workload, origin time.Time) {
	if pt, ok := w.(PhaseTimer); ok {
		pt.FaultClock(fault.Clock{Origin: origin, Window: fr.win})
	}
	fr.begun = true
	ctx, fr.stop = context.WithCancel(ctx)
	for i, f := range fr.faults {
		fr.wg.Add(1)
		go fr.apply(ctx, i, f, origin)
	}
}

// apply injects the i-th fault at its start and ends it at its end, or
// when the run stops first.
func (fr *faultRun) apply(ctx context.Context, i int, f fault.Fault, origin time.Time) {
	defer fr.wg.Done()
	if !sleepUntil(ctx, origin.Add(f.Start)) {
		return
	}
	at := time.Since(origin)
	fr.startedAt.CompareAndSwap(-1, int64(at))
	undo, err := fr.inj.Inject(context.WithoutCancel(ctx), f)
	fr.mu.Lock()
	fr.records[i].InjectedS = at.Seconds()
	if err != nil {
		fr.records[i].Error = "inject: " + err.Error()
	}
	fr.mu.Unlock()
	if err != nil {
		fr.endOne(origin)
		return
	}
	sleepUntil(ctx, origin.Add(f.End()))
	err = undo()
	fr.endOne(origin)
	fr.mu.Lock()
	fr.records[i].RestoredS = time.Since(origin).Seconds()
	if err != nil {
		fr.records[i].Error = "end: " + err.Error()
	}
	fr.mu.Unlock()
}

// endOne records that a fault ended; the last one ends the window.
func (fr *faultRun) endOne(origin time.Time) {
	if fr.ended.Add(1) == int64(len(fr.faults)) {
		fr.endedAt.Store(int64(time.Since(origin)))
	}
}

// phase says in which phase an operation sent at sent and completed at
// done (ns from the start of the measured period) falls, by the window as
// it happened: during when it overlapped the window at all, so that a call
// cut when the fault began, or refused a moment before the fault had
// ended, counts in the window where it belongs.
func (fr *faultRun) phase(sent, done int64) fault.Phase {
	if s := fr.startedAt.Load(); s < 0 || done < s {
		return fault.Before
	}
	if e := fr.endedAt.Load(); e < 0 || sent < e {
		return fault.During
	}
	return fault.After
}

// actual is the window as it happened, or as planned where it did not.
func (fr *faultRun) actual() fault.Window {
	w := fr.win
	if s := fr.startedAt.Load(); s >= 0 {
		w.Start = time.Duration(s)
	}
	if e := fr.endedAt.Load(); e >= 0 {
		w.End = time.Duration(e)
	}
	return w
}

// end stops the schedule once the load stopped: faults still applied end
// now, so that the workload's Finish sees its far side back.
func (fr *faultRun) end() {
	if fr == nil || !fr.begun {
		return
	}
	fr.stop()
	fr.wg.Wait()
}

// observe records one backlog sample, taken at offset from the start of
// the measured period.
func (fr *faultRun) observe(offset time.Duration, n int64) {
	if offset < 0 {
		return
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	ph := fr.phase(int64(offset), int64(offset))
	fr.peak[ph] = max(fr.peak[ph], n)
	// Empty is the first empty sample after the largest backlog after the
	// window: when the broker itself was away, what was sent during the
	// window reaches it only after, and an empty moment before that is no
	// recovery.
	if ph == fault.After {
		if n > fr.afterPeak {
			fr.afterPeak, fr.emptySeen = n, false
		}
		if n == 0 && !fr.emptySeen {
			fr.emptyAt, fr.emptySeen = offset, true
		}
	}
}

// phaseCount is one phase's operations, kept by the collector.
type phaseCount struct {
	ok, errs int64
	classes  map[string]int64
	retries  results.RetryCounts
}

// resilience builds the result's resilience section from the collector's
// phases; Finish adds what the workload measured, and finishResilience
// what needs both.
func (fr *faultRun) resilience(c *collector, measured time.Duration, op string) *results.Resilience {
	fr.op = op
	win := fr.actual()
	res := &results.Resilience{WindowStartS: win.Start.Seconds(), WindowEndS: win.End.Seconds()}
	phases := [fault.Phases]*results.Phase{&res.Before, &res.During, &res.After}
	bounds := [fault.Phases + 1]time.Duration{0, win.Start, win.End, max(measured, win.End)}
	for i, p := range phases {
		s := &c.phases[i]
		p.DurationS = (bounds[i+1] - bounds[i]).Seconds()
		p.OK, p.Errors = s.ok, s.errs
		if len(s.classes) > 0 {
			p.ErrorClasses = s.classes
		}
		p.Latency = map[string]*results.Latency{op: results.MustLatency(c.phaseResponse[i])}
		if c.r.retrier != nil {
			rc := s.retries
			p.Retries = &rc
		}
	}
	return res
}

// finish adds what needs the workload's figures and the backlog samples
// (the timeline already holds them): the backlog per phase, the recovery
// time, lost and duplicated messages.
func (fr *faultRun) finish(r *results.Result) {
	res := r.Resilience
	fr.mu.Lock()
	r.Faults = fr.records
	phases := [fault.Phases]*results.Phase{&res.Before, &res.During, &res.After}
	for i, p := range phases {
		if fr.peak[i] >= 0 {
			v := fr.peak[i]
			p.BacklogPeak = &v
		}
	}
	emptyAt, emptySeen, sampled := fr.emptyAt, fr.emptySeen, fr.bl != nil
	fr.mu.Unlock()

	// The delivery accounting already sums the groups' figures where there
	// are groups; the groups count only where it is missing.
	if d := r.Counts.Delivery; d != nil {
		res.Lost += d.Lost
		res.Duplicates += d.Duplicates
	} else {
		for _, s := range r.Subscribers {
			res.Lost += s.Lost
			res.Duplicates += s.Duplicates
		}
	}

	var empty *float64
	if emptySeen {
		v := emptyAt.Seconds()
		empty = &v
	}
	res.SetRecovery(r.Timeline, empty, sampled)
	var errs []error
	for _, f := range r.Faults {
		if f.Error != "" {
			errs = append(errs, fmt.Errorf("fault %s: %s", f.Spec, f.Error))
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.Notes = append(r.Notes, err.Error())
	}
}
