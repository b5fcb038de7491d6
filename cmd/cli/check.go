package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/results"
)

type checkOptions struct {
	resultSetOptions
	Baseline      string
	Current       string
	MaxRegression string
	Thresholds    string
	Format        string
	// AllowLoadChange checks a baseline and current runs asked for
	// different loads instead of refusing them.
	AllowLoadChange bool
}

// NewCmdCheck is "commsbench check": the CI gate.
func NewCmdCheck(f *Factory) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check --current FILE|DIR [--baseline FILE|DIR] [--max-regression RULES] [--thresholds FILE]",
		Short: "Fail when current runs regress against a baseline or break absolute thresholds",
		Long: `Check current runs against a baseline and against absolute thresholds, for CI.

Relative rules (--max-regression, default "` + results.DefaultMaxRegression + `" when
--baseline is given) allow a metric to get worse by at most the given amount: a
percentage of the baseline, percentage points (pp) for error_rate, or a duration
for latency figures. Direction is known: latency and errors must not rise,
throughput must not fall. A change fails only when it is larger than allowed
and, with at least ` + strconv.Itoa(results.MinSamples) + ` runs a side, significant (Mann–Whitney U test, p < --alpha);
with fewer runs it is a plain comparison and the output says so.

Absolute thresholds come from a YAML file keyed by transport or transport/label:

  rest:
    p99: "< 5ms"
    error_rate: "< 0.1%"
    ops_per_s: "> 10000"
  queue/ci:
    end_to_end.p99: "< 20ms"
    lost: "== 0"
    unsent: "== 0"

Besides latency figures, ops_per_s, bytes_per_s and error_rate (errors / sent),
the gates know failed_rate ((errors + unsent) / asked), unsent, and the message
counts of brokered runs: lost, unread, duplicates, out_of_order, redelivered.
A metric a run measured nothing for (an empty latency, no operation sent) has
no samples: its rule fails and the value shows as n/a, never as 0.

The baseline and the current runs must have asked for the same load (rate,
concurrency, connections, payload size, transport options): otherwise a change
would be the load's, and check refuses with exit code 2 unless
--allow-load-change is given.

Runs are grouped by transport and label (--group-by): give the baseline and the
current runs the same --label. An unknown metric, a malformed limit, or a
threshold key that matches no current run is a usage error, never a pass.

Exit codes: 0 every check passed, 3 a regression or threshold failed (or
had no samples), 1 an input is unreadable, 2 bad flags, rules or thresholds,
or a load change without --allow-load-change.`,
		Example: `  commsbench check --baseline results/main/ --current results/pr/
  commsbench check --baseline main/ --current pr/ --max-regression 'p99=10%,ops_per_s=5%,error_rate=0.1pp'
  commsbench check --current pr/ --thresholds perf-thresholds.yml --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd, f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Baseline, "baseline", "", "baseline result file or directory (for example the main branch's runs)")
	fl.StringVar(&o.Current, "current", "", "current result file or directory (for example the pull request's runs)")
	fl.StringVar(&o.MaxRegression, "max-regression", results.DefaultMaxRegression, "largest worsening allowed per metric: metric=amount, comma-separated (10%, 0.1pp for error_rate, 2ms for latency)")
	fl.StringVar(&o.Thresholds, "thresholds", "", "YAML file of absolute limits per transport or transport/label")
	fl.StringVar(&o.Format, "format", results.FormatText, "text, markdown or json")
	fl.BoolVar(&o.AllowLoadChange, "allow-load-change", false, "check against a baseline that asked for a different load (rate, concurrency, payload, transport options), with a note, instead of refusing")
	o.resultSetOptions.addFlags(cmd)
	return cmd
}

func runCheck(cmd *cobra.Command, f *Factory, o *checkOptions) error {
	keys, err := o.parse()
	if err != nil {
		return err
	}
	switch o.Format {
	case results.FormatText, results.FormatMarkdown, results.FormatJSON:
	default:
		return flagErrorf("--format %q: choose text, markdown or json", o.Format)
	}
	if o.Current == "" {
		return flagErrorf("--current: name the result file or directory to check")
	}
	if o.Baseline == "" && o.Thresholds == "" {
		return flagErrorf("nothing to check against: give --baseline (regression rules), --thresholds (absolute limits), or both")
	}
	opts := results.CheckOptions{GroupBy: keys, Alpha: o.Alpha, PercentileSource: o.PercentileSource, AllowLoadChange: o.AllowLoadChange}
	if o.Baseline != "" {
		opts.Regressions, err = results.ParseMaxRegression(o.MaxRegression)
		if err != nil {
			return flagErrorf("--max-regression: %v", err)
		}
	} else if cmd.Flags().Changed("max-regression") {
		return flagErrorf("--max-regression needs --baseline to compare against")
	}
	if o.Thresholds != "" {
		data, err := os.ReadFile(o.Thresholds)
		if err != nil {
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--thresholds: %w", results.FileError(err, "read", o.Thresholds))}
		}
		opts.Thresholds, err = results.ParseThresholds(data)
		if err != nil {
			return flagErrorf("%s: %v", o.Thresholds, err)
		}
	}
	var baseline []*results.Result
	if o.Baseline != "" {
		if baseline, err = loadSide("--baseline", o.Baseline); err != nil {
			return err
		}
	}
	current, err := loadSide("--current", o.Current)
	if err != nil {
		return err
	}
	rep, err := results.Check(baseline, current, opts)
	if err != nil {
		if errors.Is(err, results.ErrCheckSetup) {
			return flagErrorf("%v", err)
		}
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if err := results.WriteCheck(f.IO.Out, rep, o.Format); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if !rep.Passed {
		return &ExitError{Code: ExitCheckFailed, Err: fmt.Errorf("check failed: %s", rep.FailedCount())}
	}
	return nil
}
