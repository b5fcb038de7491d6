package results

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Metric names one figure of a result that compare and check work on:
// a rate (ops_per_s, bytes_per_s), the error rate, or a figure of a
// latency ("p99" of the result's main latency, "publish.p99.9" of a named
// one).
type Metric struct {
	// Name is the canonical spelling: "ops_per_s", "error_rate", "p99.9",
	// "publish.max".
	Name string
	// Latency is the latency kind of a latency figure; "" means each
	// result's main latency (Result.MainLatency).
	Latency string
	// Figure is the latency figure: "p50", "p99.9", "min", "mean", "max".
	Figure string
	// Phase is "before", "during" or "after" for a latency figure of the
	// caller in one phase of a run with faults ("during.p99"); "" else.
	Phase string
	kind  metricKind
}

type metricKind int

const (
	kindLatency metricKind = iota
	kindRate
	kindFraction
	// kindCount is a count of operations or messages: lower is better.
	kindCount
	// kindCost is microseconds of work per operation: lower is better.
	kindCost
	// kindSeconds is a duration in seconds (recovery): lower is better.
	kindSeconds
)

// Metric names that are not latency figures.
const (
	MetricOpsPerS   = "ops_per_s"
	MetricBytesPerS = "bytes_per_s"
	MetricErrorRate = "error_rate"
	// MetricFailedRate is (errors + unsent) / (sent + unsent): the share of
	// the asked operations that did not succeed.
	MetricFailedRate = "failed_rate"
	// MetricUnsent counts operations due in the measured period but never
	// sent (open loop).
	MetricUnsent = "unsent"
	// Of runs with faults: the recovery time in seconds, and the error
	// rate of the caller's operations during the faults' window.
	MetricRecovery       = "recovery_s"
	MetricFaultErrorRate = "fault_error_rate"
)

// Delivery counts of brokered runs, gateable like any metric.
const (
	MetricLost        = "lost"
	MetricUnread      = "unread"
	MetricDuplicates  = "duplicates"
	MetricOutOfOrder  = "out_of_order"
	MetricRedelivered = "redelivered"
)

// DeliveryMetrics are the delivery counts in display order.
func DeliveryMetrics() []string {
	return []string{MetricLost, MetricUnread, MetricDuplicates, MetricOutOfOrder, MetricRedelivered}
}

// deliveryCount reads one delivery count: nil when d did not keep it.
func deliveryCount(d *Delivery, name string) *int64 {
	switch name {
	case MetricLost:
		return &d.Lost
	case MetricUnread:
		return d.Unread
	case MetricDuplicates:
		return &d.Duplicates
	case MetricOutOfOrder:
		return &d.OutOfOrder
	case MetricRedelivered:
		return &d.Redelivered
	}
	return nil
}

// Cost metrics, in microseconds per operation: the process's CPU time,
// and the client's time encoding requests and decoding replies (typed
// encodings only). Compare shows them with CompareOptions.Costs.
const (
	MetricCPUPerOpUS   = "cpu_per_op_us"
	MetricCodecPerOpUS = "client_codec_per_op_us"
)

// CostMetrics are the cost metrics, in the order tables show them.
func CostMetrics() []Metric {
	return []Metric{{Name: MetricCPUPerOpUS, kind: kindCost}, {Name: MetricCodecPerOpUS, kind: kindCost}}
}

// LatencyKinds are the latency names a result may hold, in display order.
func LatencyKinds() []string {
	return []string{Response, Service, SendDelay, Publish, EndToEnd, EndToEndService}
}

func knownLatencyKind(k string) bool {
	for _, n := range LatencyKinds() {
		if n == k {
			return true
		}
	}
	return false
}

// metricHelp lists what ParseMetric accepts, for error messages.
const metricHelp = "ops_per_s, bytes_per_s, error_rate, failed_rate, unsent, lost, unread, duplicates, out_of_order, redelivered, recovery_s, fault_error_rate and the caller's latency in a phase such as during.p99 or after.p99 (runs with faults), or a latency figure such as p50, p99, p99.9, max, mean, optionally of a named latency such as publish.p99"

// ParseMetric reads a metric name. Unknown names are an error, never
// ignored: a misspelled metric in a CI gate must not pass silently.
func ParseMetric(s string) (Metric, error) {
	s = strings.TrimSpace(s)
	switch s {
	case MetricOpsPerS, "ops/s":
		return Metric{Name: MetricOpsPerS, kind: kindRate}, nil
	case MetricBytesPerS:
		return Metric{Name: MetricBytesPerS, kind: kindRate}, nil
	case MetricErrorRate, MetricFailedRate, MetricFaultErrorRate:
		return Metric{Name: s, kind: kindFraction}, nil
	case MetricRecovery:
		return Metric{Name: MetricRecovery, kind: kindSeconds}, nil
	case MetricUnsent, MetricLost, MetricUnread, MetricDuplicates, MetricOutOfOrder, MetricRedelivered:
		return Metric{Name: s, kind: kindCount}, nil
	}
	if m, ok, err := parsePhaseMetric(s); ok {
		return m, err
	}
	latency, figure := "", s
	// "publish.p99.9": a latency kind never starts with 'p' followed by a
	// digit, so the first dot after a known kind name splits them.
	if i := strings.IndexByte(s, '.'); i > 0 && knownLatencyKind(s[:i]) {
		latency, figure = s[:i], s[i+1:]
	}
	fig, err := ParseFigure(figure)
	if err != nil {
		if latency == "" && strings.Contains(s, ".") && !strings.HasPrefix(s, "p") {
			kind, _, _ := strings.Cut(s, ".")
			return Metric{}, fmt.Errorf("unknown metric %q: no latency named %q (latencies: %s)", s, kind, strings.Join(LatencyKinds(), ", "))
		}
		return Metric{}, fmt.Errorf("unknown metric %q (want %s)", s, metricHelp)
	}
	name := fig
	if latency != "" {
		name = latency + "." + fig
	}
	return Metric{Name: name, Latency: latency, Figure: fig, kind: kindLatency}, nil
}

// ParseFigure reads a latency figure ("p99.9", "max") and returns its
// canonical spelling; "p999" and "p99.9" are the same.
func ParseFigure(s string) (string, error) {
	switch s {
	case "min", "mean", "max":
		return s, nil
	case "p999":
		return "p99.9", nil
	case "p9999":
		return "p99.99", nil
	}
	p, err := ParsePercentile(s)
	if err != nil {
		return "", err
	}
	return "p" + strconv.FormatFloat(p, 'f', -1, 64), nil
}

// IsLatency says whether m is a latency figure.
func (m Metric) IsLatency() bool { return m.kind == kindLatency }

// HigherIsBetter says which direction is an improvement: up for
// throughput, down for latency and errors.
func (m Metric) HigherIsBetter() bool { return m.kind == kindRate }

// IsCount says whether m is a count (unsent, lost, duplicates …).
func (m Metric) IsCount() bool { return m.kind == kindCount }

// Unit names the unit of the metric's raw values: "ns", "ops/s", "B/s",
// "fraction" or "count".
func (m Metric) Unit() string {
	switch {
	case m.kind == kindCount:
		return "count"
	case m.kind == kindLatency:
		return "ns"
	case m.Name == MetricBytesPerS:
		return "B/s"
	case m.kind == kindRate:
		return "ops/s"
	case m.kind == kindSeconds:
		return "s"
	case m.kind == kindCost:
		return "µs"
	}
	return "fraction"
}

// Header is the metric's short column title.
func (m Metric) Header() string {
	switch m.Name {
	case MetricOpsPerS:
		return "ops/s"
	case MetricBytesPerS:
		return "B/s"
	case MetricErrorRate:
		return "errors"
	case MetricFaultErrorRate:
		return "fault errors"
	case MetricRecovery:
		return "recovery"
	case MetricFailedRate:
		return "failed"
	case MetricDuplicates:
		return "dup"
	case MetricOutOfOrder:
		return "ooo"
	case MetricRedelivered:
		return "redeliv"
	case MetricCPUPerOpUS:
		return "cpu/op"
	case MetricCodecPerOpUS:
		return "codec/op"
	}
	if m.Phase != "" {
		return m.Phase + " " + m.Figure
	}
	if m.kind == kindCount {
		return m.Name
	}
	// The latency kind has a column of its own in the tables.
	return m.Figure
}

// Format prints a raw value of the metric for a reader.
func (m Metric) Format(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	switch {
	case m.kind == kindLatency:
		return FormatNS(v)
	case m.kind == kindCount:
		return formatFloat(v)
	case m.Name == MetricBytesPerS:
		return FormatBytes(v) + "/s"
	case m.kind == kindRate:
		return FormatRate(v)
	case m.kind == kindSeconds:
		return strconv.FormatFloat(v, 'f', 2, 64) + "s"
	case m.kind == kindCost:
		return FormatNS(v * 1e3)
	}
	return FormatPercent(v)
}

// LatencyOf names the latency kind m reads from r: its own, or r's main one.
func (m Metric) LatencyOf(r *Result) string {
	if m.Latency != "" {
		return m.Latency
	}
	return r.MainLatency()
}

// ErrMissingLatency is wrapped when a result lacks the latency a metric
// reads (a publish latency asked of a REST result).
var ErrMissingLatency = errors.New("no such latency")

// missingLatency says which latency a result lacks; it is ErrMissingLatency.
type missingLatency struct{ msg string }

func (e *missingLatency) Error() string        { return e.msg }
func (e *missingLatency) Is(target error) bool { return target == ErrMissingLatency }

func errMissingLatency(r *Result, kind string) error {
	return &missingLatency{fmt.Sprintf("%s result has no %q latency (it has %s)", r.Transport, kind, strings.Join(r.LatencyNames(), ", "))}
}

// ErrNoResilience is wrapped when a metric of runs with faults is read
// from a run without them.
var ErrNoResilience = errors.New("no resilience figures")

// ErrNotRecovered is returned for recovery_s of a run that did not
// recover before it ended.
var ErrNotRecovered = errors.New("did not recover within the run")

// ErrNoSamples is wrapped when a metric has no value because nothing was
// measured: a latency with no samples, an error rate of no operation, a
// count the result did not keep. It is never read as 0.
var ErrNoSamples = errors.New("no samples")

type noSamples struct{ why string }

func (e *noSamples) Error() string        { return "no samples: " + e.why }
func (e *noSamples) Is(target error) bool { return target == ErrNoSamples }

func errNoSamples(why string) error { return &noSamples{why} }

// ErrNoDelivery is wrapped when a delivery count (lost, unread …) is
// asked of a result that keeps no delivery accounting (REST, gRPC).
var ErrNoDelivery = errors.New("no delivery accounting")

type noDelivery struct{ msg string }

func (e *noDelivery) Error() string        { return e.msg }
func (e *noDelivery) Is(target error) bool { return target == ErrNoDelivery }

// Value reads the metric from one result. A metric that has no samples in
// r is an error wrapping ErrNoSamples, never 0.
func (m Metric) Value(r *Result) (float64, error) {
	if m.Phase != "" {
		return m.phaseValue(r)
	}
	if m.kind != kindLatency && r.Asked() == 0 {
		return 0, errNoSamples("the run was asked for no operation in its measured period")
	}
	if m.kind == kindSeconds || m.Name == MetricFaultErrorRate {
		rs := r.Resilience
		switch {
		case rs == nil:
			return 0, fmt.Errorf("%w: the %s result had no faults (run it with --fault)", ErrNoResilience, r.Transport)
		case m.Name == MetricFaultErrorRate:
			return rs.During.ErrorRate(), nil
		case rs.RecoveryS == nil:
			return 0, ErrNotRecovered
		}
		return *rs.RecoveryS, nil
	}
	switch m.Name {
	case MetricOpsPerS:
		return r.Throughput.OpsPerS, nil
	case MetricBytesPerS:
		return r.Throughput.BytesPerS, nil
	case MetricErrorRate:
		if r.Counts.Sent == 0 {
			return 0, errNoSamples("no operation was sent, so none could fail")
		}
		return r.ErrorRate(), nil
	case MetricFailedRate:
		return r.FailedRate(), nil
	case MetricUnsent:
		return float64(r.Counts.Unsent), nil
	case MetricCPUPerOpUS, MetricCodecPerOpUS:
		return costValue(r, m.Name)
	}
	if m.kind == kindCount {
		d := r.Counts.Delivery
		if d == nil {
			return 0, &noDelivery{fmt.Sprintf("%s result has no delivery accounting, so no %s count (the queue and event transports keep one)", r.Transport, m.Name)}
		}
		if r.Counts.Sent == 0 {
			return 0, errNoSamples("no message was sent")
		}
		v := deliveryCount(d, m.Name)
		if v == nil {
			return 0, errNoSamples(fmt.Sprintf("this %s result did not count %s messages", r.Transport, m.Name))
		}
		return float64(*v), nil
	}
	kind := m.LatencyOf(r)
	l := r.Latency[kind]
	if l == nil {
		return 0, errMissingLatency(r, kind)
	}
	if l.Count == 0 {
		return 0, errNoSamples(fmt.Sprintf("the %s latency has no samples", strings.ReplaceAll(kind, "_", " ")))
	}
	return l.Quantile(m.Figure)
}

// costValue reads a cost metric; a result without it (an echo has no
// codec time) is missing the figure, as a REST result misses a publish
// latency.
func costValue(r *Result, name string) (float64, error) {
	var v float64
	if res := r.Resources; res != nil {
		v = res.CPUPerOpUS
		if name == MetricCodecPerOpUS {
			v = res.ClientCodecPerOpUS
		}
	}
	if v <= 0 {
		return 0, &missingLatency{fmt.Sprintf("%s result has no %s (it is recorded by runs with a typed --encoding)", r.Transport, name)}
	}
	return v, nil
}

// mergedHistograms merges the histograms of a set of runs, once per
// latency kind however many figures are read from them.
type mergedHistograms struct {
	runs   []*Result
	byKind map[string]*hdrhistogram.Histogram
}

func newMergedHistograms(runs []*Result) *mergedHistograms {
	return &mergedHistograms{runs: runs, byKind: map[string]*hdrhistogram.Histogram{}}
}

// value is the metric over all the runs at once: for a latency figure,
// read from their merged histograms; ok is false for other metrics.
func (mh *mergedHistograms) value(m Metric) (v float64, ok bool, err error) {
	if m.kind != kindLatency {
		return 0, false, nil
	}
	if m.Phase != "" {
		return mh.phaseValue(m)
	}
	key := m.Latency
	sum := mh.byKind[key]
	if sum == nil {
		sum = NewHistogram()
		for _, r := range mh.runs {
			kind := m.LatencyOf(r)
			l := r.Latency[kind]
			if l == nil {
				return 0, false, errMissingLatency(r, kind)
			}
			h, err := l.Histogram()
			if err != nil {
				return 0, false, err
			}
			sum.Merge(h)
		}
		mh.byKind[key] = sum
	}
	return histogramFigure(sum, m.Figure), true, nil
}

// histogramFigure reads a canonical figure from a histogram.
func histogramFigure(h *hdrhistogram.Histogram, fig string) float64 {
	if h.TotalCount() == 0 {
		return 0
	}
	switch fig {
	case "min":
		return float64(h.Min())
	case "mean":
		return h.Mean()
	case "max":
		return float64(h.Max())
	}
	p, _ := ParsePercentile(fig)
	return float64(h.ValueAtPercentile(p))
}

// ParseMetrics reads a comma-separated list of metrics.
func ParseMetrics(s string) ([]Metric, error) {
	var out []Metric
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		m, err := ParseMetric(f)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no metric in %q (want %s)", s, metricHelp)
	}
	return out, nil
}
