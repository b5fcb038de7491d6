package results_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

// TestBrokerSummaryMarksTheHeadline: a brokered run's summary names end
// to end as its headline latency, says what service means for a broker,
// and shows a single group's end to end once.
func TestBrokerSummaryMarksTheHeadline(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups []string
		rows   int // rows that start with "end to end"
	}{
		// A queue has no groups: one end-to-end row.
		{"queue", nil, 1},
		// One group: its row would repeat the overall one.
		{"one group", []string{"payment"}, 1},
		// Two groups: the overall row and one per group.
		{"two groups", []string{"payment", "shipping"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := queueRun(t, "", 1, results.Delivery{Confirmed: 2000, Received: 2000})
			r.Latency[results.Publish] = r.Latency[results.EndToEnd]
			r.Latency[results.Service] = r.Latency[results.EndToEnd]
			for _, g := range tc.groups {
				r.Subscribers = append(r.Subscribers, results.Subscriber{Group: g, Received: 2000, EndToEnd: r.Latency[results.EndToEnd]})
			}
			out := render(t, func(w io.Writer) error { return results.WriteSummary(w, r, results.FormatText) })
			rows := 0
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "end to end") {
					rows++
				}
			}
			if rows != tc.rows {
				t.Errorf("%d end-to-end rows, want %d:\n%s", rows, tc.rows, out)
			}
			for _, want := range []string{"end to end (headline)", "headline: end to end", "service:"} {
				if !strings.Contains(out, want) {
					t.Errorf("summary lacks %q:\n%s", want, out)
				}
			}
			if len(tc.groups) == 1 && !strings.Contains(out, "one group, payment") {
				t.Errorf("summary does not name the single group:\n%s", out)
			}
		})
	}
	// A synchronous run has no headline mark: its response is the figure.
	rest := synthRun(t, "rest", "", time.Millisecond, 100, 1)
	if out := render(t, func(w io.Writer) error { return results.WriteSummary(w, rest, results.FormatText) }); strings.Contains(out, "headline") {
		t.Errorf("a rest summary marks a headline:\n%s", out)
	}
}
