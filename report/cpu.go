package report

import (
	"strings"

	"github.com/commsbench/commsbench/results"
)

// cpuPart picks one part of a run's CPU cost: its figure in µs per
// operation, or why it has none.
type cpuPart func(c results.CPUCost) (v float64, ok bool, why string)

var (
	cpuClient cpuPart = func(c results.CPUCost) (float64, bool, string) { return c.Process, true, "" }
	cpuRecv   cpuPart = func(c results.CPUCost) (float64, bool, string) { return deref(c.Receiver, c.ReceiverWhy) }
	cpuBroker cpuPart = func(c results.CPUCost) (float64, bool, string) { return deref(c.Broker, c.BrokerWhy) }
	cpuTotal  cpuPart = func(c results.CPUCost) (float64, bool, string) { return deref(c.Total, "unknown") }
)

func deref(v *float64, why string) (float64, bool, string) {
	if v == nil {
		return 0, false, why
	}
	return *v, true, ""
}

// cpuPhase is the median of one part over a phase's runs; why is the
// first run's reason when the part has no figure.
func cpuPhase(runs []*results.Result, part cpuPart) (v float64, ok bool, why string) {
	why = "-"
	v, ok = median(runs, func(res *results.Result) (float64, bool) {
		c, ok := res.CPUCost()
		if !ok {
			return 0, false
		}
		x, ok, w := part(c)
		if !ok && why == "-" {
			why = w
		}
		return x, ok
	})
	return v, ok, why
}

// CPUCell is one CPU/op column of the table: the same-load and the
// saturation figure ("12.0µs / 5.10µs"), or why the part has none, in
// short ("with client", "none", "not measured").
func (r Row) CPUCell(part cpuPart) string {
	var figs []string
	for _, runs := range [][]*results.Result{r.sameLoadRuns(), r.saturationRuns()} {
		v, ok, why := cpuPhase(runs, part)
		switch {
		case ok:
			figs = append(figs, results.FormatNS(v*1e3))
		case why == "with the client":
			figs = append(figs, "with client")
		case strings.HasPrefix(why, "not measured"):
			figs = append(figs, "not measured")
		default:
			figs = append(figs, why)
		}
	}
	if figs[0] == figs[1] && !strings.HasSuffix(figs[0], "s") {
		return figs[0]
	}
	return strings.Join(figs, " / ")
}

// cpuShared says, for the client column, what else ran in this process.
func (r Row) cpuShared() string {
	for _, res := range r.allRuns() {
		if c, ok := res.CPUCost(); ok && c.Shared != "client" {
			return " (" + strings.TrimPrefix(c.Shared, "client+") + " too)"
		}
	}
	return ""
}
