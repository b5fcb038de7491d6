package bench

import (
	"runtime"
	"syscall"
	"time"
)

// preciseSleeper sleeps with nanosleep(2) on a locked OS thread whose timer
// slack is 1 ns. The Go runtime's own timers wake about a millisecond late
// on an idle machine, which would put a millisecond of pacer lateness into
// every open-loop latency above 1000 ops/s; nanosleep wakes within ~10 µs.
type preciseSleeper struct{}

// prSetTimerSlack is PR_SET_TIMERSLACK from <linux/prctl.h>.
const prSetTimerSlack = 29

func newPreciseSleeper() preciseSleeper {
	runtime.LockOSThread()
	_, _, _ = syscall.Syscall6(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0, 0, 0, 0)
	return preciseSleeper{}
}

func (preciseSleeper) sleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}

// release unlocks the OS thread. The thread keeps its 1 ns timer slack, a
// harmless setting for the rest of the process.
func (preciseSleeper) release() { runtime.UnlockOSThread() }
