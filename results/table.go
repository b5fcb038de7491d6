package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// table is a grid of text cells printed aligned for a terminal, as a
// markdown table or as CSV. Blocks group adjacent columns under a title
// (a side of a comparison); the text form separates them with a rule.
type table struct {
	header []string
	rows   [][]string
	// left marks the columns aligned left (names); the rest align right (numbers).
	left []bool
	// blocks are the column spans with a title, in order, covering every column.
	blocks []tableBlock
}

type tableBlock struct {
	title string
	// short names the block in markdown, where titles cannot span columns:
	// it prefixes the header of the block's first column.
	short string
	cols  int
}

func width(s string) int { return utf8.RuneCountInString(s) }

func pad(s string, w int, left bool) string {
	n := w - width(s)
	if n <= 0 {
		return s
	}
	if left {
		return s + strings.Repeat(" ", n)
	}
	return strings.Repeat(" ", n) + s
}

// writeText prints the table aligned, with a title row over the blocks
// when any block has a title.
func (t *table) writeText(w io.Writer) error {
	ncol := len(t.header)
	widths := make([]int, ncol)
	for i, h := range t.header {
		widths[i] = width(h)
	}
	for _, row := range t.rows {
		for i, c := range row {
			widths[i] = max(widths[i], width(c))
		}
	}
	blocks := t.blocks
	if len(blocks) == 0 {
		blocks = []tableBlock{{cols: ncol}}
	}
	titled := false
	// Widen a block's last column when its title is wider than the block.
	start := 0
	for _, b := range blocks {
		if b.title != "" {
			titled = true
		}
		span := 2 * (b.cols - 1)
		for i := start; i < start+b.cols; i++ {
			span += widths[i]
		}
		if extra := width(b.title) - span; extra > 0 {
			widths[start+b.cols-1] += extra
		}
		start += b.cols
	}
	var sb strings.Builder
	line := func(cells []string, isTitle bool) {
		start := 0
		var parts []string
		for _, b := range blocks {
			if isTitle {
				span := 2 * (b.cols - 1)
				for i := start; i < start+b.cols; i++ {
					span += widths[i]
				}
				parts = append(parts, pad(b.title, span, true))
			} else {
				var cs []string
				for i := start; i < start+b.cols; i++ {
					cs = append(cs, pad(cells[i], widths[i], t.left[i]))
				}
				parts = append(parts, strings.Join(cs, "  "))
			}
			start += b.cols
		}
		sb.WriteString(strings.TrimRight(strings.Join(parts, " │ "), " "))
		sb.WriteByte('\n')
	}
	if titled {
		line(nil, true)
	}
	line(t.header, false)
	for _, row := range t.rows {
		line(row, false)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// writeMarkdown prints the table as a GitHub markdown table. A block's
// short name prefixes the header of its first column ("base n").
func (t *table) writeMarkdown(w io.Writer) error {
	var sb strings.Builder
	header := append([]string(nil), t.header...)
	start := 0
	for _, b := range t.blocks {
		if b.short != "" {
			header[start] = b.short + " " + header[start]
		}
		start += b.cols
	}
	sb.WriteString("|")
	for _, h := range header {
		fmt.Fprintf(&sb, " %s |", escapeMD(h))
	}
	sb.WriteString("\n|")
	for i := range header {
		if t.left[i] {
			sb.WriteString("---|")
		} else {
			sb.WriteString("---:|")
		}
	}
	sb.WriteString("\n")
	for _, row := range t.rows {
		sb.WriteString("|")
		for _, c := range row {
			fmt.Fprintf(&sb, " %s |", escapeMD(c))
		}
		sb.WriteString("\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// writeCSV writes header and rows as CSV.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
