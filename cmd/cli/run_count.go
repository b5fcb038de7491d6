package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// executeRepeated runs the measurement o.Count times, each with a fresh
// workload (spec.NewWorkload makes one per call), writing each result into
// the directory o.Out (also used for a single run whose --out is a
// directory). Repeated runs are the samples compare and check
// test for significance. The first run that fails or is interrupted ends
// the series with its error.
func executeRepeated(ctx context.Context, f *Factory, o *RunOptions, spec runSpec) error {
	if o.Out != "" {
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--out %s: %w", o.Out, err)}
		}
	}
	for i := 1; i <= o.Count; i++ {
		one := *o
		one.Count = 1
		if o.Out != "" {
			path, err := nextRunFile(o.Out, spec.Transport, o.Label)
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			one.Out = path
		}
		if !o.Quiet && o.Count > 1 {
			fmt.Fprintf(f.IO.ErrOut, "run %d of %d\n", i, o.Count)
		}
		if err := executeRun(ctx, f, &one, spec); err != nil {
			return err
		}
	}
	return nil
}

// isDirOut says whether --out names a directory (an existing one, or a
// path ending in a slash): each run then gets a file of its own in it.
func isDirOut(out string) bool {
	if out == "" || out == "-" {
		return false
	}
	if strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) {
		return true
	}
	st, err := os.Stat(out)
	return err == nil && st.IsDir()
}

// nextRunFile names the next free result file of a series in dir:
// <transport>-<label>-<i>.json with i counting on from the files already
// there, so that several invocations (for example alternating two builds)
// add to one directory instead of overwriting it.
func nextRunFile(dir, transport, label string) (string, error) {
	stem := transport
	if l := fileSafe(label); l != "" {
		stem += "-" + l
	}
	for i := 1; i < 100000; i++ {
		path := filepath.Join(dir, fmt.Sprintf("%s-%d.json", stem, i))
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return path, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("--out %s: no free file name for %s-<i>.json", dir, stem)
}

// fileSafe keeps letters, digits, '.', '_' and '-' of s and turns the
// rest into '_'.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}
