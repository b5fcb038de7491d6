package fault

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		spec string
		want Fault
	}{
		// The examples of the grammar.
		{"down@5s+5s", Fault{Kind: Down, Start: 5 * time.Second, Duration: 5 * time.Second}},
		{"slow@5s+10s,delay=20ms", Fault{Kind: Slow, Start: 5 * time.Second, Duration: 10 * time.Second, Delay: 20 * time.Millisecond}},
		{"network@5s+5s,latency=50ms,jitter=10ms", Fault{Kind: Network, Start: 5 * time.Second, Duration: 5 * time.Second, Latency: 50 * time.Millisecond, Jitter: 10 * time.Millisecond}},
		{"broker-down@5s+3s", Fault{Kind: BrokerDown, Start: 5 * time.Second, Duration: 3 * time.Second}},
		{"broker-restart@2s+1s", Fault{Kind: BrokerRestart, Start: 2 * time.Second, Duration: time.Second}},
		// Bandwidth in KB/s and resets on the path.
		{"network@1s+2s,bandwidth=64", Fault{Kind: Network, Start: time.Second, Duration: 2 * time.Second, Bandwidth: 64}},
		{"network@1s+2s,reset=100ms,latency=5ms", Fault{Kind: Network, Start: time.Second, Duration: 2 * time.Second, Reset: 100 * time.Millisecond, Latency: 5 * time.Millisecond}},
		// A fault may start with the measurement.
		{"down@0s+1s", Fault{Kind: Down, Duration: time.Second}},
		// Parameters in any order; network takes either.
		{"network@1s+1s,jitter=5ms", Fault{Kind: Network, Start: time.Second, Duration: time.Second, Jitter: 5 * time.Millisecond}},
		// Spaces around the parts are forgiven (a YAML list item, say).
		{" slow@1.5s+500ms, delay=1ms ", Fault{Kind: Slow, Start: 1500 * time.Millisecond, Duration: 500 * time.Millisecond, Delay: time.Millisecond}},
	} {
		got, err := Parse(c.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.spec, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.spec, got, c.want)
		}
		back, err := Parse(got.String())
		if err != nil || back != got {
			t.Errorf("Parse(%q.String() = %q) = %+v, %v; want it back", c.spec, got.String(), back, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct {
		spec, why string
	}{
		{"", "no @"},
		{"down", "no @"},
		{"crash@1s+1s", `no kind "crash"`},
		{"down@1s", "no +DURATION"},
		{"down@x+1s", `start "x"`},
		{"down@-1s+1s", "must not be negative"},
		{"down@1s+0s", "must be positive"},
		{"down@1s+2h", "at most 1h0m0s"},
		{"down@1s+1s,delay=1ms", "down takes no parameters"},
		{"slow@1s+1s", "slow needs delay=DURATION"},
		{"slow@1s+1s,delay", "not KEY=VALUE"},
		{"slow@1s+1s,delay=1ms,delay=2ms", "given twice"},
		{"slow@1s+1s,delay=0s", "must be positive"},
		{"slow@1s+1s,delay=2m", "at most 1m0s"},
		{"slow@1s+1s,latency=1ms", "slow takes delay=DURATION"},
		{"network@1s+1s", "network needs latency"},
		{"network@1s+1s,bandwidth=0", "must be positive"},
		{"network@1s+1s,bandwidth=1.5", "not a whole number"},
		{"network@1s+1s,bandwidth=99999999999", "at most 10000000"},
		{"network@1s+1s,reset=-1s", "must be positive"},
		{"broker-restart@1s+1s,delay=1ms", "broker-restart takes no parameters"},
		{"slow@1s+1s,bandwidth=1", "slow takes delay=DURATION"},
	} {
		_, err := Parse(c.spec)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a SpecError", c.spec, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.why) || !strings.Contains(msg, "KIND@START+DURATION") {
			t.Errorf("Parse(%q): %q, want it to say %q and show the grammar", c.spec, msg, c.why)
		}
	}
}

func TestCheck(t *testing.T) {
	must := func(s string) Fault {
		f, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range []struct {
		specs    []string
		measured time.Duration
		why      string // "" when accepted
	}{
		{[]string{"down@1s+1s", "down@2s+1s"}, 10 * time.Second, ""},            // back to back
		{[]string{"down@1s+1s", "slow@1s+2s,delay=1ms"}, 10 * time.Second, ""},  // kinds may overlap
		{[]string{"down@1s+2s", "down@2s+1s"}, 10 * time.Second, "overlap"},     // the far side cannot go down twice
		{[]string{"down@2s+2s", "down@1s+2s"}, 10 * time.Second, "overlap"},     // in any order
		{[]string{"down@8s+3s"}, 10 * time.Second, "after the measured period"}, // past the end
		{[]string{"down@8s+3s"}, 0, ""},                                         // a run bounded by a count
		{[]string{"down@5s+5s"}, 10 * time.Second, ""},                          // ends with the run
	} {
		var fs []Fault
		for _, s := range c.specs {
			fs = append(fs, must(s))
		}
		err := Check(fs, c.measured)
		switch {
		case c.why == "" && err != nil:
			t.Errorf("Check(%v): %v", c.specs, err)
		case c.why != "" && (err == nil || !strings.Contains(err.Error(), c.why)):
			t.Errorf("Check(%v) = %v, want it to say %q", c.specs, err, c.why)
		}
	}
}

func TestWindowPhases(t *testing.T) {
	fs := []Fault{
		{Kind: Slow, Start: 4 * time.Second, Duration: 4 * time.Second, Delay: time.Millisecond},
		{Kind: Down, Start: 2 * time.Second, Duration: time.Second},
	}
	w, ok := Span(fs)
	if !ok || w != (Window{Start: 2 * time.Second, End: 8 * time.Second}) {
		t.Fatalf("Span = %+v, %v; want 2s–8s", w, ok)
	}
	for _, c := range []struct {
		at   time.Duration
		want Phase
	}{
		{0, Before},
		{2*time.Second - 1, Before},
		{2 * time.Second, During}, // the start belongs to the window
		{5 * time.Second, During}, // between two faults still is
		{8 * time.Second, After},  // the end does not
	} {
		if got := w.Phase(c.at); got != c.want {
			t.Errorf("Phase(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	origin := time.Unix(100, 0)
	clk := Clock{Origin: origin, Window: w}
	if got := clk.PhaseNS(origin.Add(3 * time.Second).UnixNano()); got != During {
		t.Errorf("PhaseNS 3s after the origin = %v, want during", got)
	}
	if _, ok := Span(nil); ok {
		t.Error("Span(nil) says there is a window")
	}
}

func TestRefusal(t *testing.T) {
	f := Fault{Kind: Network, Start: time.Second, Duration: time.Second, Latency: time.Millisecond}
	got := Refusal("rest", []Kind{Down, Slow}, f).Error()
	want := "the rest transport cannot apply a network fault (asked for network@1s+1s,latency=1ms); it takes down, slow"
	if got != want {
		t.Errorf("Refusal = %q, want %q", got, want)
	}
}

// FuzzParse: the parser never panics, and what it accepts prints back to
// a spec that parses to the same fault and passes the bounds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"down@5s+5s", "slow@5s+10s,delay=20ms", "network@5s+5s,latency=50ms,jitter=10ms",
		"broker-down@5s+3s", "broker-restart@1s+2s", "network@1s+1s,bandwidth=64,reset=10ms", "network@1s+1s,bandwidth=-1", "down@1s", "slow@1s+1s,delay=1ms,delay=2ms", "@+,=", "down@0s+1ns",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := Parse(spec)
		if err != nil {
			return
		}
		if got.Duration <= 0 || got.Start < 0 || got.Start > MaxOffset || got.Duration > MaxOffset {
			t.Fatalf("Parse(%q) = %+v: outside the bounds", spec, got)
		}
		back, err := Parse(got.String())
		if err != nil || back != got {
			t.Fatalf("Parse(%q) = %+v, printed %q, read back %+v, %v", spec, got, got.String(), back, err)
		}
	})
}
