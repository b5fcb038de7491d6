package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/commsbench/commsbench/results"
)

// Table formats.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
)

// Header is the trade-off table's column names.
func Header() []string {
	return []string{"scenario", "mechanism", "caller waits p50 / p99", "end to end p50 / p99", "max ops/s",
		"CPU/op client", "CPU/op receiver", "CPU/op broker", "CPU/op total", "delivered", "broker"}
}

// Cells are a row's table cells, in Header's order. Missing figures are "-".
func (r Row) Cells() []string {
	cells := []string{r.Scenario, r.Mechanism()}
	if st := r.Status(); st == "skipped" || st == "failed" {
		return append(cells, st, "", "", "", "", "", "", "", "")
	}
	pair := func(p Percentiles, ok bool) string {
		if !ok {
			return "-"
		}
		return results.FormatNS(p.P50) + " / " + results.FormatNS(p.P99)
	}
	cells = append(cells, pair(r.CallerWaits()), pair(r.EndToEnd()))
	if v, ok := r.MaxOpsPerS(); ok {
		cell := results.FormatRate(v)
		if p99, ok := r.MaxP99(); ok {
			cell += " · p99 " + results.FormatNS(p99)
		}
		cells = append(cells, cell)
	} else {
		cells = append(cells, "-")
	}
	cells = append(cells, r.CPUCell(cpuClient)+r.cpuShared(), r.CPUCell(cpuRecv), r.CPUCell(cpuBroker), r.CPUCell(cpuTotal))
	if d, ok := r.Delivered(); ok {
		cells = append(cells, d.String())
	} else {
		cells = append(cells, "-")
	}
	return append(cells, r.Broker())
}

// Legend explains the columns, one sentence each.
func Legend() []string {
	return []string{
		"caller waits: what the sending service waited for in the same-load phase (open loop) — the response for REST, gRPC and queue rpc, the broker's confirm for queue oneway and events.",
		"end to end: from when the operation was due to when the receiving service had it (coordinated omission corrected); for calls, the response.",
		"max ops/s: the throughput reached in the saturation phase: the highest open-loop rate sustained, with the p99 there, where the phase searched for it (suite, run --find-max); what a closed loop of workers achieved in older results.",
		"CPU/op: CPU time per operation, same-load phase / saturation phase (medians over the runs). client is this process, and what ran inside it is named: consumers of a queue or stream, an embedded target, the embedded Kafka broker (\"with client\" in their own column). receiver and broker are another process on this machine listening on the target's port, read from /proc (Linux), \"not measured\" for a remote host or elsewhere; a broker's figure is all its work, including other clients it served meanwhile. total adds the parts, when every one was measured.",
		"delivered: messages received out of those expected over every run of both phases (sent × subscribing groups), lost, unread (still queued when the drain ended, where the run counted them) and duplicated ones; for calls, answers out of requests.",
	}
}

// TableLegend is Legend, and the resilience columns' when the table has them.
func TableLegend(rows []Row) []string {
	if HasResilience(rows) {
		return append(Legend(), ResilienceLegend())
	}
	return Legend()
}

// Problems lists what went wrong: skipped scenarios with their reason and
// fix, and phases that failed or were not run, with the error.
func Problems(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if r.Skipped != "" {
			s := fmt.Sprintf("%s skipped: %s", r.Scenario, r.Skipped)
			if r.Fix != "" {
				s += ". To run it: " + r.Fix
			}
			out = append(out, s)
			continue
		}
		if r.SameLoadErr != "" {
			out = append(out, fmt.Sprintf("%s, same-load phase: %s", r.Scenario, r.SameLoadErr))
		}
		if r.SaturationErr != "" {
			out = append(out, fmt.Sprintf("%s, saturation phase: %s", r.Scenario, r.SaturationErr))
		}
		if r.ResilienceErr != "" {
			out = append(out, fmt.Sprintf("%s, resilience phase: %s", r.Scenario, r.ResilienceErr))
		}
	}
	return out
}

// Notes are the sentences the runs left beside their numbers (such as
// an embedded broker's caveat, or a reached in-flight bound), once per
// scenario.
func Notes(rows []Row) []string {
	var out []string
	for _, r := range rows {
		seen := map[string]bool{}
		for _, res := range []*results.Result{r.SameLoad, r.Saturation, r.Resilience} {
			if res == nil {
				continue
			}
			for _, n := range res.Notes {
				if !seen[n] {
					seen[n] = true
					out = append(out, r.Scenario+": "+n)
				}
			}
		}
	}
	return out
}

// WriteTable prints the trade-off table, the sentences drawn from it and
// what was skipped or failed, as aligned text or markdown.
func WriteTable(w io.Writer, rows []Row, format string) error {
	switch format {
	case FormatMarkdown:
		return writeMarkdown(w, rows)
	case FormatText, "":
		return writeText(w, rows)
	}
	return fmt.Errorf("unknown format %q (want text or markdown)", format)
}

func writeText(w io.Writer, rows []Row) error {
	if line := PhaseLine(rows); line != "" {
		fmt.Fprintf(w, "%s\n\n", line)
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n", strings.Join(TableHeader(rows), "\t"))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\n", strings.Join(r.TableCells(rows), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Rows that end in empty cells would end in padding.
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		if line != "" {
			fmt.Fprintln(w, strings.TrimRight(line, " \n"))
		}
	}
	if s := Sentences(rows); len(s) > 0 {
		fmt.Fprintln(w)
		for _, line := range s {
			fmt.Fprintf(w, "- %s\n", wrap(line, 100, "  "))
		}
	}
	if p := Problems(rows); len(p) > 0 {
		fmt.Fprintln(w)
		for _, line := range p {
			fmt.Fprintf(w, "%s\n", wrap(line, 100, "  "))
		}
	}
	if n := Notes(rows); len(n) > 0 {
		fmt.Fprintln(w)
		for _, line := range n {
			fmt.Fprintf(w, "note: %s\n", wrap(line, 100, "  "))
		}
	}
	return nil
}

func writeMarkdown(w io.Writer, rows []Row) error {
	if line := PhaseLine(rows); line != "" {
		fmt.Fprintf(w, "%s\n\n", escapeMD(line))
	}
	fmt.Fprintf(w, "| %s |\n|", strings.Join(TableHeader(rows), " | "))
	for i := range TableHeader(rows) {
		if i >= 2 && i <= 5 {
			fmt.Fprint(w, "---:|")
		} else {
			fmt.Fprint(w, "---|")
		}
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		cells := r.TableCells(rows)
		for i := range cells {
			cells[i] = escapeMD(cells[i])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	if s := Sentences(rows); len(s) > 0 {
		fmt.Fprintln(w)
		for _, line := range s {
			fmt.Fprintf(w, "- %s\n", escapeMD(line))
		}
	}
	if p := Problems(rows); len(p) > 0 {
		fmt.Fprintln(w)
		for _, line := range p {
			fmt.Fprintf(w, "> %s\n", escapeMD(line))
		}
	}
	if n := Notes(rows); len(n) > 0 {
		fmt.Fprintln(w)
		for _, line := range n {
			fmt.Fprintf(w, "> note: %s\n", escapeMD(line))
		}
	}
	fmt.Fprintln(w)
	for _, l := range TableLegend(rows) {
		fmt.Fprintf(w, "<sub>%s</sub><br>\n", escapeMD(l))
	}
	return nil
}

func escapeMD(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

// wrap breaks s into lines of at most width runes at spaces, indenting
// the continuation lines.
func wrap(s string, width int, indent string) string {
	words := strings.Fields(s)
	var b strings.Builder
	n := 0
	for i, wd := range words {
		l := len([]rune(wd))
		if i > 0 && n+1+l > width {
			b.WriteString("\n" + indent)
			n = len(indent)
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(wd)
		n += l
	}
	return b.String()
}
