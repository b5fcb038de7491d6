package results

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// The resilience table: one row per phase of the faults' window, the
// caller's figures beside the far side's, so that a reader sees at once
// what the fault did to whom.

// resilienceHeader are the table's columns.
var resilienceHeader = []string{"phase", "span", "ok", "failed", "errors", "caller p50", "caller p99", "e2e p99", "e2e max", "backlog peak"}

// resilienceRows are the cells of the table, one row per phase.
func (r *Result) resilienceRows() [][]string {
	rs := r.Resilience
	bounds := []float64{0, rs.WindowStartS, rs.WindowEndS, max(r.DurationS, rs.WindowEndS)}
	var rows [][]string
	for i, p := range []Phase{rs.Before, rs.During, rs.After} {
		caller, e2e := p.callerLatency(), p.Latency[EndToEnd]
		row := []string{
			[]string{"before", "during", "after"}[i],
			fmt.Sprintf("%.1f–%.1fs", bounds[i], bounds[i+1]),
			fmt.Sprint(p.OK), fmt.Sprint(p.Errors), classList(p.ErrorClasses),
			quantileCell(caller, "p50"), quantileCell(caller, "p99"),
			quantileCell(e2e, "p99"), quantileCell(e2e, "max"), "–",
		}
		if p.BacklogPeak != nil {
			row[9] = fmt.Sprint(*p.BacklogPeak)
		}
		rows = append(rows, row)
	}
	return rows
}

// callerLatency is the phase's latency of the caller's operation.
func (p Phase) callerLatency() *Latency {
	for _, n := range []string{Response, Publish} {
		if l := p.Latency[n]; l != nil {
			return l
		}
	}
	return nil
}

func quantileCell(l *Latency, q string) string {
	if l == nil || l.Count == 0 {
		return "–"
	}
	v, err := l.Quantile(q)
	if err != nil {
		return "–"
	}
	return FormatNS(v)
}

// classList is "connection_refused 995, eof 5", most first.
func classList(m map[string]int64) string {
	if len(m) == 0 {
		return "–"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, m[n])
	}
	return strings.Join(parts, ", ")
}

// FaultsLine says what was injected and when it was applied.
func (r *Result) FaultsLine() string {
	parts := make([]string, len(r.Faults))
	for i, f := range r.Faults {
		parts[i] = fmt.Sprintf("%s (applied %.2f–%.2fs)", f.Spec, f.InjectedS, f.RestoredS)
		if f.Error != "" {
			parts[i] = fmt.Sprintf("%s (failed: %s)", f.Spec, f.Error)
		}
	}
	return strings.Join(parts, "; ")
}

// RecoveryLine says when the run was back after the window, and what
// brokers lost or duplicated.
func (r *Result) RecoveryLine() string {
	rs := r.Resilience
	var b strings.Builder
	if rs.RecoveryS != nil {
		fmt.Fprintf(&b, "%.2fs after the window", *rs.RecoveryS)
	} else {
		b.WriteString("not within the run")
	}
	var why []string
	if rs.CallerRecoveredS != nil {
		why = append(why, fmt.Sprintf("caller healthy from %.2fs", *rs.CallerRecoveredS))
	}
	if rs.BacklogEmptyS != nil {
		why = append(why, fmt.Sprintf("backlog empty at %.2fs", *rs.BacklogEmptyS))
	}
	if len(why) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(why, ", "))
	}
	if r.Counts.Delivery != nil {
		fmt.Fprintf(&b, "; lost %d, duplicates %d", rs.Lost, rs.Duplicates)
	}
	return b.String()
}

// resilienceTable is the header and rows, without the columns that are
// empty in every row (no end-to-end latency or backlog for REST, say).
func (r *Result) resilienceTable() ([]string, [][]string) {
	rows := r.resilienceRows()
	var keep []int
	for c := range resilienceHeader {
		for _, row := range rows {
			if row[c] != "–" || c < 5 {
				keep = append(keep, c)
				break
			}
		}
	}
	pick := func(row []string) []string {
		out := make([]string, len(keep))
		for i, c := range keep {
			out[i] = row[c]
		}
		return out
	}
	for i := range rows {
		rows[i] = pick(rows[i])
	}
	return pick(resilienceHeader), rows
}

func writeResilienceText(w io.Writer, r *Result) error {
	if r.Resilience == nil {
		return nil
	}
	fmt.Fprintf(w, "\n  faults     %s\n", r.FaultsLine())
	fmt.Fprintf(w, "  recovered  %s\n", r.RecoveryLine())
	for _, f := range r.Resilience.Findings {
		fmt.Fprintf(w, "  finding    %s\n", f)
	}
	fmt.Fprintln(w)
	header, rows := r.resilienceTable()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\n", strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func writeResilienceMarkdown(w io.Writer, r *Result) {
	if r.Resilience == nil {
		return
	}
	fmt.Fprintf(w, "\n| faults | %s |\n|---|---|\n| recovered | %s |\n", escapeMD(r.FaultsLine()), escapeMD(r.RecoveryLine()))
	for _, f := range r.Resilience.Findings {
		fmt.Fprintf(w, "| finding | %s |\n", escapeMD(f))
	}
	header, rows := r.resilienceTable()
	fmt.Fprintf(w, "\n| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, row := range rows {
		for i := range row {
			row[i] = escapeMD(row[i])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}
