// Package fault is the fault model of a run: what goes wrong on the far
// side, when after the warm-up it starts, and for how long. It is plain
// data and its one parser; it knows no transport. A transport says which
// kinds it can apply, and its workload applies them when the engine's
// schedule says so.
//
// A fault is written KIND@START+DURATION[,KEY=VALUE]...:
//
//	down@5s+5s                          the receiving side is gone for 5 s, 5 s into the measurement
//	slow@5s+10s,delay=20ms              it takes 20 ms longer per operation
//	network@5s+5s,latency=50ms,jitter=10ms
//	network@5s+5s,bandwidth=64          at most 64 KB/s on the path
//	network@5s+5s,reset=100ms           connections reset 100 ms after they carry data
//	broker-down@5s+3s                   every connection to the broker is cut
//	broker-restart@5s+3s                the broker itself is stopped and started
package fault

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is what goes wrong.
type Kind string

// The kinds of fault.
const (
	// Down: the receiving service is gone (a target stops accepting and
	// drops its connections; consumers and subscribers stop).
	Down Kind = "down"
	// Slow: the receiving service takes Delay longer per operation.
	Slow Kind = "slow"
	// Network: latency, jitter, a bandwidth limit or connection resets on
	// the path to the far side.
	Network Kind = "network"
	// BrokerDown: every connection to the broker is cut, and new ones are
	// refused, for the window.
	BrokerDown Kind = "broker-down"
	// BrokerRestart: the broker itself stops for the window and starts
	// again.
	BrokerRestart Kind = "broker-restart"
)

// Kinds lists every kind, in the order help shows them.
func Kinds() []Kind { return []Kind{Down, Slow, Network, BrokerDown, BrokerRestart} }

// Limits of a spec: a fault is part of a measured run, which lasts
// minutes at most; these bounds keep a typo from asking for a day.
const (
	MaxOffset = time.Hour
	MaxDelay  = time.Minute
	// MaxBandwidth bounds bandwidth= (KB/s): 10 GB/s is no limit at all.
	MaxBandwidth = 10_000_000
)

// Grammar is the form of a spec, for usage messages.
const Grammar = "KIND@START+DURATION[,KEY=VALUE...], such as down@5s+5s, slow@5s+10s,delay=20ms, " +
	"network@5s+5s,latency=50ms,jitter=10ms or broker-down@5s+3s; START counts from the end of the warm-up; " +
	"kinds: down, slow (delay=D), network (latency=D, jitter=D, bandwidth=KB/s, reset=D), broker-down, broker-restart"

// Fault is one fault of a run.
type Fault struct {
	Kind Kind
	// Start is when the fault begins, counted from the start of the
	// measured period (after the warm-up); Duration how long it lasts.
	Start, Duration time.Duration
	// Delay is what slow adds to each operation.
	Delay time.Duration
	// Latency and Jitter are what network adds to each packet's path.
	Latency, Jitter time.Duration
	// Bandwidth bounds the path in KB/s (0: no bound).
	Bandwidth int64
	// Reset: each connection on the path is reset this long after it
	// carries data during the window (0: none).
	Reset time.Duration
}

// End is when the fault ends, from the start of the measured period.
func (f Fault) End() time.Duration { return f.Start + f.Duration }

// Params are the fault's parameters as written, by name.
func (f Fault) Params() map[string]string {
	p := map[string]string{}
	ps, _ := paramsOf(f.Kind)
	for _, d := range ps {
		if v, set := d.get(&f); set {
			p[d.name] = v
		}
	}
	return p
}

// String is the fault's spec in its canonical form; Parse reads it back.
func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%s+%s", f.Kind, f.Start, f.Duration)
	ps, _ := paramsOf(f.Kind)
	for _, d := range ps {
		if v, set := d.get(&f); set {
			fmt.Fprintf(&b, ",%s=%s", d.name, v)
		}
	}
	return b.String()
}

// param is one parameter a kind takes: a duration, or a whole number
// (count) of the unit its help names.
type param struct {
	name     string
	required bool
	dur      func(*Fault) *time.Duration
	count    func(*Fault) *int64
}

// get is the parameter's value as written, and whether it is set.
func (p param) get(f *Fault) (string, bool) {
	if p.count != nil {
		v := *p.count(f)
		return strconv.FormatInt(v, 10), v != 0
	}
	v := *p.dur(f)
	return v.String(), v != 0
}

// set reads the parameter's value into f.
func (p param) set(f *Fault, v string) error {
	if p.count != nil {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch {
		case err != nil:
			return fmt.Errorf("not a whole number (KB/s, such as 64)")
		case n < 1:
			return fmt.Errorf("must be positive")
		case n > MaxBandwidth:
			return fmt.Errorf("is at most %d", MaxBandwidth)
		}
		*p.count(f) = n
		return nil
	}
	d, err := duration(v, 1)
	if err != nil {
		return err
	}
	if d > MaxDelay {
		return fmt.Errorf("is at most %s", MaxDelay)
	}
	*p.dur(f) = d
	return nil
}

func (p param) help() string {
	if p.count != nil {
		return p.name + "=KB/s"
	}
	return p.name + "=DURATION"
}

// paramsOf returns the parameters kind k takes, in the order String
// writes them, and whether k is a kind at all.
func paramsOf(k Kind) ([]param, bool) {
	switch k {
	case Down, BrokerDown, BrokerRestart:
		return nil, true
	case Slow:
		return []param{
			{name: "delay", required: true, dur: func(f *Fault) *time.Duration { return &f.Delay }},
		}, true
	case Network:
		return []param{
			{name: "latency", dur: func(f *Fault) *time.Duration { return &f.Latency }},
			{name: "jitter", dur: func(f *Fault) *time.Duration { return &f.Jitter }},
			{name: "bandwidth", count: func(f *Fault) *int64 { return &f.Bandwidth }},
			{name: "reset", dur: func(f *Fault) *time.Duration { return &f.Reset }},
		}, true
	}
	return nil, false
}

// SpecError is a spec that does not parse: it says why and shows the
// grammar.
type SpecError struct {
	Spec   string
	Reason string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("fault %q: %s; write a fault as %s", e.Spec, e.Reason, Grammar)
}

// Parse reads one spec.
func Parse(spec string) (Fault, error) {
	bad := func(format string, args ...any) (Fault, error) {
		return Fault{}, &SpecError{Spec: spec, Reason: fmt.Sprintf(format, args...)}
	}
	head, rest, _ := strings.Cut(strings.TrimSpace(spec), ",")
	kind, when, ok := strings.Cut(head, "@")
	if !ok {
		return bad("no @ after the kind")
	}
	f := Fault{Kind: Kind(strings.TrimSpace(kind))}
	kp, known := paramsOf(f.Kind)
	if !known {
		return bad("no kind %q", f.Kind)
	}
	start, length, ok := strings.Cut(when, "+")
	if !ok {
		return bad("no +DURATION after the start")
	}
	var err error
	if f.Start, err = duration(start, 0); err != nil {
		return bad("start %q: %v", start, err)
	}
	if f.Duration, err = duration(length, 1); err != nil {
		return bad("duration %q: %v", length, err)
	}
	if f.Start > MaxOffset || f.Duration > MaxOffset {
		return bad("start and duration are at most %s", MaxOffset)
	}
	seen := map[string]bool{}
	if rest != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok {
				return bad("parameter %q is not KEY=VALUE", kv)
			}
			i := slices.IndexFunc(kp, func(p param) bool { return p.name == k })
			if i < 0 {
				return bad("%s takes %s", f.Kind, paramList(kp))
			}
			if seen[k] {
				return bad("%s is given twice", k)
			}
			seen[k] = true
			if err := kp[i].set(&f, v); err != nil {
				return bad("%s %q: %v", k, v, err)
			}
		}
	}
	for _, p := range kp {
		if p.required && !seen[p.name] {
			return bad("%s needs %s", f.Kind, p.help())
		}
	}
	if f.Kind == Network && len(seen) == 0 {
		return bad("network needs latency=D, jitter=D, bandwidth=KB/s or reset=D")
	}
	return f, nil
}

// MustParse is Parse for specs known to be good (tests, built-in
// scenarios); it panics on a bad one.
func MustParse(spec string) Fault {
	f, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return f
}

// duration reads a duration of at least least nanoseconds.
func duration(s string, least time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, fmt.Errorf("not a duration (such as 500ms or 5s)")
	case d < least && least > 0:
		return 0, fmt.Errorf("must be positive")
	case d < 0:
		return 0, fmt.Errorf("must not be negative")
	}
	return d, nil
}

func paramList(ps []param) string {
	if len(ps) == 0 {
		return "no parameters"
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.help())
	}
	return strings.Join(names, " and ")
}

// Check holds a run's faults together: faults of one kind must not
// overlap (the far side cannot go down twice), and every fault must end
// within the measured period when one is planned (measured > 0).
func Check(fs []Fault, measured time.Duration) error {
	sorted := slices.Clone(fs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	for i, f := range sorted {
		if measured > 0 && f.End() > measured {
			return fmt.Errorf("fault %s ends %s after the warm-up, after the measured period (%s): start it earlier, shorten it or raise --duration", f, f.End(), measured)
		}
		for _, g := range sorted[:i] {
			if g.Kind == f.Kind && f.Start < g.End() {
				return fmt.Errorf("faults %s and %s overlap: faults of one kind must follow each other", g, f)
			}
		}
	}
	return nil
}

// Window is the span of a run's faults, from the first start to the last
// end, counted from the start of the measured period. The resilience of a
// run is measured before, during and after it.
type Window struct {
	Start, End time.Duration
}

// Span is the window of fs; ok is false when there are none.
func Span(fs []Fault) (w Window, ok bool) {
	for i, f := range fs {
		if i == 0 || f.Start < w.Start {
			w.Start = f.Start
		}
		w.End = max(w.End, f.End())
	}
	return w, len(fs) > 0
}

// Phase is where an instant falls relative to a window.
type Phase int

// The phases of a run with faults.
const (
	Before Phase = iota
	During
	After
	// Phases is the number of phases.
	Phases
)

func (p Phase) String() string {
	switch p {
	case Before:
		return "before"
	case During:
		return "during"
	case After:
		return "after"
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// Phase says where offset (from the start of the measured period) falls.
func (w Window) Phase(offset time.Duration) Phase {
	switch {
	case offset < w.Start:
		return Before
	case offset < w.End:
		return During
	}
	return After
}

// Clock places a window in time: the measured period started at Origin.
// Workloads that time their own messages (end-to-end) use it to put each
// message in the phase in which it was sent.
type Clock struct {
	Origin time.Time
	Window Window
}

// Phase says where t falls.
func (c Clock) Phase(t time.Time) Phase { return c.Window.Phase(t.Sub(c.Origin)) }

// PhaseNS says where a Unix time in nanoseconds falls.
func (c Clock) PhaseNS(ns int64) Phase {
	return c.Window.Phase(time.Duration(ns - c.Origin.UnixNano()))
}

// Takes says whether kinds holds k.
func Takes(kinds []Kind, k Kind) bool { return slices.Contains(kinds, k) }

// Refusal says in a sentence that a transport named name does not take
// f, and which kinds it does take.
func Refusal(name string, kinds []Kind, f Fault) error {
	if len(kinds) == 0 {
		return fmt.Errorf("the %s transport takes no faults (asked for %s)", name, f)
	}
	var ks []string
	for _, k := range kinds {
		ks = append(ks, string(k))
	}
	return fmt.Errorf("the %s transport cannot apply a %s fault (asked for %s); it takes %s", name, f.Kind, f, strings.Join(ks, ", "))
}
