package report_test

import (
	"strings"
	"testing"

	"github.com/commsbench/commsbench/report"
	"github.com/commsbench/commsbench/results"
)

// A saturation phase that searched shows the rate found and the p99 at
// it; a result of run --find-max without a phase is a saturation result.
func TestSearchedSaturation(t *testing.T) {
	same := &results.Result{Transport: "rest", Load: results.Load{Mode: results.OpenLoop, Rate: 1000}, Counts: results.Counts{Sent: 10, OK: 10},
		Throughput: results.Throughput{OpsPerS: 1000}, Latency: map[string]*results.Latency{}}
	found := &results.Result{Transport: "rest", Load: results.Load{Mode: results.OpenLoop, Rate: 12300}, Counts: results.Counts{Sent: 10, OK: 10},
		Throughput: results.Throughput{OpsPerS: 12250}, Latency: map[string]*results.Latency{},
		Search: &results.Search{FoundOpsPerS: 12300, Latency: results.Response, P99NS: 4_000_000, MaxP99NS: 10_000_000, Stopped: "bracketed"}}
	rows := report.Rows([]*results.Result{same, found})
	if len(rows) != 1 || rows[0].Saturation != found {
		t.Fatalf("rows %+v: want one row with the search as its saturation result", rows)
	}
	cells := rows[0].Cells()
	if got := cells[4]; got != "12.3k · p99 4.00ms" {
		t.Errorf("max ops/s cell %q, want the rate found and the p99 there", got)
	}
	line := report.PhaseLine(rows)
	if !strings.Contains(line, "highest open-loop rate sustained") || !strings.Contains(line, "p99 within 10.0ms") {
		t.Errorf("phase line %q must say what max ops/s is", line)
	}
	s := strings.Join(report.Sentences(rows), "\n")
	if !strings.Contains(s, "At the highest rate each sustained, rest reached 12.3k ops/s") {
		t.Errorf("sentences:\n%s", s)
	}
	// Nothing sustained: no figure.
	found.Search.FoundOpsPerS, found.Search.P99NS = 0, 0
	if got := report.Rows([]*results.Result{same, found})[0].Cells()[4]; got != "-" {
		t.Errorf("max ops/s cell %q when nothing was sustained, want -", got)
	}
}
