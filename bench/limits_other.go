//go:build !linux && !darwin

package bench

import "errors"

func nofile() (soft, hard uint64, ok bool) { return 0, 0, false }

func setNofile(uint64, uint64) error { return errors.New("no RLIMIT_NOFILE on this system") }
