package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/scenarios"
)

// This file runs scenarios. A scenario's transport options carry the names
// of the transport's run flags, so a scenario becomes the argument list of
// "commsbench run <transport> --flag=value …", and that command runs
// in-process: each transport's own run command validates its flags and
// builds its config, and nothing here repeats that logic. Flags given on
// the command line come after the scenario's, and the last value of a flag
// wins, so they override it.

// runObserver watches a run made in-process by another command (the suite,
// run --scenario): it receives the engine's progress instead of the run's
// own progress line, and the result before it is written.
type runObserver struct {
	progress func(bench.Progress)
	// result may add to the result (its scenario, phase, label, options)
	// before it is written and printed.
	result func(*results.Result)
	// payload is the scenario's payload template: every operation sends it,
	// unless the command line sets --payload-size or --payload-file.
	payload []byte
}

// observedPayload returns the payload template of an observed run, if any.
func observedPayload(ctx context.Context) []byte {
	if obs, ok := ctx.Value(runObserverKey{}).(*runObserver); ok {
		return obs.payload
	}
	return nil
}

type runObserverKey struct{}

func withRunObserver(ctx context.Context, obs *runObserver) context.Context {
	return context.WithValue(ctx, runObserverKey{}, obs)
}

// observedProgress returns the observer's progress callback when a run is
// observed, else def.
func observedProgress(ctx context.Context, def func(bench.Progress)) func(bench.Progress) {
	if obs, ok := ctx.Value(runObserverKey{}).(*runObserver); ok && obs.progress != nil {
		return obs.progress
	}
	return def
}

// observeResult hands the result to the observer, if any.
func observeResult(ctx context.Context, res *results.Result) {
	if obs, ok := ctx.Value(runObserverKey{}).(*runObserver); ok && obs.result != nil {
		obs.result(res)
	}
}

// loadKeys are the run flags that a scenario sets under load: or payload:,
// and the command-line-only flags, which its options must not name.
func reservedOption(name string) (string, bool) {
	switch name {
	case "rate", "concurrency", "duration", "requests", "warmup", "timeout":
		return fmt.Sprintf("a load setting: write it under load: (load.%s)", name), true
	case "payload-size":
		return "write the payload as payload.size or payload.template", true
	case "out", "format", "quiet", "label", "count", "scenario":
		return "a setting of the command line, not of a scenario: give --" + name + " when you run it", true
	}
	return "", false
}

// scenarioArgs turns a scenario into the arguments of "commsbench run".
// Flags are written as --name=value so that boolean flags take their value.
func scenarioArgs(sc *scenarios.Scenario) []string {
	args := []string{sc.Transport}
	for _, o := range sc.Options {
		args = append(args, "--"+o.Name+"="+o.Value)
	}
	if sc.Payload.IsSet() && sc.Payload.Template == "" {
		// A template travels in the run observer, not as a flag.
		args = append(args, "--payload-size="+strconv.FormatInt(sc.Payload.Bytes(), 10))
	}
	l := sc.Load
	if l.Rate != nil {
		args = append(args, "--rate="+strconv.FormatFloat(*l.Rate, 'f', -1, 64))
	}
	if l.Concurrency > 0 {
		args = append(args, "--concurrency="+strconv.Itoa(l.Concurrency))
	}
	if l.Duration > 0 {
		args = append(args, "--duration="+l.Duration.String())
	}
	if l.Requests > 0 {
		args = append(args, "--requests="+strconv.FormatInt(l.Requests, 10))
	}
	if l.Warmup != nil {
		args = append(args, "--warmup="+l.Warmup.String())
	}
	if l.Timeout > 0 {
		args = append(args, "--timeout="+l.Timeout.String())
	}
	return args
}

// notBuiltError is the error of a scenario whose transport this binary
// does not include.
type notBuiltError struct{ transport string }

func (e *notBuiltError) Error() string { return errNotBuilt(e.transport).Error() }

// transportRunCommand returns a fresh "run <transport>" command. A
// transport whose run command has not landed in this build has no --rate
// flag; it is reported as not built.
func transportRunCommand(f *Factory, transport string) (*cobra.Command, error) {
	run := NewCmdRun(f)
	for _, c := range run.Commands() {
		if c.Name() == transport {
			if c.Flags().Lookup("rate") == nil {
				return nil, &notBuiltError{transport}
			}
			return c, nil
		}
	}
	return nil, &notBuiltError{transport}
}

// checkScenario checks a scenario's options against its transport's run
// flags: each must name a flag that a scenario may set, with a value the
// flag accepts. Errors name the file, line and key.
func checkScenario(f *Factory, sc *scenarios.Scenario) error {
	cmd, err := transportRunCommand(f, sc.Transport)
	if err != nil {
		return err
	}
	fl := cmd.Flags()
	var errs []error
	for _, o := range sc.Options {
		if why, reserved := reservedOption(o.Name); reserved {
			errs = append(errs, o.Errorf("%s", why))
			continue
		}
		flag := fl.Lookup(o.Name)
		if flag == nil || flag.Hidden {
			if near := nearestOption(fl, o.Name); near != "" {
				errs = append(errs, o.Errorf("the %s transport has no such option; did you mean %s?", sc.Transport, near))
				continue
			}
			errs = append(errs, o.Errorf("the %s transport has no such option; its options are its run flags: %s", sc.Transport, optionNames(fl)))
			continue
		}
		if err := flag.Value.Set(o.Value); err != nil {
			errs = append(errs, o.Errorf("%q: %v", o.Value, err))
		}
	}
	return errors.Join(errs...)
}

// optionNames lists the run flags a scenario may set as options.
func optionNames(fl *pflag.FlagSet) string {
	var names []string
	fl.VisitAll(func(f *pflag.Flag) {
		if _, reserved := reservedOption(f.Name); !reserved && !f.Hidden && f.Name != "help" {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// nearestOption is the option name closest to a misspelt one (at most two
// edits away, or the same with '_' for '-'), or "".
func nearestOption(fl *pflag.FlagSet, name string) string {
	best, bestD := "", 3
	fl.VisitAll(func(f *pflag.Flag) {
		if _, reserved := reservedOption(f.Name); reserved || f.Hidden || f.Name == "help" {
			return
		}
		d := editDistance(strings.ReplaceAll(name, "_", "-"), f.Name)
		if d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseRunArgs parses "run" arguments into a fresh transport command's
// flags without running anything: a usage error shows before any run
// starts, and the flags' final values (last one wins) can be read.
func parseRunArgs(f *Factory, args []string) (*pflag.FlagSet, error) {
	if len(args) == 0 {
		return nil, flagErrorf("no transport")
	}
	cmd, err := transportRunCommand(f, args[0])
	if err != nil {
		return nil, err
	}
	if err := cmd.ParseFlags(args[1:]); err != nil {
		return nil, &FlagError{err: err}
	}
	if rest := cmd.Flags().Args(); len(rest) > 0 {
		return nil, flagErrorf("unexpected argument %q: a scenario names its transport, give only flags after it", rest[0])
	}
	return cmd.Flags(), nil
}

// runInProcess executes "commsbench run ARGS…" in this process, with out
// and errOut as its streams, observed by obs.
func runInProcess(ctx context.Context, f *Factory, args []string, obs *runObserver, out, errOut io.Writer) error {
	sub := *f
	sub.IO.Out, sub.IO.ErrOut = out, errOut
	cmd := NewCmdRun(&sub)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{err: err} })
	err := cmd.ExecuteContext(withRunObserver(ctx, obs))
	return asUsageError(err)
}

// recordScenario marks a result as a run of sc: its name, and the payload
// template its operations sent (in the options, for the record).
func recordScenario(res *results.Result, sc *scenarios.Scenario) {
	res.Scenario = sc.Name
	if sc.Payload.Template == "" || res.Options["payload"] != "template" {
		return // no template, or the command line set the payload
	}
	opts := maps.Clone(res.Options)
	if opts == nil {
		opts = map[string]any{}
	}
	opts["payload_template"] = sc.Payload.Template
	res.Options = opts
}

// scenarioFlag finds --scenario in raw arguments and returns its value
// (the last one given) and the other arguments.
func scenarioFlag(args []string) (ref string, rest []string, found bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i:]...)
			return ref, rest, found, nil
		case a == "--scenario":
			if i+1 >= len(args) {
				return "", nil, true, flagErrorf("flag needs an argument: --scenario")
			}
			ref, found = args[i+1], true
			i++
		case strings.HasPrefix(a, "--scenario="):
			ref, found = strings.TrimPrefix(a, "--scenario="), true
		default:
			rest = append(rest, a)
		}
	}
	return ref, rest, found, nil
}

func hasHelpFlag(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			return true
		}
		if a == "--" {
			return false
		}
	}
	return false
}

// addScenarioFlag declares --scenario on "run", for its help. The run
// command parses its arguments itself (see runScenarioCommand), because a
// scenario's overrides are the flags of the transport it names.
func addScenarioFlag(cmd *cobra.Command) {
	cmd.Flags().String("scenario", "", "run a scenario: a built-in name (commsbench scenarios list) or a YAML file; flags after it override its values")
	cmd.Example += "\n  commsbench run --scenario order-payment-rest\n  commsbench run --scenario order-inventory-queue --rate 500 --duration 30s"
}

// runScenarioCommand is "run" without a transport: --scenario NAME|FILE
// runs a scenario, and anything else is the usage error it always was.
func runScenarioCommand(cmd *cobra.Command, f *Factory, args []string) error {
	if hasHelpFlag(args) {
		return cmd.Help()
	}
	ref, overrides, found, err := scenarioFlag(args)
	if err != nil {
		return err
	}
	if !found {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return flagErrorf("name a transport or a scenario: commsbench run %s [flags], or commsbench run --scenario NAME|FILE", transportListForErrors)
		}
		return flagErrorf("unknown transport %q: choose %s, or run a scenario with --scenario NAME|FILE", args[0], transportListForErrors)
	}
	sc, err := scenarios.Builtin().Scenario(ref)
	if err != nil {
		var se *scenarios.Error
		if errors.As(err, &se) {
			return &FlagError{err: err} // it names the file already
		}
		return flagErrorf("--scenario %s: %v", ref, err)
	}
	if err := checkScenario(f, sc); err != nil {
		var nb *notBuiltError
		if errors.As(err, &nb) {
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("scenario %s: %w", sc.Name, err)}
		}
		return &FlagError{err: fmt.Errorf("scenario %s:\n%w", sc.Name, err)}
	}
	// The scenario's name is the label unless one is given: it tells the
	// runs apart in compare and names the files of --count.
	runArgs := append(append(scenarioArgs(sc), "--label="+sc.Name), overrides...)
	if hasFlag(overrides, "requests") && !hasFlag(overrides, "duration") {
		// --requests alone bounds a run: drop the scenario's duration.
		runArgs = withoutFlag(runArgs, "duration")
	}
	if _, err := parseRunArgs(f, runArgs); err != nil {
		return err
	}
	obs := &runObserver{result: func(res *results.Result) { recordScenario(res, sc) }, payload: sc.Payload.Content}
	return runInProcess(cmd.Context(), f, runArgs, obs, f.IO.Out, f.IO.ErrOut)
}

// hasFlag says whether args set --name (as --name, --name=v or -x is not
// considered: the shared flags that matter here have long names only).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			return true
		}
	}
	return false
}

// withoutFlag drops --name=value arguments (the form scenarioArgs writes).
func withoutFlag(args []string, name string) []string {
	out := args[:0:0]
	for _, a := range args {
		if !strings.HasPrefix(a, "--"+name+"=") {
			out = append(out, a)
		}
	}
	return out
}
