package results

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// BenchfmtOptions say what WriteBenchfmt writes.
type BenchfmtOptions struct {
	// Latency is the latency kind written ("" for each result's main one).
	Latency string
	// Percentiles are the latency figures written beside ns/op
	// (DefaultPercentiles when empty).
	Percentiles []string
	// GroupBy are the keys that name the benchmark (DefaultGroupBy when empty).
	GroupBy []string
}

// WriteBenchfmt writes the runs of every side in the Go benchmark format,
// one line per run, so that the stock benchstat reads them:
//
//	side: base
//	BenchmarkRest/ci-2  48210  212400 ns/op  180000 p50-ns  910000 p99-ns  …  4821 ops/s  0 errors/op
//
// ns/op is the mean of the latency; each percentile is a unit of its own
// (benchstat shows p99-ns as p99-sec); ops/s is the achieved throughput
// and errors/op the error rate. The iteration count is the number of
// measured operations. With several sides, each is announced by a "side:"
// configuration line, so one file holding every side reads with
// "benchstat -col side"; a single side writes no such line, so files
// written one side at a time compare with "benchstat old.txt new.txt".
func WriteBenchfmt(w io.Writer, sides []Side, o BenchfmtOptions) error {
	if o.Latency != "" && !knownLatencyKind(o.Latency) {
		return fmt.Errorf("unknown latency %q (latencies: %s)", o.Latency, strings.Join(LatencyKinds(), ", "))
	}
	if len(o.Percentiles) == 0 {
		o.Percentiles = DefaultPercentiles()
	}
	if len(o.GroupBy) == 0 {
		o.GroupBy = DefaultGroupBy()
	}
	var figures []Metric
	for _, p := range o.Percentiles {
		fig, err := ParseFigure(strings.TrimSpace(p))
		if err != nil {
			return err
		}
		figures = append(figures, Metric{Name: fig, Latency: o.Latency, Figure: fig, kind: kindLatency})
	}
	mean := Metric{Name: "mean", Latency: o.Latency, Figure: "mean", kind: kindLatency}

	var b strings.Builder
	b.WriteString("# commsbench results in Go benchmark format (read them with benchstat)\n")
	b.WriteString("Unit ops/s better=higher\n")
	b.WriteString("Unit errors/op better=lower\n")
	for _, f := range figures {
		fmt.Fprintf(&b, "Unit %s-ns better=lower\n", f.Figure)
	}
	config := map[string]string{}
	setConfig := func(key, value string) {
		value = strings.Join(strings.Fields(value), " ")
		if config[key] != value {
			config[key] = value
			fmt.Fprintf(&b, "%s: %s\n", key, value)
		}
	}
	for _, s := range sides {
		for _, r := range s.Results {
			if l := r.Latency[mean.LatencyOf(r)]; !r.Measured() || (l != nil && l.Count == 0) {
				// Go benchmark format has no "no value": a run that
				// measured nothing is left out rather than written as 0.
				continue
			}
			setConfig("goos", r.Env.OS)
			setConfig("goarch", r.Env.Arch)
			setConfig("cpu", r.Env.CPUModel)
			if len(sides) > 1 {
				setConfig("side", s.Name)
			}
			setConfig("latency", mean.LatencyOf(r))
			fmt.Fprintf(&b, "%s %d", benchmarkName(r, o.GroupBy), max(r.Counts.OK, 1))
			v, err := mean.Value(r)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %s ns/op", strconv.FormatFloat(v, 'f', 1, 64))
			for _, f := range figures {
				v, err := f.Value(r)
				if err != nil {
					return err
				}
				fmt.Fprintf(&b, " %s %s-ns", strconv.FormatFloat(v, 'f', -1, 64), f.Figure)
			}
			fmt.Fprintf(&b, " %s ops/s %s errors/op\n",
				strconv.FormatFloat(r.Throughput.OpsPerS, 'f', 2, 64),
				strconv.FormatFloat(r.ErrorRate(), 'g', 6, 64))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// benchmarkName is "Benchmark" + the transport, then the other grouping
// values as sub-benchmarks, then "-GOMAXPROCS" as go test writes it (so
// that a label ending in "-2" is not mistaken for a processor count).
func benchmarkName(r *Result, keys []string) string {
	var rest []string
	for _, k := range keys {
		if k != "transport" {
			rest = append(rest, k)
		}
	}
	name := "Benchmark" + sanitizeBenchName(capitalize(r.Transport))
	if len(rest) > 0 {
		if sub := GroupName(r, rest); sub != "(all)" {
			name += "/" + sanitizeBenchName(sub)
		}
	}
	return fmt.Sprintf("%s-%d", name, max(r.Env.GOMAXPROCS, 1))
}

func capitalize(s string) string {
	if s == "" {
		return "Unknown"
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// sanitizeBenchName keeps a name one field long: benchmark names cannot
// hold white space.
func sanitizeBenchName(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, s)
}
