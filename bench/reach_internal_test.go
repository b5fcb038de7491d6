package bench

import (
	"reflect"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

func TestReachabilityWindows(t *testing.T) {
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	type event struct {
		at     int64
		failed bool
	}
	tests := []struct {
		name   string
		events []event
		want   []results.Window
	}{
		{"all reached", []event{{ms(10), false}, {ms(500), false}}, nil},
		{
			// From the first failure to the last, across a slot with no operation.
			"one outage",
			[]event{{ms(50), false}, {ms(210), true}, {ms(250), true}, {ms(480), true}, {ms(620), false}},
			[]results.Window{{FromS: 0.21, ToS: 0.48}},
		},
		{
			"down until the end",
			[]event{{ms(50), false}, {ms(300), true}, {ms(950), true}},
			[]results.Window{{FromS: 0.3, ToS: 0.95}},
		},
		{
			"two outages",
			[]event{{ms(10), true}, {ms(90), true}, {ms(150), false}, {ms(420), true}, {ms(430), false}, {ms(440), true}, {ms(510), true}, {ms(700), false}},
			[]results.Window{{FromS: 0.01, ToS: 0.09}, {FromS: 0.42, ToS: 0.51}},
		},
		{
			// A lone refusal among successes is no outage, but it is counted.
			"scattered failure",
			[]event{{ms(10), false}, {ms(20), true}, {ms(30), false}},
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reachability
			for _, e := range tt.events {
				if e.failed {
					r.failed(e.at)
				} else {
					r.ok(e.at)
				}
			}
			if got := r.windows(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("windows = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReachabilityResult(t *testing.T) {
	var r reachability
	if u := r.result(time.Second, true); u != nil {
		t.Errorf("nothing failed: got %+v, want nil", u)
	}
	for i := range 10 {
		r.failed(int64(i) * int64(10*time.Millisecond))
	}
	u := r.result(2*time.Second, true)
	if u.FailedAttempts != 10 || u.FailedPerS != 5 || u.BackoffMaxS != BackoffMax.Seconds() {
		t.Errorf("result %+v, want 10 attempts at 5/s with the backoff", u)
	}
	if u := r.result(2*time.Second, false); u.BackoffMaxS != 0 {
		t.Errorf("without backoff: %+v", u)
	}
}
