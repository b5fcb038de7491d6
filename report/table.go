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
	// SameLoad and Saturation are the scenario's results in each phase;
	// either may be nil (skipped, failed or not run).
	SameLoad   *results.Result
	Saturation *results.Result
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
	if r.SameLoad != nil {
		return r.SameLoad
	}
	return r.Saturation
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

func percentiles(res *results.Result, names ...string) (Percentiles, bool) {
	if res == nil {
		return Percentiles{}, false
	}
	for _, n := range names {
		if l := res.Latency[n]; l != nil && l.Count > 0 {
			return Percentiles{P50: float64(l.P50), P99: float64(l.P99), Name: n}, true
		}
	}
	return Percentiles{}, false
}

// CallerWaits is what the caller waited for at the same offered load: the
// response for sync and rpc, the broker's confirm for oneway and events.
func (r Row) CallerWaits() (Percentiles, bool) {
	switch r.Kind() {
	case Oneway, Event:
		return percentiles(r.SameLoad, results.Publish, results.Response)
	}
	return percentiles(r.SameLoad, results.Response)
}

// EndToEnd is the time from the intended send to delivery at the same
// offered load: the response for sync and rpc, a consumer's receipt for
// oneway and events.
func (r Row) EndToEnd() (Percentiles, bool) {
	switch r.Kind() {
	case Oneway, Event:
		return percentiles(r.SameLoad, results.EndToEnd)
	}
	return percentiles(r.SameLoad, results.Response)
}

// EndToEndLatency is the latency distribution behind EndToEnd.
func (r Row) EndToEndLatency() *results.Latency {
	p, ok := r.EndToEnd()
	if !ok {
		return nil
	}
	return r.SameLoad.Latency[p.Name]
}

// MaxOpsPerS is the throughput reached at saturation.
func (r Row) MaxOpsPerS() (float64, bool) {
	if r.Saturation == nil || r.Saturation.Throughput.OpsPerS <= 0 {
		return 0, false
	}
	return r.Saturation.Throughput.OpsPerS, true
}

// CPUPerOpUS is the commsbench process's CPU time per operation at the
// same offered load, in microseconds.
func (r Row) CPUPerOpUS() (float64, bool) {
	if r.SameLoad == nil || r.SameLoad.Resources == nil || r.SameLoad.Resources.CPUPerOpUS <= 0 {
		return 0, false
	}
	return r.SameLoad.Resources.CPUPerOpUS, true
}

// Delivery is the accounting of one phase.
type Delivery struct {
	// Received counts messages (or answers) that arrived; Expected is
	// what should have: sent, times the number of subscribing groups.
	Received, Expected int64
	Lost, Duplicates   int64
	Groups             int
	// Brokered is false for sync calls, whose "delivery" is the answer.
	Brokered bool
}

// Delivered is the accounting of both phases together.
func (r Row) Delivered() (Delivery, bool) {
	var d Delivery
	any := false
	for _, res := range []*results.Result{r.SameLoad, r.Saturation} {
		if res == nil {
			continue
		}
		any = true
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
	}
	return d, any
}

func (d Delivery) String() string {
	s := fmt.Sprintf("%d/%d", d.Received, d.Expected)
	if !d.Brokered {
		return s + " answered"
	}
	if d.Groups > 1 {
		s += fmt.Sprintf(" (%d groups)", d.Groups)
	}
	return s + fmt.Sprintf(", %d lost, %d dup", d.Lost, d.Duplicates)
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
	case r.SameLoadErr != "" || r.SaturationErr != "":
		return "partly failed"
	}
	return ""
}

// Rows groups results into the rows of a trade-off table: by scenario (or
// by transport and label for results made outside a suite), in the order
// first seen. A result without a phase counts as same-load when it was
// open loop and as saturation when closed loop. When a row has several
// results for one phase (repeated runs), the latest is shown.
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
		if phase == "" {
			phase = SameLoad
			if res.Load.Mode == results.ClosedLoop {
				phase = Saturation
			}
		}
		slot := &row.SameLoad
		if phase == Saturation {
			slot = &row.Saturation
		}
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
		if r.SameLoad != nil && r.SameLoad.Load.Mode == results.OpenLoop && !seenR[r.SameLoad.Load.Rate] {
			seenR[r.SameLoad.Load.Rate] = true
			rates = append(rates, r.SameLoad.Load.Rate)
		}
		if r.Saturation != nil && r.Saturation.Load.Mode == results.ClosedLoop && !seenW[r.Saturation.Load.Concurrency] {
			seenW[r.Saturation.Load.Concurrency] = true
			workers = append(workers, r.Saturation.Load.Concurrency)
		}
	}
	sort.Float64s(rates)
	sort.Ints(workers)
	return rates, workers
}

// PhaseLine says in one line what the two phases were.
func PhaseLine(rows []Row) string {
	rates, workers := Loads(rows)
	var parts []string
	if len(rates) > 0 {
		var rs []string
		for _, r := range rates {
			rs = append(rs, results.FormatRate(r))
		}
		parts = append(parts, fmt.Sprintf("Latency and CPU at the same offered load: %s ops/s, open loop", strings.Join(rs, " and ")))
	}
	if len(workers) > 0 {
		var ws []string
		for _, w := range workers {
			ws = append(ws, fmt.Sprint(w))
		}
		parts = append(parts, fmt.Sprintf("max ops/s at saturation: closed loop, %s workers", strings.Join(ws, " and ")))
	}
	return strings.Join(parts, "; ")
}
