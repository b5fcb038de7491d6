package bench_test

import (
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
)

func TestConstantPacerDue(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		i    int64
		want time.Duration
	}{
		{"first operation is due at the start", 1000, 0, 0},
		{"1000/s: one every millisecond", 1000, 1, time.Millisecond},
		{"1000/s: the 1000th after a second", 1000, 1000, time.Second},
		{"3/s: rounding to the nanosecond", 3, 1, 333333333 * time.Nanosecond},
		{"3/s: no drift after many", 3, 3_000_000, 1_000_000 * time.Second},
		{"fractional rate", 0.5, 1, 2 * time.Second},
		{"very high rate", 10_000_000, 7, 700 * time.Nanosecond},
		{"zero rate never waits", 0, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (bench.ConstantPacer{PerSecond: tt.rate}).Due(tt.i); got != tt.want {
				t.Errorf("Due(%d) at %v/s = %v, want %v", tt.i, tt.rate, got, tt.want)
			}
		})
	}
}

func TestConstantPacerIndex(t *testing.T) {
	p := bench.ConstantPacer{PerSecond: 1000}
	tests := []struct {
		at   time.Duration
		want int64
	}{
		{0, 0},
		{time.Millisecond, 1},        // only operation 0 is strictly before 1 ms
		{time.Millisecond + 1, 2},    // operations 0 and 1
		{time.Second, 1000},          // a second holds exactly 1000
		{1500 * time.Microsecond, 2}, // 0 and 1
	}
	for _, tt := range tests {
		if got := p.Index(tt.at); got != tt.want {
			t.Errorf("Index(%v) = %d, want %d", tt.at, got, tt.want)
		}
	}
}
