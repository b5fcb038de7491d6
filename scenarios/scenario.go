// Package scenarios holds commsbench's scenario and suite files: what to
// run, over which transport, with what payload and load. It is plain data
// and its validation; the command line turns a scenario into a run.
//
// A scenario file names one transport and its options (the same names as
// that transport's run flags), a payload (a size, or a template file so
// messages look like the real thing) and a load. A suite file lists
// scenarios, the two phases every scenario runs in, and defaults shared by
// its scenarios. The built-in files are embedded in the binary and also sit
// beside this package on disk.
package scenarios

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
)

// MaxPayloadBytes bounds a payload: the engine's bound.
const MaxPayloadBytes = bench.MaxPayloadBytes

// orList writes names for a sentence: "a, b or c".
func orList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// validName is what a scenario or suite name may look like: it becomes
// part of file names and labels.
var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Pos is where something was written: a file and a line.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Error is a problem in a scenario or suite file, at a line and key.
type Error struct {
	Pos
	// Key is the dotted path of the key, such as "load.rate".
	Key string
	Msg string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Key, e.Msg)
}

// Scenario is one transport measured under one payload and load.
type Scenario struct {
	Name        string
	Description string
	Transport   string
	// Options are the transport's own settings, named as its run flags
	// (mode, partitions, prefetch …), in the order they were written.
	Options []Option
	Payload Payload
	Load    Load
	// Faults are injected into the run (faults: in the file), parsed.
	Faults []fault.Fault
	// Pos is where the scenario starts (its file, or its entry in a suite).
	Pos Pos
}

// Option is one transport setting: a run flag's name and its value as written.
type Option struct {
	Name  string
	Value string
	// List holds the entries of an option written as a list, for a
	// repeatable setting (header: ["A: b", "C: d"]); Value is then empty.
	// An entry written as a mapping is that mapping in JSON, its values
	// as text: the transport decodes it into its own typed form.
	List   []string
	IsList bool
	Pos    Pos
}

// Errorf returns an error at the option's position, naming its key.
func (o Option) Errorf(format string, args ...any) error {
	return &Error{Pos: o.Pos, Key: "options." + o.Name, Msg: fmt.Sprintf(format, args...)}
}

// Option returns the value of the named option, and whether it is set.
func (s *Scenario) Option(name string) (string, bool) {
	for i := len(s.Options) - 1; i >= 0; i-- {
		if s.Options[i].Name == name {
			return s.Options[i].Value, true
		}
	}
	return "", false
}

// Payload is what each operation carries.
type Payload struct {
	// Size in bytes; 0 when unset.
	Size int64
	// Template is the template file as written in the scenario, relative
	// to the scenario's file; Content holds its bytes.
	Template string
	Content  []byte
	Pos      Pos
}

// Bytes is the payload size: the template's when there is one.
func (p Payload) Bytes() int64 {
	if p.Template != "" {
		return int64(len(p.Content))
	}
	return p.Size
}

// IsSet says whether a size or a template was given.
func (p Payload) IsSet() bool { return p.Size > 0 || p.Template != "" }

// Load is the load to drive. Nil pointers and zero values are unset: the
// run's defaults (or a suite's) apply.
type Load struct {
	// Rate is the offered load in operations per second, open loop; 0
	// means closed loop.
	Rate *float64
	// Concurrency is the closed loop's workers, or the open loop's bound
	// on operations in flight.
	Concurrency int
	Duration    time.Duration
	Warmup      *time.Duration
	Requests    int64
	Timeout     time.Duration
}

// withDefaults fills what l leaves unset from d.
func (l Load) withDefaults(d Load) Load {
	if l.Rate == nil {
		l.Rate = d.Rate
	}
	if l.Concurrency == 0 {
		l.Concurrency = d.Concurrency
	}
	if l.Duration == 0 && l.Requests == 0 {
		l.Duration, l.Requests = d.Duration, d.Requests
	}
	if l.Warmup == nil {
		l.Warmup = d.Warmup
	}
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// Suite is a list of scenarios run side by side in two phases.
type Suite struct {
	Name        string
	Description string
	// SameLoad is the first phase: every scenario at the same offered
	// load, open loop. Saturation is the second: a search for the highest
	// rate each sustains (or a closed loop), to find each
	// one's throughput ceiling. What a phase sets overrides the
	// scenario's own load, so that every scenario runs on equal terms.
	SameLoad   Phase
	Saturation Phase
	// Resilience is the optional third phase: every scenario at the same
	// offered load with its receiving side down for a window (Faults);
	// a suite that sets it runs it unless the command line says not to.
	Resilience *Phase
	// Payload, when set (payload: in the file), replaces every scenario's
	// own: one interaction over every mechanism, so that the comparison
	// does not mix payload size in. Defaults.Payload only fills the unset.
	Payload Payload
	// Scenarios have the suite's defaults applied.
	Scenarios []*Scenario
	Pos       Pos
}

// SamePayload gives every scenario the suite's payload, or, when the suite
// sets none, the first scenario's.
func (s *Suite) SamePayload() {
	if !s.Payload.IsSet() && len(s.Scenarios) > 0 {
		s.Payload = s.Scenarios[0].Payload
	}
	s.applyPayload()
}

func (s *Suite) applyPayload() {
	if !s.Payload.IsSet() {
		return
	}
	for _, sc := range s.Scenarios {
		sc.Payload = s.Payload
	}
}

// Phase is one of a suite's phases. Zero values are unset: the command
// line's values (or its defaults) apply.
type Phase struct {
	// Rate is the same-load phase's offered load in operations per second.
	Rate float64
	// Concurrency is the saturation phase's closed-loop workers (suite
	// --saturation closed), or its search's bound on operations in flight.
	Concurrency int
	Duration    time.Duration
	Warmup      *time.Duration
	// Faults are the resilience phase's faults (fault: in the file).
	Faults []fault.Fault
}

// Defaults are what a suite gives the scenarios that leave them unset.
type Defaults struct {
	Payload Payload
	Load    Load
}

// apply fills what s leaves unset from d.
func (d Defaults) apply(s *Scenario) {
	if !s.Payload.IsSet() {
		s.Payload = d.Payload
	}
	s.Load = s.Load.withDefaults(d.Load)
}
