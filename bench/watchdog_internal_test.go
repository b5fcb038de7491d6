package bench

import (
	"context"
	"testing"
	"time"
)

// TestWatchdogDoesNotHandOnAContextAboutToBeCancelled reproduces an
// operation that returns just as its timer fires: the timer's callback has
// started but not yet cancelled, so disarm's Stop fails while the context
// still looks alive. The next operation must not get that context.
func TestWatchdogDoesNotHandOnAContextAboutToBeCancelled(t *testing.T) {
	firing := make(chan struct{})
	release := make(chan struct{})
	w := &watchdog{
		parent:  context.Background(),
		timeout: time.Millisecond,
		// Hold the callback between the timer firing and the cancel.
		beforeCancel: func() {
			close(firing)
			<-release
		},
	}
	first := w.arm()
	<-firing
	w.disarm() // the operation returned; Stop fails, the cancel is pending
	if first.Err() != nil {
		t.Fatal("the first context was cancelled before the callback was released; the test no longer reproduces the race")
	}
	w.timeout = time.Hour // the next operation is far from its own timeout
	next := w.arm()
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
	w := &watchdog{parent: context.Background(), timeout: 10 * time.Millisecond}
	ctx := w.arm()
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
	if next := w.arm(); next.Err() != nil {
		t.Fatalf("the operation after a timeout got a cancelled context: %v", next.Err())
	}
	w.disarm()
}
