package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, got)
	}
}

func TestTableGolden(t *testing.T) {
	rows := fixtureRows()
	for _, format := range []string{FormatText, FormatMarkdown} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, rows, format); err != nil {
			t.Fatal(err)
		}
		golden(t, "table."+format, buf.Bytes())
	}
	if err := WriteTable(&bytes.Buffer{}, rows, "yaml"); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestCells checks each column of the trade-off table against the
// figures it is made of.
func TestCells(t *testing.T) {
	rows := fixtureRows()
	tests := []struct {
		row  int
		want []string
	}{
		// REST: the caller waits for the response, which is also end to end.
		{0, []string{"order-payment-rest", "REST", "120µs / 310µs", "120µs / 310µs", "18.2k", "48.0µs / 60.0µs (receiver too)", "with client", "none", "48.0µs / 60.0µs", "57600/57600 answered", "embedded echo target"}},
		// gRPC names its mode.
		{1, []string{"user-auth-grpc", "gRPC unary", "95.0µs / 210µs", "95.0µs / 210µs", "25.3k", "31.0µs / 40.0µs (receiver too)", "with client", "none", "31.0µs / 40.0µs", "78900/78900 answered", "embedded echo target"}},
		// Oneway: the caller waits for the confirm; delivery is end to end.
		{2, []string{"order-inventory-queue", "queue · oneway", "410µs / 1.20ms", "2.10ms / 4.00ms", "9.10k", "35.0µs / 30.0µs (receiver too)", "with client", "17.5µs / 15.0µs", "52.5µs / 45.0µs", "30300/30300, 0 lost, 0 dup", "rabbitmq 3.12.1"}},
		// RPC waits for the reply.
		{3, []string{"order-inventory-queue-rpc", "queue · rpc", "650µs / 1.90ms", "650µs / 1.90ms", "7.40k", "52.0µs / 50.0µs (receiver too)", "with client", "26.0µs / 25.0µs", "78.0µs / 75.0µs", "25197/25200 answered", "rabbitmq 3.12.1"}},
		// Events count every group's deliveries.
		{4, []string{"order-placed-event", "event · 2 groups", "1.30ms / 3.40ms", "1.90ms / 4.60ms", "40.0k", "70.0µs / 20.0µs (receiver+broker too)", "with client", "with client", "70.0µs / 20.0µs", "246000/246000 (2 groups), 0 lost, 0 dup", "kfake (embedded, in-memory)"}},
		// A skipped row says so and nothing more.
		{5, []string{"order-inventory-quorum", "queue", "skipped", "", "", "", "", "", "", "", ""}},
	}
	for _, tt := range tests {
		got := rows[tt.row].Cells()
		if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
			t.Errorf("row %d:\n got %q\nwant %q", tt.row, got, tt.want)
		}
	}
}

// TestSentences: each sentence is made of the table's figures.
func TestSentences(t *testing.T) {
	got := strings.Join(Sentences(fixtureRows()), "\n")
	for _, want := range []string{
		"At the same offered load of 1.00k ops/s, gRPC unary answered in 95.0µs at the median and 210µs at p99; REST in 120µs and 310µs.",
		// The reference is stated, and it is the fastest call.
		"The other mechanisms are compared with gRPC unary, the fastest call at the median.",
		"The queue (oneway) made the caller wait 410µs for the broker's confirm, longer than the 95.0µs gRPC unary took to answer, and delivery took 2.10ms end to end (p99 4.00ms).",
		"The event stream made the caller wait 1.30ms for the broker's acknowledgement, longer than the 95.0µs gRPC unary took to answer, and delivery took 1.90ms end to end (p99 4.60ms).",
		"Request-reply over the queue (rpc) took 650µs at the median, 6.8× gRPC unary's 95.0µs; 1.90ms at p99 against 210µs.",
		"At saturation (16 workers, closed loop), the event stream reached the most operations per second: 40.0k, then gRPC unary 25.3k, REST 18.2k, the queue (oneway) 9.10k and the queue (rpc) 7.40k.",
		"Every message was delivered exactly once by the queue (oneway) (30300 of 30300) and the event stream (246000 of 246000).",
		"The queue (rpc) had 3 errors out of 22200 operations in the saturation phase (timeout 3).",
		"Per operation, gRPC unary cost this process the least CPU time: 31.0µs, against 35.0µs for the queue (oneway), 48.0µs for REST, 52.0µs for the queue (rpc) and 70.0µs for the event stream.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sentences lack:\n%s\ngot:\n%s", want, got)
		}
	}
}

// TestSentenceCases covers the comparisons that the fixture does not.
func TestSentenceCases(t *testing.T) {
	rows := fixtureRows()
	// A queue faster than the call it is compared with says "instead of".
	fast := rows[2]
	fast.SameLoad.Latency["publish"] = latency(50_000, 90_000, 1000)
	got := strings.Join(Sentences([]Row{rows[0], fast}), "\n")
	if want := "The queue (oneway) made the caller wait 50.0µs (the broker's confirm) instead of the 120µs REST took to answer, but delivery took 2.10ms end to end (p99 4.00ms)."; !strings.Contains(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// A scenario that fell behind the offered load is named.
	slow := rows[1]
	slow.SameLoad.Throughput.OpsPerS = 700
	got = strings.Join(Sentences([]Row{slow}), "\n")
	if want := "GRPC"; strings.Contains(got, want) {
		t.Errorf("capitalised gRPC: %s", got)
	}
	if want := "gRPC unary did not keep up with 1.00k ops/s: it completed 700 ops/s"; !strings.Contains(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// What was never sent is counted beside it.
	slow.SameLoad.Counts.Unsent = 900
	got = strings.Join(Sentences([]Row{slow}), "\n")
	if want := "and 900 of the 3900 operations due were never sent."; !strings.Contains(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Loss is reported, not hidden in a count.
	lossy := rows[4]
	lossy.SameLoad.Counts.Delivery.Lost = 5
	got = strings.Join(Sentences([]Row{lossy}), "\n")
	if want := "The event stream lost 5 and duplicated 0 of 246000 messages expected."; !strings.Contains(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Late is not lost: messages still queued at the end are named apart.
	late := rows[2]
	unread := int64(7)
	late.SameLoad.Counts.Delivery.Unread = &unread
	late.SameLoad.Counts.Delivery.Received -= 7
	got = strings.Join(Sentences([]Row{late}), "\n")
	if want := "The queue (oneway): 30293 of 30300 messages expected had arrived when the drain ended; 7 were still waiting to be read, 0 were lost and 0 duplicated."; !strings.Contains(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if cell := late.Cells()[9]; cell != "30293/30300, 0 lost, 7 unread, 0 dup" {
		t.Errorf("delivered cell %q", cell)
	}
	// A run that is mostly errors, against a target that went away, says so.
	down := rows[0]
	down.Saturation.Counts = results.Counts{Sent: 1000, OK: 100, Errors: 900}
	down.Saturation.Errors = map[string]int64{"connection_refused": 900}
	down.Saturation.Unreachable = &results.Unreachable{FailedAttempts: 900, FailedPerS: 180, BackoffMinS: 0.001, BackoffMaxS: 0.1, Windows: []results.Window{{FromS: 0.5, ToS: 5}}}
	got = strings.Join(Sentences([]Row{down}), "\n")
	for _, want := range []string{
		"That is mostly errors: the latency figures of REST's saturation phase describe the few operations that succeeded, not the target.",
		"In REST's saturation phase the target could not be reached from 0.50s to 5.00s of the measurement; 900 attempts failed without reaching it (180/s), each worker waiting 1ms, doubling up to 100ms, before trying again.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	}
	// Nothing measured, nothing said.
	if s := Sentences([]Row{rows[5]}); len(s) != 0 {
		t.Errorf("sentences for a skipped row: %q", s)
	}
}

// TestRowsGrouping: results group by scenario and phase; results made
// outside a suite group by transport and label, their phase taken from
// the load mode; the latest of repeated runs is shown.
func TestRowsGrouping(t *testing.T) {
	a := fixture{scenario: "", transport: "rest", phase: "", opsPerS: 100, respP50: 1000, respP99: 2000}.result()
	a.Load.Mode = "open"
	b := fixture{scenario: "", transport: "rest", phase: "", opsPerS: 900, respP50: 1000, respP99: 2000}.result()
	b.Load.Mode = "closed"
	c := fixture{scenario: "", transport: "rest", phase: "", opsPerS: 200, respP50: 1000, respP99: 2000}.result()
	c.Load.Mode = "open"
	c.StartedAt = c.StartedAt.Add(time.Minute)
	a.Label, b.Label, c.Label = "x", "x", "x"
	rows := Rows([]*results.Result{a, b, c})
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	if r.Scenario != "rest x" || r.SameLoad != c || r.Saturation != b {
		t.Errorf("row %q: same load %p (want the later %p), saturation %p (want %p)", r.Scenario, r.SameLoad, c, r.Saturation, b)
	}
	if len(r.SameLoadRuns) != 2 || len(r.SaturationRuns) != 1 {
		t.Errorf("%d same-load and %d saturation runs, want every run: 2 and 1", len(r.SameLoadRuns), len(r.SaturationRuns))
	}
}

// repeated makes n runs of one scenario and phase, as run --count or a
// suite with --count writes them, each with its own figures.
func repeated(phase string, p50s []int64, ops []float64) []*results.Result {
	var rs []*results.Result
	for i := range p50s {
		res := fixture{scenario: "order-payment-rest", transport: "rest", phase: phase, opts: map[string]any{"http2": false}, opsPerS: ops[i], respP50: p50s[i], respP99: 4 * p50s[i], cpuUS: float64(10 * (i + 1)), target: results.Target{Kind: results.TargetEmbedded}}.result()
		res.StartedAt = res.StartedAt.Add(time.Duration(i) * time.Minute)
		rs = append(rs, res)
	}
	return rs
}

// TestRepeatedRunsAreMedians: a directory of repeated runs is reported the
// way compare shows it, the median of the runs' own figures, and says so;
// it is not the last run alone.
func TestRepeatedRunsAreMedians(t *testing.T) {
	// The last run is the slowest and the least busy: showing it alone
	// would read 900µs and 1.00k ops/s.
	same := repeated(SameLoad, []int64{100_000, 300_000, 200_000, 900_000}, []float64{1000, 1000, 1000, 1000})
	sat := repeated(Saturation, []int64{1_000_000, 1_000_000, 1_000_000, 1_000_000}, []float64{10_000, 12_000, 14_000, 1_000})
	rows := Rows(append(same, sat...))
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	tests := []struct {
		what      string
		got, want float64
	}{
		{"caller waits p50", must(r.CallerWaits()).P50, 250_000},
		{"caller waits p99", must(r.CallerWaits()).P99, 1_000_000},
		{"max ops/s", first(r.MaxOpsPerS()), 11_000},
		{"CPU/op", first(r.CPUPerOpUS()), 25},
	}
	for _, tt := range tests {
		// Latency figures come from histograms at 3 significant digits.
		if math.Abs(tt.got-tt.want) > tt.want/1000 {
			t.Errorf("%s = %v, want the median of the runs, %v", tt.what, tt.got, tt.want)
		}
	}
	d, _ := r.Delivered()
	var sent int64
	for _, res := range append(same, sat...) {
		sent += res.Counts.Sent
	}
	if d.Expected != sent {
		t.Errorf("delivered counts %d expected, want the sum over every run, %d", d.Expected, sent)
	}
	if line := PhaseLine(rows); !strings.Contains(line, "each figure is the median of 4 runs of its scenario and phase") {
		t.Errorf("phase line does not say how the runs were aggregated: %q", line)
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, Page{Title: "t", Generated: fixtureStart, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html.String(), "<td>order-payment-rest</td><td>"); n != 8 {
		t.Errorf("the runs table has %d rows of the scenario, want all 8 runs", n)
	}
}

func must(p Percentiles, ok bool) Percentiles {
	if !ok {
		return Percentiles{P50: -1, P99: -1}
	}
	return p
}

func first(v float64, ok bool) float64 {
	if !ok {
		return -1
	}
	return v
}

// TestLoadsAreStatedTruthfully: scenarios offered different rates are not
// said to share one; each call names its own.
func TestLoadsAreStatedTruthfully(t *testing.T) {
	rows := fixtureRows()
	rows[1].SameLoad.Load.Rate = 2000
	rows[4].SameLoad.Load.Rate = 5000
	line := PhaseLine(rows)
	if strings.Contains(line, "same offered load") || !strings.Contains(line, "different offered loads (1.00k, 2.00k and 5.00k ops/s") {
		t.Errorf("phase line: %q", line)
	}
	got := strings.Join(Sentences(rows), "\n")
	for _, want := range []string{
		"At different offered loads, not on equal terms, gRPC unary answered in 95.0µs at the median and 210µs at p99 at 2.00k ops/s; REST in 120µs and 310µs at 1.00k ops/s.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sentences lack:\n%s\ngot:\n%s", want, got)
		}
	}
	if strings.Contains(got, "same offered load") {
		t.Errorf("sentences claim one load:\n%s", got)
	}
	// Saturation at different worker counts says so too.
	rows[1].Saturation.Load.Concurrency = 64
	if line := PhaseLine(rows); !strings.Contains(line, "different numbers of workers (16 and 64)") {
		t.Errorf("phase line: %q", line)
	}
}

// TestHTMLStructure: one self-contained page with the trade-off table,
// one percentile chart, one timeline per scenario that ran, and no
// reference to anything outside the file.
func TestHTMLStructure(t *testing.T) {
	rows := fixtureRows()
	var buf bytes.Buffer
	page := Page{Title: "microservices suite", Generated: fixtureStart.Add(time.Hour), Rows: rows}
	if err := WriteHTML(&buf, page); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	golden(t, "report.html", buf.Bytes())

	count := func(re string) int { return len(regexp.MustCompile(re).FindAllString(html, -1)) }
	if n := count(`<table class="tradeoff"`); n != 1 {
		t.Errorf("%d trade-off tables, want 1", n)
	}
	tbody := html[strings.Index(html, `<table class="tradeoff"`):]
	tbody = tbody[:strings.Index(tbody, "</table>")]
	if n := strings.Count(tbody, "<tr"); n != len(rows)+1 {
		t.Errorf("trade-off table has %d rows with its header, want %d", n, len(rows)+1)
	}
	if n := count(`data-chart="percentiles"`); n != 1 {
		t.Errorf("%d percentile charts, want 1", n)
	}
	if n := count(`data-chart="timeline"`); n != 5 {
		t.Errorf("%d timeline charts, want one per scenario that ran (5)", n)
	}
	// One line per scenario in the percentile chart.
	pc := html[strings.Index(html, `data-chart="percentiles"`):]
	pc = pc[:strings.Index(pc, "</svg>")]
	if n := strings.Count(pc, "<polyline"); n != 5 {
		t.Errorf("percentile chart has %d lines, want 5", n)
	}
	for _, bad := range []string{"http://", "https://", "//cdn", "<script", "src=", "url(", "@import", "<link"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q: it must not refer to anything outside itself", bad)
		}
	}
	for _, want := range []string{
		"Content-Security-Policy", "default-src 'none'",
		"order-inventory-quorum skipped: no RabbitMQ answers",
		"Test CPU @ 2.0GHz", "go1.26.8", "queue: rabbitmq 3.12.1", "event: kfake (embedded, in-memory)",
		"<code>commsbench suite microservices --duration 3s</code>",
		"order-placed-event: the embedded broker keeps every message in memory",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestHTMLEscapes: names from result files cannot inject markup.
func TestHTMLEscapes(t *testing.T) {
	rows := fixtureRows()[:1]
	rows[0].Scenario = `<img src=x onerror=alert(1)>`
	var buf bytes.Buffer
	if err := WriteHTML(&buf, Page{Rows: rows, Generated: fixtureStart}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<img") {
		t.Error("a scenario name was written as markup")
	}
}

// TestProblems: skipped rows give the reason and the fix, failed phases
// their error; a row whose every phase failed shows as failed.
func TestProblems(t *testing.T) {
	rows := fixtureRows()
	ok := rows[0]
	ok.SaturationErr = "interrupted after 0.4s of measurement; the result above is partial"
	failed := Row{Scenario: "user-auth-grpc", Transport: "grpc", SameLoadErr: "grpc: cannot reach the target", SaturationErr: "not run: the same-load phase failed"}
	got := Problems([]Row{ok, failed, rows[5]})
	want := []string{
		"order-payment-rest, saturation phase: interrupted after 0.4s of measurement; the result above is partial",
		"user-auth-grpc, same-load phase: grpc: cannot reach the target",
		"user-auth-grpc, saturation phase: not run: the same-load phase failed",
		"order-inventory-quorum skipped: no RabbitMQ answers at amqp://guest:xxxxx@127.0.0.1:1/ (connection refused). To run it: start one with 'rabbitmq-server -detached', or point COMMSBENCH_AMQP_URL at one",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := ok.Status(); s != "partly failed" {
		t.Errorf("status %q, want partly failed", s)
	}
	if c := failed.Cells(); c[2] != "failed" {
		t.Errorf("cells %q: want the row marked failed", c)
	}
}

// TestTimelineHasNoLatencyForAnIdleSecond: a second in which no operation
// finished has no p99; the chart leaves a gap there rather than draw the
// latency falling to 0.
func TestTimelineHasNoLatencyForAnIdleSecond(t *testing.T) {
	res := fixture{scenario: "s", transport: "rest", phase: SameLoad, opsPerS: 1000, respP50: 100_000, respP99: 300_000}.result()
	res.Timeline = []results.TimelinePoint{
		{TS: 0, Ops: 1000, P50NS: 100_000, P99NS: 300_000},
		{TS: 1, Ops: 0}, // the target stalled for a whole second
		{TS: 2, Ops: 1000, P50NS: 100_000, P99NS: 300_000},
	}
	chart := timelineChart(Row{Scenario: "s", Transport: "rest", SameLoad: res}, "#000")
	// The dashed p99 line is drawn in two pieces, each a single point.
	if n := strings.Count(chart, `stroke="#444" stroke-width="2" stroke-dasharray`); n != 2 {
		t.Errorf("%d p99 lines, want 2 around the idle second:\n%s", n, chart)
	}
	if n := strings.Count(chart, `fill="#444"`); n != 2 {
		t.Errorf("%d single p99 points, want 2:\n%s", n, chart)
	}
}
