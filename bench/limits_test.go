//go:build linux || darwin

package bench_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall"
	"testing"

	"github.com/commsbench/commsbench/bench"
)

// TestCheckDescriptors checks the limit of this process; the refusal of a
// whole run under a lowered limit is in cmd/commsbench/testdata/script/limits.txtar.
func TestCheckDescriptors(t *testing.T) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Skipf("no RLIMIT_NOFILE here: %v", err)
	}
	if err := bench.CheckDescriptors(10); err != nil {
		t.Fatalf("10 descriptors: %v", err)
	}
	if l.Max > math.MaxInt32 {
		t.Skipf("the hard limit is %d: no need can exceed it", l.Max)
	}
	err := bench.CheckDescriptors(int(l.Max) + 1)
	var le *bench.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("a need above the hard limit %d: got %v, want a *LimitError", l.Max, err)
	}
	if le.Need <= l.Max || le.Hard != l.Max {
		t.Errorf("LimitError{Need: %d, Hard: %d}, want Need above the hard limit %d", le.Need, le.Hard, l.Max)
	}
	for _, want := range []string{"ulimit -n", "--connections", fmt.Sprint(le.Need)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}
