package results_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

func TestSearchSummaryAndRoundTrip(t *testing.T) {
	first, last := int64(10), int64(900)
	r := &results.Result{
		Schema: results.SchemaVersion, Tool: results.Tool{Name: "commsbench", Version: "test"}, Transport: "queue",
		Load:    results.Load{Mode: results.OpenLoop, Rate: 4000, DurationS: 2},
		Counts:  results.Counts{Sent: 8000, OK: 8000},
		Latency: map[string]*results.Latency{},
		Search: &results.Search{
			FoundOpsPerS: 4000, Latency: results.EndToEnd, P99NS: 3_000_000, Stopped: "bracketed: 4.00k ops/s sustained, 4.20k ops/s not",
			Steps: []results.SearchStep{
				{AskedOpsPerS: 4000, AchievedOpsPerS: 4000, P99NS: 3_000_000, Sustained: true},
				{AskedOpsPerS: 4200, AchievedOpsPerS: 4200, P99NS: 9_000_000, BacklogFirst: &first, BacklogLast: &last, Why: "the backlog grew from 10 to 900 messages"},
			},
		},
	}
	var b bytes.Buffer
	if err := results.WriteSummary(&b, r, results.FormatText); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"max sustainable rate: 4.00k ops/s sustained, end to end p99 3.00ms there (bracketed: 4.00k ops/s sustained, 4.20k ops/s not)",
		"step 1: 4.00k ops/s asked, 4.00k achieved, p99 3.00ms: sustained",
		"step 2: 4.20k ops/s asked, 4.20k achieved, p99 9.00ms, backlog 10→900: not sustained: the backlog grew from 10 to 900 messages",
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, b.String())
		}
	}
	b.Reset()
	if err := results.WriteSummary(&b, r, results.FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| 2 | 4.20k | 4.20k | 9.00ms | 10→900 | no: the backlog grew from 10 to 900 messages |") {
		t.Errorf("markdown lacks the step row:\n%s", b.String())
	}
	b.Reset()
	if err := results.Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	got, err := results.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Search, r.Search) {
		t.Errorf("search after a round trip: %+v, want %+v", got.Search, r.Search)
	}
}
