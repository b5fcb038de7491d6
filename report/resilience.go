package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/commsbench/commsbench/results"
)

// The resilience phase: every scenario at the same offered load, its
// receiving side taken down for a window in the middle of the measured
// period. The trade-off table gains columns for it, the sentences say
// what each mechanism did while the receiver was down, and the HTML page
// draws each one's timeline across the window (resilience_svg.go).

// Resilience is the suite's resilience phase, as stored in Result.Phase.
const Resilience = "resilience"

// resilienceRuns is every result of the row's resilience phase.
func (r Row) resilienceRuns() []*results.Result { return runsOf(r.ResilienceRuns, r.Resilience) }

// fault is the row's resilience result, when it measured a window.
func (r Row) fault() (*results.Result, *results.Resilience) {
	if res := r.Resilience; res != nil && res.Resilience != nil {
		return res, res.Resilience
	}
	return nil, nil
}

// HasResilience says whether any row has a resilience phase to show.
func HasResilience(rows []Row) bool {
	for _, r := range rows {
		if res, _ := r.fault(); res != nil {
			return true
		}
	}
	return false
}

// resilienceHeader are the columns the trade-off table gains.
func resilienceHeader() []string {
	return []string{"while down: caller errors", "while down: caller p99", "recovered after", "backlog peak", "lost"}
}

// resilienceCells are the row's cells of those columns.
func (r Row) resilienceCells() []string {
	res, rs := r.fault()
	if res == nil {
		why := "-"
		if r.ResilienceErr != "" {
			why = "failed"
		}
		return []string{why, "-", "-", "-", "-"}
	}
	d := rs.During
	errs := fmt.Sprintf("%d", d.Errors)
	if n := d.OK + d.Errors; n > 0 {
		errs += " (" + results.FormatPercent(d.ErrorRate()) + ")"
	}
	p99 := "-"
	if l := callerLatency(d); l != nil && l.Count > 0 {
		p99 = results.FormatNS(float64(l.P99))
	}
	rec := "not within the run"
	if rs.RecoveryS != nil {
		rec = fmt.Sprintf("%.2fs", *rs.RecoveryS)
	}
	peak := "-"
	if d.BacklogPeak != nil {
		peak = fmt.Sprint(*d.BacklogPeak)
	}
	lost := "-"
	if res.Counts.Delivery != nil {
		lost = fmt.Sprint(rs.Lost)
	}
	return []string{errs, p99, rec, peak, lost}
}

// callerLatency is the phase's latency of the caller's operation.
func callerLatency(p results.Phase) *results.Latency {
	for _, n := range []string{results.Response, results.Publish} {
		if l := p.Latency[n]; l != nil {
			return l
		}
	}
	return nil
}

// TableHeader is the trade-off table's header for rows: Header, and the
// resilience columns when a row has a resilience phase.
func TableHeader(rows []Row) []string {
	switch {
	case !HasResilience(rows):
		return Header()
	case resilienceOnly(rows):
		h := Header()
		return append(append(h[:2:2], resilienceHeader()...), h[len(h)-1])
	}
	return append(Header(), resilienceHeader()...)
}

// resilienceOnly says whether the rows have no result but of the
// resilience phase: the table then leaves out the other phases' columns,
// which would all be empty.
func resilienceOnly(rows []Row) bool {
	for _, r := range rows {
		if len(r.sameLoadRuns()) > 0 || len(r.saturationRuns()) > 0 {
			return false
		}
	}
	return true
}

// TableCells are the row's cells under TableHeader(rows).
func (r Row) TableCells(rows []Row) []string {
	cells := r.Cells()
	switch {
	case !HasResilience(rows):
		return cells
	case resilienceOnly(rows):
		own := r.resilienceCells()
		if st := r.Status(); st == "skipped" || st == "failed" {
			own = []string{st, "", "", "", ""}
		}
		return append(append(cells[:2:2], own...), r.Broker())
	}
	for len(cells) < len(Header()) {
		cells = append(cells, "")
	}
	return append(cells, r.resilienceCells()...)
}

// ResilienceLegend explains the resilience columns.
func ResilienceLegend() string {
	return "while down, recovered after, backlog peak, lost: the resilience phase, with the receiving side down for a window of the measured period — the caller's failed operations (and their share) and p99 during the window, the time from its end until the caller was healthy again (no errors, p99 within twice its value before) and the backlog empty, the most messages waiting, and the confirmed messages that never arrived (brokers)."
}

// ResilienceLine says in one line what the resilience phase was: its
// load and fault, as found in the rows' results.
func ResilienceLine(rows []Row) string {
	specs, rates := map[string]bool{}, map[float64]bool{}
	var durs []float64
	for _, r := range rows {
		res, _ := r.fault()
		if res == nil {
			continue
		}
		var s []string
		for _, f := range res.Faults {
			s = append(s, f.Spec)
		}
		specs[strings.Join(s, ", ")] = true
		rates[res.Load.Rate] = true
		durs = append(durs, res.Load.DurationS)
	}
	if len(specs) == 0 {
		return ""
	}
	var ss []string
	for s := range specs {
		ss = append(ss, s)
	}
	sort.Strings(ss)
	line := "Resilience: " + strings.Join(ss, "; ")
	if len(rates) == 1 {
		for v := range rates {
			if v > 0 {
				line += fmt.Sprintf(" at %s ops/s, open loop", rate(v))
			}
		}
	}
	if len(durs) > 0 {
		line += fmt.Sprintf(", in a %gs measured period", durs[0])
	}
	return line + " (the fault's start counts from the end of the warm-up)"
}

// resilienceSentences say what each mechanism did while its receiving
// side was down, from the measured figures.
func resilienceSentences(rows []Row, names []string) []string {
	var out []string
	var calls, brokered []string
	var recovered []string
	for i, r := range rows {
		res, rs := r.fault()
		if res == nil {
			continue
		}
		d := rs.During
		k := r.Kind()
		if rs.RecoveryS != nil {
			recovered = append(recovered, fmt.Sprintf("%s %.2f s", names[i], *rs.RecoveryS))
		} else {
			recovered = append(recovered, names[i]+" not within the run")
		}
		if k == Sync || k == RPC || res.Counts.Delivery == nil {
			s := fmt.Sprintf("%s callers got %d errors", names[i], d.Errors)
			if len(d.ErrorClasses) > 0 {
				s += " (" + classList(d.ErrorClasses) + ")"
			}
			if d.OK > 0 {
				s += fmt.Sprintf(" and %d answers", d.OK)
			}
			if rt := d.Retries; rt != nil && rt.Retried > 0 {
				s += fmt.Sprintf(", after retrying %d calls of which %d succeeded", rt.Retried, rt.SucceededAfterRetry)
			}
			if d.BacklogPeak != nil && *d.BacklogPeak > 0 {
				s += fmt.Sprintf(", with up to %d requests waiting in the queue", *d.BacklogPeak)
			}
			calls = append(calls, s)
			continue
		}
		what := "every message"
		if k == Event {
			what = "every event"
		}
		var s string
		if d.Errors == 0 {
			s = fmt.Sprintf("%s accepted %s (%d", names[i], what, d.OK)
		} else {
			s = fmt.Sprintf("%s accepted %d messages and refused %d (%s", names[i], d.OK, d.Errors, classList(d.ErrorClasses))
		}
		if l := callerLatency(d); l != nil && l.Count > 0 {
			s += fmt.Sprintf(", publish p99 %s", ns(float64(l.P99)))
		}
		s += ")"
		switch {
		case rs.BacklogEmptyS != nil && rs.Lost == 0:
			s += fmt.Sprintf(" and delivered them all within %.2f s of the receiver's return, losing none", max(*rs.BacklogEmptyS-rs.WindowEndS, 0))
		case rs.BacklogEmptyS != nil:
			s += fmt.Sprintf(", had its backlog read %.2f s after the receiver's return, and lost %d", max(*rs.BacklogEmptyS-rs.WindowEndS, 0), rs.Lost)
		default:
			s += fmt.Sprintf(", but its backlog was not empty when the run ended (lost %d)", rs.Lost)
		}
		if d.BacklogPeak != nil {
			s += fmt.Sprintf("; up to %d waited", *d.BacklogPeak)
		}
		if rs.Duplicates > 0 {
			s += fmt.Sprintf("; %d arrived twice", rs.Duplicates)
		}
		brokered = append(brokered, s)
	}
	if len(calls)+len(brokered) == 0 {
		return nil
	}
	intro := "While the receiving side was down"
	if line := windowWords(rows); line != "" {
		intro += " " + line
	}
	s := intro + ", " + strings.Join(calls, "; ")
	switch {
	case len(calls) == 0:
		s = intro + ", " + strings.Join(brokered, "; ")
	case len(brokered) > 0:
		s += ", while " + strings.Join(brokered, "; ")
	}
	out = append(out, s+".")
	out = append(out, "Recovered after the window (caller healthy again and backlog empty): "+strings.Join(recovered, ", ")+".")
	return out
}

// windowWords says when the window was, when every row had the same one:
// "(down@5s+5s, 5 s of a 15 s measured period)".
func windowWords(rows []Row) string {
	seen := map[string]bool{}
	var spec string
	var dur float64
	for _, r := range rows {
		res, rs := r.fault()
		if res == nil {
			continue
		}
		var s []string
		for _, f := range res.Faults {
			s = append(s, f.Spec)
		}
		spec = strings.Join(s, ", ")
		seen[spec] = true
		dur = rs.WindowEndS - rs.WindowStartS
	}
	if len(seen) != 1 {
		return ""
	}
	return fmt.Sprintf("(%s, for %.1f s)", spec, dur)
}

// classList is "connection_refused 995, eof 5", most first.
func classList(m map[string]int64) string {
	res := &results.Result{Errors: m}
	return res.ErrorSummary()
}
