package results

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteCheck prints a check report as text, markdown or json: a row per
// rule and group with its value, limit and PASS or FAIL, then the verdict.
func WriteCheck(w io.Writer, rep *CheckReport, format string) error {
	switch format {
	case FormatText, "":
		if err := rep.table().writeText(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
		fmt.Fprintln(w, rep.Verdict())
		return nil
	case FormatMarkdown:
		fmt.Fprintf(w, "### commsbench check: %s\n\n", rep.Verdict())
		if err := rep.table().writeMarkdown(w); err != nil {
			return err
		}
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "\n%s\n", escapeMD(n))
		}
		return nil
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	return fmt.Errorf("unknown format %q (want text, markdown or json)", format)
}

// Verdict is the one-line outcome.
func (rep *CheckReport) Verdict() string {
	switch {
	case rep.Passed && len(rep.Rows) == 1:
		return "PASS: the one check passed"
	case rep.Passed:
		return fmt.Sprintf("PASS: all %d checks passed", len(rep.Rows))
	}
	return "FAIL: " + rep.FailedCount()
}

// FailedCount says how many checks failed, of how many.
func (rep *CheckReport) FailedCount() string {
	if len(rep.Rows) == 1 {
		return "the one check failed"
	}
	return fmt.Sprintf("%d of %d checks failed", rep.Failed, len(rep.Rows))
}

func (rep *CheckReport) table() *table {
	relative := false
	for _, r := range rep.Rows {
		relative = relative || r.Kind == "regression"
	}
	t := &table{}
	col := func(header string, left bool) {
		t.header = append(t.header, header)
		t.left = append(t.left, left)
	}
	col("group", true)
	col("check", true)
	col("metric", true)
	if relative {
		col("baseline", false)
	}
	col("current", false)
	if relative {
		col("change", false)
	}
	col("limit", false)
	if relative {
		col("test", true)
	}
	col("result", true)
	col("reason", true)
	for _, r := range rep.Rows {
		metric := r.Metric
		if r.Latency != "" && !strings.Contains(metric, ".") {
			metric += " (" + strings.ReplaceAll(r.Latency, "_", " ") + ")"
		}
		row := []string{r.Group, r.Kind, metric}
		if relative {
			row = append(row, r.formatValue(r.Baseline, r.baseNA))
		}
		row = append(row, r.formatValue(r.Current, r.curNA))
		if relative {
			row = append(row, r.formatChange())
		}
		row = append(row, r.Limit)
		if relative {
			row = append(row, r.formatTest())
		}
		row = append(row, r.Status, r.Reason)
		t.rows = append(t.rows, row)
	}
	return t
}

func (r CheckRow) formatValue(v *float64, noSamples bool) string {
	if noSamples {
		return NA
	}
	if v == nil {
		return "-"
	}
	return r.metric.Format(*v)
}

func (r CheckRow) formatChange() string {
	if r.Kind != "regression" || r.Current == nil || r.Baseline == nil {
		return ""
	}
	if r.Change == nil {
		return "from 0"
	}
	c := *r.Change
	switch r.ChangeUnit {
	case "pp":
		return fmt.Sprintf("%+.2fpp", c)
	case "ns":
		if c >= 0 {
			return "+" + FormatNS(c)
		}
		return FormatNS(c)
	case "count":
		return fmt.Sprintf("%+g", c)
	}
	return fmt.Sprintf("%+.1f%%", c)
}

func (r CheckRow) formatTest() string {
	s := r.Significance
	if s == nil {
		return ""
	}
	if !s.Tested {
		return fmt.Sprintf("untested n=%d+%d", s.N1, s.N2)
	}
	return fmt.Sprintf("p=%.3f n=%d+%d", s.P, s.N1, s.N2)
}
