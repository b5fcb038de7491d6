package results

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Comparison output formats beyond the summary ones.
const (
	FormatCSV      = "csv"
	FormatBenchfmt = "benchfmt"
)

// WriteComparison prints c as text, markdown, csv or json.
func WriteComparison(w io.Writer, c *Comparison, format string) error {
	switch format {
	case FormatText, "":
		return c.writeText(w)
	case FormatMarkdown:
		return c.writeMarkdown(w)
	case FormatCSV:
		return c.writeCSV(w)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(c)
	}
	return fmt.Errorf("unknown format %q (want text, markdown, csv, json or benchfmt)", format)
}

// table lays the comparison out: a row per group, a block per side; the
// sides after the baseline get a delta column beside each metric.
func (c *Comparison) table() *table {
	t := &table{
		header: []string{"group", "latency"},
		left:   []bool{true, true},
		blocks: []tableBlock{{cols: 2}},
	}
	order := append([]int{c.Baseline}, others(len(c.Sides), c.Baseline)...)
	for _, si := range order {
		s := c.Sides[si]
		title := fmt.Sprintf("%s (%s)", s.Name, plural(int64(s.Runs), "run", "runs"))
		if si == c.Baseline && len(c.Sides) > 1 {
			title = fmt.Sprintf("%s (baseline, %s)", s.Name, plural(int64(s.Runs), "run", "runs"))
		}
		cols := 1
		t.header = append(t.header, "n")
		t.left = append(t.left, false)
		for _, m := range c.metrics {
			t.header = append(t.header, m.Header())
			t.left = append(t.left, false)
			cols++
			if si != c.Baseline {
				t.header = append(t.header, "Δ")
				t.left = append(t.left, false)
				cols++
			}
		}
		t.blocks = append(t.blocks, tableBlock{title: title, short: s.Name, cols: cols})
	}
	for _, g := range c.Groups {
		row := []string{g.Name, strings.ReplaceAll(g.Latency, "_", " ")}
		for _, si := range order {
			sg := g.Sides[si]
			if sg == nil {
				row = append(row, "-")
				for range c.metrics {
					row = append(row, "-")
					if si != c.Baseline {
						row = append(row, "")
					}
				}
				continue
			}
			row = append(row, strconv.Itoa(sg.N))
			for mi, m := range c.metrics {
				ms := sg.Metrics[mi]
				switch {
				case ms.Missing:
					row = append(row, "-")
				case ms.NoSamples > 0:
					row = append(row, NA)
				default:
					row = append(row, m.Format(ms.Value))
				}
				if si != c.Baseline {
					d := ""
					if ms.Delta != nil {
						d = ms.Delta.String()
					}
					row = append(row, d)
				}
			}
		}
		t.rows = append(t.rows, row)
	}
	return t
}

func (c *Comparison) writeText(w io.Writer) error {
	if err := c.table().writeText(w); err != nil {
		return err
	}
	if len(c.Notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "%s\n", n)
	}
	return nil
}

func (c *Comparison) writeMarkdown(w io.Writer) error {
	if len(c.Sides) > 1 {
		var others []string
		for i, s := range c.Sides {
			if i != c.Baseline {
				others = append(others, fmt.Sprintf("**%s** (%s)", escapeMD(s.Name), plural(int64(s.Runs), "run", "runs")))
			}
		}
		b := c.Sides[c.Baseline]
		fmt.Fprintf(w, "%s against the baseline **%s** (%s); Δ follows each figure.\n\n", strings.Join(others, ", "), escapeMD(b.Name), plural(int64(b.Runs), "run", "runs"))
	}
	if err := c.table().writeMarkdown(w); err != nil {
		return err
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "\n%s\n", escapeMD(n))
	}
	return nil
}

// writeCSV writes a row per group and side with raw values (latency in
// nanoseconds, error rate as a fraction) and, for the sides compared with
// the baseline, each metric's delta, p-value and significance.
func (c *Comparison) writeCSV(w io.Writer) error {
	header := []string{"group", "latency", "side", "baseline", "n"}
	for _, m := range c.metrics {
		name := m.Name
		if m.IsLatency() {
			name += "_ns"
		}
		unit := "pct"
		switch m.kind {
		case kindFraction:
			unit = "pp"
		case kindCount:
			unit = "count"
		}
		header = append(header, name, m.Name+"_delta_"+unit, m.Name+"_p", m.Name+"_significant")
	}
	var rows [][]string
	for _, g := range c.Groups {
		for si, sg := range g.Sides {
			if sg == nil {
				continue
			}
			row := []string{g.Name, g.Latency, c.Sides[si].Name, strconv.FormatBool(si == c.Baseline), strconv.Itoa(sg.N)}
			for _, ms := range sg.Metrics {
				if !ms.HasValue() {
					row = append(row, "", "", "", "")
					continue
				}
				row = append(row, formatFloat(ms.Value))
				d := ms.Delta
				switch {
				case d == nil:
					row = append(row, "", "", "")
				default:
					change := ""
					if d.Change != nil {
						change = strconv.FormatFloat(*d.Change, 'f', 3, 64)
					}
					p, sig := "", ""
					if d.Tested {
						p = strconv.FormatFloat(d.P, 'g', 4, 64)
						sig = strconv.FormatBool(d.Significant)
					}
					row = append(row, change, p, sig)
				}
			}
			rows = append(rows, row)
		}
	}
	return writeCSV(w, header, rows)
}

// formatFloat prints a raw value without exponent and without useless decimals.
func formatFloat(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
