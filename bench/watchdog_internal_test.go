package bench

import (
	"context"
	"testing"
	"time"
)

// TestWatchdogDoesNotHandOnAContextAboutToBeCancelled reproduces an
// operation that returns just as its timer fires: the timer's callback has
// started but not yet cancelled, so the context still looks alive. The
// next operation must not get that context.
func TestWatchdogDoesNotHandOnAContextAboutToBeCancelled(t *testing.T) {
	firing := make(chan struct{})
	release := make(chan struct{})
	w := &watchdog{
		parent:  context.Background(),
		base:    time.Now(),
		timeout: time.Millisecond,
		// Hold the callback between the timer firing and the cancel.
		beforeCancel: func() {
			close(firing)
			<-release
		},
	}
	first := w.arm(time.Since(w.base))
	<-firing
	w.disarm() // the operation returned; the cancel is pending
	if first.Err() != nil {
		t.Fatal("the first context was cancelled before the callback was released; the test no longer reproduces the race")
	}
	w.timeout = time.Hour // the next operation is far from its own timeout
	next := w.arm(time.Since(w.base))
	close(release)
	select {
	case <-first.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first operation's timer never cancelled its context")
	}
	if err := next.Err(); err != nil {
		t.Fatalf("the next operation's context was cancelled (%v, cause %v) by the previous operation's timer", err, context.Cause(next))
	}
	if timedOut(next) {
		t.Fatal("the next operation would be counted as a timeout it never had")
	}
	w.disarm()
}

// TestWatchdogTimesOutASlowOperation is the watchdog's purpose: a context
// cancelled with errOpTimeout once the timeout passes, and a fresh one after.
func TestWatchdogTimesOutASlowOperation(t *testing.T) {
	w := &watchdog{parent: context.Background(), base: time.Now(), timeout: 10 * time.Millisecond}
	ctx := w.arm(time.Since(w.base))
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the watchdog never cancelled a slow operation")
	}
	w.disarm()
	if !timedOut(ctx) {
		t.Fatalf("cause %v, want the timeout", context.Cause(ctx))
	}
	w.timeout = time.Hour
	if next := w.arm(time.Since(w.base)); next.Err() != nil {
		t.Fatalf("the operation after a timeout got a cancelled context: %v", next.Err())
	}
	w.disarm()
}

// TestWatchdogTimesOutAfterShortOperations: the timer is set once and
// follows the operation in flight, so a slow operation after many quick
// ones is cancelled about one timeout after it started, not later and not
// sooner.
func TestWatchdogTimesOutAfterShortOperations(t *testing.T) {
	const timeout = 50 * time.Millisecond
	w := &watchdog{parent: context.Background(), base: time.Now(), timeout: timeout}
	defer w.stop()
	for range 1000 {
		ctx := w.arm(time.Since(w.base))
		if ctx.Err() != nil {
			t.Fatal("a quick operation's context was cancelled")
		}
		w.disarm()
	}
	time.Sleep(timeout) // the timer fires with nothing in flight and stops
	for range 3 {
		w.arm(time.Since(w.base))
		time.Sleep(timeout / 5)
		w.disarm()
	}
	start := time.Now()
	ctx := w.arm(time.Since(w.base))
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the watchdog never cancelled the slow operation")
	}
	took := time.Since(start)
	w.disarm()
	if !timedOut(ctx) {
		t.Fatalf("cause %v, want the timeout", context.Cause(ctx))
	}
	if took < timeout {
		t.Errorf("cancelled after %v, before its %v timeout", took, timeout)
	}
}
