//go:build linux || darwin

package bench

import "syscall"

// nofile returns the process's RLIMIT_NOFILE.
func nofile() (soft, hard uint64, ok bool) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, false
	}
	return uint64(l.Cur), uint64(l.Max), true
}

// setNofile sets the process's RLIMIT_NOFILE.
func setNofile(soft, hard uint64) error {
	l := syscall.Rlimit{Cur: soft, Max: hard}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}
