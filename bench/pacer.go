package bench

import (
	"math"
	"time"
)

// ConstantPacer says when each operation of an open-loop run is due, at a
// fixed number of operations per second. Due times are offsets from the
// start of the run computed from the operation's index alone, never from
// when the previous operation was actually sent: a sender that fell behind
// catches up instead of silently lowering the offered load (the
// coordinated-omission trap).
type ConstantPacer struct {
	PerSecond float64
}

// Due returns i/rate, rounded to the nanosecond.
func (p ConstantPacer) Due(i int64) time.Duration {
	if p.PerSecond <= 0 {
		return 0
	}
	return time.Duration(math.Round(float64(i) * 1e9 / p.PerSecond))
}

// Index returns how many operations are due strictly before the offset at.
func (p ConstantPacer) Index(at time.Duration) int64 {
	if p.PerSecond <= 0 || at <= 0 {
		return 0
	}
	return int64(math.Ceil(float64(at) * p.PerSecond / 1e9))
}
