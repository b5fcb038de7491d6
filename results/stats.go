package results

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// MinSamples is the fewest runs a side needs before a difference is
// tested for significance: with fewer, the Mann–Whitney U test cannot
// reach p < 0.05 however different the runs are.
const MinSamples = 4

// DefaultAlpha is the significance level of comparisons.
const DefaultAlpha = 0.05

// Significance is the outcome of testing whether two samples (the runs of
// one group on two sides) come from the same distribution.
type Significance struct {
	// Tested is false when a side has fewer than MinSamples runs: the
	// difference is then a plain comparison, not a statistical finding.
	Tested bool `json:"tested"`
	// P is the p-value of the Mann–Whitney U test (when Tested).
	P float64 `json:"p,omitempty"`
	// Alpha is the level below which P calls the difference significant.
	Alpha float64 `json:"alpha"`
	N1    int     `json:"n1"`
	N2    int     `json:"n2"`
	// Significant is P < Alpha (false when not Tested).
	Significant bool `json:"significant"`
}

// TestSamples compares the samples base and cur with the Mann–Whitney U
// test of golang.org/x/perf/benchmath (no assumption about the shape of
// the distributions), as benchstat does.
func TestSamples(base, cur []float64, alpha float64) Significance {
	s := Significance{Alpha: alpha, N1: len(base), N2: len(cur)}
	if len(base) < MinSamples || len(cur) < MinSamples {
		return s
	}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = alpha
	// NewSample sorts in place: hand it copies.
	c := benchmath.AssumeNothing.Compare(
		benchmath.NewSample(slices.Clone(base), &th),
		benchmath.NewSample(slices.Clone(cur), &th))
	s.Tested = true
	s.P = c.P
	s.Significant = c.P < alpha
	return s
}

// Median is the middle value of xs (the mean of the two middle values for
// an even count); NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
