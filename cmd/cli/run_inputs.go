package cli

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/scenarios"
	"github.com/commsbench/commsbench/targets/transport"
)

// This file turns what a user gives — the flags of "run <transport>", a
// scenario's keys, a suite's phases and --set — into one typed run request.
// Every way into a run fills the same runInputs through the same typed
// values and builds its request with the same checks; nothing is written
// back into command-line text and parsed again.

// runInputs are the settings of one run as given, before they are checked.
type runInputs struct {
	t   transport.Transport
	cfg transport.Config
	// opts are the transport's options and, for a transport with a
	// container broker, --containers and --image.
	opts   []transport.Option
	shared *RunOptions
	ct     containerFlags
	// fs holds the flags, once addFlags made them.
	fs *pflag.FlagSet
	// given are the shared settings a scenario or a suite phase gave.
	given map[string]bool
	// scenario is the scenario being run, if any; template its payload.
	scenario string
	template string
}

// newRunInputs returns the defaults of a run of t.
func newRunInputs(t transport.Transport) *runInputs {
	in := &runInputs{t: t, cfg: t.NewConfig(), shared: newRunOptions(), given: map[string]bool{}}
	in.opts = in.cfg.Options()
	if t.Container != "" {
		in.opts = append(in.opts, in.ct.options(t)...)
	}
	return in
}

// changed says whether a shared setting was given, on the command line
// or by a scenario or suite.
func (in *runInputs) changed(name string) bool {
	return in.given[name] || (in.fs != nil && in.fs.Changed(name))
}

// addFlags makes the shared flags and the transport's options flags of fs.
func (in *runInputs) addFlags(fs *pflag.FlagSet) {
	in.fs = fs
	in.shared.addFlags(fs)
	for name, usage := range in.t.Shared.Usage {
		if fl := fs.Lookup(name); fl != nil {
			fl.Usage = usage
		}
	}
	for _, name := range in.t.Shared.Hidden {
		_ = fs.MarkHidden(name)
	}
	hideRetries(in.t, fs)
	for _, o := range in.opts {
		addOptionFlag(fs, o)
	}
	if _, ok := in.cfg.(transport.Separable); ok {
		fs.BoolVar(&in.shared.InProcess, "in-process", false, "run the embedded target or broker inside this process instead of a process of its own\n(commsbench serve, started and stopped by the run); see docs/run.md")
	}
}

// addOptionFlag makes a transport's option a flag.
func addOptionFlag(fs *pflag.FlagSet, o transport.Option) {
	fl := fs.VarPF(o.Value, o.Name, "", o.Usage)
	switch {
	case o.Value.Type() == "bool":
		fl.NoOptDefVal = "true" // --keep-queue alone means true
	case o.Value.Type() == "duration" && fl.DefValue == "0s":
		fl.DefValue = "0" // help shows no default for a zero duration, as for pflag's own
	}
	fl.Hidden = o.Hidden
}

// reservedOption says why a scenario's options (or --set) may not name a
// setting: the load and payload have keys of their own, and some flags
// belong to the command line only.
func reservedOption(name string) (string, bool) {
	switch name {
	case "rate", "concurrency", "duration", "requests", "warmup", "timeout":
		return fmt.Sprintf("a load setting: write it under load: (load.%s)", name), true
	case "payload-size", "payload-file":
		return "write the payload as payload.size or payload.template", true
	case "fault":
		return "write faults as a list under faults:", true
	case "out", "format", "quiet", "label", "count", "scenario", "cpuprofile", "shard", "shards", "start-at", "run-id", "in-process",
		"retries", "retry-backoff", "find-max", "max-p99", "find-max-steps", "find-max-time":
		return "a setting of the command line, not of a scenario: give --" + name + " when you run it", true
	}
	return "", false
}

// setOption sets the transport option named name from text; --target and
// --connections, shared by the transports that take them, too.
func (in *runInputs) setOption(name, value string) error {
	if (name == "target" || name == "connections") && !slices.Contains(in.t.Shared.Hidden, name) {
		var err error
		if name == "target" {
			in.shared.Target = value
		} else {
			in.shared.Connections, err = strconv.Atoi(value)
		}
		if err != nil {
			return &badValueError{value, errors.New("not a whole number")}
		}
		in.given[name] = true
		return nil
	}
	o := transport.Find(in.opts, name)
	if o == nil || o.Hidden {
		if near := nearestOption(in.opts, name); near != "" {
			return fmt.Errorf("the %s transport has no such option; did you mean %s?", in.t.Name, near)
		}
		return fmt.Errorf("the %s transport has no such option; its options are its run flags: %s", in.t.Name, optionNames(in.opts))
	}
	if err := o.Value.Set(value); err != nil {
		return &badValueError{value, err}
	}
	return nil
}

// setListOption sets a repeatable transport option from a scenario's
// list, entry by entry; an option that takes one value refuses a list.
func (in *runInputs) setListOption(name string, list []string) error {
	o := transport.Find(in.opts, name)
	if o != nil && !o.Hidden {
		if _, ok := o.Value.(transport.Repeatable); !ok {
			return errors.New("takes a single value, not a list")
		}
	}
	for i, v := range list {
		if err := in.setOption(name, v); err != nil {
			if o == nil {
				return err
			}
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return nil
}

// badValueError is a value an option does not take.
type badValueError struct {
	value string
	err   error
}

func (e *badValueError) Error() string { return fmt.Sprintf("%q: %v", e.value, e.err) }

// applyScenario gives the run sc's options, payload and load. Errors name
// the file, line and key.
func (in *runInputs) applyScenario(sc *scenarios.Scenario) error {
	var errs []error
	for _, o := range sc.Options {
		if why, reserved := reservedOption(o.Name); reserved {
			errs = append(errs, o.Errorf("%s", why))
			continue
		}
		if o.IsList {
			if err := in.setListOption(o.Name, o.List); err != nil {
				errs = append(errs, o.Errorf("%v", err))
			}
			continue
		}
		if err := in.setOption(o.Name, o.Value); err != nil {
			errs = append(errs, o.Errorf("%v", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	in.scenario = sc.Name
	s := in.shared
	s.Label = sc.Name
	switch p := sc.Payload; {
	case p.Template != "":
		s.PayloadContent, s.Payload = p.Content, byteSize(len(p.Content))
		in.template = p.Template
	case p.IsSet():
		s.Payload = byteSize(p.Bytes())
		in.given["payload-size"] = true
	}
	l := sc.Load
	if l.Rate != nil {
		s.Rate, in.given["rate"] = *l.Rate, true
	}
	if l.Concurrency > 0 {
		s.Concurrency, in.given["concurrency"] = l.Concurrency, true
	}
	if l.Duration > 0 {
		s.Duration, in.given["duration"] = l.Duration, true
	}
	if l.Requests > 0 {
		s.Requests, in.given["requests"] = l.Requests, true
	}
	if l.Warmup != nil {
		s.Warmup, in.given["warmup"] = *l.Warmup, true
	}
	if l.Timeout > 0 {
		s.Timeout, in.given["timeout"] = l.Timeout, true
	}
	if len(sc.Faults) > 0 {
		s.Faults.faults = sc.Faults
	}
	return nil
}

// overridden settles what the command line changed over a scenario: a
// request count alone bounds the run, and a payload of its own replaces
// the scenario's template.
func (in *runInputs) overridden() {
	if in.fs == nil {
		return
	}
	if in.fs.Changed("requests") && !in.fs.Changed("duration") {
		in.shared.Duration, in.given["duration"] = 0, false
	}
	if in.template != "" && (in.fs.Changed("payload-size") || in.fs.Changed("payload-file")) {
		in.shared.PayloadContent, in.template = nil, ""
	}
}

// runRequest is one run, checked and typed: what run, run --scenario and
// suite hand to executeRun.
type runRequest struct {
	Transport transport.Transport
	Config    transport.Config
	// Run is what the transport's workload gets; ID is filled per run.
	Run transport.Run
	// Engine is the load, without progress.
	Engine bench.Options
	// Payload says where the payload came from, for the record.
	Payload payloadSource
	Label   string
	// Scenario and Phase name the scenario and suite phase, if any.
	Scenario, Phase string
	Containers      containerFlags
	Output          runOutput
	// Dist is the run's part of a sharded load.
	Dist distribution
	// InProcess keeps an embedded target or broker in this process
	// instead of a process of its own.
	InProcess bool
	// Search, when on, makes the run a search for the highest
	// sustainable rate.
	Search searchRequest
}

// payloadSource is where a run's payload came from.
type payloadSource struct {
	// Kind is "random", "file" or "template".
	Kind     string
	File     string
	Template string
}

// runOutput is where a run's result goes and how it is shown.
type runOutput struct {
	Out        string
	Format     string
	Quiet      bool
	CPUProfile string
	Count      int
}

// request checks the inputs and builds the run request. Its errors are
// usage errors.
func (in *runInputs) request(f *Factory) (*runRequest, error) {
	o := in.shared
	if err := o.validate(in.changed); err != nil {
		return nil, err
	}
	search, err := o.Search.check(in.changed, o)
	if err != nil {
		return nil, err
	}
	if err := o.loadPayload(in.changed); err != nil {
		return nil, err
	}
	if err := in.ct.validate(in.t, in.opts); err != nil {
		return nil, err
	}
	if err := checkFaults(in.t, o.Faults.faults, o); err != nil {
		return nil, err
	}
	if err := checkRetries(in.t, o.Retry, in.changed); err != nil {
		return nil, err
	}
	req := &runRequest{
		Transport: in.t,
		Config:    in.cfg,
		Run: transport.Run{
			Target:           o.Target,
			OpenLoop:         o.Rate > 0,
			Rate:             o.Rate,
			Concurrency:      o.Concurrency,
			ConcurrencyGiven: in.changed("concurrency"),
			Connections:      o.Connections,
			PayloadBytes:     int(o.Payload),
			Payload:          o.PayloadContent,
			Faults:           o.Faults.faults,
			Warn:             func(s string) { fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", s) },
		},
		Label:      o.Label,
		InProcess:  o.InProcess,
		Scenario:   in.scenario,
		Containers: in.ct,
		Output:     runOutput{Out: o.Out, Format: o.Format, Quiet: o.Quiet, CPUProfile: o.CPUProfile, Count: o.Count},
		Search:     search,
	}
	if err := in.cfg.Resolve(transport.Env{Getenv: f.Getenv}, &req.Run); err != nil {
		if transport.IsUsage(err) {
			return nil, &FlagError{err: err}
		}
		return nil, err
	}
	switch {
	case o.PayloadFile != "":
		req.Payload = payloadSource{Kind: "file", File: o.PayloadFile}
	case o.PayloadContent != nil:
		req.Payload = payloadSource{Kind: "template", Template: in.template}
	default:
		req.Payload = payloadSource{Kind: "random"}
	}
	req.Engine = bench.Options{
		Rate:         o.Rate,
		Concurrency:  req.Run.Concurrency,
		Duration:     o.Duration,
		Requests:     o.Requests,
		Warmup:       o.Warmup,
		Timeout:      o.Timeout,
		PayloadBytes: req.Run.PayloadBytes,
		Connections:  req.Run.Connections,
		Faults:       req.Run.Faults,
		Retries:      o.Retry.Retries,
		RetryBackoff: o.Retry.Backoff,
	}
	if err := req.distribute(f.Now(), o); err != nil {
		return nil, err
	}
	return req, nil
}

// validate checks the shared settings and fills the defaults that depend
// on others. changed says whether a setting was given. Errors are usage
// errors.
func (o *RunOptions) validate(changed func(string) bool) error {
	switch {
	case math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Rate < 0:
		return flagErrorf("--rate %v: must be a positive number of operations per second, or 0 for closed loop", o.Rate)
	case o.Rate > bench.MaxRate:
		return flagErrorf("--rate %v: above 10M operations per second no transport here keeps up; use --rate 0 (closed loop) to find the ceiling", o.Rate)
	case o.Concurrency < 0 || (changed("concurrency") && o.Concurrency == 0):
		return flagErrorf("--concurrency %d: must be at least 1", o.Concurrency)
	case o.Concurrency > bench.MaxConcurrency:
		return flagErrorf("--concurrency %d: more than %d workers is not a load test of a service but of the scheduler", o.Concurrency, bench.MaxConcurrency)
	case changed("duration") && o.Duration <= 0:
		return flagErrorf("--duration %v: must be positive, such as 10s or 1m", o.Duration)
	case o.Requests < 0 || (changed("requests") && o.Requests == 0):
		return flagErrorf("--requests %d: must be a positive number of operations", o.Requests)
	case o.Warmup < 0:
		return flagErrorf("--warmup %v: must not be negative (0 for no warm-up)", o.Warmup)
	case o.Timeout <= 0:
		return flagErrorf("--timeout %v: must be positive, such as 5s", o.Timeout)
	case o.Payload > bench.MaxPayloadBytes:
		return flagErrorf("--payload-size %d: at most 16MiB (%d bytes)", o.Payload, bench.MaxPayloadBytes)
	case o.Count < 1:
		return flagErrorf("--count %d: must be at least 1", o.Count)
	case o.Count > 1 && (o.Out == "-" || strings.HasSuffix(o.Out, ".json")):
		return flagErrorf("--count %d --out %s: with several runs --out names a directory (such as results/), which receives one file per run", o.Count, o.Out)
	case o.Connections < 0 || (changed("connections") && o.Connections == 0):
		return flagErrorf("--connections %d: must be at least 1", o.Connections)
	}
	switch o.Format {
	case results.FormatText, results.FormatJSON, results.FormatMarkdown:
	default:
		return flagErrorf("--format %q: choose text, json or markdown", o.Format)
	}
	if o.Quiet && changed("format") && o.Out != "-" {
		return flagErrorf("--format %s and --quiet: --quiet prints no summary for --format to shape; give one of them (--out - writes the result as JSON to stdout either way)", o.Format)
	}
	if err := checkOutWritable(o.Out, o.Count > 1 || isDirOut(o.Out)); err != nil {
		return &FlagError{err: err}
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

// loadPayload reads --payload-file.
func (o *RunOptions) loadPayload(changed func(string) bool) error {
	if o.PayloadFile == "" {
		return nil
	}
	if changed("payload-size") {
		return flagErrorf("--payload-file and --payload-size: give one (the file's size is the payload size)")
	}
	data, err := os.ReadFile(o.PayloadFile)
	switch {
	case err != nil:
		return flagErrorf("--payload-file: %v", results.FileError(err, "read", o.PayloadFile))
	case len(data) == 0:
		return flagErrorf("--payload-file %s: the file is empty", o.PayloadFile)
	case len(data) > bench.MaxPayloadBytes:
		return flagErrorf("--payload-file %s: %d bytes, at most 16MiB", o.PayloadFile, len(data))
	}
	o.PayloadContent = data
	o.Payload = byteSize(len(data))
	return nil
}

// optionNames lists the options a scenario may set.
func optionNames(opts []transport.Option) string {
	var names []string
	for _, o := range opts {
		if !o.Hidden {
			names = append(names, o.Name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// nearestOption is the option name closest to a misspelt one (at most two
// edits away, or the same with '_' for '-'), or "".
func nearestOption(opts []transport.Option, name string) string {
	best, bestD := "", 3
	for _, o := range opts {
		if o.Hidden {
			continue
		}
		if d := editDistance(strings.ReplaceAll(name, "_", "-"), o.Name); d < bestD {
			best, bestD = o.Name, d
		}
	}
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
