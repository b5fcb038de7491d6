package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// Defaults of the shared run flags.
const (
	defaultRate            = 1000
	defaultClosedWorkers   = 10
	defaultOpenInFlight    = 1000
	defaultDuration        = 10 * time.Second
	defaultWarmup          = time.Second
	defaultTimeout         = 5 * time.Second
	defaultPayload         = 256
	maxPayload             = 16 << 20
	transportListForErrors = "rest, grpc, queue or event"
)

// RunOptions are the flags every transport's run shares.
type RunOptions struct {
	Rate        float64
	Concurrency int
	Duration    time.Duration
	Requests    int64
	Warmup      time.Duration
	Timeout     time.Duration
	Payload     byteSize
	Target      string
	Connections int
	Out         string
	Format      string
	Label       string
	Quiet       bool
	CPUProfile  string
	PayloadFile string
	// PayloadContent is what --payload-file (or a scenario's template)
	// holds: every operation sends it instead of random bytes.
	PayloadContent []byte
	// Count repeats the run, each with a fresh workload (see run_count.go).
	Count int
}

func newRunOptions() *RunOptions {
	return &RunOptions{
		Rate:     defaultRate,
		Duration: defaultDuration,
		Warmup:   defaultWarmup,
		Timeout:  defaultTimeout,
		Payload:  defaultPayload,
		Format:   results.FormatText,
		Count:    1,
	}
}

// addFlags registers the shared flags on a transport's run command.
func (o *RunOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Float64Var(&o.Rate, "rate", o.Rate, "operations per second, open loop (constant arrival rate); 0 runs closed loop")
	fl.IntVar(&o.Concurrency, "concurrency", 0, fmt.Sprintf("closed loop: workers, each sending when its previous operation answered (default %d);\nopen loop: most operations in flight at once (default %d)", defaultClosedWorkers, defaultOpenInFlight))
	fl.DurationVar(&o.Duration, "duration", o.Duration, "measured period, after the warm-up")
	fl.Int64Var(&o.Requests, "requests", 0, "stop after this many measured operations (with --duration unset, the count alone bounds the run)")
	fl.DurationVar(&o.Warmup, "warmup", o.Warmup, "run the same load first for this long, excluded from every figure (0 for none)")
	fl.DurationVar(&o.Timeout, "timeout", o.Timeout, "bound on each operation; a slower one counts as a timeout error")
	fl.Var(&o.Payload, "payload-size", "bytes of random payload per operation, echoed back and checked (256, 4KiB, 1MiB; at most 16MiB)")
	fl.StringVar(&o.PayloadFile, "payload-file", "", "send this file's bytes as every payload (a JSON order, say) instead of random bytes; its size is the payload size")
	fl.StringVar(&o.Target, "target", "", "address of a running echo target (host:port); without it an embedded target starts on 127.0.0.1")
	fl.IntVar(&o.Connections, "connections", 0, "connections to the target (REST: keep-alive pool size, default one per worker up to 100; gRPC: client connections, default 1)")
	fl.StringVarP(&o.Out, "out", "o", "", "write the result JSON to this file ('-' for stdout)")
	fl.StringVar(&o.Format, "format", o.Format, "summary format on stdout: text, json or markdown")
	fl.StringVar(&o.Label, "label", "", "free text stored in the result, to tell runs apart")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print no summary and no progress line")
	fl.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole process during the run (go tool pprof FILE), to see where the time goes")
	fl.IntVar(&o.Count, "count", o.Count, "repeat the run N times, each against a fresh target, to gather samples for compare and check;\nwith N > 1, --out names a directory that receives one <transport>-<label>-<i>.json per run")
}

// validate checks the shared flags and fills the defaults that depend on
// others. Errors are usage errors.
func (o *RunOptions) validate(cmd *cobra.Command) error {
	changed := cmd.Flags().Changed
	switch {
	case o.Rate < 0:
		return flagErrorf("--rate %v: must be a positive number of operations per second, or 0 for closed loop", o.Rate)
	case o.Rate > 10_000_000:
		return flagErrorf("--rate %v: above 10M operations per second no transport here keeps up; use --rate 0 (closed loop) to find the ceiling", o.Rate)
	case o.Concurrency < 0 || (changed("concurrency") && o.Concurrency == 0):
		return flagErrorf("--concurrency %d: must be at least 1", o.Concurrency)
	case o.Concurrency > 100_000:
		return flagErrorf("--concurrency %d: more than 100000 workers is not a load test of a service but of the scheduler", o.Concurrency)
	case changed("duration") && o.Duration <= 0:
		return flagErrorf("--duration %v: must be positive, such as 10s or 1m", o.Duration)
	case o.Requests < 0 || (changed("requests") && o.Requests == 0):
		return flagErrorf("--requests %d: must be a positive number of operations", o.Requests)
	case o.Warmup < 0:
		return flagErrorf("--warmup %v: must not be negative (0 for no warm-up)", o.Warmup)
	case o.Timeout <= 0:
		return flagErrorf("--timeout %v: must be positive, such as 5s", o.Timeout)
	case o.Payload > maxPayload:
		return flagErrorf("--payload-size %d: at most 16MiB (16777216 bytes)", o.Payload)
	case o.Count < 1:
		return flagErrorf("--count %d: must be at least 1", o.Count)
	case o.Count > 1 && (o.Out == "-" || strings.HasSuffix(o.Out, ".json")):
		return flagErrorf("--count %d --out %s: with several runs --out names a directory (such as results/), which receives one file per run", o.Count, o.Out)
	case o.Connections < 0 || (changed("connections") && o.Connections == 0):
		return flagErrorf("--connections %d: must be at least 1", o.Connections)
	}
	if err := o.loadPayload(cmd); err != nil {
		return err
	}
	switch o.Format {
	case results.FormatText, results.FormatJSON, results.FormatMarkdown:
	default:
		return flagErrorf("--format %q: choose text, json or markdown", o.Format)
	}
	if o.Requests > 0 && !changed("duration") {
		o.Duration = 0
	}
	if o.Concurrency == 0 {
		o.Concurrency = defaultClosedWorkers
		if o.Rate > 0 {
			o.Concurrency = defaultOpenInFlight
		}
	}
	return nil
}

// engineOptions turns the flags into the engine's options.
func (o *RunOptions) engineOptions(connections int, progress func(bench.Progress)) bench.Options {
	return bench.Options{
		Rate:         o.Rate,
		Concurrency:  o.Concurrency,
		Duration:     o.Duration,
		Requests:     o.Requests,
		Warmup:       o.Warmup,
		Timeout:      o.Timeout,
		PayloadBytes: int(o.Payload),
		Connections:  connections,
		Progress:     progress,
	}
}

// runSpec is what a transport's run command hands to executeRun.
type runSpec struct {
	Transport string
	// Connections is the resolved connection count, for the record.
	Connections int
	// NewWorkload makes a fresh workload for one run.
	NewWorkload func(runID string) (bench.Workload, error)
	// Options are the transport's own settings, stored in the result.
	Options map[string]any
	// SmallHeap says the process holds little memory during the run (no
	// embedded broker keeping messages), so the garbage collector may run
	// less often: see lessGC.
	SmallHeap bool
}

// runGCPercent is the GOGC of REST and gRPC runs. Their heap is a few
// megabytes (histograms, buffers, the echo target), and garbage
// collection took 13% of an embedded gRPC run's CPU at the default 100;
// at 400 a gRPC client against 'serve grpc' spent 15–20% less CPU per
// call and made 10–20% more calls per second (three paired runs). The
// brokered transports keep the default: an embedded Kafka broker holds
// hundreds of megabytes, which a higher GOGC would multiply.
const runGCPercent = 400

// lessGC raises GOGC for a run unless the user set GOGC; the returned
// function restores it.
func lessGC(f *Factory, spec runSpec) func() {
	if !spec.SmallHeap || f.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(runGCPercent)
	return func() { debug.SetGCPercent(old) }
}

// newRunID names a run: a UTC timestamp and a random suffix, usable in
// queue and topic names.
func newRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// executeRun runs one measurement, writes and prints its result, and turns
// how it ended into an error carrying the exit code.
func executeRun(ctx context.Context, f *Factory, o *RunOptions, spec runSpec) error {
	if o.Count > 1 || isDirOut(o.Out) {
		return executeRepeated(ctx, f, o, spec)
	}
	runID := newRunID(f.Now())
	w, err := spec.NewWorkload(runID)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	defer lessGC(f, spec)()
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	progress := newProgressLine(f, o.Quiet, spec.Transport)
	res, err := bench.Run(ctx, w, withLimitCheck(f, o.engineOptions(spec.Connections, observedProgress(ctx, progress.callback()))))
	progress.done()
	stopProfile()
	if res == nil {
		if ctx.Err() != nil {
			// Interrupted while setting up (a broker connecting, a group
			// joining): whatever failed then failed because of the interrupt.
			return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted before anything was measured")}
		}
		return &ExitError{Code: ExitFailure, Err: err}
	}
	res.Tool = results.Tool{Name: "commsbench", Version: f.Version, Commit: f.Commit}
	res.RunID = runID
	res.Transport = spec.Transport
	res.Label = o.Label
	res.Env = results.CurrentEnv()
	res.Command = results.RedactSecrets(strings.Join(f.Args, " "))
	res.Options = maps.Clone(spec.Options)
	if res.Options == nil {
		res.Options = map[string]any{}
	}
	switch {
	case o.PayloadFile != "":
		res.Options["payload"] = "file"
		res.Options["payload_file"] = o.PayloadFile
	case o.PayloadContent != nil:
		res.Options["payload"] = "template"
	default:
		res.Options["payload"] = "random"
	}
	observeResult(ctx, res)
	if werr := writeRunOutputs(f, o, res); werr != nil {
		return &ExitError{Code: ExitFailure, Err: werr}
	}
	switch {
	case res.Partial:
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted after %.1fs of measurement; the result above is partial", res.DurationS)}
	case err != nil:
		return &ExitError{Code: ExitFailure, Err: err}
	case res.Counts.Sent > 0 && res.Counts.OK == 0:
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("every operation failed (%s)", res.ErrorSummary())}
	}
	return nil
}

// writeRunOutputs prints the summary and writes the result file, in that
// order: a result file that cannot be written (a full disk) must not take
// the summary with it, and its content then goes to a temporary file
// whose path the error names.
func writeRunOutputs(f *Factory, o *RunOptions, res *results.Result) error {
	summaryOut := f.IO.Out
	if o.Out == "-" {
		if err := results.Encode(f.IO.Out, res); err != nil {
			return err
		}
		summaryOut = f.IO.ErrOut
	}
	var sumErr error
	if !o.Quiet && (o.Out != "-" || o.Format != results.FormatJSON) {
		sumErr = results.WriteSummary(summaryOut, res, o.Format)
	}
	if o.Out == "" || o.Out == "-" {
		return sumErr
	}
	if _, err := results.WriteFileOrFallback(o.Out, res); err != nil {
		return err
	}
	if !o.Quiet && o.Format != results.FormatJSON {
		fmt.Fprintf(summaryOut, "  result written to %s\n", o.Out)
	}
	return sumErr
}

// NewCmdRun is "commsbench run <transport>".
func NewCmdRun(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run <rest|grpc|queue|event> [flags]",
		Short: "Drive load at a target and report latency, throughput and errors",
		Long: `Drive load at one transport's echo target and report what happened.

Open loop (the default, --rate N): operations are due at a constant rate, and
latency counts from when each was due, so a stalled target shows in the
figures instead of hiding (coordinated omission corrected, as wrk2 does). The
service time from the actual send is reported beside it.

Closed loop (--rate 0 --concurrency N): N workers each send their next
operation when the previous one answered; this finds the throughput ceiling.

Exit codes: 0 done, 1 the run failed, 2 bad flags, 130 interrupted (the
partial result is still printed and written).`,
		Example: `  commsbench run rest
  commsbench run grpc --rate 5000 --duration 30s --out grpc.json
  commsbench run rest --rate 0 --concurrency 32 --http2
  commsbench run rest --target 127.0.0.1:8080 --format markdown`,
		Args: cobra.ArbitraryArgs,
		// Without a transport, run takes --scenario and the flags of the
		// transport the scenario names: it parses them itself.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenarioCommand(cmd, f, args)
		},
	}
	cmd.AddCommand(
		newCmdRunREST(f),
		newCmdRunGRPC(f),
		newCmdRunQueue(f),
		newCmdRunEvent(f),
	)
	addScenarioFlag(cmd)
	return cmd
}

// loadPayload reads --payload-file, or takes the template of the scenario
// being run unless the command line sets the payload itself.
func (o *RunOptions) loadPayload(cmd *cobra.Command) error {
	changed := cmd.Flags().Changed
	if o.PayloadFile == "" {
		if tpl := observedPayload(cmd.Context()); tpl != nil && !changed("payload-size") {
			o.PayloadContent = tpl
			o.Payload = byteSize(len(tpl))
		}
		return nil
	}
	if changed("payload-size") {
		return flagErrorf("--payload-file and --payload-size: give one (the file's size is the payload size)")
	}
	data, err := os.ReadFile(o.PayloadFile)
	switch {
	case err != nil:
		return flagErrorf("--payload-file: %v", err)
	case len(data) == 0:
		return flagErrorf("--payload-file %s: the file is empty", o.PayloadFile)
	case len(data) > maxPayload:
		return flagErrorf("--payload-file %s: %d bytes, at most 16MiB", o.PayloadFile, len(data))
	}
	o.PayloadContent = data
	o.Payload = byteSize(len(data))
	return nil
}
