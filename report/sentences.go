package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/commsbench/commsbench/results"
)

// keepUpShare is the share of the offered rate below which a scenario is
// said not to have kept up.
const keepUpShare = 0.95

// Sentences says in plain words what the table shows. Every number in
// them is a measured figure of the rows; a sentence whose figures are
// missing is left out.
func Sentences(rows []Row) []string {
	names := proseNames(rows)
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// The calls, fastest first. Where the scenarios were offered different
	// loads, each call says its own.
	rates, _ := Loads(rows)
	atRate := func(r Row) string {
		if len(rates) < 2 {
			return ""
		}
		if v, ok := r.Offered(); ok {
			return " at " + rate(v) + " ops/s"
		}
		return ""
	}
	type call struct {
		name string
		p    Percentiles
		row  int
	}
	var calls []call
	for i, r := range rows {
		if r.Kind() != Sync {
			continue
		}
		if p, ok := r.CallerWaits(); ok {
			calls = append(calls, call{names[i], p, i})
		}
	}
	// The reference the other mechanisms are compared with is the fastest
	// call at the median, and the sentences say so.
	baseName := ""
	var baseP Percentiles
	if len(calls) > 0 {
		sort.SliceStable(calls, func(i, j int) bool { return calls[i].p.P50 < calls[j].p.P50 })
		baseName, baseP = calls[0].name, calls[0].p
		var parts []string
		for i, c := range calls {
			if i == 0 {
				parts = append(parts, fmt.Sprintf("%s answered in %s at the median and %s at p99%s", c.name, ns(c.p.P50), ns(c.p.P99), atRate(rows[c.row])))
				continue
			}
			parts = append(parts, fmt.Sprintf("%s in %s and %s%s", c.name, ns(c.p.P50), ns(c.p.P99), atRate(rows[c.row])))
		}
		add("%s, %s.", sameLoadIntro(rows), strings.Join(parts, "; "))
		if len(calls) < len(rows) {
			add("The other mechanisms are compared with %s, the fastest call at the median.", baseName)
		}
	}
	hasBase := baseName != ""

	// Oneway and events against the first call.
	for i, r := range rows {
		k := r.Kind()
		if k != Oneway && k != Event {
			continue
		}
		cw, ok1 := r.CallerWaits()
		e2e, ok2 := r.EndToEnd()
		if !ok1 || !ok2 {
			continue
		}
		what := "the broker's confirm"
		if k == Event {
			what = "the broker's acknowledgement"
		}
		switch {
		case !hasBase:
			add("%s made the caller wait %s for %s; delivery took %s end to end (p99 %s).", capitalize(names[i]), ns(cw.P50), what, ns(e2e.P50), ns(e2e.P99))
		case cw.P50 < baseP.P50:
			add("%s made the caller wait %s (%s) instead of the %s %s took to answer, but delivery took %s end to end (p99 %s).", capitalize(names[i]), ns(cw.P50), what, ns(baseP.P50), baseName, ns(e2e.P50), ns(e2e.P99))
		default:
			add("%s made the caller wait %s for %s, longer than the %s %s took to answer, and delivery took %s end to end (p99 %s).", capitalize(names[i]), ns(cw.P50), what, ns(baseP.P50), baseName, ns(e2e.P50), ns(e2e.P99))
		}
	}

	// Request-reply over a broker against the first call.
	for i, r := range rows {
		if r.Kind() != RPC {
			continue
		}
		p, ok := r.CallerWaits()
		if !ok {
			continue
		}
		if !hasBase || baseP.P50 <= 0 {
			add("Request-reply over %s took %s at the median and %s at p99.", names[i], ns(p.P50), ns(p.P99))
			continue
		}
		add("Request-reply over %s took %s at the median, %s %s's %s; %s at p99 against %s.", names[i], ns(p.P50), ratio(p.P50, baseP.P50), baseName, ns(baseP.P50), ns(p.P99), ns(baseP.P99))
	}

	// Who kept up with the offered load, and what was never sent.
	for i, r := range rows {
		offered, ok := r.Offered()
		got, _ := r.Achieved()
		if !ok || got >= keepUpShare*offered {
			continue
		}
		s := fmt.Sprintf("%s did not keep up with %s ops/s: it completed %s ops/s, so its latency includes the wait of operations queued behind others", capitalize(names[i]), rate(offered), rate(got))
		if unsent, asked := r.Unsent(); unsent > 0 {
			s += fmt.Sprintf(", and %d of the %d operations due were never sent", unsent, asked)
		}
		add("%s.", s)
	}

	// The throughput ceilings, highest first.
	type ceiling struct {
		name string
		v    float64
	}
	var ceilings []ceiling
	for i, r := range rows {
		if v, ok := r.MaxOpsPerS(); ok {
			ceilings = append(ceilings, ceiling{names[i], v})
		}
	}
	if len(ceilings) > 0 {
		sort.SliceStable(ceilings, func(i, j int) bool { return ceilings[i].v > ceilings[j].v })
		_, workers := Loads(rows)
		intro := "At saturation"
		switch {
		case searched(rows):
			intro = "At the highest rate each sustained"
		case len(workers) == 1:
			intro = fmt.Sprintf("At saturation (%d workers, closed loop)", workers[0])
		}
		if len(ceilings) == 1 {
			add("%s, %s reached %s ops/s.", intro, ceilings[0].name, rate(ceilings[0].v))
		} else {
			var rest []string
			for _, c := range ceilings[1:] {
				rest = append(rest, fmt.Sprintf("%s %s", c.name, rate(c.v)))
			}
			add("%s, %s reached the most operations per second: %s, then %s.", intro, ceilings[0].name, rate(ceilings[0].v), joinAnd(rest))
		}
	}

	// Delivery of the brokered scenarios.
	var exact []string
	for i, r := range rows {
		d, ok := r.Delivered()
		if !ok || !d.Brokered {
			continue
		}
		unread := int64(0)
		if d.Unread != nil {
			unread = *d.Unread
		}
		switch {
		case unread > 0:
			add("%s: %d of %d messages expected had arrived when the drain ended; %d were still waiting to be read, %d were lost and %d duplicated.", capitalize(names[i]), d.Received, d.Expected, unread, d.Lost, d.Duplicates)
		case d.Lost == 0 && d.Duplicates == 0 && d.Received == d.Expected:
			exact = append(exact, fmt.Sprintf("%s (%d of %d)", names[i], d.Received, d.Expected))
		case d.Lost > 0 || d.Duplicates > 0:
			add("%s lost %d and duplicated %d of %d messages expected.", capitalize(names[i]), d.Lost, d.Duplicates, d.Expected)
		default:
			add("%s: %d of %d messages expected had arrived when the drain ended.", capitalize(names[i]), d.Received, d.Expected)
		}
	}
	if len(exact) > 0 {
		add("Every message was delivered exactly once by %s.", joinAnd(exact))
	}

	// Errors, added up over the runs of each phase.
	for i, r := range rows {
		for _, runs := range [][]*results.Result{r.sameLoadRuns(), r.saturationRuns()} {
			var errs, sent int64
			for _, res := range runs {
				errs += res.Counts.Errors
				sent += res.Counts.Sent
			}
			if errs == 0 {
				continue
			}
			res := runs[len(runs)-1]
			over := ""
			if len(runs) > 1 {
				over = fmt.Sprintf(" over %d runs", len(runs))
			}
			phase := phaseWords(res.Phase, res.Load.Mode)
			add("%s had %d errors out of %d operations in the %s phase%s (%s).", capitalize(names[i]), errs, sent, phase, over, errorClasses(runs))
			if res.MostlyErrors() != "" {
				add("That is mostly errors: the latency figures of %s's %s phase describe the few operations that succeeded, not the target.", names[i], phase)
			}
			if u := res.UnreachableSentence(); u != "" {
				add("In %s's %s phase %s.", names[i], phase, u)
			}
		}
	}

	// CPU per operation, cheapest first.
	type cost struct {
		name string
		us   float64
	}
	var costs []cost
	for i, r := range rows {
		if v, ok := r.CPUPerOpUS(); ok {
			costs = append(costs, cost{names[i], v})
		}
	}
	if len(costs) > 1 {
		sort.SliceStable(costs, func(i, j int) bool { return costs[i].us < costs[j].us })
		var rest []string
		for _, c := range costs[1:] {
			rest = append(rest, fmt.Sprintf("%s for %s", ns(c.us*1e3), c.name))
		}
		add("Per operation, %s cost this process the least CPU time: %s, against %s.", costs[0].name, ns(costs[0].us*1e3), joinAnd(rest))
	}
	if q, ok := findTwoByTwo(rows); ok {
		out = append(out, q.sentences()...)
	}
	out = append(out, resilienceSentences(rows, names)...)
	return out
}

// proseNames names each row for sentences: its mechanism, with the
// scenario added where two rows share one.
func proseNames(rows []Row) []string {
	count := map[string]int{}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = proseMechanism(r)
		if r.Ran() {
			count[names[i]]++
		}
	}
	for i, r := range rows {
		if r.Ran() && count[names[i]] > 1 {
			names[i] += " (" + r.Scenario + ")"
		}
	}
	return names
}

func proseMechanism(r Row) string {
	if r.Mech.Prose != "" {
		return r.Mech.Prose
	}
	return r.Mechanism()
}

func sameLoadIntro(rows []Row) string {
	rates, _ := Loads(rows)
	switch len(rates) {
	case 0:
		return "At the same offered load"
	case 1:
		return fmt.Sprintf("At the same offered load of %s ops/s", rate(rates[0]))
	}
	return "At different offered loads, not on equal terms"
}

// errorClasses lists the error classes of runs by count, largest first.
func errorClasses(runs []*results.Result) string {
	sum := &results.Result{Errors: map[string]int64{}}
	for _, res := range runs {
		for k, v := range res.Errors {
			sum.Errors[k] += v
		}
	}
	return sum.ErrorSummary()
}

func phaseWords(phase, mode string) string {
	switch {
	case phase == SameLoad, phase == "" && mode == results.OpenLoop:
		return "same-load"
	}
	return "saturation"
}

// ratio says how v compares with base: "2.3× " or "40% of".
func ratio(v, base float64) string {
	x := v / base
	if x >= 1 {
		return fmt.Sprintf("%.1f×", x)
	}
	return fmt.Sprintf("%.0f%% of", 100*x)
}

func ns(v float64) string   { return results.FormatNS(v) }
func rate(v float64) string { return results.FormatRate(v) }

// capitalize starts a sentence with s: "the queue" becomes "The queue";
// names that are spelt with a lower-case letter (gRPC) stay as they are.
func capitalize(s string) string {
	if !strings.HasPrefix(s, "the ") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
