package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

// faultFixture is a resilience run of 15 s with down@5s+5s: a call whose
// callers failed every call of the window, or a queue that accepted every
// message and delivered them 1.25 s after the consumers' return.
func faultFixture(scenario, transport string, brokered bool) *results.Result {
	res := &results.Result{
		Schema: results.SchemaVersion, Transport: transport, Scenario: scenario, Phase: Resilience,
		DurationS: 15, StartedAt: fixtureStart,
		Load:    results.Load{Mode: results.OpenLoop, Rate: 500, DurationS: 15},
		Counts:  results.Counts{Sent: 7500, OK: 5000, Errors: 2500},
		Errors:  map[string]int64{"connection_refused": 2500},
		Latency: map[string]*results.Latency{results.Response: latency(1e6, 5e6, 5000)},
		Faults:  []results.Fault{{Spec: "down@5s+5s", Kind: "down", StartS: 5, DurationS: 5, InjectedS: 5, RestoredS: 10}},
	}
	rec := 1.0
	rs := &results.Resilience{
		WindowStartS: 5, WindowEndS: 10, RecoveryS: &rec,
		Before: results.Phase{OK: 2500, Latency: map[string]*results.Latency{results.Response: latency(1e6, 5e6, 2500)}},
		During: results.Phase{Errors: 2500, ErrorClasses: map[string]int64{"connection_refused": 2400, "eof": 100}, Latency: map[string]*results.Latency{results.Response: latency(0, 0, 0)}},
		After:  results.Phase{OK: 2500, Latency: map[string]*results.Latency{results.Response: latency(1e6, 5e6, 2500)}},
	}
	for s := range 15 {
		p := results.TimelinePoint{TS: float64(s), Ops: 500, P50NS: 1e6, P99NS: 5e6}
		if s >= 5 && s < 10 {
			p = results.TimelinePoint{TS: float64(s), Errors: 500, ErrorClasses: map[string]int64{"connection_refused": 500}}
		}
		res.Timeline = append(res.Timeline, p)
	}
	if brokered {
		res.Latency = map[string]*results.Latency{results.Publish: latency(2e6, 40e6, 7500), results.EndToEnd: latency(3e6, 5e9, 7500)}
		res.Counts = results.Counts{Sent: 7500, OK: 7500, Delivery: &results.Delivery{Confirmed: 7500, Received: 7500}}
		res.Errors = map[string]int64{}
		rs.During = results.Phase{OK: 2500, Latency: map[string]*results.Latency{results.Publish: latency(2e6, 40e6, 2500)}}
		for _, p := range []*results.Phase{&rs.Before, &rs.After} {
			p.Latency = map[string]*results.Latency{results.Publish: latency(2e6, 40e6, 2500)}
		}
		empty, peak := 11.25, int64(2500)
		rs.BacklogEmptyS, rs.During.BacklogPeak = &empty, &peak
		rec = 1.25
		for i := range res.Timeline {
			p := &res.Timeline[i]
			p.Ops, p.Errors, p.ErrorClasses, p.P50NS, p.P99NS = 500, 0, nil, 2e6, 40e6
			b := int64(0)
			if p.TS >= 5 && p.TS < 11 {
				b = int64(min(p.TS-4, 5) * 500)
			}
			p.Backlog = &b
		}
	}
	res.Resilience = rs
	return res
}

func TestResilienceColumnsAndSentences(t *testing.T) {
	rows := Rows([]*results.Result{
		fixture{scenario: "order-payment-rest", transport: "rest", phase: SameLoad, opsPerS: 1000, respP50: 1e6, respP99: 5e6}.result(),
		faultFixture("order-payment-rest", "rest", false),
		faultFixture("order-inventory-queue", "queue", true),
	})
	rows[0].Mech = Mechanism{Name: "REST", Prose: "REST", Kind: Sync}
	rows[1].Mech = Mechanism{Name: "queue · oneway", Prose: "the queue", Kind: Oneway}
	if rows[0].Resilience == nil || rows[0].SameLoad == nil || rows[1].Resilience == nil || rows[1].Status() != "" {
		t.Fatalf("rows: %+v", rows)
	}
	header := TableHeader(rows)
	want := map[string][]string{
		"order-payment-rest":    {"2500 (100%)", "-", "1.00s", "-", "-"},
		"order-inventory-queue": {"0 (0%)", "40.0ms", "1.25s", "2500", "0"},
	}
	for _, r := range rows {
		cells := r.TableCells(rows)
		if len(cells) != len(header) {
			t.Fatalf("%s: %d cells under %d columns", r.Scenario, len(cells), len(header))
		}
		if got := cells[len(Header()):]; strings.Join(got, "|") != strings.Join(want[r.Scenario], "|") {
			t.Errorf("%s: resilience cells %q, want %q", r.Scenario, got, want[r.Scenario])
		}
	}
	if got := strings.Join(header[len(Header()):], "|"); got != "while down: caller errors|while down: caller p99|recovered after|backlog peak|lost" {
		t.Errorf("resilience header %q", got)
	}
	text := strings.Join(Sentences(rows), "\n")
	for _, s := range []string{
		"While the receiving side was down (down@5s+5s, for 5.0 s), REST callers got 2500 errors (connection_refused 2400, eof 100), while the queue accepted every message (2500, publish p99 40.0ms) and delivered them all within 1.25 s of the receiver's return, losing none; up to 2500 waited.",
		"Recovered after the window (caller healthy again and backlog empty): REST 1.00 s, the queue 1.25 s.",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("sentences lack %q:\n%s", s, text)
		}
	}
	// A table without a resilience phase keeps its columns.
	plain := Rows([]*results.Result{fixture{scenario: "a", transport: "rest", phase: SameLoad, opsPerS: 1000, respP50: 1e6, respP99: 5e6}.result()})
	if len(TableHeader(plain)) != len(Header()) || len(plain[0].TableCells(plain)) != len(Header()) {
		t.Error("a table without resilience gained columns")
	}
}

func TestFaultChart(t *testing.T) {
	rows := Rows([]*results.Result{faultFixture("order-payment-rest", "rest", false), faultFixture("order-inventory-queue", "queue", true)})
	var b bytes.Buffer
	if err := WriteHTML(&b, Page{Title: "t", Rows: rows}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if n := strings.Count(html, `data-chart="fault"`); n != 2 {
		t.Fatalf("%d fault charts, want one per scenario", n)
	}
	if n := strings.Count(html, `class="window"`); n != 2 {
		t.Errorf("%d shaded windows, want 2", n)
	}
	for _, s := range []string{"receiver down", "errors/s", "caller p99", "backlog", `id="resilience"`} {
		if !strings.Contains(html, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	// The window is shaded from 5 s to 10 s of 15: a third of the plot's width.
	c := faultChart(rows[0], "#000")
	i := strings.Index(c, `class="window" x="`)
	var x, w float64
	if _, err := fmtSscanf(c[i:], `class="window" x="%g" y="34" width="%g"`, &x, &w); err != nil {
		t.Fatalf("window rect: %v in %s", err, c[i:i+80])
	}
	if plot := 560.0 - 64 - 16; x < 64+plot/3-1 || x > 64+plot/3+1 || w < plot/3-1 || w > plot/3+1 {
		t.Errorf("window at x %v width %v, want a third of %v from %v", x, w, plot, 64+plot/3)
	}
}

func fmtSscanf(s, format string, args ...any) (int, error) { return fmt.Sscanf(s, format, args...) }
