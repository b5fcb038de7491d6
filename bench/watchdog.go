package bench

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errOpTimeout is the cause of a context cancelled by the watchdog.
var errOpTimeout = errors.New("operation timed out")

// watchdog bounds each of a worker's operations without a new context and
// timer per operation, and without touching its timer per operation either.
// context.WithTimeout costs about a microsecond and four allocations;
// re-arming and stopping one timer per operation still halved a no-op
// engine's rate and read the clock once more per operation. Instead the
// worker notes when its operation started, and one timer, set at most once
// per timeout, checks: when it fires while an operation has run for the
// timeout it cancels the worker's context (the next operation gets a fresh
// one), otherwise it sleeps until the current operation's deadline, or
// stops when none is in flight.
type watchdog struct {
	parent  context.Context
	timeout time.Duration
	// base is the origin of the operations' start times.
	base time.Time
	// beforeCancel, when set, runs in the timer's callback before it
	// cancels: tests hold it there to reproduce an operation returning
	// just as its timer fires.
	beforeCancel func()

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	set    bool          // the timer will fire
	busy   bool          // an operation is in flight
	since  time.Duration // when it started, from base
}

// arm starts the clock of one operation, started at sent (from base), and
// returns its context.
func (w *watchdog) arm(sent time.Duration) context.Context {
	if w.timeout <= 0 {
		return w.parent
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil {
		w.ctx, w.cancel = context.WithCancelCause(w.parent)
	}
	w.busy, w.since = true, sent
	if !w.set {
		w.set = true
		left := w.timeout - (time.Since(w.base) - sent)
		if w.timer == nil {
			w.timer = time.AfterFunc(left, w.fire)
		} else {
			w.timer.Reset(left)
		}
	}
	return w.ctx
}

// disarm says the operation returned.
func (w *watchdog) disarm() {
	if w.timeout <= 0 {
		return
	}
	w.mu.Lock()
	w.busy = false
	w.mu.Unlock()
}

// fire is the timer's callback.
func (w *watchdog) fire() {
	w.mu.Lock()
	if !w.busy || w.ctx == nil {
		w.set = false
		w.mu.Unlock()
		return
	}
	if left := w.timeout - (time.Since(w.base) - w.since); left > 0 {
		w.timer.Reset(left)
		w.mu.Unlock()
		return
	}
	// The operation in flight timed out. Its context is dropped here, so
	// that the next operation gets a fresh one rather than inherit a
	// cancellation it never earned, even if it starts before the cancel.
	cancel, hook := w.cancel, w.beforeCancel
	w.ctx, w.cancel, w.set = nil, nil, false
	w.mu.Unlock()
	if hook != nil {
		hook()
	}
	cancel(errOpTimeout)
}

// stop stops the timer once the worker is done.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.set = false
}

// timedOut says whether the operation's context was cancelled by the watchdog.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errOpTimeout)
}
