package results

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// HGRM value units: the unit the values of an .hgrm file are written in.
const (
	HGRMMillis = "ms"
	HGRMMicros = "us"
	HGRMNanos  = "ns"
)

// hgrmTicksPerHalfDistance is the number of percentile rows per halving
// of the distance to 100%, as HdrHistogram's own output uses by default.
const hgrmTicksPerHalfDistance = 5

// hgrmScale is the number of nanoseconds in one output unit.
func hgrmScale(unit string) (float64, error) {
	switch unit {
	case HGRMMillis:
		return 1e6, nil
	case HGRMMicros, "µs":
		return 1e3, nil
	case HGRMNanos:
		return 1, nil
	}
	return 0, fmt.Errorf("unknown unit %q for .hgrm values (want ms, us or ns)", unit)
}

// WriteHGRM writes l as an HdrHistogram percentile distribution (the
// .hgrm text format of HdrHistogram's outputPercentileDistribution): a
// row per percentile step with Value, Percentile, TotalCount and
// 1/(1-Percentile), then the Mean/StdDeviation/Max/Total count footer.
// HdrHistogram's plotter (plotFiles.html) and HistogramLogAnalyzer read it.
// Values are written in unit (ms, us or ns).
func WriteHGRM(w io.Writer, l *Latency, unit string) error {
	scale, err := hgrmScale(unit)
	if err != nil {
		return err
	}
	h, err := l.Histogram()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, br := range h.CumulativeDistributionWithTicks(hgrmTicksPerHalfDistance) {
			q := br.Quantile / 100
			v := float64(br.ValueAt) / scale
			if q >= 1 {
				// The last row has no finite 1/(1-Percentile).
				fmt.Fprintf(&b, "%12.3f %1.12f %10d\n", v, 1.0, br.Count)
				continue
			}
			fmt.Fprintf(&b, "%12.3f %1.12f %10d %14.2f\n", v, q, br.Count, 1/(1-q))
		}
	}
	mean, stddev := 0.0, 0.0
	if h.TotalCount() > 0 {
		mean, stddev = h.Mean()/scale, h.StdDev()/scale
	}
	fmt.Fprintf(&b, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean, stddev)
	fmt.Fprintf(&b, "#[Max     = %12.3f, Total count    = %12d]\n", float64(h.Max())/scale, h.TotalCount())
	buckets, subBuckets := hdrBucketCounts(h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures())
	fmt.Fprintf(&b, "#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
	_, err = io.WriteString(w, b.String())
	return err
}

// hdrBucketCounts is the bucket layout HdrHistogram derives from a
// histogram's range and precision (printed in the .hgrm footer).
func hdrBucketCounts(lowest, highest, sigfigs int64) (buckets, subBuckets int64) {
	largestSingleUnit := 2 * int64(math.Pow10(int(sigfigs)))
	subBucketMagnitude := int64(math.Ceil(math.Log2(float64(largestSingleUnit))))
	if subBucketMagnitude < 1 {
		subBucketMagnitude = 1
	}
	subBuckets = int64(1) << subBucketMagnitude
	unitMagnitude := int64(math.Floor(math.Log2(float64(max(lowest, 1)))))
	smallestUntrackable := subBuckets << unitMagnitude
	buckets = 1
	for smallestUntrackable <= highest {
		if smallestUntrackable > math.MaxInt64/2 {
			buckets++
			break
		}
		smallestUntrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}
