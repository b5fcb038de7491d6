package results_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/commsbench/commsbench/results"
)

// TestHGRMMatchesHdrHistogram checks the .hgrm rows and footer against the
// percentile distribution hdrhistogram-go prints itself (the same rows in
// a slightly different layout), for commsbench's histogram range and for
// another one.
func TestHGRMMatchesHdrHistogram(t *testing.T) {
	for _, h := range []*hdrhistogram.Histogram{results.NewHistogram(), hdrhistogram.New(1, 10_000_000, 2)} {
		rng := rand.New(rand.NewPCG(5, 6))
		for range 5000 {
			results.RecordClamped(h, int64(rng.ExpFloat64()*200_000))
		}
		var ours, theirs bytes.Buffer
		if err := results.WriteHGRM(&ours, results.MustLatency(h), results.HGRMMicros); err != nil {
			t.Fatal(err)
		}
		if _, err := h.PercentilesPrint(&theirs, 5, 1000); err != nil {
			t.Fatal(err)
		}
		o, th := hgrmRows(ours.String()), hgrmRows(theirs.String())
		if len(o) != len(th) || len(o) < 20 {
			t.Fatalf("%d rows, hdrhistogram-go prints %d", len(o), len(th))
		}
		for i := range o {
			// Value and TotalCount agree exactly; the percentile column
			// differs only in the number of decimals.
			if o[i][0] != th[i][0] || o[i][2] != th[i][2] {
				t.Errorf("row %d: %v, hdrhistogram-go: %v", i, o[i], th[i])
			}
		}
		footer := func(s string) []string {
			var out []string
			for _, l := range strings.Split(s, "\n") {
				if strings.HasPrefix(l, "#[") {
					out = append(out, strings.Join(strings.Fields(l), " "))
				}
			}
			return out
		}
		if a, b := footer(ours.String()), footer(theirs.String()); strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("footer\n%s\nhdrhistogram-go:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	}
}

// hgrmRows returns the fields of the data rows of a percentile distribution.
func hgrmRows(s string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || strings.HasPrefix(l, "#") || f[0] == "Value" {
			continue
		}
		rows = append(rows, f)
	}
	return rows
}

func TestHGRMRejectsUnknownUnit(t *testing.T) {
	h := results.NewHistogram()
	results.RecordClamped(h, 1000)
	err := results.WriteHGRM(&bytes.Buffer{}, results.MustLatency(h), "min")
	if err == nil || !strings.Contains(err.Error(), `unknown unit "min"`) {
		t.Errorf("error %v, want one naming the unit", err)
	}
}
