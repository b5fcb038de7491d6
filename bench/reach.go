package bench

import (
	"strings"
	"time"

	"github.com/commsbench/commsbench/results"
)

// reachSlot is the resolution at which the collector tells when the target
// was unreachable: a slot in which more operations failed unreached than
// succeeded belongs to an outage.
const reachSlot = int64(100 * time.Millisecond)

// reachability counts, per slot of the measured period, the operations
// that succeeded and those that never reached the target. It lives in the
// collector goroutine: no lock.
type reachability struct {
	slots []reachCount
	total int64
}

type reachCount struct {
	ok, failed  int64
	first, last int64 // done times of the slot's first and last failure
}

func (r *reachability) slot(done int64) *reachCount {
	i := int(max(done, 0) / reachSlot)
	for len(r.slots) <= i {
		r.slots = append(r.slots, reachCount{})
	}
	return &r.slots[i]
}

func (r *reachability) ok(done int64) { r.slot(done).ok++ }

func (r *reachability) failed(done int64) {
	s := r.slot(done)
	if s.failed == 0 || done < s.first {
		s.first = done
	}
	s.last = max(s.last, done)
	s.failed++
	r.total++
}

// result describes what was seen, or nil when every operation reached the target.
func (r *reachability) result(elapsed time.Duration, backedOff bool) *results.Unreachable {
	if r.total == 0 {
		return nil
	}
	u := &results.Unreachable{FailedAttempts: r.total, Windows: r.windows()}
	if s := elapsed.Seconds(); s > 0 {
		u.FailedPerS = float64(r.total) / s
	}
	if backedOff {
		u.BackoffMinS, u.BackoffMaxS = BackoffMin.Seconds(), BackoffMax.Seconds()
	}
	return u
}

// windows joins the slots where failures outnumbered successes, across
// slots that saw no operation at all (a backing-off worker may leave one
// empty), into periods from the first failure to the last.
func (r *reachability) windows() []results.Window {
	var out []results.Window
	open := false
	var from, to int64
	for _, s := range r.slots {
		switch {
		case s.failed > s.ok:
			if !open {
				open, from = true, s.first
			}
			to = s.last
		case s.ok > 0 && open:
			out = append(out, results.Window{FromS: seconds(from), ToS: seconds(to)})
			open = false
		}
	}
	if open {
		out = append(out, results.Window{FromS: seconds(from), ToS: seconds(to)})
	}
	return out
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// maxErrorText bounds a kept error message.
const maxErrorText = 300

// firstErrorText is what a result keeps of the first error of a class:
// its message, without passwords, cut to a readable length, and what to
// do when the class is one of this machine's limits.
func firstErrorText(class string, err error) string {
	if err == nil {
		return ""
	}
	s := results.RedactSecrets(strings.TrimSpace(err.Error()))
	if r := []rune(s); len(r) > maxErrorText {
		s = string(r[:maxErrorText]) + "…"
	}
	if h := LimitHint(class); h != "" {
		s += " (" + h + ")"
	}
	return s
}
