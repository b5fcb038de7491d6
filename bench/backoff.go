package bench

import (
	"context"
	"time"
)

// Bounds of a closed-loop worker's wait after an operation that did not
// reach the target. Without a wait, 16 workers against a closed port made
// 13,700 (a shared 2-core machine) to 48,000 refused attempts a second and
// burnt more than a core: the error count then measured how fast the
// kernel refuses, nothing of the target. Doubling from 1 ms to 100 ms finds
// a target that comes back within a tenth of a second and keeps an outage
// to about ten attempts a second per worker (256 a second for those 16).
const (
	BackoffMin = time.Millisecond
	BackoffMax = 100 * time.Millisecond
)

// backoff is one worker's wait state; its zero value waits BackoffMin first.
type backoff struct {
	next  time.Duration
	timer *time.Timer
}

// reset forgets earlier failures; it costs nothing on the success path.
func (b *backoff) reset() { b.next = 0 }

// wait sleeps the next backoff, cut short by ctx or the planned end (zero:
// none), and doubles the one after.
func (b *backoff) wait(ctx context.Context, end time.Time) {
	d := max(b.next, BackoffMin)
	b.next = min(2*d, BackoffMax)
	if !end.IsZero() {
		d = min(d, time.Until(end))
	}
	if d <= 0 {
		return
	}
	if b.timer == nil {
		b.timer = time.NewTimer(d)
	} else {
		b.timer.Reset(d)
	}
	select {
	case <-b.timer.C:
	case <-ctx.Done():
		b.timer.Stop()
	}
}

func (b *backoff) stop() {
	if b.timer != nil {
		b.timer.Stop()
	}
}
