package bench

import (
	"math"
	"time"
)

// A Pacer says when each operation of an open-loop run is due. Due times
// are offsets from the start of the run computed from the operation's
// index alone, never from when the previous operation was actually sent:
// a sender that fell behind catches up instead of silently lowering the
// offered load (the coordinated-omission trap).
type Pacer interface {
	// Due returns when the i-th operation (0-based) is due, as an offset
	// from the start of the run.
	Due(i int64) time.Duration
	// Rate returns the offered rate, in operations per second, at the given offset.
	Rate(at time.Duration) float64
}

// ConstantPacer offers a fixed number of operations per second.
type ConstantPacer struct {
	PerSecond float64
}

var _ Pacer = ConstantPacer{}

// Due returns i/rate, rounded to the nanosecond.
func (p ConstantPacer) Due(i int64) time.Duration {
	if p.PerSecond <= 0 {
		return 0
	}
	return time.Duration(math.Round(float64(i) * 1e9 / p.PerSecond))
}

// Rate returns the constant rate.
func (p ConstantPacer) Rate(time.Duration) float64 { return p.PerSecond }

// Index returns how many operations are due strictly before the offset at.
func (p ConstantPacer) Index(at time.Duration) int64 {
	if p.PerSecond <= 0 || at <= 0 {
		return 0
	}
	return int64(math.Ceil(float64(at) * p.PerSecond / 1e9))
}

// Wait returns how long a sender must still wait, at offset now, before it
// may send operation i; zero when the operation is already due or late.
// Late operations are sent at once, one after the other, until the sender
// has caught up with the schedule.
func Wait(p Pacer, i int64, now time.Duration) time.Duration {
	if d := p.Due(i) - now; d > 0 {
		return d
	}
	return 0
}
