package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/results"
)

// resultSetOptions are the flags compare and check share: how runs are
// grouped into samples and how a figure is made from several runs.
type resultSetOptions struct {
	GroupBy          string
	Alpha            float64
	PercentileSource string
}

func (o *resultSetOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.GroupBy, "group-by", "transport,label", "result fields that make a group; the runs of a group are its samples\n(transport, label, scenario, phase, load.mode, load.rate, load.concurrency, load.connections, load.payload_bytes, target.kind, env.hostname)")
	fl.Float64Var(&o.Alpha, "alpha", results.DefaultAlpha, "significance level of the Mann–Whitney U test")
	fl.StringVar(&o.PercentileSource, "percentile-source", results.PercentileMedian, "latency figures of several runs: median (of the runs' own figures) or merged (from their merged HDR histograms)")
}

func (o *resultSetOptions) parse() ([]string, error) {
	keys, err := results.ParseGroupBy(o.GroupBy)
	if err != nil {
		return nil, flagErrorf("--group-by: %v", err)
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return nil, flagErrorf("--alpha %v: must be between 0 and 1, such as 0.05", o.Alpha)
	}
	switch o.PercentileSource {
	case results.PercentileMedian, results.PercentileMerged:
	default:
		return nil, flagErrorf("--percentile-source %q: choose median or merged", o.PercentileSource)
	}
	return keys, nil
}

// loadSide reads one side of a comparison: a result file, or every result
// file of a directory. An unreadable side ends the command with exit code 1.
func loadSide(flag, path string) ([]*results.Result, error) {
	rs, err := results.LoadPath(path)
	if err != nil {
		where := ""
		if flag != "" {
			where = flag + ": "
		}
		return nil, &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s%w", where, err)}
	}
	return rs, nil
}

// sideNames names each argument for the table: the file or directory name,
// or the whole path where two would read the same.
func sideNames(paths []string) []string {
	names := make([]string, len(paths))
	seen := map[string]int{}
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(filepath.Clean(p)), ".json")
		seen[names[i]]++
	}
	for i, p := range paths {
		if seen[names[i]] > 1 {
			names[i] = filepath.Clean(p)
		}
	}
	return names
}

type compareOptions struct {
	resultSetOptions
	Format      string
	Latency     string
	Percentiles string
	Baseline    int
	Costs       bool
}

// NewCmdCompare is "commsbench compare FILE|DIR…".
func NewCmdCompare(f *Factory) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare FILE|DIR [FILE|DIR…]",
		Short: "Compare runs side by side, with significance-tested deltas",
		Long: `Compare result files side by side. Each argument is one side, as in
"benchstat old.txt new.txt": a result file, or a directory meaning every result
file in it. Within a side, runs are grouped by transport and label (--group-by),
and the repeated runs of a group are its samples.

The table has a row per group and a block per side: runs, ops/s, error rate and
latency percentiles of each transport's main latency (response for REST and
gRPC, end to end for one-way messaging; --metric picks another). The first side
is the baseline (--baseline N); every other side gets a delta beside each
figure: "+12.3%" when the Mann–Whitney U test finds the difference significant
(p < --alpha), "~" when it does not. With fewer than 4 runs a side nothing is
tested: deltas are then marked "*" and a footnote says so.

When some runs left operations unsent, an unsent column follows the error rate;
brokered runs add their message counts: lost, unread, dup (duplicates), ooo
(out of order) and redeliv (redelivered), whose delta is a number of messages.
A figure of nothing (a latency with no samples, an error rate of no operation)
shows as n/a, never as 0. When the baseline and another side asked for
different loads (rate, workers, connections, payload size, transport options),
a note says so: a difference may then be the load's.

--format benchfmt writes the runs in Go benchmark format, one line per run,
for the stock benchstat (benchstat -col side FILE).

Exit codes: 0 done, 1 an input is unreadable, 2 bad flags.`,
		Example: `  commsbench compare results/main/ results/pr/
  commsbench compare base.json new.json --format markdown
  commsbench compare old/ new/ --metric publish --percentiles p50,p90,p99
  commsbench compare rest-json/ rest-protobuf/ grpc-protobuf/ grpc-json/ --costs
  commsbench compare old/ new/ --format benchfmt > runs.txt && benchstat -col side runs.txt`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(f, o, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", results.FormatText, "text, markdown, csv, json or benchfmt (Go benchmark format, one line per run)")
	fl.StringVar(&o.Latency, "metric", "", "latency to show: response, service, send_delay, publish or end_to_end (default: each transport's main latency)")
	fl.StringVar(&o.Percentiles, "percentiles", strings.Join(results.DefaultPercentiles(), ","), "latency figures to show: percentiles such as p50, p99.9, and min, mean, max")
	fl.IntVar(&o.Baseline, "baseline", 1, "the side (1 = first argument) the others are compared against")
	fl.BoolVar(&o.Costs, "costs", false, "also compare the process's CPU time per operation and the client's encode + decode time per operation (runs with a typed --encoding)")
	o.resultSetOptions.addFlags(cmd)
	return cmd
}

func runCompare(f *Factory, o *compareOptions, args []string) error {
	if len(args) == 0 {
		return flagErrorf("name at least one result file or directory: commsbench compare OLD NEW")
	}
	keys, err := o.parse()
	if err != nil {
		return err
	}
	switch o.Format {
	case results.FormatText, results.FormatMarkdown, results.FormatCSV, results.FormatJSON, results.FormatBenchfmt:
	default:
		return flagErrorf("--format %q: choose text, markdown, csv, json or benchfmt", o.Format)
	}
	if o.Baseline < 1 || o.Baseline > len(args) {
		return flagErrorf("--baseline %d: choose a side from 1 to %d (the arguments in order)", o.Baseline, len(args))
	}
	if o.Latency != "" && !isLatencyKind(o.Latency) {
		return flagErrorf("--metric %q: choose a latency: %s", o.Latency, strings.Join(results.LatencyKinds(), ", "))
	}
	percentiles := splitList(o.Percentiles)
	for _, p := range percentiles {
		if _, err := results.ParseFigure(p); err != nil {
			return flagErrorf("--percentiles: %q is not a latency figure (want percentiles such as p50, p99.9, or min, mean, max)", p)
		}
	}
	if len(percentiles) == 0 {
		return flagErrorf("--percentiles: name at least one figure, such as p99")
	}
	names := sideNames(args)
	sides := make([]results.Side, len(args))
	for i, path := range args {
		rs, err := loadSide("", path)
		if err != nil {
			return err
		}
		sides[i] = results.Side{Name: names[i], Results: rs}
	}
	if o.Format == results.FormatBenchfmt {
		err := results.WriteBenchfmt(f.IO.Out, sides, results.BenchfmtOptions{Latency: o.Latency, Percentiles: percentiles, GroupBy: keys})
		return compareDataError(err)
	}
	c, err := results.Compare(sides, results.CompareOptions{
		Latency:          o.Latency,
		Percentiles:      percentiles,
		GroupBy:          keys,
		Baseline:         o.Baseline - 1,
		Alpha:            o.Alpha,
		PercentileSource: o.PercentileSource,
		Costs:            o.Costs,
	})
	if err != nil {
		return compareDataError(err)
	}
	return results.WriteComparison(f.IO.Out, c, o.Format)
}

// compareDataError turns an error about what the results hold (a latency
// they lack) into a usage error: the flags ask for something not there.
func compareDataError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, results.ErrMissingLatency) {
		return flagErrorf("%v (choose another --metric)", err)
	}
	return &ExitError{Code: ExitFailure, Err: err}
}

func isLatencyKind(s string) bool {
	for _, k := range results.LatencyKinds() {
		if k == s {
			return true
		}
	}
	return false
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
