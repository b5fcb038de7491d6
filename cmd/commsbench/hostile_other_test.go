//go:build !linux

package main

import (
	"fmt"

	"github.com/rogpeppe/go-internal/testscript"
)

// Lowering the descriptor limit and mounting a full tmpfs are done with
// Linux system calls; elsewhere the scripts that need them skip.
func hostilePrograms() map[string]func() { return nil }

func hostileCondition(cond string) (bool, error) {
	if cond != "mount" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	return false, nil
}

func hostileCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return nil
}
