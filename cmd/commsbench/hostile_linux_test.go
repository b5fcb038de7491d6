package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// nofileEnv, as "soft:hard", is the RLIMIT_NOFILE that commsbench-nofile
// sets on itself before it runs commsbench.
const nofileEnv = "COMMSBENCH_TEST_NOFILE"

// hostilePrograms are commsbench under this machine's limits, for the
// scripts: commsbench-nofile lowers its own descriptor limit first (in
// its own process, so the test binary keeps its limit).
func hostilePrograms() map[string]func() {
	return map[string]func(){
		"commsbench-nofile": func() {
			if err := setNofile(os.Getenv(nofileEnv)); err != nil {
				fmt.Fprintf(os.Stderr, "commsbench-nofile: %v\n", err)
				os.Exit(2)
			}
			os.Exit(run())
		},
	}
}

func setNofile(spec string) error {
	soft, hard, ok := strings.Cut(spec, ":")
	if !ok {
		return fmt.Errorf("%s=%q: want soft:hard", nofileEnv, spec)
	}
	var l syscall.Rlimit
	var err error
	if l.Cur, err = strconv.ParseUint(soft, 10, 64); err != nil {
		return err
	}
	if l.Max, err = strconv.ParseUint(hard, 10, 64); err != nil {
		return err
	}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}

// hostileCommands are the scripts' commands that make the machine hostile.
func hostileCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"fulltmpfs": cmdFullTmpfs,
	}
}

// hostileCondition answers the scripts' [mount] condition: whether this
// process may mount a tmpfs (tests run as root here; elsewhere the
// scripts that need one skip, saying why).
func hostileCondition(cond string) (bool, error) {
	if cond != "mount" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	dir, err := os.MkdirTemp("", "commsbench-mount-probe-")
	if err != nil {
		return false, err
	}
	defer os.Remove(dir)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4k"); err != nil {
		return false, nil
	}
	return true, syscall.Unmount(dir, syscall.MNT_DETACH)
}

// fulltmpfs DIR mounts a 64 KiB tmpfs on DIR and fills it, so that a file
// can still be created there but no byte written to it: a full disk.
func cmdFullTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fulltmpfs DIR")
	}
	dir := ts.MkAbs(args[0])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		ts.Fatalf("%v", err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		ts.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	ts.Defer(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for range 1024 {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			ts.Fatalf("filling %s: %v", dir, err)
		}
	}
	ts.Fatalf("%s took 4 MiB without filling up", dir)
}
