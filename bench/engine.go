// Package bench is commsbench's load engine. It paces operations (open
// loop at a constant arrival rate, or closed loop with a fixed number of
// workers), times them honestly and records them into HdrHistograms.
//
// It knows no transport: a transport hands it a Workload, whose clients do
// one operation at a time. It knows no flags, signals or exit codes either:
// the caller builds Options and cancels the context.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// Op is one operation handed to a client.
type Op struct {
	// Seq numbers operations from 0 across warm-up and measurement.
	Seq int64
	// Intended is when the operation was due: its place in the open-loop
	// schedule, or the moment a closed-loop worker started it. Clients that
	// carry a send time in their messages (for end-to-end latency) carry this
	// one, so that coordinated omission is corrected there too.
	Intended time.Time
	// Warmup operations are excluded from every figure.
	Warmup bool
	// Worker is the index of the worker doing the operation.
	Worker int
}

// Client does operations. Each worker has its own client and calls Do from
// one goroutine at a time; different workers' clients may share state.
type Client interface {
	// Do performs one operation and returns when it completed. ctx carries
	// the per-operation timeout.
	Do(ctx context.Context, op Op) error
}

// Workload is a transport's side of a run: what stands on the far side and
// how to make clients that talk to it.
type Workload interface {
	// Start prepares the far side (starts an embedded target, connects to an
	// external one, declares topology) and describes it for the result.
	// It must fail fast, with an error a user can act on, when the far side
	// cannot be reached.
	Start(ctx context.Context) (results.Target, error)
	// NewClient returns the client of one worker.
	NewClient(ctx context.Context, worker int) (Client, error)
	// Finish is called once after the load stopped, with the result so far:
	// brokered transports drain and add their accounting and latencies.
	// ctx is already cancelled when the run was interrupted.
	Finish(ctx context.Context, r *results.Result) error
	// Close releases what Start and NewClient made. It is always called.
	Close() error
}

// OperationNamer is a workload whose operation is not a request answered
// by a response, such as a publish that a broker confirms: the engine
// records its latency under that name (results.Publish) instead of
// results.Response, and says so in its notes.
type OperationNamer interface {
	OperationLatency() string
}

// operationLatency is the name w's operation latency is recorded under.
func operationLatency(w Workload) string {
	if n, ok := w.(OperationNamer); ok && n.OperationLatency() != "" {
		return n.OperationLatency()
	}
	return results.Response
}

// Progress is a snapshot of a running measurement, for a progress display.
type Progress struct {
	// Elapsed is the time since measuring started; negative during warm-up.
	Elapsed time.Duration
	// Planned is the planned measured duration (0 when a request count bounds the run).
	Planned       time.Duration
	PlannedOps    int64
	Ops, Errors   int64
	OpsPerS       float64
	P99           time.Duration
	Warmup        bool
	InFlightBound bool
}

// Options are the load to drive. The zero value is not valid: set
// Concurrency and Duration or Requests.
type Options struct {
	// Rate is the offered load in operations per second; 0 means closed loop.
	Rate float64
	// Concurrency is the number of workers in closed loop, or the most
	// operations in flight in open loop.
	Concurrency int
	// Duration bounds the measured period; Requests bounds the number of
	// measured operations. At least one must be set; with both, whichever
	// comes first ends the run.
	Duration time.Duration
	Requests int64
	// Warmup runs the same load first; none of it is measured.
	Warmup time.Duration
	// Timeout bounds each operation (0: no bound beyond the client's own).
	Timeout time.Duration
	// Grace is how long in-flight operations may finish after the context
	// was cancelled before they are abandoned. Default 1s.
	Grace time.Duration
	// Faults are injected at their offsets from the start of the measured
	// period; the workload must be an Injector. The result gains what was
	// injected and the run's resilience: figures before, during and after
	// the faults' window.
	Faults []fault.Fault
	// Retries is the most times a failed operation is tried again, when
	// the workload (a Retrier) says its failure may be retried; 0 never.
	// RetryBackoff is the wait before the first retry, doubled before
	// each next one (see retry.go).
	Retries      int
	RetryBackoff time.Duration
	// PayloadBytes and Connections are recorded in the result; PayloadBytes
	// also gives bytes_per_s.
	PayloadBytes int
	Connections  int
	// Progress, if set, is called about once a second from the engine's
	// collector goroutine. It must return quickly.
	Progress func(Progress)
	// Shard is the part of the load this run drives; the zero value is
	// all of it. Rate and Requests are the whole load's: an open-loop
	// shard takes its operations of the whole schedule, a closed-loop
	// shard its share of the requests. Concurrency and Connections are
	// this shard's own (split them with Shard.Share).
	Shard Shard
	// StartAt, if set, is the wall-clock instant the warm-up starts: the
	// run waits for it once its clients are ready, and its schedule counts
	// from it, so that shards on several machines measure the same window.
	StartAt time.Time
	// SkipLimitCheck skips the check of the workload's file descriptors
	// against the process's limit (see CheckDescriptors). It exists for
	// tests that reproduce a run running out of descriptors.
	SkipLimitCheck bool
}

// Validate reports options that cannot make a run.
func (o Options) Validate() error {
	switch {
	case o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return fmt.Errorf("rate must be a positive number of operations per second, or 0 for closed loop (got %v)", o.Rate)
	case o.Rate > MaxRate:
		return fmt.Errorf("rate must be at most %d operations per second (got %v)", MaxRate, o.Rate)
	case o.Concurrency < 1:
		return fmt.Errorf("concurrency must be at least 1 (got %d)", o.Concurrency)
	case o.Concurrency > MaxConcurrency:
		return fmt.Errorf("concurrency must be at most %d (got %d)", MaxConcurrency, o.Concurrency)
	case o.PayloadBytes > MaxPayloadBytes:
		return fmt.Errorf("payload must be at most %d bytes (got %d)", MaxPayloadBytes, o.PayloadBytes)
	case o.Duration < 0:
		return fmt.Errorf("duration must be positive (got %v)", o.Duration)
	case o.Requests < 0:
		return fmt.Errorf("requests must be positive (got %d)", o.Requests)
	case o.Duration == 0 && o.Requests == 0:
		return errors.New("set a duration or a number of requests")
	case o.Warmup < 0:
		return fmt.Errorf("warm-up must not be negative (got %v)", o.Warmup)
	case o.Timeout < 0:
		return fmt.Errorf("timeout must not be negative (got %v)", o.Timeout)
	}
	if err := o.validateRetries(); err != nil {
		return err
	}
	return o.Shard.Validate()
}

// Run drives the load of o through w's clients and returns the result.
//
// When ctx is cancelled the load stops, in-flight operations get o.Grace to
// finish, and the result measured so far comes back marked Partial with a
// nil error. A non-nil error with a non-nil result means the load ran but
// finishing it failed; the result still holds what was measured.
func Run(ctx context.Context, w Workload, o Options) (res *results.Result, err error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Grace <= 0 {
		o.Grace = time.Second
	}
	faults, err := newFaultRun(w, o.Faults)
	if err != nil {
		return nil, err
	}
	retrier, _ := w.(Retrier)
	if o.Retries > 0 && retrier == nil {
		return nil, fmt.Errorf("this workload's operations cannot be retried (asked for %d retries)", o.Retries)
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	// Checked before Start, which opens the first connections.
	if n, ok := w.(DescriptorNeeder); ok && !o.SkipLimitCheck {
		if err := CheckDescriptors(n.Descriptors()); err != nil {
			return nil, err
		}
	}
	target, err := w.Start(ctx)
	if err != nil {
		return nil, err
	}
	r := newRun(ctx, w, o)
	r.faults = faults
	if o.Retries > 0 {
		r.retrier = retrier
	}
	r.peer = newPeerMeter(target.Address)
	res, err = r.drive()
	if res == nil {
		r.backlog.stop()
		return nil, err
	}
	res.Target = target
	if ferr := w.Finish(ctx, res); ferr != nil && err == nil {
		err = ferr
	}
	// The backlog is sampled until the workload's Finish drained it.
	r.backlog.stop()
	r.backlog.record(res)
	if faults != nil && res.Resilience != nil {
		faults.finish(res)
	}
	return res, err
}

// run is the state of one Run.
type run struct {
	ctx context.Context
	w   Workload
	o   Options

	start        time.Time // the schedule's origin: warm-up begins here
	measureStart time.Time
	end          time.Time // planned end of the measured period; zero if unbounded
	// The same as offsets from start, which is all the hot path reads:
	// time.Since(start) reads the monotonic clock alone, where time.Now
	// reads the wall clock too.
	measureOff, endOff time.Duration // endOff 0: unbounded

	// opsCtx outlives ctx by the grace period, so that in-flight operations
	// can finish after a cancellation.
	opsCtx    context.Context
	cancelOps context.CancelFunc

	batches  chan []sample
	pool     sync.Pool
	measured atomic.Int64 // measured operations started (closed loop, Requests)
	unsent   atomic.Int64 // open loop: measured operations due before the end, never sent
	seq      atomic.Int64
	cpuStart atomic.Pointer[cpuTimes] // set when measuring starts
	// backedOff is set when a closed-loop worker first waited after an
	// operation that did not reach the target.
	backedOff atomic.Bool
	peer      *peerMeter // the target's process, when another one here
	faults    *faultRun  // nil without faults
	retrier   Retrier    // nil without retries
	// backlog samples a brokered workload's backlog, with or without
	// faults (nil when it has none).
	backlog *backlogSampler
}

func newRun(ctx context.Context, w Workload, o Options) *run {
	r := &run{ctx: ctx, w: w, o: o, batches: make(chan []sample, 1024)}
	r.pool.New = func() any { s := make([]sample, 0, batchSize); return &s }
	r.opsCtx, r.cancelOps = context.WithCancel(context.WithoutCancel(ctx))
	return r
}

func (r *run) drive() (*results.Result, error) {
	startedAt := time.Now()
	var wg sync.WaitGroup
	col := newCollector(r)
	colDone := make(chan struct{})

	// On cancellation, in-flight operations get the grace period.
	stopGrace := context.AfterFunc(r.ctx, func() {
		time.AfterFunc(r.o.Grace, r.cancelOps)
	})
	defer stopGrace()
	defer r.cancelOps()

	var loadErr error
	if r.o.Rate > 0 {
		loadErr = r.openLoop(&wg, col, colDone)
	} else {
		loadErr = r.closedLoop(&wg, col, colDone)
	}
	wg.Wait()
	// Faults still applied end with the load, before the workload's Finish.
	r.faults.end()
	close(r.batches)
	<-colDone
	var cpu cpuTimes
	if p := r.cpuStart.Load(); p != nil {
		cpu = readCPU().sub(*p)
	}
	r.peer.stop()

	if loadErr != nil && col.ok+col.errs == 0 {
		return nil, loadErr
	}
	res := col.result(startedAt)
	res.Partial = r.ctx.Err() != nil
	if r.faults != nil && r.faults.begun {
		res.Resilience = r.faults.resilience(col, time.Duration(res.DurationS*float64(time.Second)), operationLatency(r.w))
	}
	if cpu.valid {
		res.Resources = &results.Resources{CPUUserS: cpu.user.Seconds(), CPUSystemS: cpu.system.Seconds()}
		if ops := res.Counts.Sent; ops > 0 {
			res.Resources.CPUPerOpUS = float64(cpu.user+cpu.system) / 1e3 / float64(ops)
		}
		r.peer.record(res.Resources, res.Counts.Sent)
	}
	return res, loadErr
}

// setSchedule fixes the run's clock: warm-up starts now, or at
// Options.StartAt after waiting for it. It returns false when the run was
// cancelled while waiting.
func (r *run) setSchedule() bool {
	r.start = time.Now()
	if !r.o.StartAt.IsZero() {
		if !sleepUntil(r.ctx, r.o.StartAt) {
			return false
		}
		// The origin is the agreed instant, not when this process woke:
		// every shard's schedule counts from the same one. It keeps a
		// monotonic reading, for offsets from it to need no wall clock.
		now := time.Now()
		r.start = now.Add(-now.Sub(r.o.StartAt))
	}
	r.measureOff = r.o.Warmup
	r.measureStart = r.start.Add(r.o.Warmup)
	if r.o.Duration > 0 {
		r.endOff = r.o.Warmup + r.o.Duration
		r.end = r.start.Add(r.endOff)
	}
	// CPU is counted over the measured period only.
	mark := func() { c := readCPU(); r.cpuStart.Store(&c); r.peer.start() }
	if r.o.Warmup <= 0 {
		mark()
	} else {
		time.AfterFunc(time.Until(r.measureStart), mark)
	}
	if r.faults != nil {
		r.faults.begin(r.ctx, r.w, r.measureStart)
	}
	r.backlog = startBacklog(r.ctx, r.w, r.measureStart, r.faults)
	return true
}

// sleepUntil waits until t or ctx's end, and says whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *run) closedLoop(wg *sync.WaitGroup, col *collector, colDone chan struct{}) error {
	clients := make([]Client, r.o.Concurrency)
	for i := range clients {
		c, err := r.w.NewClient(r.ctx, i)
		if err != nil {
			for _, c := range clients[:i] {
				closeClient(c)
			}
			go col.run(colDone)
			return fmt.Errorf("worker %d: %w", i, err)
		}
		clients[i] = c
	}
	if !r.setSchedule() {
		for _, c := range clients {
			closeClient(c)
		}
		go col.run(colDone)
		return nil
	}
	go col.run(colDone)
	for i, c := range clients {
		wg.Add(1)
		go r.closedWorker(i, c, wg)
	}
	return nil
}

// now is the time since the schedule's origin.
func (r *run) now() time.Duration { return time.Since(r.start) }

func (r *run) closedWorker(id int, c Client, wg *sync.WaitGroup) {
	defer wg.Done()
	defer closeClient(c)
	rec := r.newRecorder()
	defer rec.close()
	var bo backoff
	defer bo.stop()
	// Each operation starts when the previous one ended: that reading of
	// the clock is its start, so an operation costs one reading, not three.
	now := time.Duration(-1)
	for r.ctx.Err() == nil {
		if now < 0 {
			now = r.now()
		}
		warm := now < r.measureOff
		if !warm {
			if r.endOff > 0 && now >= r.endOff {
				return
			}
			if r.o.Requests > 0 && r.measured.Add(1) > r.o.Shard.Share(r.o.Requests) {
				return
			}
		}
		op := Op{Seq: r.o.Shard.Seq(r.seq.Add(1) - 1), Intended: r.start.Add(now), Warmup: warm, Worker: id}
		class, done := r.do(c, op, now, now, true, rec)
		now = done
		switch {
		case class == "":
			bo.reset()
		case Unreached(class):
			// The target was not reached: trying again at once would
			// only measure how fast this machine fails.
			r.backedOff.Store(true)
			bo.wait(r.ctx, r.end)
			now = -1
		}
	}
}

// do performs one operation, due at due and sent at sent (offsets from
// the schedule's origin), with its retries (retry.go), records it, and returns its error class ("" when
// it succeeded) and when it ended. sent is the caller's reading of the
// clock, so that an operation that follows another at once reuses the
// previous one's end.
func (r *run) do(c Client, op Op, due, sent time.Duration, closed bool, rec *recorder) (string, time.Duration) {
	ctx := rec.watch.arm(sent)
	err := c.Do(ctx, op)
	// A retried operation keeps its intended time and its first send:
	// its latency holds every attempt and every wait between them, and
	// the worker retrying it is busy, as with any slow operation.
	attempts := 1
	for err != nil && r.retrier != nil && r.retry(ctx, Classify(err), attempts, &rec.retryTimer) {
		attempts++
		err = c.Do(ctx, op)
	}
	done := r.now()
	rec.watch.disarm()
	var class string
	if err != nil {
		class = Classify(err)
		switch {
		case r.opsCtx.Err() != nil:
			class = ClassInterrupted
		case timedOut(ctx):
			class = ClassTimeout
		}
	}
	if op.Warmup {
		return class, done
	}
	s := sample{
		done:     int64(done - r.measureOff),
		response: int64(done - due),
		service:  int64(done - sent),
		delay:    -1,
		class:    class,
		attempts: int32(attempts),
	}
	if class != "" {
		s.err = err
	}
	if !closed {
		s.delay = int64(sent - due)
	}
	rec.add(s)
	return class, done
}

func closeClient(c Client) {
	if cl, ok := c.(interface{ Close() error }); ok {
		_ = cl.Close()
	}
}
