package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/results"
)

type exportOptions struct {
	HGRM    string
	Latency string
	Unit    string
}

// NewCmdExport is "commsbench export": result data in other tools' formats.
func NewCmdExport(f *Factory) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export FILE|DIR… --hgrm OUT",
		Short: "Write a run's latency distribution for other tools (HdrHistogram .hgrm)",
		Long: `Write the latency distribution of a run as an HdrHistogram percentile
distribution (.hgrm): the text that HdrHistogram's outputPercentileDistribution
prints, with Value, Percentile, TotalCount and 1/(1-Percentile) columns and the
Mean/StdDeviation/Max/Total count footer. HdrHistogram's plotter
(https://hdrhistogram.github.io/HdrHistogram/plotFiles.html) draws several such
files on one chart, which makes tails easy to compare.

The latency is each result's main one unless --metric names another (service,
send_delay, publish, end_to_end). Values are written in milliseconds (--unit ms,
the default), microseconds (us) or nanoseconds (ns). Given several results
(of one transport), their histograms are merged losslessly into one.

Exit codes: 0 done, 1 an input is unreadable or the output cannot be written, 2 bad flags.`,
		Example: `  commsbench export rest.json --hgrm rest.hgrm
  commsbench export results/pr/ --hgrm pr.hgrm --unit us
  commsbench export queue.json --hgrm - --metric publish`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(f, o, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.HGRM, "hgrm", "", "write the HdrHistogram percentile distribution to this file ('-' for stdout)")
	fl.StringVar(&o.Latency, "metric", "", "latency to export: response, service, send_delay, publish or end_to_end (default: the main latency)")
	fl.StringVar(&o.Unit, "unit", results.HGRMMillis, "unit of the values: ms, us or ns")
	return cmd
}

func runExport(f *Factory, o *exportOptions, args []string) error {
	if len(args) == 0 {
		return flagErrorf("name the result file (or directory) to export: commsbench export FILE --hgrm OUT")
	}
	if o.HGRM == "" {
		return flagErrorf("choose what to export: --hgrm OUT (the HdrHistogram percentile distribution)")
	}
	switch o.Unit {
	case results.HGRMMillis, results.HGRMMicros, results.HGRMNanos, "µs":
	default:
		return flagErrorf("--unit %q: choose ms, us or ns", o.Unit)
	}
	if o.Latency != "" && !isLatencyKind(o.Latency) {
		return flagErrorf("--metric %q: choose a latency: %s", o.Latency, strings.Join(results.LatencyKinds(), ", "))
	}
	var rs []*results.Result
	for _, a := range args {
		side, err := loadSide("", a)
		if err != nil {
			return err
		}
		rs = append(rs, side...)
	}
	kind := o.Latency
	if kind == "" {
		kind = rs[0].MainLatency()
	}
	var ls []*results.Latency
	for _, r := range rs {
		if r.Transport != rs[0].Transport {
			return flagErrorf("the results mix transports (%s and %s); export one transport at a time", rs[0].Transport, r.Transport)
		}
		l := r.Latency[kind]
		if l == nil {
			return flagErrorf("--metric %s: the %s result has no such latency (it has %s)", kind, r.Transport, strings.Join(r.LatencyNames(), ", "))
		}
		ls = append(ls, l)
	}
	l := ls[0]
	if len(ls) > 1 {
		var err error
		if l, err = results.Merge(ls...); err != nil {
			return &ExitError{Code: ExitFailure, Err: err}
		}
	}
	var buf bytes.Buffer
	if err := results.WriteHGRM(&buf, l, o.Unit); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if o.HGRM == "-" {
		_, err := f.IO.Out.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(o.HGRM, buf.Bytes(), 0o644); err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--hgrm: %w", err)}
	}
	fmt.Fprintf(f.IO.ErrOut, "%s latency of %s (%d values, in %s) written to %s\n", strings.ReplaceAll(kind, "_", " "), plural(len(rs), "run", "runs"), l.Count, o.Unit, o.HGRM)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
