package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/registry"
	"github.com/commsbench/commsbench/targets/transport"
)

// Defaults of the shared run flags.
const (
	defaultRate          = 1000
	defaultClosedWorkers = 10
	defaultOpenInFlight  = 1000
	defaultDuration      = 10 * time.Second
	defaultWarmup        = time.Second
	defaultTimeout       = 5 * time.Second
	defaultPayload       = 256
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
	// Faults are --fault, or a scenario's faults: (see run_faults.go).
	Faults faultList
	// Retry is --retries and --retry-backoff (see run_retries.go).
	Retry retryFlags
	// Dist makes the run a shard of a load (see run_shard.go).
	Dist shardFlags
	// InProcess is --in-process (see served.go).
	InProcess bool
	// Search makes the run a search for the highest sustainable rate
	// (see run_findmax.go).
	Search searchFlags
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
		Retry:    retryFlags{Backoff: defaultRetryBackoff},
	}
}

// addFlags registers the shared flags of a transport's run.
func (o *RunOptions) addFlags(fl *pflag.FlagSet) {
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
	fl.Var(&o.Faults, "fault", faultUsage)
	o.Retry.addFlags(fl)
	fl.IntVar(&o.Count, "count", o.Count, "repeat the run N times, each against a fresh target, to gather samples for compare and check;\nwith N > 1, --out names a directory that receives one <transport>-<label>-<i>.json per run")
	o.Dist.addFlags(fl)
	o.Search.addFlags(fl)
}

// runGCPercent is the GOGC of REST and gRPC runs. Their heap is a few
// megabytes (histograms, buffers, the echo target), and garbage
// collection took 13% of an embedded gRPC run's CPU at the default 100;
// at 400 a gRPC client against 'serve grpc' spent 15–20% less CPU per
// call and made 10–20% more calls per second (three paired runs). The
// brokered transports keep the default: an embedded Kafka broker holds
// hundreds of megabytes, which a higher GOGC would multiply.
const runGCPercent = 400

// lessGC raises GOGC for a run that holds little memory (no embedded
// broker keeping messages) unless the user set GOGC; the returned function
// restores it.
func lessGC(f *Factory, smallHeap bool) func() {
	if !smallHeap || f.Getenv("GOGC") != "" {
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

// executeRun runs what req asks — one measurement, or --count of them —
// writes and prints each result, and turns how it ended into an error
// carrying the exit code. progress, when set, receives the engine's
// progress instead of the run's own progress line. It returns the last
// result.
func executeRun(ctx context.Context, f *Factory, req *runRequest, progress func(bench.Progress)) (*results.Result, error) {
	if req.Containers.On {
		broker, remove, err := req.Containers.start(ctx, f, req.Transport, req.Output.Quiet)
		if err != nil {
			return nil, err
		}
		defer remove()
		req.Config.(transport.Containerized).UseBroker(broker.ClientAddress())
	}
	if req.Search.On {
		return executeSearch(ctx, f, req, progress)
	}
	if req.Output.Count > 1 || isDirOut(req.Output.Out) {
		return executeRepeated(ctx, f, req, progress)
	}
	return executeOne(ctx, f, req, progress)
}

// executeOne runs one measurement.
func executeOne(parent context.Context, f *Factory, req *runRequest, progress func(bench.Progress)) (*results.Result, error) {
	// A transport may end the load at once (a broker connection broke)
	// instead of failing every operation until the planned end.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	run := req.Run
	runID, workloadID := req.Dist.ids(f.Now())
	run.ID = workloadID
	run.Abort = func(error) { cancel() }
	served, inProcessWhy, err := req.placement(ctx, f)
	if err != nil {
		if parent.Err() != nil {
			return nil, &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted before anything was measured")}
		}
		return nil, &ExitError{Code: ExitFailure, Err: err}
	}
	defer served.stop()
	if served != nil {
		run.Served = served.addr
	}
	w, err := req.Config.Workload(run)
	if err != nil {
		return nil, &ExitError{Code: ExitFailure, Err: err}
	}
	finisher, _ := w.(transport.Finisher)
	w = req.Containers.wrap(w)
	defer lessGC(f, req.Transport.SmallHeap)()
	stopProfile, err := startCPUProfile(req.Output.CPUProfile)
	if err != nil {
		return nil, &ExitError{Code: ExitFailure, Err: err}
	}
	line := newProgressLine(f, req.Output.Quiet, req.Transport.Name)
	opts := withLimitCheck(f, req.Engine)
	opts.Progress = progress
	if opts.Progress == nil {
		opts.Progress = line.callback()
	}
	res, err := bench.Run(ctx, w, opts)
	line.done()
	stopProfile()
	if res == nil {
		if ctx.Err() != nil && parent.Err() != nil {
			// Interrupted while setting up (a broker connecting, a group
			// joining): whatever failed then failed because of the interrupt.
			return nil, &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted before anything was measured")}
		}
		if rerr := runError(parent, finisher); rerr != nil {
			err = rerr
		}
		if lerr := served.lost(); lerr != nil {
			err = errors.Join(err, lerr)
		}
		if transport.IsUsage(err) {
			// A mistake the far side revealed: a method it does not have.
			return nil, &ExitError{Code: ExitUsage, Err: err}
		}
		return nil, &ExitError{Code: ExitFailure, Err: err}
	}
	req.record(f, res, run)
	markPlacement(res, served, inProcessWhy)
	if lerr := served.lost(); lerr != nil {
		res.Notes = append(res.Notes, oneLine(lerr.Error()))
		if err == nil {
			err = lerr
		}
	}
	res.RunID = runID
	if werr := writeRunOutputs(f, req.Output, res); werr != nil {
		return res, &ExitError{Code: ExitFailure, Err: werr}
	}
	if rerr := runError(parent, finisher); rerr != nil && (err == nil || res.Partial) {
		return res, &ExitError{Code: ExitFailure, Err: rerr}
	}
	switch {
	case res.Partial:
		return res, &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted after %.1fs of measurement; the result above is partial", res.DurationS)}
	case err != nil:
		return res, &ExitError{Code: ExitFailure, Err: err}
	case !res.Measured():
		return res, &ExitError{Code: ExitFailure, Err: res.NothingMeasured()}
	case res.Counts.Sent > 0 && res.Counts.OK == 0:
		return res, &ExitError{Code: ExitFailure, Err: fmt.Errorf("every operation failed (%s)", res.ErrorSummary())}
	}
	return res, nil
}

// runError is what the workload has to say after the run (its broker went
// away), unless the user interrupted it.
func runError(parent context.Context, fin transport.Finisher) error {
	if fin == nil || parent.Err() != nil {
		return nil
	}
	return fin.RunError()
}

// record fills in what the engine does not know: who wrote the result,
// for which transport, scenario and phase, with which settings.
func (req *runRequest) record(f *Factory, res *results.Result, run transport.Run) {
	res.Tool = results.Tool{Name: "commsbench", Version: f.Version, Commit: f.Commit}
	res.RunID = run.ID
	res.Transport = req.Transport.Name
	res.Label = req.Label
	res.Scenario = req.Scenario
	res.Phase = req.Phase
	res.Env = results.CurrentEnv()
	res.Command = results.RedactArgs(f.Args)
	res.Options = req.Config.Record(run)
	if res.Options == nil {
		res.Options = map[string]any{}
	}
	if _, typed := res.Options["payload"]; typed {
		// The transport sent typed messages, which it named.
		return
	}
	res.Options["payload"] = req.Payload.Kind
	switch req.Payload.Kind {
	case "file":
		res.Options["payload_file"] = req.Payload.File
	case "template":
		if req.Payload.Template != "" {
			res.Options["payload_template"] = req.Payload.Template
		}
	}
}

// writeRunOutputs prints the summary and writes the result file, in that
// order: a result file that cannot be written (a full disk) must not take
// the summary with it, and its content then goes to a temporary file
// whose path the error names.
func writeRunOutputs(f *Factory, o runOutput, res *results.Result) error {
	summaryOut := f.IO.Out
	if o.Out == "-" {
		if err := encodeStdout(f, res); err != nil {
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

// NewCmdRun is "commsbench run <transport>": one subcommand per
// transport of the registry.
func NewCmdRun(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run <" + strings.Join(registry.Names(), "|") + "> [flags]",
		Short: "Drive load at a target and report latency, throughput and errors",
		Long: `Drive load at one transport's echo target and report what happened.

Open loop (the default, --rate N): operations are due at a constant rate, and
latency counts from when each was due, so a stalled target shows in the
figures instead of hiding (coordinated omission corrected, as wrk2 does). The
service time from the actual send is reported beside it.

Closed loop (--rate 0 --concurrency N): N workers each send their next
operation when the previous one answered; this finds the throughput ceiling.

Exit codes: 0 done, 1 the run failed, 2 bad flags, 130 interrupted, 143
stopped by SIGTERM (the partial result is still printed and written).`,
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
	for _, t := range registry.All() {
		cmd.AddCommand(newCmdRunTransport(f, t))
	}
	addScenarioFlag(cmd)
	return cmd
}

// newCmdRunTransport is "commsbench run NAME" for one transport.
func newCmdRunTransport(f *Factory, t transport.Transport) *cobra.Command {
	in := newRunInputs(t)
	cmd := &cobra.Command{
		Use:     t.Name,
		Short:   t.Run.Short,
		Long:    t.Run.Long,
		Example: t.Run.Example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := in.request(f)
			if err != nil {
				return err
			}
			if req.Dist.Shards > 1 {
				return executeShards(cmd.Context(), f, req, cmd.Flags())
			}
			_, err = executeRun(cmd.Context(), f, req, nil)
			return err
		},
	}
	in.addFlags(cmd.Flags())
	return cmd
}
