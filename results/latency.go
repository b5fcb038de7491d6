package results

import (
	"encoding/json"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range: 1 ns to 1 hour at 3 significant digits. Latency below
// a microsecond keeps full precision; anything above the hour is clamped.
const (
	HistLowest  = 1
	HistHighest = int64(time.Hour)
	HistSigFigs = 3
)

// NewHistogram returns an empty histogram with the range every commsbench
// latency histogram uses, so that any two can be merged losslessly.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistLowest, HistHighest, HistSigFigs)
}

// RecordClamped records v into h, clamping it into the trackable range
// rather than dropping it: a lost sample would flatter the tail.
func RecordClamped(h *hdrhistogram.Histogram, v int64) {
	if v < 0 {
		v = 0
	}
	if hi := h.HighestTrackableValue(); v > hi {
		v = hi
	}
	_ = h.RecordValue(v)
}

// Latency is a latency distribution: summary figures for a reader and the
// whole HdrHistogram (V2 compressed, base64) for any later computation.
type Latency struct {
	Unit   string  `json:"unit"`
	Count  int64   `json:"count"`
	Min    int64   `json:"min"`
	Mean   float64 `json:"mean"`
	Stddev float64 `json:"stddev"`
	P50    int64   `json:"p50"`
	P90    int64   `json:"p90"`
	P99    int64   `json:"p99"`
	P999   int64   `json:"p999"`
	P9999  int64   `json:"p9999"`
	Max    int64   `json:"max"`
	HDR    string  `json:"hdr"`
}

// MarshalJSON writes a latency with no samples without its figures: a
// minimum or a p99 of nothing is not 0, it does not exist. The count and the
// (empty) histogram stay, so readers see why.
func (l Latency) MarshalJSON() ([]byte, error) {
	type plain Latency
	if l.Count > 0 {
		return json.Marshal(plain(l))
	}
	return json.Marshal(struct {
		Unit  string `json:"unit"`
		Count int64  `json:"count"`
		HDR   string `json:"hdr"`
	}{l.Unit, l.Count, l.HDR})
}

// NA is how a figure of a latency with no samples is shown.
const NA = "n/a"

// FormatFigure prints a named figure of l for a reader, "n/a" when l has
// no samples (or is nil) and "-" when the figure cannot be read.
func (l *Latency) FormatFigure(name string) string {
	if l == nil || l.Count == 0 {
		return NA
	}
	v, err := l.Quantile(name)
	if err != nil {
		return "-"
	}
	return FormatNS(v)
}

// NewLatency summarises h and keeps it, encoded, in the result.
func NewLatency(h *hdrhistogram.Histogram) (*Latency, error) {
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	l := &Latency{Unit: "ns", HDR: string(enc)}
	l.fill(h)
	return l, nil
}

// MustLatency is NewLatency for histograms made by NewHistogram, whose
// encoding cannot fail.
func MustLatency(h *hdrhistogram.Histogram) *Latency {
	l, err := NewLatency(h)
	if err != nil {
		panic(err)
	}
	return l
}

func (l *Latency) fill(h *hdrhistogram.Histogram) {
	l.Count = h.TotalCount()
	if l.Count == 0 {
		l.Min, l.Mean, l.Stddev, l.P50, l.P90, l.P99, l.P999, l.P9999, l.Max = 0, 0, 0, 0, 0, 0, 0, 0, 0
		return
	}
	l.Min = h.Min()
	l.Mean = h.Mean()
	l.Stddev = h.StdDev()
	l.P50 = h.ValueAtPercentile(50)
	l.P90 = h.ValueAtPercentile(90)
	l.P99 = h.ValueAtPercentile(99)
	l.P999 = h.ValueAtPercentile(99.9)
	l.P9999 = h.ValueAtPercentile(99.99)
	l.Max = h.Max()
}

// Histogram decodes the stored HdrHistogram.
func (l *Latency) Histogram() (*hdrhistogram.Histogram, error) {
	if l == nil || l.HDR == "" {
		return nil, fmt.Errorf("latency has no histogram")
	}
	h, err := hdrhistogram.Decode([]byte(l.HDR))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// Percentile recomputes any percentile (0–100) from the stored histogram.
func (l *Latency) Percentile(p float64) (int64, error) {
	h, err := l.Histogram()
	if err != nil {
		return 0, err
	}
	return h.ValueAtPercentile(p), nil
}

// Quantile returns a named figure: "p50", "p99.9", "max", "mean", "min" …
// Named figures kept in the summary are answered from it; any other
// percentile is recomputed from the histogram. A latency with no samples
// has no figure: the error is ErrNoSamples.
func (l *Latency) Quantile(name string) (float64, error) {
	if l.Count == 0 {
		return 0, errNoSamples("the latency has no samples")
	}
	switch name {
	case "min":
		return float64(l.Min), nil
	case "max":
		return float64(l.Max), nil
	case "mean":
		return l.Mean, nil
	case "stddev":
		return l.Stddev, nil
	case "p50":
		return float64(l.P50), nil
	case "p90":
		return float64(l.P90), nil
	case "p99":
		return float64(l.P99), nil
	case "p99.9", "p999":
		return float64(l.P999), nil
	case "p99.99", "p9999":
		return float64(l.P9999), nil
	}
	p, err := ParsePercentile(name)
	if err != nil {
		return 0, err
	}
	v, err := l.Percentile(p)
	return float64(v), err
}

// ParsePercentile reads "p95" or "p99.9" as 95 or 99.9.
func ParsePercentile(name string) (float64, error) {
	var p float64
	if len(name) < 2 || name[0] != 'p' {
		return 0, fmt.Errorf("unknown latency figure %q (want min, mean, max or a percentile such as p99 or p99.9)", name)
	}
	if _, err := fmt.Sscanf(name[1:], "%g", &p); err != nil || p <= 0 || p > 100 || fmt.Sprint(p) != name[1:] {
		return 0, fmt.Errorf("unknown latency figure %q (want min, mean, max or a percentile such as p99 or p99.9)", name)
	}
	return p, nil
}

// Merge merges other latencies into a new one, losslessly, through their histograms.
func Merge(ls ...*Latency) (*Latency, error) {
	sum := NewHistogram()
	for _, l := range ls {
		if l == nil {
			continue
		}
		h, err := l.Histogram()
		if err != nil {
			return nil, err
		}
		if dropped := sum.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("merge histograms: %d values outside the range", dropped)
		}
	}
	return NewLatency(sum)
}
