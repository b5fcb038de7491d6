package results

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileErrorsAreSentences: every file error a user can meet reading or
// writing a result names the path given, in words, and no Go call.
func TestFileErrorsAreSentences(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	if err := os.WriteFile(file, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		do         func(string) error
		want       string
	}{
		// A result that is not there.
		{"load missing", filepath.Join(dir, "nope.json"), func(p string) error { _, err := LoadPath(p); return err }, "nope.json does not exist"},
		// A path through a file.
		{"load through a file", filepath.Join(file, "x.json"), func(p string) error { _, err := LoadPath(p); return err }, "a part of the path is a file"},
		// Writing where no file can be created.
		{"write in /proc", "/proc/x.json", func(p string) error { return WriteFile(p, &Result{}) }, "cannot write /proc/x.json"},
		// Writing below a file.
		{"write below a file", filepath.Join(file, "x.json"), func(p string) error { return WriteFile(p, &Result{}) }, "a part of the path is a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, tc.path) {
				t.Errorf("error %q: want it to say %q and name %s", msg, tc.want, tc.path)
			}
			for _, raw := range []string{"stat ", "open ", "mkdir ", ".commsbench-"} {
				if strings.Contains(msg, raw) {
					t.Errorf("error %q shows the Go call or temp file %q", msg, raw)
				}
			}
		})
	}
	if _, err := LoadPath(filepath.Join(dir, "nope.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the sentence no longer wraps fs.ErrNotExist: %v", err)
	}
}

// TestVerdictCountsRead: one check is not "all 1 checks".
func TestVerdictCountsRead(t *testing.T) {
	for _, tc := range []struct {
		rows, failed int
		want         string
	}{
		{1, 0, "PASS: the one check passed"},
		{3, 0, "PASS: all 3 checks passed"},
		{1, 1, "FAIL: the one check failed"},
		{3, 1, "FAIL: 1 of 3 checks failed"},
	} {
		rep := &CheckReport{Rows: make([]CheckRow, tc.rows), Failed: tc.failed, Passed: tc.failed == 0}
		if got := rep.Verdict(); got != tc.want {
			t.Errorf("%d rows, %d failed: %q, want %q", tc.rows, tc.failed, got, tc.want)
		}
	}
}
