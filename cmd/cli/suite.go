package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/report"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/scenarios"
	"github.com/commsbench/commsbench/targets/containers"
	"github.com/commsbench/commsbench/targets/transport"
)

// Defaults of a suite run, for what neither the suite file nor the
// command line sets. With the built-in suite they keep "commsbench suite" (and
// so "make run") near three minutes: each scenario's saturation search
// takes at most 8 steps of 2.5s.
const (
	defaultSuite            = "microservices"
	defaultSuiteRate        = 1000
	defaultSuiteConcurrency = 16
	defaultSuiteDuration    = 5 * time.Second
	defaultSuiteWarmup      = time.Second
	// The saturation phase's search: at most this many steps of this
	// measured period each (after the warm-up).
	defaultSuiteSteps    = 8
	defaultSuiteStepTime = 2 * time.Second
	// Saturation phase kinds (--saturation).
	saturationSearch = "search"
	saturationClosed = "closed"
)

// suiteOptions are the flags of "commsbench suite".
type suiteOptions struct {
	Rate        float64
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	Out         string
	Report      string
	Format      string
	Strict      bool
	Quiet       bool
	Set         []string
	SamePayload bool
	// Saturation is how the saturation phase finds each scenario's
	// ceiling: search (the highest open-loop rate sustained) or closed.
	Saturation string
	MaxP99     time.Duration
	Steps      int
	Resilience resilienceFlags
}

// suitePhase is one phase as run: the load it gives every scenario.
type suitePhase struct {
	name  string
	title string
	// rate is the open-loop rate of the same-load phase, and the first
	// rate of a search; workers the closed-loop workers of the saturation
	// phase, or a search's bound on operations in flight (0: the run's).
	rate            float64
	workers         int
	measure, warmup time.Duration
	// search makes the phase a search for the highest sustainable rate,
	// of at most steps steps, sustained only within maxP99 when set.
	search bool
	steps  int
	maxP99 time.Duration
	// faults are the resilience phase's (none in the others, whatever
	// the scenario says, so that every scenario runs on equal terms).
	faults []fault.Fault
}

// apply replaces a scenario's own load with the phase's.
func (p suitePhase) apply(in *runInputs) {
	s := in.shared
	s.Rate, s.Concurrency, s.Requests = p.rate, p.workers, 0
	s.Duration, s.Warmup = p.measure, p.warmup
	in.given["rate"], in.given["duration"], in.given["warmup"] = true, true, true
	in.given["concurrency"], in.given["requests"] = p.workers > 0, false
	s.Label = in.scenario + "/" + p.name
	s.Quiet = true
	s.Faults = faultList{faults: p.faults}
}

// suiteEntry is one scenario of the suite, ready to run.
type suiteEntry struct {
	sc  *scenarios.Scenario
	req []*runRequest // per phase; nil where the scenario does not run it
	// skip says why the scenario does not run a phase.
	skip []string
}

// NewCmdSuite is "commsbench suite [NAME|FILE]".
func NewCmdSuite(f *Factory) *cobra.Command {
	o := &suiteOptions{Format: report.FormatText}
	cmd := &cobra.Command{
		Use:   "suite [NAME|FILE]",
		Short: "Run every scenario of a suite side by side and print the trade-off table",
		Long: `Run every scenario of a suite (default: the built-in microservices suite: REST,
gRPC, a RabbitMQ queue one-way and request-reply, and a Kafka event stream with
two subscribers) in two phases, and a third on demand, then print the
trade-off table and a few plain sentences drawn from the measured numbers.

  1. same load: every scenario at the same offered load, open loop at --rate,
     to compare latency on equal terms;
  2. saturation: each one's throughput ceiling. By default a search for the
     highest open-loop rate it sustains (as run --find-max does: from --rate,
     doubling, then narrowing; sustained means 99% of the due operations
     done, the backlog of a broker not growing, and the p99 within --max-p99
     when given), at most --find-max-steps steps of --duration (default 2s
     here) each; the table shows the rate found and the p99 there. With
     --saturation closed, a closed loop of --concurrency workers instead, as
     older versions did: for an asynchronous mechanism that measures the
     round trips of its confirms, not its capacity;
  3. resilience (with --resilience, or when the suite file sets phases:
     resilience:): every scenario at the same-load rate with its receiving
     side down for the middle third of 15 s (--resilience-fault and
     --resilience-duration change that); --resilience=only runs it alone.

A phase's rate, workers, duration and warm-up come from the flags, else from
the suite file, else from the defaults; they override the scenarios' own load
so that every scenario runs on equal terms. Each run's result file goes into
--out (default ./commsbench-results/<timestamp>/), with summary.md beside them.

A scenario whose broker does not answer (no RabbitMQ at the queue's URL, no
Docker engine for --set containers=true) is skipped with the reason and the
fix, and the rest still runs. Exit codes: 0 done (also with skips, unless
--strict), 1 a scenario failed (or, with --strict, was skipped), 2 bad flags
or scenario files, 130 interrupted, 143 stopped by SIGTERM.`,
		Example: `  commsbench suite
  commsbench suite --duration 2s --report report.html
  commsbench suite my-suite.yaml --rate 500 --concurrency 32
  commsbench suite --set amqp-url=amqp://bench:secret@10.0.0.5:5672/ --strict
  commsbench suite --saturation closed --resilience
  commsbench suite order-inventory-queue        # one scenario, both phases`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return flagErrorf("run one suite at a time: commsbench suite [NAME|FILE]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := defaultSuite
			if len(args) == 1 {
				ref = args[0]
			}
			return runSuite(cmd, f, o, ref)
		},
	}
	fl := cmd.Flags()
	fl.Float64Var(&o.Rate, "rate", defaultSuiteRate, "same-load phase: operations per second offered to every scenario, open loop (default: the suite's, else 1000)")
	fl.IntVar(&o.Concurrency, "concurrency", defaultSuiteConcurrency, "saturation phase: closed-loop workers with --saturation closed (default: the suite's, else 16); the search's bound on operations in flight when given (else the run's default)")
	fl.StringVar(&o.Saturation, "saturation", saturationSearch, "saturation phase: search (the highest open-loop rate sustained) or closed (a closed loop of --concurrency workers)")
	fl.DurationVar(&o.MaxP99, "max-p99", 0, "saturation search: a rate is sustained only with a p99 (of the main latency) within this bound, such as 20ms")
	fl.IntVar(&o.Steps, "find-max-steps", defaultSuiteSteps, "saturation search: at most this many steps per scenario")
	fl.DurationVar(&o.Duration, "duration", defaultSuiteDuration, "measured period of each phase of each scenario (default: the suite's, else 5s)")
	fl.DurationVar(&o.Warmup, "warmup", defaultSuiteWarmup, "warm-up before each measured period, excluded from every figure (default: the suite's, else 1s)")
	fl.StringVarP(&o.Out, "out", "o", "", "directory for the result files (default ./commsbench-results/<timestamp>/)")
	fl.StringVar(&o.Report, "report", "", "also write the HTML report to this file")
	fl.StringVar(&o.Format, "format", o.Format, "table format on stdout: text or markdown")
	fl.BoolVar(&o.Strict, "strict", false, "exit 1 when a scenario was skipped because its broker did not answer")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print no progress, only the table")
	fl.BoolVar(&o.SamePayload, "same-payload", false, "give every scenario one payload: the suite file's payload:, else the first scenario's, so that payload size is not mixed into the comparison")
	o.Resilience.addFlags(fl)
	fl.StringArrayVar(&o.Set, "set", nil, "NAME=VALUE: set a transport option (a run flag such as amqp-url, brokers, containers or prefetch) for every scenario whose transport has it; repeatable")
	return cmd
}

// phases resolves the two phases: flags first, then the suite file, then
// the defaults.
func (o *suiteOptions) phases(cmd *cobra.Command, s *scenarios.Suite) ([2]suitePhase, error) {
	changed := cmd.Flags().Changed
	rate, workers := float64(defaultSuiteRate), defaultSuiteConcurrency
	dur := [2]time.Duration{defaultSuiteDuration, defaultSuiteDuration}
	warm := [2]time.Duration{defaultSuiteWarmup, defaultSuiteWarmup}
	for i, p := range []scenarios.Phase{s.SameLoad, s.Saturation} {
		if p.Duration > 0 {
			dur[i] = p.Duration
		}
		if p.Warmup != nil {
			warm[i] = *p.Warmup
		}
	}
	if s.SameLoad.Rate > 0 {
		rate = s.SameLoad.Rate
	}
	if s.Saturation.Concurrency > 0 {
		workers = s.Saturation.Concurrency
	}
	switch {
	case changed("rate") && (!(o.Rate > 0) || o.Rate > bench.MaxRate):
		return [2]suitePhase{}, flagErrorf("--rate %v: the same-load phase is open loop: give 1 to 10M operations per second", o.Rate)
	case changed("concurrency") && (o.Concurrency < 1 || o.Concurrency > bench.MaxConcurrency):
		return [2]suitePhase{}, flagErrorf("--concurrency %d: give 1 to %d workers", o.Concurrency, bench.MaxConcurrency)
	case changed("duration") && o.Duration <= 0:
		return [2]suitePhase{}, flagErrorf("--duration %v: must be positive, such as 5s", o.Duration)
	case o.Warmup < 0:
		return [2]suitePhase{}, flagErrorf("--warmup %v: must not be negative (0 for none)", o.Warmup)
	case o.Saturation != saturationSearch && o.Saturation != saturationClosed && o.Saturation != "":
		return [2]suitePhase{}, flagErrorf("--saturation %q: choose search or closed", o.Saturation)
	case o.Saturation == saturationClosed && (changed("max-p99") || changed("find-max-steps")):
		return [2]suitePhase{}, flagErrorf("--max-p99 and --find-max-steps bound the saturation search: leave them out with --saturation closed")
	case o.MaxP99 < 0:
		return [2]suitePhase{}, flagErrorf("--max-p99 %v: must not be negative (0 for no bound)", o.MaxP99)
	case changed("find-max-steps") && (o.Steps < 2 || o.Steps > bench.MaxSearchSteps):
		return [2]suitePhase{}, flagErrorf("--find-max-steps %d: give 2 to %d", o.Steps, bench.MaxSearchSteps)
	}
	search := o.Saturation != saturationClosed
	if search && s.Saturation.Duration == 0 {
		dur[1] = defaultSuiteStepTime
	}
	if changed("rate") {
		rate = o.Rate
	}
	if changed("concurrency") {
		workers = o.Concurrency
	}
	if changed("duration") {
		dur = [2]time.Duration{o.Duration, o.Duration}
	}
	if changed("warmup") {
		warm = [2]time.Duration{o.Warmup, o.Warmup}
	}
	sat := suitePhase{name: report.Saturation, title: "saturation", workers: workers, measure: dur[1], warmup: warm[1]}
	if search {
		sat.search, sat.rate, sat.maxP99, sat.steps = true, rate, o.MaxP99, defaultSuiteSteps
		if changed("find-max-steps") {
			sat.steps = o.Steps
		}
		if !changed("concurrency") && s.Saturation.Concurrency == 0 {
			sat.workers = 0 // the run's own bound on operations in flight
		}
	}
	return [2]suitePhase{
		{name: report.SameLoad, title: "same load", rate: rate, measure: dur[0], warmup: warm[0]},
		sat,
	}, nil
}

// setting is one --set NAME=VALUE.
type setting struct{ name, value string }

// settings checks --set NAME=VALUE against the suite's transports and
// returns the settings each transport takes.
func (o *suiteOptions) settings(ts []transport.Transport) (map[string][]setting, error) {
	out := map[string][]setting{}
	for _, s := range o.Set {
		name, value, ok := strings.Cut(s, "=")
		name = strings.TrimLeft(strings.TrimSpace(name), "-")
		if !ok || name == "" {
			return nil, flagErrorf("--set %q: write NAME=VALUE, such as --set amqp-url=amqp://guest:guest@127.0.0.1:5672/", s)
		}
		if why, reserved := reservedOption(name); reserved {
			if name == "rate" || name == "concurrency" || name == "duration" || name == "warmup" {
				why = "the suite's own flag: give --" + name
			}
			return nil, flagErrorf("--set %s: %s", name, why)
		}
		var names []string
		used := false
		for _, t := range ts {
			names = append(names, t.Name)
			err := newRunInputs(t).setOption(name, value)
			var bad *badValueError
			switch {
			case errors.As(err, &bad):
				return nil, flagErrorf("--set %s: %v", name, err)
			case err == nil:
				out[t.Name] = append(out[t.Name], setting{name, value})
				used = true
			}
		}
		if !used {
			return nil, flagErrorf("--set %s: no transport of this suite (%s) has a run flag of that name", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// prepare checks every scenario and builds its run requests, so that a
// mistake in any scenario or flag shows before the first run starts.
func prepare(f *Factory, s *scenarios.Suite, phases []suitePhase, set map[string][]setting) ([]*suiteEntry, error) {
	var entries []*suiteEntry
	var errs []error
	for _, sc := range s.Scenarios {
		e := &suiteEntry{sc: sc, req: make([]*runRequest, len(phases)), skip: make([]string, len(phases))}
		entries = append(entries, e)
		for i, ph := range phases {
			in, err := scenarioInputs(sc, nil)
			if err != nil {
				errs = append(errs, fmt.Errorf("scenario %s:\n%w", sc.Name, err))
				break
			}
			if ok, why := ph.takes(in.t); !ok {
				e.skip[i] = why
				continue
			}
			ph.apply(in)
			for _, st := range set[sc.Transport] {
				if err := in.setOption(st.name, st.value); err != nil {
					errs = append(errs, flagErrorf("--set %s: %v", st.name, err))
				}
			}
			req, err := in.request(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("scenario %s (%s): %w", sc.Name, sc.Pos, err))
				break
			}
			req.Phase = ph.name
			if ph.search {
				// Half a step more per step, for setting up each one.
				step := ph.measure + ph.warmup
				req.Search = searchRequest{On: true, MaxP99: ph.maxP99, MaxSteps: ph.steps, MaxTime: time.Duration(ph.steps) * step * 3 / 2}
			}
			e.req[i] = req
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, &FlagError{err: err}
	}
	return entries, nil
}

// first is the scenario's first run request.
func (e *suiteEntry) first() *runRequest {
	for _, r := range e.req {
		if r != nil {
			return r
		}
	}
	return nil
}

// brokerSkip says why a scenario cannot run here, and what to do about it,
// when the broker it needs does not answer. It only dials: the run itself
// reports any other problem.
func brokerSkip(ctx context.Context, f *Factory, req *runRequest) (reason, fix string) {
	if req == nil {
		return "", ""
	}
	if req.Containers.On {
		return "", "" // the run checks for a Docker engine itself, within seconds
	}
	if p, ok := req.Config.(transport.Prober); ok {
		return p.Probe(ctx, transport.Env{Getenv: f.Getenv})
	}
	return "", ""
}

// resultsDir makes the directory the suite writes into.
func resultsDir(f *Factory, out string) (string, error) {
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", fmt.Errorf("--out %s: %w", out, err)
		}
		return out, nil
	}
	base := filepath.Join("commsbench-results", f.Now().Format("20060102-150405"))
	dir := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dir); os.IsNotExist(err) {
			break
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results directory %s: %w", dir, err)
	}
	return dir, nil
}

func runSuite(cmd *cobra.Command, f *Factory, o *suiteOptions, ref string) error {
	if o.Format != report.FormatText && o.Format != report.FormatMarkdown {
		return flagErrorf("--format %q: choose text or markdown", o.Format)
	}
	suite, err := library().Suite(ref)
	if err != nil {
		return &FlagError{err: fmt.Errorf("suite %s: %w", ref, err)}
	}
	if o.SamePayload {
		suite.SamePayload()
	}
	two, err := o.phases(cmd, suite)
	if err != nil {
		return err
	}
	phases, err := o.Resilience.plan(cmd, suite, two)
	if err != nil {
		return err
	}
	var ts []transport.Transport
	for _, sc := range suite.Scenarios {
		t, err := scenarioTransport(sc)
		if err != nil {
			return &FlagError{err: fmt.Errorf("scenario %s:\n%w", sc.Name, err)}
		}
		if !slices.ContainsFunc(ts, func(x transport.Transport) bool { return x.Name == t.Name }) {
			ts = append(ts, t)
		}
	}
	set, err := o.settings(ts)
	if err != nil {
		return err
	}
	entries, err := prepare(f, suite, phases, set)
	if err != nil {
		return err
	}
	dir, err := resultsDir(f, o.Out)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}

	ctx := cmd.Context()
	prog := newSuiteProgress(f, o.Quiet, suite, phases)
	prog.start()
	rows := make([]report.Row, len(entries))
	var files int
	var messages []string
	interrupted := false
	// notApplicable are the scenarios no phase of the suite applies to:
	// skipped, but not for --strict to fail on.
	notApplicable := map[string]bool{}
	for i, e := range entries {
		row := report.Row{Scenario: e.sc.Name, Transport: e.sc.Transport}
		if interrupted {
			row.SameLoadErr = "not run: the suite was interrupted"
			rows[i] = row
			continue
		}
		if e.first() == nil {
			// No phase of the suite applies to it (a resilience phase
			// alone, of a transport that takes no faults).
			row.Skipped = strings.Join(slices.DeleteFunc(slices.Clone(e.skip), func(s string) bool { return s == "" }), "; ")
			notApplicable[e.sc.Name] = true
			rows[i] = row
			prog.finished(i, "", nil, "skipped: "+row.Skipped)
			continue
		}
		if reason, fix := brokerSkip(ctx, f, e.first()); reason != "" {
			row.Skipped, row.Fix = reason, fix
			rows[i] = row
			prog.finished(i, "", nil, "skipped: "+reason)
			continue
		}
		for p, ph := range phases {
			path := filepath.Join(dir, e.sc.Name+"."+ph.name+".json")
			req := e.req[p]
			if req == nil {
				if e.skip[p] != "" && e.first() != nil {
					messages = append(messages, fmt.Sprintf("%s: %s", e.sc.Name, e.skip[p]))
				}
				continue
			}
			req.Output.Out = path
			var errOut bytes.Buffer
			sub := *f
			sub.IO.Out, sub.IO.ErrOut = io.Discard, &errOut
			req.Run.Warn = func(s string) { fmt.Fprintf(&errOut, "warning: %s\n", s) }
			got, err := executeRun(ctx, &sub, req, prog.callback(i, p))
			if got != nil && fileExists(path) {
				files++
			}
			if s := strings.TrimSpace(errOut.String()); s != "" {
				for _, line := range strings.Split(s, "\n") {
					messages = append(messages, fmt.Sprintf("%s (%s): %s", e.sc.Name, ph.title, line))
				}
			}
			if err != nil {
				var ee *ExitError
				var ne *containers.NoEngineError
				switch {
				case errors.As(err, &ee) && ee.Code == ExitInterrupted:
					interrupted = true
				case errors.As(err, &ne):
					row.Skipped = oneLine(ne.Error())
					row.Fix = "start a Docker engine (or set DOCKER_HOST), or leave out --set containers=true to use a broker you run"
				}
			}
			errText := ""
			if err != nil && row.Skipped == "" {
				errText = err.Error()
			}
			setPhase(&row, ph.name, got, errText)
			prog.finished(i, ph.title, got, errText)
			if interrupted || row.Skipped != "" {
				break
			}
			if got == nil && ph.name == report.SameLoad {
				row.SaturationErr = "not run: the same-load phase failed"
				break
			}
		}
		rows[i] = row
	}
	prog.done()
	describeRows(rows)

	title := fmt.Sprintf("suite %s: %d %s, results in %s", suite.Name, len(entries), pluralS(len(entries), "scenario"), dir)
	var table bytes.Buffer
	if err := report.WriteTable(&table, rows, report.FormatMarkdown); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), append([]byte("# "+title+"\n\n"), table.Bytes()...), 0o644); err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("write summary: %w", err)}
	}
	out := f.IO.Out
	if o.Format == report.FormatMarkdown {
		fmt.Fprintf(out, "**%s**\n\n", title)
	} else {
		fmt.Fprintf(out, "%s\n\n", title)
	}
	if err := report.WriteTable(out, rows, o.Format); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if len(messages) > 0 {
		fmt.Fprintln(out)
		for _, m := range messages {
			fmt.Fprintf(out, "note: %s\n", m)
		}
	}
	fmt.Fprintln(out)
	if o.Report != "" {
		if err := writeReportFile(o.Report, report.Page{
			Title:     "commsbench suite " + suite.Name,
			Generated: f.Now(),
			Rows:      rows,
			Commands:  []string{results.RedactArgs(f.Args)},
		}); err != nil {
			return &ExitError{Code: ExitFailure, Err: err}
		}
		fmt.Fprintf(out, "%d result files and summary.md in %s; HTML report in %s\n", files, dir, o.Report)
	} else {
		fmt.Fprintf(out, "%d result files and summary.md in %s; for an HTML report: commsbench report %s --out report.html\n", files, dir, dir)
	}

	var failed, skipped []string
	for _, r := range rows {
		switch {
		case r.Skipped != "" && !notApplicable[r.Scenario]:
			skipped = append(skipped, r.Scenario)
		case r.SameLoadErr != "" || r.SaturationErr != "" || r.ResilienceErr != "":
			failed = append(failed, r.Scenario)
		}
	}
	switch {
	case interrupted:
		return &ExitError{Code: ExitInterrupted, Err: errors.New("the suite was interrupted; the table holds what was measured")}
	case len(failed) > 0:
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d of %d scenarios failed: %s (see above)", len(failed), len(rows), strings.Join(failed, ", "))}
	case len(skipped) > 0 && o.Strict:
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--strict: %d of %d scenarios skipped: %s (see above)", len(skipped), len(rows), strings.Join(skipped, ", "))}
	}
	return nil
}

// oneLine joins the lines of a multi-line message with "; ".
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func pluralS(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
