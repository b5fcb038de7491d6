//go:build !linux

package bench

import "time"

// preciseSleeper falls back to the runtime's timers where nanosleep with
// a settable timer slack is not available.
type preciseSleeper struct{}

func newPreciseSleeper() preciseSleeper      { return preciseSleeper{} }
func (preciseSleeper) sleep(d time.Duration) { time.Sleep(d) }
func (preciseSleeper) release()              {}
