package results

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Threshold is an absolute limit on a metric: "p99 < 5ms",
// "error_rate < 0.1%", "ops_per_s > 10000".
type Threshold struct {
	Metric Metric
	// Op is one of <, <=, >, >=, ==.
	Op string
	// Value is the limit in the metric's raw unit (ns, ops/s, B/s or a fraction).
	Value float64
	// Text is the limit as written ("< 5ms").
	Text string
}

// ParseThreshold reads the limit expr ("< 5ms") on the metric named
// metric. The value's unit must suit the metric: a duration for latency
// figures, a percentage or fraction for error_rate, a number (with an
// optional k, M or G) for rates.
func ParseThreshold(metric, expr string) (Threshold, error) {
	m, err := ParseMetric(metric)
	if err != nil {
		return Threshold{}, err
	}
	text := strings.TrimSpace(expr)
	op, rest := "", text
	for _, o := range []string{"<=", ">=", "==", "<", ">"} {
		if strings.HasPrefix(text, o) {
			op, rest = o, strings.TrimSpace(text[len(o):])
			break
		}
	}
	if op == "" {
		return Threshold{}, fmt.Errorf("%s: threshold %q has no comparison: write it as \"< %s\" or \"> %s\" (operators <, <=, >, >=, ==)", m.Name, expr, exampleValue(m), exampleValue(m))
	}
	v, err := parseMetricValue(m, rest)
	if err != nil {
		return Threshold{}, fmt.Errorf("%s: threshold %q: %w", m.Name, expr, err)
	}
	return Threshold{Metric: m, Op: op, Value: v, Text: op + " " + rest}, nil
}

func exampleValue(m Metric) string {
	switch {
	case m.kind == kindLatency:
		return "5ms"
	case m.kind == kindFraction:
		return "0.1%"
	case m.kind == kindSeconds:
		return "2s"
	case m.kind == kindCount:
		return "0"
	}
	return "10000"
}

// parseMetricValue reads a value in a unit that suits m.
func parseMetricValue(m Metric, s string) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("no value (example: %s)", exampleValue(m))
	}
	switch m.kind {
	case kindLatency:
		s = strings.ReplaceAll(s, "µs", "us")
		d, err := time.ParseDuration(s)
		if err != nil || !hasDurationUnit(s) {
			return 0, fmt.Errorf("%q is not a duration with a unit, such as 500us, 5ms or 1.5s", s)
		}
		if d < 0 {
			return 0, fmt.Errorf("%q: a latency cannot be negative", s)
		}
		return float64(d), nil
	case kindSeconds:
		if hasDurationUnit(s) {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				return 0, fmt.Errorf("%q is not a time, such as 2s, 500ms or 1.5", s)
			}
			return d.Seconds(), nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0, fmt.Errorf("%q is not a time, such as 2s, 500ms or 1.5", s)
		}
		return v, nil
	case kindFraction:
		pct := strings.HasSuffix(s, "%")
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%q is not a rate, such as 0.1%% or 0.001", s)
		}
		if pct {
			v /= 100
		}
		if v < 0 || v > 1 {
			return 0, fmt.Errorf("%q: an error rate lies between 0%% and 100%%", s)
		}
		return v, nil
	case kindCount:
		v, err := parseRate(s)
		if err != nil || v != math.Trunc(v) {
			return 0, fmt.Errorf("%q is not a count, such as 0 or 10", s)
		}
		return v, nil
	}
	v, err := parseRate(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a rate, such as 10000 or 10k", s)
	}
	return v, nil
}

// parseRate reads a non-negative number with an optional k, M or G.
func parseRate(s string) (float64, error) {
	mult := 1.0
	t := strings.TrimSuffix(strings.TrimSuffix(s, "/s"), "ops")
	t = strings.TrimSpace(t)
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1e3, strings.TrimSuffix(t, "k")
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1e9, strings.TrimSuffix(t, "G")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, errors.New("not a non-negative number")
	}
	return v * mult, nil
}

// hasDurationUnit rejects bare numbers, which time.ParseDuration takes
// for "0" only, but which a reader could take for milliseconds.
func hasDurationUnit(s string) bool {
	return strings.ContainsAny(s, "hmsun")
}

// Holds says whether v satisfies the threshold.
func (t Threshold) Holds(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "==":
		return v == t.Value
	}
	return false
}

// String prints the threshold with its metric: "p99 < 5ms".
func (t Threshold) String() string { return t.Metric.Name + " " + t.Text }

// ThresholdSet is the content of a thresholds file: limits per transport
// ("rest") or per transport and label ("rest/ci").
type ThresholdSet struct {
	Entries []ThresholdEntry
}

// ThresholdEntry holds the limits of one key of a thresholds file.
type ThresholdEntry struct {
	// Key is as written: "rest" or "rest/ci".
	Key       string
	Transport string
	// Label is "" when the key names a transport only (then the limits
	// apply to every label of it).
	Label    string
	HasLabel bool
	Rules    []Threshold
}

// ParseThresholds reads a thresholds file (YAML, k6 style):
//
//	rest:
//	  p99: "< 5ms"
//	  error_rate: "< 0.1%"
//	  ops_per_s: "> 10000"
//	queue/ci:
//	  end_to_end.p99: "< 20ms"
//
// Anything it does not understand is an error, never skipped: a
// misspelled metric must not turn a gate into a silent pass.
func ParseThresholds(data []byte) (*ThresholdSet, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, errors.New("thresholds: the file is empty; write limits such as  rest: {p99: \"< 5ms\"}")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("thresholds: line %d: want a mapping of transport (or transport/label) to limits, such as  rest: {p99: \"< 5ms\"}", root.Line)
	}
	set := &ThresholdSet{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := strings.TrimSpace(k.Value)
		if k.Kind != yaml.ScalarNode || key == "" {
			return nil, fmt.Errorf("thresholds: line %d: a key must be a transport name such as rest, or transport/label", k.Line)
		}
		if seen[key] {
			return nil, fmt.Errorf("thresholds: line %d: %q appears twice", k.Line, key)
		}
		seen[key] = true
		e := ThresholdEntry{Key: key, Transport: key}
		if t, l, ok := strings.Cut(key, "/"); ok {
			e.Transport, e.Label, e.HasLabel = t, l, true
		}
		if e.Transport == "" || strings.ContainsAny(e.Transport, " \t") {
			return nil, fmt.Errorf("thresholds: line %d: %q is not a transport name (such as rest) or transport/label", k.Line, key)
		}
		if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
			return nil, fmt.Errorf("thresholds: line %d: %s: want metric limits such as {p99: \"< 5ms\", error_rate: \"< 0.1%%\"}", v.Line, key)
		}
		metrics := map[string]bool{}
		for j := 0; j+1 < len(v.Content); j += 2 {
			mk, mv := v.Content[j], v.Content[j+1]
			if mk.Kind != yaml.ScalarNode || mv.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("thresholds: line %d: %s: want metric: \"< limit\" pairs", mk.Line, key)
			}
			if mv.Tag != "!!str" {
				return nil, fmt.Errorf("thresholds: line %d: %s.%s: %q has no comparison: quote it with an operator, such as \"< %s\"", mv.Line, key, mk.Value, mv.Value, mv.Value)
			}
			th, err := ParseThreshold(mk.Value, mv.Value)
			if err != nil {
				return nil, fmt.Errorf("thresholds: line %d: %s: %w", mk.Line, key, err)
			}
			if metrics[th.Metric.Name] {
				return nil, fmt.Errorf("thresholds: line %d: %s: %s appears twice", mk.Line, key, th.Metric.Name)
			}
			metrics[th.Metric.Name] = true
			e.Rules = append(e.Rules, th)
		}
		set.Entries = append(set.Entries, e)
	}
	return set, nil
}

// RegressionRule is the largest change against the baseline allowed for
// a metric before check calls it a regression, in the worse direction
// (up for latency and errors, down for throughput).
type RegressionRule struct {
	Metric Metric
	// Allowed is the tolerated worsening in Unit.
	Allowed float64
	// Unit is "%" (relative to the baseline), "pp" (percentage points,
	// error and failed rates only), "ns" (an absolute latency, latency
	// figures only) or "count" (an absolute number, counts only).
	Unit string
	// Text is the rule as written ("p99=10%").
	Text string
}

// DefaultMaxRegression is the rule set check applies against a baseline
// when none is given.
const DefaultMaxRegression = "p99=10%,ops_per_s=5%,error_rate=0.1pp"

// ParseMaxRegression reads rules such as "p99=10%,ops_per_s=5%,error_rate=0.1pp".
func ParseMaxRegression(s string) ([]RegressionRule, error) {
	var rules []RegressionRule
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, amount, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("max regression %q: write metric=amount, such as p99=10%% or error_rate=0.1pp", f)
		}
		m, err := ParseMetric(name)
		if err != nil {
			return nil, fmt.Errorf("max regression %q: %w", f, err)
		}
		if seen[m.Name] {
			return nil, fmt.Errorf("max regression: %s appears twice", m.Name)
		}
		seen[m.Name] = true
		r, err := parseAllowance(m, strings.TrimSpace(amount))
		if err != nil {
			return nil, fmt.Errorf("max regression %q: %w", f, err)
		}
		r.Text = f
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("max regression %q holds no rule (example: %s)", s, DefaultMaxRegression)
	}
	return rules, nil
}

func parseAllowance(m Metric, s string) (RegressionRule, error) {
	r := RegressionRule{Metric: m}
	switch {
	case strings.HasSuffix(s, "%"):
		r.Unit = "%"
		s = strings.TrimSuffix(s, "%")
	case strings.HasSuffix(s, "pp"):
		if m.kind != kindFraction {
			return r, fmt.Errorf("percentage points (pp) suit error_rate and failed_rate only; write %s as a percentage such as 10%%", m.Name)
		}
		r.Unit = "pp"
		s = strings.TrimSuffix(s, "pp")
	case m.kind == kindLatency:
		v, err := parseMetricValue(m, s)
		if err != nil {
			return r, fmt.Errorf("want a percentage such as 10%% or a duration such as 2ms: %w", err)
		}
		r.Unit, r.Allowed = "ns", v
		return r, nil
	case m.kind == kindCount:
		v, err := parseMetricValue(m, s)
		if err != nil {
			return r, fmt.Errorf("want a number of %s such as 0 or 10, or a percentage of the baseline such as 10%%: %w", m.Name, err)
		}
		r.Unit, r.Allowed = "count", v
		return r, nil
	default:
		want := "a percentage such as 5%"
		if m.kind == kindFraction {
			want = "percentage points such as 0.1pp, or a percentage of the baseline such as 10%"
		}
		return r, fmt.Errorf("%q has no unit: want %s", s, want)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return r, fmt.Errorf("%q is not a non-negative number", s)
	}
	r.Allowed = v
	return r, nil
}

// LimitString prints the allowed change: "≤ +10%" for latency and
// errors, "≥ -5%" for throughput, "≤ +0.1pp", "≤ +2ms".
func (r RegressionRule) LimitString() string {
	sign := "≤ +"
	if r.Metric.HigherIsBetter() {
		sign = "≥ -"
	}
	switch r.Unit {
	case "ns":
		return sign + FormatNS(r.Allowed)
	case "pp":
		return sign + strconv.FormatFloat(r.Allowed, 'f', -1, 64) + "pp"
	case "count":
		return sign + strconv.FormatFloat(r.Allowed, 'f', -1, 64)
	}
	return sign + strconv.FormatFloat(r.Allowed, 'f', -1, 64) + "%"
}
