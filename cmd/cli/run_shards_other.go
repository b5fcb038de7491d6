//go:build !linux

package cli

import (
	"os"
	"syscall"
)

// childProcAttr: only Linux can have a child killed when its parent dies.
func childProcAttr() *syscall.SysProcAttr { return nil }

// interruptChild asks a shard to stop; where a process cannot be sent an
// interrupt (Windows), it is killed and its result is missing.
func interruptChild(p *os.Process) {
	if p.Signal(os.Interrupt) != nil {
		_ = p.Kill()
	}
}
