package results_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

func TestDecodeMarked(t *testing.T) {
	r := synthRun(t, "rest", "pod", time.Millisecond, 1000, 1)
	var marked bytes.Buffer
	if err := results.EncodeMarked(&marked, r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		log  string
		ok   bool
	}{
		{"alone", marked.String(), true},
		{"between log lines", "warning: x\n" + marked.String() + "shard done\n", true},
		{"after a cut-off one", results.BeginMarker + "\n{\"sch\n" + marked.String(), true},
		{"without its end", strings.TrimSuffix(marked.String(), results.EndMarker+"\n"), false},
		{"nothing", "fake logs", false},
		{"markers inside a line", "x" + marked.String(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := results.DecodeMarked([]byte(tt.log))
			if tt.ok != (err == nil) {
				t.Fatalf("DecodeMarked: %v, want ok %v", err, tt.ok)
			}
			if err == nil && got.Label != "pod" {
				t.Errorf("decoded label %q", got.Label)
			}
			if !tt.ok && !errors.Is(err, results.ErrNoMarkedResult) {
				t.Errorf("error %v, want ErrNoMarkedResult", err)
			}
		})
	}
}

func FuzzDecodeMarked(f *testing.F) {
	f.Add([]byte(results.BeginMarker + "\n{}\n" + results.EndMarker + "\n"))
	f.Add([]byte("x\n" + results.BeginMarker + "\n" + results.EndMarker))
	f.Add([]byte(results.EndMarker + "\n" + results.BeginMarker + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := results.DecodeMarked(b)
		if err == nil && r == nil {
			t.Fatal("no error and no result")
		}
	})
}
