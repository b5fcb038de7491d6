package results_test

import (
	"testing"

	"github.com/commsbench/commsbench/results"
)

func TestFormatNS(t *testing.T) {
	tests := []struct {
		ns   float64
		want string
	}{
		{0, "0"},
		{850, "850ns"},
		{85_300, "85.3µs"},
		{1_250_000, "1.25ms"},
		{999_000, "999µs"},
		{2_040_000_000, "2.04s"},
		{120_000_000_000, "120s"},
	}
	for _, tt := range tests {
		if got := results.FormatNS(tt.ns); got != tt.want {
			t.Errorf("FormatNS(%v) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{987, "987"},
		{12_345, "12.3k"},
		{1_234_567, "1.23M"},
		{0.5, "0.500"},
		// A rate below a thousandth is not 0.000: it keeps its digits.
		{0.0001, "0.0001"},
		{0.000123456, "0.000123"},
		{0, "0"},
	}
	for _, tt := range tests {
		if got := results.FormatRate(tt.v); got != tt.want {
			t.Errorf("FormatRate(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
