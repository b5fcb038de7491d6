package results

import (
	"fmt"
	"sort"
	"strings"
)

// MostlyErrorsOK is the share of successful operations below which a run
// is said to be mostly errors: its latency figures then describe the few
// operations that succeeded, not the target, and the summary says so on
// its first line.
const MostlyErrorsOK = 0.5

// MostlyErrors is the warning line of a run in which fewer than
// MostlyErrorsOK of the operations succeeded, or "".
func (r *Result) MostlyErrors() string {
	c := r.Counts
	if c.Sent == 0 || float64(c.OK) >= MostlyErrorsOK*float64(c.Sent) {
		return ""
	}
	return fmt.Sprintf("MOSTLY ERRORS: only %d of %d operations succeeded (%s); the latency figures below describe those few, not the target.",
		c.OK, c.Sent, FormatPercent(float64(c.OK)/float64(c.Sent)))
}

// UnreachableSentence says in one sentence when the target could not be
// reached and how many attempts failed without reaching it, or "".
func (r *Result) UnreachableSentence() string {
	u := r.Unreachable
	if u == nil || u.FailedAttempts == 0 {
		return ""
	}
	var b strings.Builder
	if len(u.Windows) > 0 {
		b.WriteString("the target could not be reached ")
		for i, w := range u.Windows {
			if i > 0 {
				b.WriteString(" and ")
			}
			fmt.Fprintf(&b, "from %.2fs to %.2fs", w.FromS, w.ToS)
		}
		b.WriteString(" of the measurement; ")
	}
	fmt.Fprintf(&b, "%s failed without reaching it (%s/s)", plural(u.FailedAttempts, "attempt", "attempts"), FormatRate(u.FailedPerS))
	if u.BackoffMaxS > 0 {
		fmt.Fprintf(&b, ", each worker waiting %s, doubling up to %s, before trying again", formatSeconds(u.BackoffMinS), formatSeconds(u.BackoffMaxS))
	}
	return b.String()
}

func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%gms", s*1e3)
	}
	return fmt.Sprintf("%gs", s)
}

// FirstErrorLines are "class: message" for the first error of each class,
// in the order of ErrorSummary.
func (r *Result) FirstErrorLines() []string {
	var classes []string
	for k := range r.FirstErrors {
		if r.FirstErrors[k] != "" {
			classes = append(classes, k)
		}
	}
	sort.Slice(classes, func(i, j int) bool {
		a, b := r.Errors[classes[i]], r.Errors[classes[j]]
		if a != b {
			return a > b
		}
		return classes[i] < classes[j]
	})
	lines := make([]string, len(classes))
	for i, k := range classes {
		lines[i] = k + ": " + r.FirstErrors[k]
	}
	return lines
}

// addUnreachable adds b to a, for results measured at the same time:
// attempts and rates add up, and windows that overlap become one.
func addUnreachable(a, b *Unreachable) *Unreachable {
	if b == nil {
		return a
	}
	if a == nil {
		a = &Unreachable{}
	}
	a.FailedAttempts += b.FailedAttempts
	a.FailedPerS += b.FailedPerS
	a.BackoffMinS = max(a.BackoffMinS, b.BackoffMinS)
	a.BackoffMaxS = max(a.BackoffMaxS, b.BackoffMaxS)
	ws := append(append([]Window(nil), a.Windows...), b.Windows...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].FromS < ws[j].FromS })
	a.Windows = nil
	for _, w := range ws {
		if n := len(a.Windows); n > 0 && w.FromS <= a.Windows[n-1].ToS {
			a.Windows[n-1].ToS = max(a.Windows[n-1].ToS, w.ToS)
			continue
		}
		a.Windows = append(a.Windows, w)
	}
	return a
}
