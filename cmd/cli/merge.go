package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/results"
)

type mergeOptions struct {
	Out    string
	Format string
	Quiet  bool
}

// NewCmdMerge is "commsbench merge": one result from several load generators.
func NewCmdMerge(f *Factory) *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge FILE|DIR… --out FILE",
		Short: "Merge results of one scenario measured by several load generators at once",
		Long: `Merge the results of one scenario that several load generators measured at
the same time (for example one per machine) into one result, as if a single
generator had done all of it: counts (sent, ok, errors, unsent and the
delivery counts) and errors add up, the HDR latency
histograms merge losslessly (every percentile of the merged result is exact for
the combined operations), throughput and asked rates sum.

Results of different transports, load modes, payload sizes or transport options
are refused: they are not parts of one measurement. Per-second timeline points
add their counts; their p50/p99 become the highest of the merged points (an
upper bound), as percentiles cannot be combined from points.

Shards of one run (run --shard I/N) must share the run id, the number of
shards and the load, each shard once; their timelines are aligned by the wall
clock. A merge that lacks shards is marked partial and names them.

Exit codes: 0 done, 1 an input is unreadable or the output cannot be written,
2 bad flags or results that cannot be merged.`,
		Example: `  commsbench merge gen1/rest.json gen2/rest.json --out rest-total.json
  commsbench merge generators/ --out total.json --format markdown`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMerge(f, o, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Out, "out", "o", "", "write the merged result JSON to this file ('-' for stdout)")
	fl.StringVar(&o.Format, "format", results.FormatText, "summary format on stdout: text, json or markdown")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print no summary")
	return cmd
}

func runMerge(f *Factory, o *mergeOptions, args []string) error {
	if len(args) == 0 {
		return flagErrorf("name the result files to merge: commsbench merge A.json B.json --out TOTAL.json")
	}
	if o.Out == "" {
		return flagErrorf("--out: name the file for the merged result ('-' for stdout)")
	}
	switch o.Format {
	case results.FormatText, results.FormatJSON, results.FormatMarkdown:
	default:
		return flagErrorf("--format %q: choose text, json or markdown", o.Format)
	}
	var rs []*results.Result
	for _, a := range args {
		side, err := loadSide("", a)
		if err != nil {
			return err
		}
		rs = append(rs, side...)
	}
	if len(rs) < 2 && (len(rs) == 0 || rs[0].Shard == nil) {
		return flagErrorf("merge needs at least two results; %s holds %d", strings.Join(args, " "), len(rs))
	}
	merged, err := results.MergeResults(rs)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("merge: %w", err)}
	}
	merged.Command = results.RedactArgs(f.Args)
	if err := writeRunOutputs(f, runOutput{Out: o.Out, Format: o.Format, Quiet: o.Quiet}, merged); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	return nil
}
