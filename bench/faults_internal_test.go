package bench

import (
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

func TestCallerRecovered(t *testing.T) {
	ms := int64(time.Millisecond)
	before := &results.Latency{Count: 100, P99: 10 * ms}
	pt := func(ts float64, ops, errs, p99 int64) results.TimelinePoint {
		return results.TimelinePoint{TS: ts, Ops: ops, Errors: errs, P99NS: p99}
	}
	for _, c := range []struct {
		name   string
		tl     []results.TimelinePoint
		before *results.Latency
		end    float64
		want   float64
		ok     bool
	}{
		{"the first whole second after the end", []results.TimelinePoint{pt(2, 0, 500, 0), pt(3, 500, 0, 12*ms)}, before, 3, 3, true},
		// A second that began before the end counts from the end, if it is healthy as a whole.
		{"a healthy second straddling the end", []results.TimelinePoint{pt(2, 500, 0, 5*ms), pt(3, 500, 0, 5*ms)}, before, 3.5, 3.5, true},
		{"a straddling second with the window's errors", []results.TimelinePoint{pt(3, 250, 250, 5*ms), pt(4, 500, 0, 5*ms)}, before, 3.5, 4, true},
		{"errors keep it down", []results.TimelinePoint{pt(3, 400, 100, 5*ms), pt(4, 500, 0, 5*ms)}, before, 3, 4, true},
		{"a p99 above twice the one before keeps it down", []results.TimelinePoint{pt(3, 500, 0, 21*ms), pt(4, 500, 0, 20*ms)}, before, 3, 4, true},
		{"an idle second is no evidence", []results.TimelinePoint{pt(3, 0, 0, 0), pt(4, 500, 0, 5*ms)}, before, 3, 4, true},
		{"never within the run", []results.TimelinePoint{pt(3, 500, 0, 50*ms)}, before, 3, 0, false},
		{"without a before only errors count", []results.TimelinePoint{pt(1, 500, 0, 50*ms)}, nil, 1, 1, true},
	} {
		got, ok := callerRecovered(c.tl, c.before, c.end)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: callerRecovered = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// The backlog is empty again at the first empty sample after its largest
// value after the window: a broker that was away empties the backlog for a
// moment before what was sent during the window reaches it.
func TestBacklogEmptyAfterThePeak(t *testing.T) {
	fr := &faultRun{emptyAt: -1}
	fr.startedAt.Store(int64(time.Second))
	fr.endedAt.Store(int64(2 * time.Second))
	for i, n := range []int64{5, 0, 0, 900, 400, 0, 3, 0} {
		fr.observe(2*time.Second+time.Duration(i)*100*time.Millisecond, n)
	}
	if !fr.emptySeen || fr.emptyAt != 2500*time.Millisecond {
		t.Errorf("empty at %v (%v), want 2.5s, after the peak of 900", fr.emptyAt, fr.emptySeen)
	}
}
