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

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "256", want: 256},
		{in: "4KiB", want: 4096},
		{in: "4k", want: 4096},
		{in: "1MiB", want: 1 << 20},
		{in: " 2 MB ", want: 2_000_000},
		{in: "1kB", want: 1000},
		{in: "1GiB", want: 1 << 30}, // the flag parser took GiB, the scenario parser did not: now both do
		{in: "0", want: 0},
		{in: "12b", want: 12},
		{in: "", bad: true},
		{in: "-1", bad: true},
		{in: "1.5MiB", bad: true},
		{in: "KiB", bad: true},
		{in: "2TiB", bad: true},
		{in: "1048577GiB", bad: true}, // past the 1 TiB bound
	} {
		got, err := results.ParseBytes(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseBytes(%q) = %d, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"256", "4KiB", "1mb", "g", " 7 b", "-3k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := results.ParseBytes(s)
		if err == nil && (n < 0 || n > 1<<40) {
			t.Fatalf("ParseBytes(%q) = %d: outside 0..1TiB", s, n)
		}
	})
}
