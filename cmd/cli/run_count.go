package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// executeRepeated runs the measurement req.Output.Count times, each with
// a fresh workload, writing each result into the directory req.Output.Out
// (also used for a single run whose --out is a directory). Repeated runs
// are the samples compare and check test for significance. The first run
// that fails or is interrupted ends the series with its error.
func executeRepeated(ctx context.Context, f *Factory, req *runRequest, progress func(bench.Progress)) (*results.Result, error) {
	out := req.Output
	if out.Out != "" {
		if err := os.MkdirAll(out.Out, 0o755); err != nil {
			return nil, &ExitError{Code: ExitFailure, Err: fmt.Errorf("--out %s: %w", out.Out, err)}
		}
	}
	var last *results.Result
	for i := 1; i <= out.Count; i++ {
		one := *req
		one.Output.Count = 1
		if out.Out != "" {
			path, err := nextRunFile(out.Out, req.Transport.Name, req.Label)
			if err != nil {
				return last, &ExitError{Code: ExitFailure, Err: err}
			}
			one.Output.Out = path
		}
		if !out.Quiet && out.Count > 1 {
			fmt.Fprintf(f.IO.ErrOut, "run %d of %d\n", i, out.Count)
		}
		res, err := executeOne(ctx, f, &one, progress)
		if res != nil {
			last = res
		}
		if err != nil {
			return last, err
		}
	}
	return last, nil
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
