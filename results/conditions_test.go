package results_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

func TestMostlyErrors(t *testing.T) {
	tests := []struct {
		name     string
		sent, ok int64
		wantLine bool
	}{
		{"nothing sent", 0, 0, false},
		{"all ok", 100, 100, false},
		{"exactly half ok is not mostly errors", 100, 50, false},
		{"one short of half", 100, 49, true},
		{"the EMFILE run of the issue", 340726, 147, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &results.Result{Counts: results.Counts{Sent: tt.sent, OK: tt.ok, Errors: tt.sent - tt.ok}}
			got := r.MostlyErrors()
			if (got != "") != tt.wantLine {
				t.Errorf("MostlyErrors() = %q, want a line: %v", got, tt.wantLine)
			}
		})
	}
}

// hostileResult is a closed-loop run during which the target went away
// for a while and the process ran out of descriptors.
func hostileResult(t *testing.T) *results.Result {
	r := sampleResult(t)
	r.Load = results.Load{Mode: results.ClosedLoop, Concurrency: 16, PayloadBytes: 256, DurationS: 10}
	r.DurationS = 10
	r.Counts = results.Counts{Sent: 13000, OK: 10000, Errors: 3000}
	r.Errors = map[string]int64{"connection_refused": 2990, "too_many_open_files": 10}
	r.FirstErrors = map[string]string{
		"connection_refused":  "dial tcp 127.0.0.1:8080: connect: connection refused",
		"too_many_open_files": "dial tcp 127.0.0.1:8080: socket: too many open files (the process ran out of file descriptors: raise the limit (ulimit -n) or use fewer --connections)",
	}
	r.Unreachable = &results.Unreachable{
		FailedAttempts: 3000, FailedPerS: 300, BackoffMinS: 0.001, BackoffMaxS: 0.1,
		Windows: []results.Window{{FromS: 2.5, ToS: 4.25}, {FromS: 7, ToS: 7.5}},
	}
	return r
}

func TestSummaryOfAHostileRun(t *testing.T) {
	mostly := hostileResult(t)
	mostly.Counts = results.Counts{Sent: 13000, OK: 100, Errors: 12900}
	tests := []struct {
		file   string
		r      *results.Result
		format string
	}{
		{"summary-unreachable.txt", hostileResult(t), results.FormatText},
		{"summary-unreachable.md", hostileResult(t), results.FormatMarkdown},
		{"summary-mostly-errors.txt", mostly, results.FormatText},
		{"summary-mostly-errors.md", mostly, results.FormatMarkdown},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := results.WriteSummary(&buf, tt.r, tt.format); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, buf.Bytes())
		})
	}
}

func TestHostileFieldsRoundTrip(t *testing.T) {
	orig := hostileResult(t)
	var buf bytes.Buffer
	if err := results.Encode(&buf, orig); err != nil {
		t.Fatal(err)
	}
	back, err := results.Unmarshal(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.UnreachableSentence() != orig.UnreachableSentence() || len(back.FirstErrorLines()) != 2 {
		t.Errorf("read back: %q, %q", back.UnreachableSentence(), back.FirstErrorLines())
	}
}

// TestWriteFileOrFallback: a result whose file cannot be written goes to
// a temporary file, named in the error. The full-disk case, where only the
// write fails, is cmd/commsbench/testdata/script/full_disk.txtar.
func TestWriteFileOrFallback(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	r := sampleResult(t)

	good := filepath.Join(dir, "r.json")
	written, err := results.WriteFileOrFallback(good, r)
	if err != nil || written != good {
		t.Fatalf("a writable path: wrote %q, %v", written, err)
	}

	// A path under a regular file cannot be created.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(blocker, "r.json")
	written, err = results.WriteFileOrFallback(bad, r)
	if err == nil {
		t.Fatalf("%s was written", bad)
	}
	if filepath.Dir(written) != tmp || !strings.Contains(err.Error(), written) || !strings.Contains(err.Error(), bad) {
		t.Errorf("fallback %q, error %q: want a file in %s named in an error that names %s", written, err, tmp, bad)
	}
	back, rerr := results.ReadFile(written)
	if rerr != nil || back.Counts != r.Counts {
		t.Errorf("the fallback file does not hold the result: %v", rerr)
	}
}

// TestMergeKeepsWhatWasUnreachable: two generators that lost the target
// at overlapping times merge into one window, with their attempts added
// and each class's first error kept.
func TestMergeKeepsWhatWasUnreachable(t *testing.T) {
	a, b := hostileResult(t), hostileResult(t)
	a.Env.Hostname, b.Env.Hostname = "gen-a", "gen-b"
	b.Unreachable = &results.Unreachable{FailedAttempts: 100, FailedPerS: 10, Windows: []results.Window{{FromS: 4, ToS: 5}, {FromS: 9, ToS: 9.5}}}
	b.FirstErrors = map[string]string{"connection_refused": "from gen-b", "timeout": "i/o timeout"}
	m, err := results.MergeResults([]*results.Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	u := m.Unreachable
	want := []results.Window{{FromS: 2.5, ToS: 5}, {FromS: 7, ToS: 7.5}, {FromS: 9, ToS: 9.5}}
	if u.FailedAttempts != 3100 || u.FailedPerS != 310 || u.BackoffMaxS != 0.1 || !reflect.DeepEqual(u.Windows, want) {
		t.Errorf("merged %+v, want 3100 attempts at 310/s, the backoff, windows %+v", u, want)
	}
	if m.FirstErrors["connection_refused"] != a.FirstErrors["connection_refused"] || m.FirstErrors["timeout"] != "i/o timeout" {
		t.Errorf("first errors %v", m.FirstErrors)
	}
}
