package results

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Summary formats.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// latencyOrder is the order latencies are shown in; others follow sorted.
var latencyOrder = []string{Response, Service, SendDelay, Publish, EndToEnd, EndToEndService}

// LatencyNames returns the latency kinds of r in display order.
func (r *Result) LatencyNames() []string {
	var names, rest []string
	for _, n := range latencyOrder {
		if _, ok := r.Latency[n]; ok {
			names = append(names, n)
		}
	}
	for n := range r.Latency {
		known := false
		for _, k := range latencyOrder {
			known = known || k == n
		}
		if !known {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// WriteSummary prints one result for a person: text for a terminal or a
// CI log, markdown for a pull-request comment, or the result JSON.
func WriteSummary(w io.Writer, r *Result, format string) error {
	switch format {
	case FormatJSON:
		return Encode(w, r)
	case FormatMarkdown:
		return writeMarkdown(w, r)
	case FormatText, "":
		return writeText(w, r)
	}
	return fmt.Errorf("unknown format %q (want text, json or markdown)", format)
}

// Headline is a one-line description of the run: transport, load and target.
func (r *Result) Headline() string {
	var b strings.Builder
	b.WriteString(r.Transport)
	if r.Label != "" {
		fmt.Fprintf(&b, " [%s]", r.Label)
	}
	if r.Load.Mode == OpenLoop {
		b.WriteString(" · open loop")
	} else {
		b.WriteString(" · closed loop")
	}
	b.WriteString(" · ")
	b.WriteString(r.TargetDescription())
	return b.String()
}

// TargetDescription says what stood on the far side, in a few words.
func (r *Result) TargetDescription() string {
	t := r.Target
	var parts []string
	if t.Kind != "" {
		parts = append(parts, t.Kind)
	}
	if t.Broker != "" {
		b := t.Broker
		if t.BrokerVersion != "" {
			b += " " + t.BrokerVersion
		}
		parts = append(parts, b)
	}
	if t.Image != "" {
		parts = append(parts, t.Image)
	}
	if t.Address != "" {
		parts = append(parts, t.Address)
	}
	switch t.Process {
	case ProcessChild:
		parts = append(parts, "(own process)")
	case ProcessShared:
		parts = append(parts, "(in-process)")
	}
	return strings.Join(parts, " ")
}

// MessagesSummary describes a typed run's messages: their encoding and
// sizes, and the client's encode and decode time; "" for an echo.
func (r *Result) MessagesSummary() string {
	enc, ok := r.Options["encoding"].(string)
	if !ok || enc == "" {
		return ""
	}
	s := enc
	if req, ok := optionNumber(r.Options["request_bytes"]); ok {
		s += fmt.Sprintf(", %s request", FormatBytes(req))
	}
	if rep, ok := optionNumber(r.Options["reply_bytes"]); ok {
		s += fmt.Sprintf(", %s reply", FormatBytes(rep))
	}
	if r.Resources != nil && r.Resources.ClientCodecPerOpUS > 0 {
		s += fmt.Sprintf("; client encode + decode %s per operation", FormatNS(r.Resources.ClientCodecPerOpUS*1e3))
	}
	return s
}

// optionNumber reads a number of the options: an int as a run recorded
// it, a float64 as a result file gives it back.
func optionNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// AskedLoad describes what was asked of the load generator.
func (r *Result) AskedLoad() string {
	l := r.Load
	var parts []string
	if l.Mode == OpenLoop {
		parts = append(parts, FormatRate(l.Rate)+" ops/s", fmt.Sprintf("≤ %d in flight", l.Concurrency))
	} else {
		parts = append(parts, plural(int64(l.Concurrency), "worker", "workers"))
	}
	if l.Connections > 0 {
		parts = append(parts, plural(int64(l.Connections), "connection", "connections"))
	}
	parts = append(parts, FormatBytes(float64(l.PayloadBytes))+" payload")
	switch {
	case l.Requests > 0:
		parts = append(parts, plural(l.Requests, "operation", "operations"))
	case l.DurationS > 0:
		parts = append(parts, fmt.Sprintf("%gs", l.DurationS))
	}
	if l.WarmupS > 0 {
		parts = append(parts, fmt.Sprintf("after %gs warm-up", l.WarmupS))
	}
	return strings.Join(parts, ", ")
}

// AchievedLoad describes what the run achieved.
func (r *Result) AchievedLoad() string {
	t := r.Throughput
	s := fmt.Sprintf("%s ops/s", FormatRate(t.OpsPerS))
	if t.BytesPerS > 0 {
		s += fmt.Sprintf(", %s/s", FormatBytes(t.BytesPerS))
	}
	if t.PublishedPerS > 0 || t.ConsumedPerS > 0 {
		s += fmt.Sprintf(" (published %s/s, consumed %s/s)", FormatRate(t.PublishedPerS), FormatRate(t.ConsumedPerS))
	}
	s += fmt.Sprintf(" over %.2fs", r.DurationS)
	if r.Load.Mode == OpenLoop && t.RequestedOpsPerS > 0 {
		s += fmt.Sprintf(" (%.1f%% of the asked rate)", 100*t.OpsPerS/t.RequestedOpsPerS)
	}
	return s
}

// ErrorSummary lists error classes by count, largest first.
func (r *Result) ErrorSummary() string {
	type kv struct {
		k string
		v int64
	}
	var list []kv
	for k, v := range r.Errors {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	var parts []string
	for _, e := range list {
		parts = append(parts, fmt.Sprintf("%s %d", e.k, e.v))
	}
	return strings.Join(parts, ", ")
}

// DeliverySummary is the accounting line of a brokered run ("" otherwise).
func (r *Result) DeliverySummary() string {
	d := r.Counts.Delivery
	if d == nil {
		return ""
	}
	parts := []string{fmt.Sprintf("sent %d", r.Counts.Sent)}
	if d.Acked > 0 {
		parts = append(parts, fmt.Sprintf("acked %d", d.Acked))
	} else {
		parts = append(parts, fmt.Sprintf("confirmed %d", d.Confirmed))
	}
	parts = append(parts, fmt.Sprintf("received %d", d.Received), fmt.Sprintf("lost %d", d.Lost))
	if d.Unread != nil {
		parts = append(parts, fmt.Sprintf("unread %d", *d.Unread))
	}
	parts = append(parts, fmt.Sprintf("duplicates %d", d.Duplicates))
	for _, x := range []struct {
		name string
		v    int64
	}{{"nacked", d.Nacked}, {"returned", d.Returned}, {"redelivered", d.Redelivered}, {"outstanding", d.Outstanding}, {"out of order", d.OutOfOrder}, {"invalid", d.Invalid}, {"uncorrelated", d.Uncorrelated}} {
		if x.v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", x.name, x.v))
		}
	}
	return strings.Join(parts, " / ")
}

// latencyRow is one row of the latency table.
type latencyRow struct {
	name string
	l    *Latency
}

func (r *Result) latencyRows() []latencyRow {
	var rows []latencyRow
	headline := r.brokerHeadline()
	for _, n := range r.LatencyNames() {
		name := strings.ReplaceAll(n, "_", " ")
		if headline && n == EndToEnd {
			name += " (headline)"
		}
		rows = append(rows, latencyRow{name, r.Latency[n]})
	}
	// One group's end to end is the overall one: its row would repeat it.
	if len(r.Subscribers) > 1 {
		for _, s := range r.Subscribers {
			if s.EndToEnd != nil {
				rows = append(rows, latencyRow{"end to end · " + s.Group, s.EndToEnd})
			}
		}
	}
	return rows
}

// brokerHeadline reports whether r is a brokered run whose headline
// latency is end to end: what a message took from its due send to a
// consumer, broker and queueing included.
func (r *Result) brokerHeadline() bool {
	return r.Counts.Delivery != nil && r.Latency[EndToEnd] != nil
}

// latencyLegend explains, under a brokered run's latency table, which
// figure is the headline and what service means when a broker stands
// between the services ("" for other runs).
func (r *Result) latencyLegend() []string {
	if !r.brokerHeadline() {
		return nil
	}
	head := "headline: end to end, from when a message was due to be sent to when a consumer received it (the broker and any queueing included)"
	if len(r.Subscribers) == 1 {
		head += fmt.Sprintf("; one group, %s, so its row is this one", r.Subscribers[0].Group)
	}
	lines := []string{head}
	if r.Latency[Service] != nil {
		what := "the publish timed from the actual send to the broker's acknowledgement, without the send delay: how long the broker took to take a message, not how long consumers took to get it"
		if r.Latency[Response] != nil {
			what = "the response timed from the actual send to the reply, without the send delay"
		}
		lines = append(lines, "service: "+what)
	}
	if r.Latency[EndToEndService] != nil {
		lines = append(lines, "end to end service: end to end from the actual send, without the send delay: the time through the service under test and its broker")
	}
	if r.Counts.Delivery != nil && r.Latency[EndToEndService] != nil {
		lines[0] = "headline: end to end, from when a message was due to be sent to when the service under test's output for it arrived (the broker, the service and any queueing included)"
	}
	return lines
}

var summaryPercentiles = []string{"p50", "p90", "p99", "p99.9", "max"}

func writeText(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if m := r.MostlyErrors(); m != "" {
		fmt.Fprintf(tw, "%s\n", m)
	}
	fmt.Fprintf(tw, "%s\n", r.Headline())
	fmt.Fprintf(tw, "  asked\t%s\n", r.AskedLoad())
	fmt.Fprintf(tw, "  achieved\t%s\n", r.AchievedLoad())
	fmt.Fprintf(tw, "  counts\t%s\n", r.CountsSummary())
	if u := r.UnsentSummary(); u != "" {
		fmt.Fprintf(tw, "  unsent\t%s\n", u)
	}
	if e := r.ErrorSummary(); e != "" {
		fmt.Fprintf(tw, "  errors\t%s\n", e)
	}
	for i, l := range r.FirstErrorLines() {
		label := ""
		if i == 0 {
			label = "first error"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", label, l)
	}
	if u := r.UnreachableSentence(); u != "" {
		fmt.Fprintf(tw, "  unreachable\t%s\n", u)
	}
	if l := r.RetryLine(); l != "" {
		fmt.Fprintf(tw, "  retries\t%s\n", l)
	}
	if d := r.DeliverySummary(); d != "" {
		fmt.Fprintf(tw, "  delivery\t%s\n", d)
	}
	if m := r.MessagesSummary(); m != "" {
		fmt.Fprintf(tw, "  messages\t%s\n", m)
	}
	if r.GroupJoinS > 0 {
		fmt.Fprintf(tw, "  group join\t%.2fs (before measuring; not in any figure)\n", r.GroupJoinS)
	}
	if c, ok := r.CPUCost(); ok {
		fmt.Fprintf(tw, "  cpu/op\t%s\n", c)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	rows := r.latencyRows()
	if len(rows) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		width := len("latency")
		for _, row := range rows {
			width = max(width, len([]rune(row.name)))
		}
		pad := func(s string) string { return s + strings.Repeat(" ", width-len([]rune(s))) }
		fmt.Fprintf(tw, "  %s\t", pad("latency"))
		for _, p := range summaryPercentiles {
			fmt.Fprintf(tw, "%s\t", p)
		}
		fmt.Fprintln(tw, "count\t")
		for _, row := range rows {
			fmt.Fprintf(tw, "  %s\t", pad(row.name))
			for _, p := range summaryPercentiles {
				fmt.Fprintf(tw, "%s\t", row.l.FormatFigure(p))
			}
			fmt.Fprintf(tw, "%d\t\n", row.l.Count)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, l := range r.latencyLegend() {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if err := writeResilienceText(w, r); err != nil {
		return err
	}
	writeSearchText(w, r)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	switch {
	case len(r.MissingShards) > 0:
		fmt.Fprintf(w, "  PARTIAL: %s\n", r.missingShards())
	case r.Partial:
		fmt.Fprintf(w, "  PARTIAL: the run was interrupted after %.2fs of measurement; the figures cover only that.\n", r.DurationS)
	}
	return nil
}

func writeMarkdown(w io.Writer, r *Result) error {
	if m := r.MostlyErrors(); m != "" {
		fmt.Fprintf(w, "> **%s**\n\n", escapeMD(m))
	}
	fmt.Fprintf(w, "**%s**\n\n", escapeMD(r.Headline()))
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	fmt.Fprintf(w, "| asked | %s |\n", escapeMD(r.AskedLoad()))
	fmt.Fprintf(w, "| achieved | %s |\n", escapeMD(r.AchievedLoad()))
	fmt.Fprintf(w, "| counts | %s |\n", escapeMD(r.CountsSummary()))
	if u := r.UnsentSummary(); u != "" {
		fmt.Fprintf(w, "| unsent | %s |\n", escapeMD(u))
	}
	if e := r.ErrorSummary(); e != "" {
		fmt.Fprintf(w, "| errors | %s |\n", escapeMD(e))
	}
	for _, l := range r.FirstErrorLines() {
		fmt.Fprintf(w, "| first error | %s |\n", escapeMD(l))
	}
	if u := r.UnreachableSentence(); u != "" {
		fmt.Fprintf(w, "| unreachable | %s |\n", escapeMD(u))
	}
	if l := r.RetryLine(); l != "" {
		fmt.Fprintf(w, "| retries | %s |\n", escapeMD(l))
	}
	if d := r.DeliverySummary(); d != "" {
		fmt.Fprintf(w, "| delivery | %s |\n", escapeMD(d))
	}
	if c, ok := r.CPUCost(); ok {
		fmt.Fprintf(w, "| cpu/op | %s |\n", escapeMD(c.String()))
	}
	if m := r.MessagesSummary(); m != "" {
		fmt.Fprintf(w, "| messages | %s |\n", escapeMD(m))
	}
	if rows := r.latencyRows(); len(rows) > 0 {
		fmt.Fprintf(w, "\n| latency |")
		for _, p := range summaryPercentiles {
			fmt.Fprintf(w, " %s |", p)
		}
		fmt.Fprintf(w, " count |\n|---|")
		for range summaryPercentiles {
			fmt.Fprintf(w, "---:|")
		}
		fmt.Fprintf(w, "---:|\n")
		for _, row := range rows {
			fmt.Fprintf(w, "| %s |", escapeMD(row.name))
			for _, p := range summaryPercentiles {
				fmt.Fprintf(w, " %s |", row.l.FormatFigure(p))
			}
			fmt.Fprintf(w, " %d |\n", row.l.Count)
		}
		for _, l := range r.latencyLegend() {
			fmt.Fprintf(w, "\n%s\n", escapeMD(l))
		}
	}
	writeResilienceMarkdown(w, r)
	writeSearchMarkdown(w, r)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\n> %s\n", escapeMD(n))
	}
	switch {
	case len(r.MissingShards) > 0:
		fmt.Fprintf(w, "\n> **Partial:** %s\n", r.missingShards())
	case r.Partial:
		fmt.Fprintf(w, "\n> **Partial:** the run was interrupted after %.2fs of measurement.\n", r.DurationS)
	}
	return nil
}

func escapeMD(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`).Replace(s)
}

// WriteRuns prints several results side by side, one row each, with the
// main latency of each: a quick look at runs of different transports.
func WriteRuns(w io.Writer, rs []*Result, format string) error {
	header := []string{"transport", "label", "mode", "asked ops/s", "ops/s", "errors", "latency", "p50", "p90", "p99", "p99.9", "max"}
	var rows [][]string
	for _, r := range rs {
		asked := "closed"
		if r.Load.Mode == OpenLoop {
			asked = FormatRate(r.Load.Rate)
		} else {
			asked = fmt.Sprintf("%d workers", r.Load.Concurrency)
		}
		main := r.MainLatency()
		errs := NA
		if r.Counts.Sent > 0 {
			errs = FormatPercent(r.ErrorRate())
		}
		row := []string{r.Transport, r.Label, r.Load.Mode, asked, FormatRate(r.Throughput.OpsPerS), errs, strings.ReplaceAll(main, "_", " ")}
		l := r.Latency[main]
		for _, p := range summaryPercentiles {
			if l == nil {
				row = append(row, "-")
				continue
			}
			row = append(row, l.FormatFigure(p))
		}
		rows = append(rows, row)
	}
	if format == FormatMarkdown {
		fmt.Fprintf(w, "| %s |\n|", strings.Join(header, " | "))
		for i := range header {
			if i < 3 {
				fmt.Fprint(w, "---|")
			} else {
				fmt.Fprint(w, "---:|")
			}
		}
		fmt.Fprintln(w)
		for _, row := range rows {
			for i := range row {
				row[i] = escapeMD(row[i])
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t\n", strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// CountsSummary is the counts line: sent, ok, errors with the error rate,
// and the operations never sent beside them.
func (r *Result) CountsSummary() string {
	c := r.Counts
	rate := NA
	if c.Sent > 0 {
		rate = FormatPercent(r.ErrorRate())
	}
	s := fmt.Sprintf("sent %d, ok %d, errors %d (%s)", c.Sent, c.OK, c.Errors, rate)
	if c.Unsent > 0 {
		s += fmt.Sprintf(", unsent %d (errors and unsent: %s of the asked)", c.Unsent, FormatPercent(r.FailedRate()))
	}
	return s
}

// UnsentSummary says how much of the asked load was sent, when some of it
// was not ("" otherwise).
func (r *Result) UnsentSummary() string {
	if r.Counts.Unsent == 0 {
		return ""
	}
	return fmt.Sprintf("the target kept up with %s of the asked rate: %d of the %d operations due were never sent",
		FormatPercent(r.KeptUpShare()), r.Counts.Unsent, r.Asked())
}
