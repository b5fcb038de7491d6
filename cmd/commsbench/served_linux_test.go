package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	var kids []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// After the command name in parentheses: state, ppid.
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			kids = append(kids, kid)
		}
	}
	return kids
}

// alive says whether pid runs (a zombie waiting to be reaped does not).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// startRun starts 'commsbench run rest' for a minute and returns it and
// the pid of the target process it started.
func startRun(t *testing.T) (*exec.Cmd, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := &exec.Cmd{Path: exe, Args: []string{"commsbench", "run", "rest", "--rate", "100", "--duration", "1m", "--warmup", "0", "-q"}, Env: os.Environ(), Stderr: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if kids := childrenOf(cmd.Process.Pid); len(kids) == 1 {
			// Give the run a moment to measure.
			time.Sleep(500 * time.Millisecond)
			return cmd, kids[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run rest started no target process within 20s; stderr: %s", stderr.String())
	return nil, 0
}

// waitGone waits up to 10s for pid to end.
func waitGone(t *testing.T, pid int, after string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the target's process %d still runs 10s after %s", pid, after)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServedTargetEndsWithTheRun: Ctrl-C on the run stops the target's
// process, and so does the run's process dying (Pdeathsig).
func TestServedTargetEndsWithTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts runs of a minute and stops them")
	}
	t.Run("interrupt", func(t *testing.T) {
		cmd, kid := startRun(t)
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Errorf("run ended with %v, want exit status 130", err)
		}
		waitGone(t, kid, "the run was interrupted")
	})
	t.Run("parent killed", func(t *testing.T) {
		cmd, kid := startRun(t)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		waitGone(t, kid, "the run's process was killed")
	})
}
