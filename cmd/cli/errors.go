package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
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

// Signalled is the cause of a context that a signal ended, such as
// SIGTERM from a CI runner or a container stop. The command stops as it
// does for Ctrl-C, and exits with 128 + Number, as shells report a
// process a signal ended.
type Signalled struct {
	Name   string
	Number int
}

func (s Signalled) Error() string { return "stopped by " + s.Name }

// interruptedCode is the exit code of an interrupted command: 130 for
// Ctrl-C, 128 + the signal's number for another signal.
func interruptedCode(ctx context.Context) int {
	var s Signalled
	if errors.As(context.Cause(ctx), &s) && s.Number > 0 {
		return 128 + s.Number
	}
	return ExitInterrupted
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

// flagValueError restates pflag's "invalid argument" error, which quotes
// the Go parser ("strconv.ParseFloat: parsing …: invalid syntax"), as a
// sentence saying what the flag takes. Other errors pass as they are.
func flagValueError(err error) error {
	var ive *pflag.InvalidValueError
	if !errors.As(err, &ive) {
		return err
	}
	fl := ive.GetFlag()
	want := ""
	switch fl.Value.Type() {
	case "float64", "float32":
		want = "a number, such as 1000 or 0.5"
	case "int", "int64", "int32", "uint", "uint64":
		want = "a whole number, such as 8"
	case "duration":
		want = "a duration with its unit, such as 500ms, 10s or 1m"
	case "bool":
		want = "true or false"
	}
	if want == "" {
		// Our own flag types explain themselves.
		return fmt.Errorf("--%s: %w", fl.Name, errors.Unwrap(ive))
	}
	return fmt.Errorf("--%s %q: not %s", fl.Name, ive.GetValue(), want)
}
