// Package report turns the results of a suite into what a person reads:
// the trade-off table (one row per scenario: what the caller waits for,
// end-to-end latency, throughput ceiling, CPU cost, delivery and broker),
// plain sentences generated from the measured numbers, and a
// self-contained HTML page with inline SVG charts.
//
// It reads results only; it runs nothing.
package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/commsbench/commsbench/results"
)

// The phases of a suite, as stored in Result.Phase.
const (
	// SameLoad runs every scenario at the same offered load, open loop, to
	// compare latency on equal terms.
	SameLoad = "same-load"
	// Saturation runs every scenario closed loop, to find its throughput ceiling.
	Saturation = "saturation"
)

// Kind is how the caller and the far side interact.
type Kind string

// Kinds of mechanism.
const (
	// Sync: the caller waits for the response (REST, gRPC).
	Sync Kind = "sync"
	// RPC: the caller waits for a reply that travels through a broker.
	RPC Kind = "rpc"
	// Oneway: the caller waits for the broker's confirm only; a consumer
	// receives the message later.
	Oneway Kind = "oneway"
	// Event: the caller waits for the broker's acknowledgement; every
	// subscribing group receives the event later.
	Event Kind = "event"
)

// Row is one scenario of the trade-off table.
type Row struct {
	Scenario  string
	Transport string
	// Mech is the mechanism as the transport names it (see Describe).
	Mech Mechanism
	// SameLoad and Saturation are the scenario's latest result in each
	// phase; either may be nil (skipped, failed or not run).
	SameLoad   *results.Result
	Saturation *results.Result
	// SameLoadRuns and SaturationRuns are every result of each phase, in
	// the order read (repeated runs, such as those of run --count). The
	// figures of the row are the medians of their runs' own figures, as
	// compare shows them. When empty, the phase's one result above stands
	// for them.
	SameLoadRuns   []*results.Result
	SaturationRuns []*results.Result
	// Resilience is the scenario's latest result of the resilience phase
	// (its receiving side down for a window), ResilienceRuns all of them,
	// ResilienceErr the error of a resilience phase that failed.
	Resilience     *results.Result
	ResilienceRuns []*results.Result
	ResilienceErr  string
	// Skipped says why the scenario did not run (its broker did not
	// answer); Fix says what to do about it.
	Skipped string
	Fix     string
	// SameLoadErr and SaturationErr are the errors of phases that failed.
	SameLoadErr   string
	SaturationErr string
}

// any returns a result of the row, the same-load one first.
func (r Row) any() *results.Result {
	switch {
	case r.SameLoad != nil:
		return r.SameLoad
	case r.Saturation != nil:
		return r.Saturation
	}
	return r.Resilience
}

// runsOf returns every result of a phase: the runs, or the one result.
func runsOf(runs []*results.Result, one *results.Result) []*results.Result {
	if len(runs) > 0 {
		return runs
	}
	if one != nil {
		return []*results.Result{one}
	}
	return nil
}

// sameLoadRuns and saturationRuns are every result of each phase.
func (r Row) sameLoadRuns() []*results.Result   { return runsOf(r.SameLoadRuns, r.SameLoad) }
func (r Row) saturationRuns() []*results.Result { return runsOf(r.SaturationRuns, r.Saturation) }

// allRuns is every result of the row, same-load phase first.
func (r Row) allRuns() []*results.Result {
	return append(append([]*results.Result{}, r.sameLoadRuns()...), r.saturationRuns()...)
}

// Repeats is the largest number of runs of one phase of the row.
func (r Row) Repeats() int { return max(len(r.sameLoadRuns()), len(r.saturationRuns())) }

// median is the median of f over the runs that have it; ok is false when
// one of them does not (a figure of some runs only would mislead).
func median(runs []*results.Result, f func(*results.Result) (float64, bool)) (float64, bool) {
	if len(runs) == 0 {
		return 0, false
	}
	vs := make([]float64, 0, len(runs))
	for _, res := range runs {
		v, ok := f(res)
		if !ok {
			return 0, false
		}
		vs = append(vs, v)
	}
	return results.Median(vs), true
}

// Ran says whether the row has at least one result.
func (r Row) Ran() bool { return r.any() != nil }

// Mechanism is how a row's transport and mode read. The transport that
// wrote the result knows it; the command fills it in (Describe), so that
// this package names no transport.
type Mechanism struct {
	// Name is short, for a table cell: "REST (h2c)", "queue · rpc".
	Name string
	// Prose reads in a sentence: "the queue (rpc)", "the event stream".
	Prose string
	Kind  Kind
}

// Describe fills in each row's mechanism from its results.
func Describe(rows []Row, describe func(transport string, r *results.Result) Mechanism) {
	for i := range rows {
		rows[i].Mech = describe(rows[i].Transport, rows[i].any())
	}
}

// Kind tells how the caller and the far side interact in this scenario.
// Without a described mechanism, a result with an end-to-end latency is
// one-way (something received later what the caller sent), else sync.
func (r Row) Kind() Kind {
	if r.Mech.Kind != "" {
		return r.Mech.Kind
	}
	if res := r.any(); res != nil {
		if _, ok := res.Latency[results.EndToEnd]; ok {
			return Oneway
		}
	}
	return Sync
}

// Mechanism names the transport and mode, such as "REST", "gRPC stream",
// "queue · oneway" or "event · 2 groups".
func (r Row) Mechanism() string {
	if r.Mech.Name != "" {
		return r.Mech.Name
	}
	return r.Transport
}

// Percentiles is a pair of latency figures in nanoseconds.
type Percentiles struct {
	P50, P99 float64
	// Name is the latency kind they come from (response, publish, end_to_end).
	Name string
}

// percentiles reads the first of the named latencies that every run has
// samples of: the median of the runs' own p50 and p99.
func percentiles(runs []*results.Result, names ...string) (Percentiles, bool) {
	for _, n := range names {
		fig := func(pick func(*results.Latency) int64) func(*results.Result) (float64, bool) {
			return func(res *results.Result) (float64, bool) {
				l := res.Latency[n]
				if l == nil || l.Count == 0 {
					return 0, false
				}
				return float64(pick(l)), true
			}
		}
		p50, ok := median(runs, fig(func(l *results.Latency) int64 { return l.P50 }))
		if !ok {
			continue
		}
		p99, _ := median(runs, fig(func(l *results.Latency) int64 { return l.P99 }))
		return Percentiles{P50: p50, P99: p99, Name: n}, true
	}
	return Percentiles{}, false
}

// CallerWaits is what the caller waited for at the same offered load: the
// response for sync and rpc, the broker's confirm for oneway and events.
func (r Row) CallerWaits() (Percentiles, bool) {
	switch r.Kind() {
	case Oneway, Event:
		return percentiles(r.sameLoadRuns(), results.Publish, results.Response)
	}
	return percentiles(r.sameLoadRuns(), results.Response)
}

// EndToEnd is the time from the intended send to delivery at the same
// offered load: the response for sync and rpc, a consumer's receipt for
// oneway and events.
func (r Row) EndToEnd() (Percentiles, bool) {
	switch r.Kind() {
	case Oneway, Event:
		return percentiles(r.sameLoadRuns(), results.EndToEnd)
	}
	return percentiles(r.sameLoadRuns(), results.Response)
}

// EndToEndLatency is the latency distribution behind EndToEnd: of all the
// same-load runs merged, so that a chart of it shows every operation.
func (r Row) EndToEndLatency() *results.Latency {
	p, ok := r.EndToEnd()
	if !ok {
		return nil
	}
	runs := r.sameLoadRuns()
	if len(runs) == 1 {
		return runs[0].Latency[p.Name]
	}
	ls := make([]*results.Latency, len(runs))
	for i, res := range runs {
		ls[i] = res.Latency[p.Name]
	}
	m, err := results.Merge(ls...)
	if err != nil {
		return r.SameLoad.Latency[p.Name]
	}
	return m
}

// MaxOpsPerS is the throughput reached at saturation (the median of the
// runs): the highest rate sustained where the phase searched for it
// (run --find-max), else what the closed loop achieved.
func (r Row) MaxOpsPerS() (float64, bool) {
	return median(r.saturationRuns(), func(res *results.Result) (float64, bool) {
		if s := res.Search; s != nil {
			return s.FoundOpsPerS, s.FoundOpsPerS > 0
		}
		return res.Throughput.OpsPerS, res.Throughput.OpsPerS > 0
	})
}

// MaxP99 is the p99 of the main latency at the highest rate sustained
// (the median of the runs); ok is false unless the phase searched.
func (r Row) MaxP99() (float64, bool) {
	return median(r.saturationRuns(), func(res *results.Result) (float64, bool) {
		if s := res.Search; s != nil {
			return float64(s.P99NS), s.FoundOpsPerS > 0 && s.P99NS > 0
		}
		return 0, false
	})
}

// Searched says whether the row's saturation phase searched for the
// highest sustainable rate.
func (r Row) Searched() bool {
	runs := r.saturationRuns()
	for _, res := range runs {
		if res.Search == nil {
			return false
		}
	}
	return len(runs) > 0
}

// CPUPerOpUS is the commsbench process's CPU time per operation at the
// same offered load, in microseconds (the median of the runs).
func (r Row) CPUPerOpUS() (float64, bool) {
	return median(r.sameLoadRuns(), func(res *results.Result) (float64, bool) {
		if res.Resources == nil || res.Resources.CPUPerOpUS <= 0 {
			return 0, false
		}
		return res.Resources.CPUPerOpUS, true
	})
}

// Offered is the rate the same-load phase asked for (open loop); ok is
// false when it was not open loop or its runs asked for different rates.
func (r Row) Offered() (float64, bool) {
	runs := r.sameLoadRuns()
	if len(runs) == 0 {
		return 0, false
	}
	rate := runs[0].Load.Rate
	for _, res := range runs {
		if res.Load.Mode != results.OpenLoop || res.Load.Rate != rate || rate <= 0 {
			return 0, false
		}
	}
	return rate, true
}

// Achieved is the median throughput of the same-load phase.
func (r Row) Achieved() (float64, bool) {
	return median(r.sameLoadRuns(), func(res *results.Result) (float64, bool) { return res.Throughput.OpsPerS, true })
}

// Unsent sums the same-load operations that were due but never sent, and
// the operations asked, over every run.
func (r Row) Unsent() (unsent, asked int64) {
	for _, res := range r.sameLoadRuns() {
		unsent += res.Counts.Unsent
		asked += res.Asked()
	}
	return unsent, asked
}

// Delivery is the accounting of one phase.
type Delivery struct {
	// Received counts messages (or answers) that arrived; Expected is
	// what should have: sent, times the number of subscribing groups.
	Received, Expected int64
	Lost, Duplicates   int64
	// Unread messages were still queued (or unread) when the drain timed
	// out; nil when no run counted them.
	Unread *int64
	Groups int
	// Brokered is false for sync calls, whose "delivery" is the answer.
	Brokered bool
}

// Delivered is the accounting of both phases together, added up over
// every run: a count, unlike a figure, sums exactly.
func (r Row) Delivered() (Delivery, bool) {
	var d Delivery
	found := false
	for _, res := range r.allRuns() {
		found = true
		c := res.Counts
		if c.Delivery == nil {
			d.Received += c.OK
			d.Expected += c.Sent
			continue
		}
		d.Brokered = true
		groups := max(len(res.Subscribers), 1)
		d.Groups = groups
		d.Received += c.Delivery.Received
		d.Expected += c.Sent * int64(groups)
		d.Lost += c.Delivery.Lost
		d.Duplicates += c.Delivery.Duplicates
		if u := c.Delivery.Unread; u != nil {
			if d.Unread == nil {
				d.Unread = new(int64)
			}
			*d.Unread += *u
		}
	}
	return d, found
}

func (d Delivery) String() string {
	s := fmt.Sprintf("%d/%d", d.Received, d.Expected)
	if !d.Brokered {
		return s + " answered"
	}
	if d.Groups > 1 {
		s += fmt.Sprintf(" (%d groups)", d.Groups)
	}
	s += fmt.Sprintf(", %d lost", d.Lost)
	if d.Unread != nil {
		s += fmt.Sprintf(", %d unread", *d.Unread)
	}
	return s + fmt.Sprintf(", %d dup", d.Duplicates)
}

// Broker says what stood on the far side: the broker and its version, a
// container image, or the echo target.
func (r Row) Broker() string {
	res := r.any()
	if res == nil {
		return ""
	}
	t := res.Target
	switch {
	case t.Broker != "":
		b := t.Broker
		if t.BrokerVersion != "" {
			b += " " + t.BrokerVersion
		}
		if t.Image != "" {
			b += " (" + t.Image + ")"
		}
		return b
	case t.Image != "":
		return t.Image
	case t.Kind == results.TargetEmbedded:
		return "embedded echo target"
	case t.Address != "":
		return "echo target at " + t.Address
	}
	return t.Kind
}

// Status is "" for a row that ran, otherwise a short word for it.
func (r Row) Status() string {
	switch {
	case r.Skipped != "":
		return "skipped"
	case !r.Ran():
		return "failed"
	case r.SameLoadErr != "" || r.SaturationErr != "" || r.ResilienceErr != "":
		return "partly failed"
	}
	return ""
}

// Rows groups results into the rows of a trade-off table: by scenario (or
// by transport and label for results made outside a suite), in the order
// first seen. A result without a phase counts as resilience when it ran
// faults, as saturation when it was closed loop or searched for the
// highest rate, and as same-load otherwise. When a row has several
// results for one phase (repeated runs), its figures are the medians of
// the runs' own figures, as compare shows them; SameLoad and Saturation
// hold the latest run.
func Rows(rs []*results.Result) []Row {
	var order []string
	byKey := map[string]*Row{}
	for _, res := range rs {
		key, name := rowKey(res)
		row, ok := byKey[key]
		if !ok {
			row = &Row{Scenario: name, Transport: res.Transport}
			byKey[key] = row
			order = append(order, key)
		}
		phase := res.Phase
		switch {
		case phase != "":
		case res.Resilience != nil:
			// A run with faults, made outside a suite.
			phase = Resilience
		case res.Load.Mode == results.ClosedLoop || res.Search != nil:
			phase = Saturation
		default:
			phase = SameLoad
		}
		slot, runs := &row.SameLoad, &row.SameLoadRuns
		switch phase {
		case Saturation:
			slot, runs = &row.Saturation, &row.SaturationRuns
		case Resilience:
			slot, runs = &row.Resilience, &row.ResilienceRuns
		}
		*runs = append(*runs, res)
		if *slot == nil || res.StartedAt.After((*slot).StartedAt) {
			*slot = res
		}
	}
	rows := make([]Row, 0, len(order))
	for _, k := range order {
		rows = append(rows, *byKey[k])
	}
	return rows
}

func rowKey(res *results.Result) (key, name string) {
	if res.Scenario != "" {
		return "s\x00" + res.Scenario, res.Scenario
	}
	name = res.Transport
	if res.Label != "" {
		name += " " + res.Label
	}
	return "t\x00" + res.Transport + "\x00" + res.Label, name
}

// Loads describes the two phases' loads as found in the rows' results:
// the offered rates of the same-load phase and the worker counts of
// the saturation phase (normally one value each).
func Loads(rows []Row) (rates []float64, workers []int) {
	seenR, seenW := map[float64]bool{}, map[int]bool{}
	for _, r := range rows {
		for _, res := range r.sameLoadRuns() {
			if res.Load.Mode == results.OpenLoop && !seenR[res.Load.Rate] {
				seenR[res.Load.Rate] = true
				rates = append(rates, res.Load.Rate)
			}
		}
		for _, res := range r.saturationRuns() {
			if res.Load.Mode == results.ClosedLoop && !seenW[res.Load.Concurrency] {
				seenW[res.Load.Concurrency] = true
				workers = append(workers, res.Load.Concurrency)
			}
		}
	}
	sort.Float64s(rates)
	sort.Ints(workers)
	return rates, workers
}

// PhaseLine says in one line what the two phases were, and how repeated
// runs make one figure. Loads that differ between scenarios are said to
// differ: their figures are then not on equal terms.
func PhaseLine(rows []Row) string {
	rates, workers := Loads(rows)
	var parts []string
	switch {
	case len(rates) == 1:
		parts = append(parts, fmt.Sprintf("Latency and the first CPU/op figure at the same offered load: %s ops/s, open loop", results.FormatRate(rates[0])))
	case len(rates) > 1:
		rs := make([]string, len(rates))
		for i, r := range rates {
			rs[i] = results.FormatRate(r)
		}
		parts = append(parts, fmt.Sprintf("Latency and the first CPU/op figure at different offered loads (%s ops/s, open loop): the loads differ, so these latencies are not on equal terms", joinAnd(rs)))
	}
	switch {
	case searched(rows):
		parts = append(parts, "max ops/s: the highest open-loop rate sustained (99% of the due operations done, the backlog not growing"+p99Bound(rows)+") and the p99 of the main latency there, the second CPU/op figure at that rate")
	case len(workers) == 1:
		parts = append(parts, fmt.Sprintf("max ops/s and the second CPU/op figure at saturation: closed loop, %d workers", workers[0]))
	case len(workers) > 1:
		ws := make([]string, len(workers))
		for i, w := range workers {
			ws[i] = fmt.Sprint(w)
		}
		parts = append(parts, fmt.Sprintf("max ops/s and the second CPU/op figure at saturation: closed loop with different numbers of workers (%s)", joinAnd(ws)))
	}
	if line := PayloadLine(rows); line != "" {
		parts = append(parts, line)
	}
	if line := RepeatsLine(rows); line != "" {
		parts = append(parts, line)
	}
	if line := ResilienceLine(rows); line != "" {
		parts = append(parts, strings.ToLower(line[:1])+line[1:])
	}
	s := strings.Join(parts, "; ")
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// PayloadLine says whether every scenario carried the same payload size,
// and when not, which carried what: a mechanism comparison then mixes
// payload size in.
func PayloadLine(rows []Row) string {
	var parts []string
	sizes := map[int]bool{}
	for _, r := range rows {
		seen := map[int]bool{}
		var own []string
		for _, res := range r.allRuns() {
			if b := res.Load.PayloadBytes; !seen[b] {
				seen[b], sizes[b] = true, true
				own = append(own, results.FormatBytes(float64(b)))
			}
		}
		if len(own) > 0 {
			parts = append(parts, r.Mechanism()+" "+strings.Join(own, " and "))
		}
	}
	switch {
	case len(sizes) == 0:
		return ""
	case len(sizes) == 1:
		for b := range sizes {
			return "every scenario carried the same " + results.FormatBytes(float64(b)) + " payload"
		}
	}
	return "payloads differ (" + strings.Join(parts, ", ") + "), so payload size is mixed into the comparison; suite --same-payload (or payload: in the suite file) gives every scenario one payload"
}

// RepeatsLine says how repeated runs of a scenario make its figures ("" when
// every phase ran once).
func RepeatsLine(rows []Row) string {
	lo, hi := 0, 0
	for _, r := range rows {
		for _, n := range []int{len(r.sameLoadRuns()), len(r.saturationRuns())} {
			if n == 0 {
				continue
			}
			if lo == 0 || n < lo {
				lo = n
			}
			hi = max(hi, n)
		}
	}
	if hi < 2 {
		return ""
	}
	n := fmt.Sprint(hi)
	if lo != hi {
		n = fmt.Sprintf("%d to %d", lo, hi)
	}
	return fmt.Sprintf("each figure is the median of %s runs of its scenario and phase (of each run's own percentiles, as commsbench compare shows them); delivered counts add up over every run; timelines show the latest run", n)
}

// searched says whether every row that has a saturation phase searched
// for its highest sustainable rate (and one did).
func searched(rows []Row) bool {
	found := false
	for _, r := range rows {
		if len(r.saturationRuns()) == 0 {
			continue
		}
		if !r.Searched() {
			return false
		}
		found = true
	}
	return found
}

// p99Bound is ", the p99 within B" when the searches had one bound on
// the p99, "" otherwise.
func p99Bound(rows []Row) string {
	var bound int64 = -1
	for _, r := range rows {
		for _, res := range r.saturationRuns() {
			if res.Search == nil {
				continue
			}
			if bound >= 0 && res.Search.MaxP99NS != bound {
				return ", the p99 within a bound that differs between scenarios"
			}
			bound = res.Search.MaxP99NS
		}
	}
	if bound <= 0 {
		return ""
	}
	return ", the p99 within " + results.FormatNS(float64(bound))
}
