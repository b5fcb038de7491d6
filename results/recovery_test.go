package results

import (
	"testing"
	"time"
)

func TestCallerRecovered(t *testing.T) {
	ms := int64(time.Millisecond)
	before := &Latency{Count: 100, P99: 10 * ms}
	pt := func(ts float64, ops, errs, p99 int64) TimelinePoint {
		return TimelinePoint{TS: ts, Ops: ops, Errors: errs, P99NS: p99}
	}
	for _, c := range []struct {
		name   string
		tl     []TimelinePoint
		before *Latency
		end    float64
		want   float64
		ok     bool
	}{
		{"the first whole second after the end", []TimelinePoint{pt(2, 0, 500, 0), pt(3, 500, 0, 12*ms)}, before, 3, 3, true},
		// A second that began before the end counts from the end, if it is healthy as a whole.
		{"a healthy second straddling the end", []TimelinePoint{pt(2, 500, 0, 5*ms), pt(3, 500, 0, 5*ms)}, before, 3.5, 3.5, true},
		{"a straddling second with the window's errors", []TimelinePoint{pt(3, 250, 250, 5*ms), pt(4, 500, 0, 5*ms)}, before, 3.5, 4, true},
		{"errors keep it down", []TimelinePoint{pt(3, 400, 100, 5*ms), pt(4, 500, 0, 5*ms)}, before, 3, 4, true},
		{"a p99 above twice the one before keeps it down", []TimelinePoint{pt(3, 500, 0, 21*ms), pt(4, 500, 0, 20*ms)}, before, 3, 4, true},
		{"an idle second is no evidence", []TimelinePoint{pt(3, 0, 0, 0), pt(4, 500, 0, 5*ms)}, before, 3, 4, true},
		{"never within the run", []TimelinePoint{pt(3, 500, 0, 50*ms)}, before, 3, 0, false},
		{"without a before only errors count", []TimelinePoint{pt(1, 500, 0, 50*ms)}, nil, 1, 1, true},
	} {
		got, ok := CallerRecovered(c.tl, c.before, c.end)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: CallerRecovered = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
