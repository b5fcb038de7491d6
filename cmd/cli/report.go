package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/report"
	"github.com/commsbench/commsbench/results"
)

// NewCmdReport is "commsbench report DIR|FILE… --out report.html".
func NewCmdReport(f *Factory) *cobra.Command {
	var out, title string
	cmd := &cobra.Command{
		Use:   "report DIR|FILE... [--out report.html]",
		Short: "Write the HTML report of a suite's results (or of any result files)",
		Long: `Write one self-contained HTML file from result files: the trade-off table
and the sentences drawn from it, the latency of every scenario by percentile,
throughput and p99 over time, every run's figures, the environment and the
command lines. Styles are inline and the charts are inline SVG: opening the
file loads nothing from anywhere.

Each argument is a result file or a directory of them, such as the --out
directory of 'commsbench suite'. Results of a suite are grouped by scenario
and phase; other results by transport and label, open-loop runs counting as
the same-load phase and closed-loop runs as saturation.`,
		Example: `  commsbench report commsbench-results/20250314-092653 --out report.html
  commsbench report rest.json grpc.json --out -`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return flagErrorf("name the result files or directories to report on, such as the --out directory of 'commsbench suite'")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var all []*results.Result
			for _, a := range args {
				rs, err := results.LoadPath(a)
				if err != nil {
					return &ExitError{Code: ExitFailure, Err: err}
				}
				all = append(all, rs...)
			}
			if title == "" {
				title = "commsbench report"
				if len(args) == 1 {
					title += ": " + filepath.Base(filepath.Clean(args[0]))
				}
			}
			rows := report.Rows(all)
			describeRows(rows)
			page := report.Page{Title: title, Generated: f.Now(), Rows: rows}
			if out == "-" {
				return report.WriteHTML(f.IO.Out, page)
			}
			if err := writeReportFile(out, page); err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			fmt.Fprintf(f.IO.ErrOut, "report of %d %s written to %s\n", len(all), pluralS(len(all), "result"), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "report.html", "HTML file to write ('-' for stdout)")
	cmd.Flags().StringVar(&title, "title", "", "the report's title")
	return cmd
}

// writeReportFile writes the HTML report to path, whole or not at all.
func writeReportFile(path string, page report.Page) error {
	if !strings.HasSuffix(strings.ToLower(path), ".html") && !strings.HasSuffix(strings.ToLower(path), ".htm") {
		return fmt.Errorf("--report %s: give a file name ending in .html", path)
	}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, page); err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("report %s: %w", path, err)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("report %s: %w", path, err)
	}
	return nil
}
