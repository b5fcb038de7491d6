package results

import (
	"fmt"
	"math"
	"strconv"
)

// FormatNS prints a duration in nanoseconds with three significant digits
// in the unit that reads best: 850ns, 85.3µs, 1.25ms, 2.04s.
func FormatNS(ns float64) string {
	switch a := math.Abs(ns); {
	case a == 0:
		return "0"
	case a < 1e3:
		return sig3(ns) + "ns"
	case a < 1e6:
		return sig3(ns/1e3) + "µs"
	case a < 1e9:
		return sig3(ns/1e6) + "ms"
	default:
		return sig3(ns/1e9) + "s"
	}
}

// FormatRate prints a per-second rate: 987, 12.3k, 1.23M; a rate below a
// thousandth keeps three significant digits (0.0001) rather than read 0.000.
func FormatRate(v float64) string {
	switch a := math.Abs(v); {
	case a > 0 && a < 1e-3:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a < 1e3:
		return sig3(v)
	case a < 1e6:
		return sig3(v/1e3) + "k"
	default:
		return sig3(v/1e6) + "M"
	}
}

// FormatBytes prints a byte count in B, KB, MB or GB (powers of 1000).
func FormatBytes(v float64) string {
	switch a := math.Abs(v); {
	case a < 1e3:
		return sig3(v) + " B"
	case a < 1e6:
		return sig3(v/1e3) + " KB"
	case a < 1e9:
		return sig3(v/1e6) + " MB"
	default:
		return sig3(v/1e9) + " GB"
	}
}

// FormatPercent prints a fraction as a percentage.
func FormatPercent(frac float64) string {
	if frac == 0 {
		return "0%"
	}
	return sig3(frac*100) + "%"
}

// sig3 prints v with three significant digits, without exponent, and
// without a trailing ".0".
func sig3(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	decimals := 0
	switch {
	case a < 1:
		decimals = 3
	case a < 10:
		decimals = 2
	case a < 100:
		decimals = 1
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	return s
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
