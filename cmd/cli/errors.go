package cli

import (
	"errors"
	"fmt"
	"strings"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitFailure     = 1 // the run could not be done or failed
	ExitUsage       = 2 // bad flags or arguments
	ExitCheckFailed = 3 // a regression or threshold check failed
	ExitInterrupted = 130
)

// FlagError is a usage error: the command line is wrong.
type FlagError struct{ err error }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// flagErrorf returns a usage error (exit code 2).
func flagErrorf(format string, args ...any) error {
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// ExitError ends the command with a given code. With Silent, the error has
// already been reported and nothing more is printed.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// asUsageError marks cobra's own command-line errors (an unknown command or
// flag), which it returns as plain errors, as usage errors.
func asUsageError(err error) error {
	if err != nil && (strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag")) {
		return &FlagError{err: err}
	}
	return err
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var fe *FlagError
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &fe):
		return ExitUsage
	}
	return ExitFailure
}
