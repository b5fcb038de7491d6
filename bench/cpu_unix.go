//go:build unix

package bench

import (
	"syscall"
	"time"
)

type cpuTimes struct {
	user, system time.Duration
	valid        bool
}

func readCPU() cpuTimes {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTimes{}
	}
	return cpuTimes{
		user:   time.Duration(ru.Utime.Nano()),
		system: time.Duration(ru.Stime.Nano()),
		valid:  true,
	}
}

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{user: a.user - b.user, system: a.system - b.system, valid: a.valid && b.valid}
}
