package bench

import (
	"context"
	"errors"
	"time"
)

// errOpTimeout is the cause of a context cancelled by the watchdog.
var errOpTimeout = errors.New("operation timed out")

// watchdog bounds each of a worker's operations without a new context and
// timer per operation. context.WithTimeout costs about a microsecond and
// four allocations, which capped the engine near 0.8M ops/s; re-arming one
// timer costs a small fraction of that. When the timer fires it cancels the
// worker's context, and the next operation gets a fresh one.
type watchdog struct {
	parent  context.Context
	timeout time.Duration
	ctx     context.Context
	timer   *time.Timer
	// beforeCancel, when set, runs in the timer's callback before it
	// cancels: tests hold it there to reproduce an operation returning
	// just as its timer fires.
	beforeCancel func()
}

// arm starts the clock of one operation and returns its context.
func (w *watchdog) arm() context.Context {
	if w.timeout <= 0 {
		return w.parent
	}
	if w.ctx == nil || w.ctx.Err() != nil {
		ctx, cancel := context.WithCancelCause(w.parent)
		w.ctx = ctx
		hook := w.beforeCancel
		w.timer = time.AfterFunc(w.timeout, func() {
			if hook != nil {
				hook()
			}
			cancel(errOpTimeout)
		})
		return ctx
	}
	w.timer.Reset(w.timeout)
	return w.ctx
}

// disarm stops the clock after the operation returned. When Stop fails the
// timer has fired: its callback may not have cancelled yet, so the context
// still looks alive but is about to die. It is dropped here, and the next
// operation gets a fresh one rather than inherit a timeout it never had.
func (w *watchdog) disarm() {
	if w.timer != nil && !w.timer.Stop() {
		w.ctx, w.timer = nil, nil
	}
}

// timedOut says whether the operation's context was cancelled by the watchdog.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errOpTimeout)
}
