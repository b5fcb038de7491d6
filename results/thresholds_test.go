package results_test

import (
	"math"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		metric, expr string
		op           string
		value        float64
		err          string // "" for a valid threshold, else part of the message
	}{
		// Latency limits are durations with a unit.
		{"p99", "< 5ms", "<", 5e6, ""},
		{"p99.9", "<= 750us", "<=", 750e3, ""},
		{"max", "<1.5s", "<", 1.5e9, ""},
		{"p50", "< 200µs", "<", 200e3, ""},
		{"publish.p99", "< 20ms", "<", 20e6, ""},
		{"p999", "< 1ms", "<", 1e6, ""},
		// Error rate: a percentage or a fraction.
		{"error_rate", "< 0.1%", "<", 0.001, ""},
		{"error_rate", "<= 0.02", "<=", 0.02, ""},
		// Throughput: a number, with k or M.
		{"ops_per_s", "> 10000", ">", 10000, ""},
		{"ops_per_s", ">= 12.5k", ">=", 12500, ""},
		{"bytes_per_s", "> 1M", ">", 1e6, ""},
		// No operator: the k6 form needs one.
		{"p99", "5ms", "", 0, "has no comparison"},
		// A bare number for a latency could be read as any unit.
		{"p99", "< 5", "", 0, "not a duration with a unit"},
		{"p99", "< 0", "", 0, "not a duration with a unit"},
		{"p99", "< -5ms", "", 0, "cannot be negative"},
		{"p99", "<", "", 0, "no value"},
		{"p99", "< fast", "", 0, "not a duration"},
		// A misspelled metric is an error, never ignored (k6 #1526).
		{"p99_latency", "< 5ms", "", 0, `unknown metric "p99_latency"`},
		{"latency.p99", "< 5ms", "", 0, `no latency named "latency"`},
		{"errors", "< 1%", "", 0, `unknown metric "errors"`},
		{"p101", "< 5ms", "", 0, "unknown metric"},
		{"error_rate", "< 150%", "", 0, "between 0% and 100%"},
		{"error_rate", "< 5ms", "", 0, "is not a rate"},
		{"ops_per_s", "> -1", "", 0, "is not a rate"},
		{"ops_per_s", "> lots", "", 0, "is not a rate"},
		{"ops_per_s", "> NaN", "", 0, "is not a rate"},
		// Counts and the failed rate, with == for "none at all".
		{"lost", "== 0", "==", 0, ""},
		{"unread", "<= 10", "<=", 10, ""},
		{"duplicates", "< 1k", "<", 1000, ""},
		{"out_of_order", "== 0", "==", 0, ""},
		{"redelivered", "< 5", "<", 5, ""},
		{"unsent", "== 0", "==", 0, ""},
		{"failed_rate", "< 1%", "<", 0.01, ""},
		{"error_rate", "== 0", "==", 0, ""},
		{"lost", "< -1", "", 0, "not a count"},
		{"lost", "< 1.5", "", 0, "not a count"},
		{"lost", "< 5ms", "", 0, "not a count"},
	}
	for _, tt := range tests {
		t.Run(tt.metric+" "+tt.expr, func(t *testing.T) {
			th, err := results.ParseThreshold(tt.metric, tt.expr)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if th.Op != tt.op || th.Value != tt.value {
				t.Errorf("got %s %v, want %s %v", th.Op, th.Value, tt.op, tt.value)
			}
		})
	}
}

func TestThresholdHolds(t *testing.T) {
	lt, _ := results.ParseThreshold("p99", "< 5ms")
	ge, _ := results.ParseThreshold("ops_per_s", ">= 100")
	tests := []struct {
		th   results.Threshold
		v    float64
		want bool
	}{
		{lt, 4.9e6, true},  // under the limit
		{lt, 5e6, false},   // the limit itself is not below it
		{ge, 100, true},    // the limit itself is enough for >=
		{ge, 99.99, false}, // under the floor
	}
	for _, tt := range tests {
		if got := tt.th.Holds(tt.v); got != tt.want {
			t.Errorf("%s holds for %v = %v, want %v", tt.th, tt.v, got, tt.want)
		}
	}
}

func TestParseThresholds(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		err  string // "" when valid
		n    int    // entries
	}{
		{"k6 style flow mapping", `rest: {p99: "< 5ms", error_rate: "< 0.1%", ops_per_s: "> 10000"}`, "", 1},
		{"per label and latency", "rest/ci:\n  p50: \"< 1ms\"\nqueue:\n  publish.p99: \"< 20ms\"\n", "", 2},
		{"empty file", "", "the file is empty", 0},
		{"not a mapping", "- rest\n", "want a mapping", 0},
		{"misspelled metric", "rest:\n  p99_ms: \"< 5ms\"\n", `line 2: rest: unknown metric "p99_ms"`, 0},
		{"number without operator", "rest:\n  p99: 5\n", `"5" has no comparison`, 0},
		{"malformed limit", "rest:\n  p99: \"< five\"\n", "not a duration", 0},
		{"no limits", "rest: {}\n", "want metric limits", 0},
		{"limits not a mapping", "rest: \"< 5ms\"\n", "want metric limits", 0},
		{"key twice", "rest: {p99: \"< 1ms\"}\nrest: {p50: \"< 1ms\"}\n", "", 0},
		{"metric twice", "rest: {p99: \"< 1ms\", p99: \"< 2ms\"}\n", "", 0},
		{"bad YAML", "rest: {p99: \"< 1ms\"\n", "thresholds:", 0},
		{"blank transport", "/ci: {p99: \"< 1ms\"}\n", "is not a transport name", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := results.ParseThresholds([]byte(tt.yaml))
			if tt.n == 0 {
				if err == nil {
					t.Fatalf("accepted; want an error")
				}
				if tt.err != "" && !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Entries) != tt.n {
				t.Errorf("%d entries, want %d", len(set.Entries), tt.n)
			}
		})
	}
}

func TestParseMaxRegression(t *testing.T) {
	tests := []struct {
		in    string
		rules int
		err   string
	}{
		{results.DefaultMaxRegression, 3, ""},                          // the documented default
		{"p99=10%, p50=2ms", 2, ""},                                    // an absolute latency allowance
		{"p99=10", 0, "want a percentage such as 10% or a duration"},   // a bare number is ambiguous
		{"ops_per_s=0.1pp", 0, "suit error_rate and failed_rate only"}, // pp is for rates of errors
		{"lost=0,unsent=5,duplicates=10%", 3, ""},                      // counts: a number of messages, or a percentage
		{"lost=1.5", 0, "not a count"},                                 // half a message
		{"lost=2pp", 0, "suit error_rate and failed_rate only"},        // pp is not a count
		{"p99=-5%", 0, "not a non-negative number"},                    // a negative allowance makes no sense
		{"p99", 0, "write metric=amount"},                              // no amount
		{"latncy=10%", 0, `unknown metric "latncy"`},                   // misspelled metric
		{"p99=10%,p99=20%", 0, "appears twice"},                        // ambiguous
		{"", 0, "holds no rule"},                                       // nothing would be checked
		{"error_rate=0.5", 0, "want percentage points such as 0.1pp"},  // unitless error allowance
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			rules, err := results.ParseMaxRegression(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rules) != tt.rules {
				t.Errorf("%d rules, want %d", len(rules), tt.rules)
			}
		})
	}
}

// FuzzParseThreshold checks that no input panics the threshold parser and
// that whatever it accepts reads back the same from its own spelling.
func FuzzParseThreshold(f *testing.F) {
	for _, s := range [][2]string{
		{"p99", "< 5ms"}, {"error_rate", "< 0.1%"}, {"ops_per_s", "> 10k"}, {"publish.p99.9", ">= 1.5s"},
		{"p99", "5ms"}, {"max", "<"}, {"error_rate", "<= 1e-3"}, {"p50", "< 200µs"}, {"bytes_per_s", "> 1G"},
		{"lost", "== 0"}, {"unread", "<= 1k"}, {"failed_rate", "< 1%"}, {"unsent", "== 1.5"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, metric, expr string) {
		th, err := results.ParseThreshold(metric, expr)
		if err != nil {
			return
		}
		switch th.Op {
		case "<", "<=", ">", ">=", "==":
		default:
			t.Fatalf("accepted operator %q", th.Op)
		}
		if th.Value < 0 || th.Value != th.Value {
			t.Fatalf("accepted value %v from %q", th.Value, expr)
		}
		if th.Metric.IsCount() && th.Value != math.Trunc(th.Value) {
			t.Fatalf("accepted a count of %v from %q", th.Value, expr)
		}
		again, err := results.ParseThreshold(th.Metric.Name, th.Text)
		if err != nil {
			t.Fatalf("%q accepted, but its own spelling %q %q is not: %v", expr, th.Metric.Name, th.Text, err)
		}
		if again.Op != th.Op || again.Value != th.Value || again.Metric.Name != th.Metric.Name {
			t.Fatalf("%q reads as %+v, its spelling %q as %+v", expr, th, th.Text, again)
		}
	})
}

// FuzzParseMaxRegression checks that no input panics the rule parser and
// that every rule it accepts has a unit that suits its metric and an
// allowance that is a non-negative number.
func FuzzParseMaxRegression(f *testing.F) {
	for _, s := range []string{
		results.DefaultMaxRegression, "p50=2ms,lost=0", "unsent=10%,duplicates=3", "failed_rate=0.5pp",
		"lost=1.5", "p99=10", "ops_per_s=0.1pp", ",,", "p99=10%,p99=20%", "end_to_end.max=1s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rules, err := results.ParseMaxRegression(s)
		if err != nil {
			return
		}
		if len(rules) == 0 {
			t.Fatalf("%q accepted with no rule", s)
		}
		for _, r := range rules {
			if r.Allowed < 0 || r.Allowed != r.Allowed {
				t.Fatalf("%q: allowance %v", s, r.Allowed)
			}
			m := r.Metric
			ok := r.Unit == "%" ||
				(r.Unit == "pp" && m.Unit() == "fraction") ||
				(r.Unit == "ns" && m.IsLatency()) ||
				(r.Unit == "count" && m.IsCount() && r.Allowed == math.Trunc(r.Allowed))
			if !ok {
				t.Fatalf("%q: rule %+v has unit %q for metric %s (%s)", s, r, r.Unit, m.Name, m.Unit())
			}
		}
	})
}
