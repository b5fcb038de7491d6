package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
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

// byteUnits are the suffixes a size may carry, longest first among those
// that share an ending.
var byteUnits = [...]struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

// ParseBytes reads a size in bytes written as 256, 4KiB, 1MiB, 1kB or 2MB
// (case does not matter; k, m and g alone are powers of 1024). It is the
// one parser of sizes: flags, scenario files and suite files use it.
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size in bytes (such as 256, 4KiB or 1MiB)", s)
	}
	return n * mult, nil
}
