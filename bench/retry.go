package bench

import (
	"context"
	"fmt"
	"time"
)

// Retries. With Options.Retries > 0 the engine tries an operation again
// when it failed in a way a retry can cure, as a resilient caller would:
// up to Retries more times, waiting RetryBackoff before the first retry
// and twice as long before each next one. The operation's latency runs
// from the intended time of its first attempt to the end of its last, so
// the retries' waits are in it; its timeout (Options.Timeout) bounds all
// its attempts together; and no retry starts after the planned end of
// the measured period, so that a run still ends on time.
//
// Which failures a retry can cure is the workload's to say (a Retrier),
// since the classes are its protocol's; ConnectionRetryable is the part
// every connection-oriented caller shares.

// Bounds of the retry policy: a few retries with waits of at most
// seconds; anything more is a typo, or a run that would outlast itself.
const (
	MaxRetries      = 10
	MaxRetryBackoff = 10 * time.Second
)

// Retrier is a workload whose callers may try a failed operation again.
type Retrier interface {
	// Retryable says whether an operation that failed with an error of
	// this class may be tried again: safe, because the far side did not
	// act on it or acting twice does no harm, and meaningful, because a
	// later attempt may succeed.
	Retryable(class string) bool
}

// ConnectionRetryable says whether a failure of this class was the
// connection's, not the far side's answer: refused (the operation never
// reached the far side) or cut (reset, broken pipe, end of stream) before
// an answer came. An echo, and an order the receiver deduplicates, are
// safe to send again after either.
func ConnectionRetryable(class string) bool {
	switch class {
	case ClassRefused, ClassReset, ClassBrokenPipe, ClassEOF:
		return true
	}
	return false
}

// validateRetries checks the retry policy of o.
func (o Options) validateRetries() error {
	switch {
	case o.Retries < 0 || o.Retries > MaxRetries:
		return fmt.Errorf("retries must be between 0 and %d (got %d)", MaxRetries, o.Retries)
	case o.RetryBackoff < 0 || o.RetryBackoff > MaxRetryBackoff:
		return fmt.Errorf("retry backoff must be between 0 and %s (got %s)", MaxRetryBackoff, o.RetryBackoff)
	}
	return nil
}

// retryWait is the wait before retry n (1 for the first retry).
func retryWait(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, MaxRetryBackoff)
}

// retry says whether an operation that failed with class after attempts
// attempts is tried again, and waits the backoff first. ctx is the
// operation's; the wait ends early, without a retry, when it or the run
// ends, or when the retry would start after the planned end.
func (r *run) retry(ctx context.Context, class string, attempts int, timer **time.Timer) bool {
	if attempts > r.o.Retries || r.retrier == nil || !r.retrier.Retryable(class) {
		return false
	}
	if ctx.Err() != nil || r.ctx.Err() != nil || r.opsCtx.Err() != nil {
		return false
	}
	d := retryWait(r.o.RetryBackoff, attempts)
	if r.endOff > 0 && r.now()+d >= r.endOff {
		return false
	}
	if d <= 0 {
		return true
	}
	if *timer == nil {
		*timer = time.NewTimer(d)
	} else {
		(*timer).Reset(d)
	}
	select {
	case <-(*timer).C:
		return ctx.Err() == nil && r.ctx.Err() == nil
	case <-ctx.Done():
	case <-r.ctx.Done():
	}
	(*timer).Stop()
	return false
}
