package cli

import (
	"os"
	"syscall"
)

// childProcAttr puts a shard in its own process group, so that a Ctrl-C
// at the terminal reaches only this process, which forwards one interrupt
// (a second would kill the shard before it wrote its result), and has the
// kernel kill it if this process dies.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// interruptChild asks a shard to stop and write what it measured.
func interruptChild(p *os.Process) { _ = p.Signal(os.Interrupt) }
