package report

import (
	"strings"
	"testing"
)

// TestPayloadLineSaysWhenPayloadsDiffer: the table's heading says plainly
// whether every mechanism carried the same payload, and if not, which
// carried what.
func TestPayloadLineSaysWhenPayloadsDiffer(t *testing.T) {
	same := fixtureRows()
	if got, want := PhaseLine(same), "every scenario carried the same 500 B payload"; !strings.Contains(got, want) {
		t.Errorf("same payloads: %q lacks %q", got, want)
	}
	differ := fixtureRows()
	for i, size := range []int{483, 209, 357, 357, 646} {
		for _, res := range differ[i].allRuns() {
			res.Load.PayloadBytes = size
		}
	}
	got := PhaseLine(differ)
	for _, want := range []string{"payloads differ", "REST 483 B", "gRPC unary 209 B", "queue · oneway 357 B", "event · 2 groups 646 B", "suite --same-payload"} {
		if !strings.Contains(got, want) {
			t.Errorf("different payloads: %q lacks %q", got, want)
		}
	}
}
