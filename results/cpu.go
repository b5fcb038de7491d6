package results

import (
	"fmt"
	"strings"
)

// PeerInProcess is Resources.PeerNote when the target listens in this
// process: an embedded target or broker, whose CPU is in the process's.
const PeerInProcess = "in this process"

// CPUCost is a run's CPU time per operation, in microseconds, split by who
// spent it. A mechanism's cost is client + receiver + broker; where two of
// them ran in one process, one figure covers both and Shared says which.
type CPUCost struct {
	// Process is this process's figure: the client, and whatever ran
	// inside it (Shared).
	Process float64
	// Shared names what Process covers: "client", "client+receiver" or
	// "client+receiver+broker".
	Shared string
	// Receiver and Broker are measured apart, when they ran in another
	// process on this machine; nil otherwise (see In and Why).
	Receiver, Broker *float64
	// ReceiverWhy and BrokerWhy say why a part has no figure of its own:
	// "with the client" (in this process), "none" (a call has no broker),
	// or "not measured: …".
	ReceiverWhy, BrokerWhy string
	// Total is the sum, when every part is measured.
	Total *float64
	// PeerProcess names the other process measured, such as "beam.smp (pid 2968)".
	PeerProcess string
}

// CPUCost splits r's CPU per operation; ok is false when r has no CPU
// figure at all. Brokered runs consume in this process, so their client
// and receiver share it; an embedded broker (the event transport's kfake)
// shares it too. A call to an embedded target shares it with the receiver,
// unless the target ran in a process of its own (Target.Process).
func (r *Result) CPUCost() (CPUCost, bool) {
	res := r.Resources
	if res == nil || res.CPUPerOpUS <= 0 {
		return CPUCost{}, false
	}
	c := CPUCost{Process: res.CPUPerOpUS, Shared: "client"}
	peer, peerWhy := res.PeerCPUPerOpUS, res.PeerNote
	if peer == nil && peerWhy == "" {
		peerWhy = "not measured (a result written before it was)"
	}
	inProcess := r.Target.SharesProcess() || peerWhy == PeerInProcess
	const withClient = "with the client"
	if r.Target.Broker != "" {
		c.Shared, c.ReceiverWhy = "client+receiver", withClient
		switch {
		case inProcess:
			c.Shared, c.BrokerWhy = "client+receiver+broker", withClient
		case peer != nil:
			c.Broker = peer
		default:
			c.BrokerWhy = peerWhy
		}
	} else {
		c.BrokerWhy = "none"
		switch {
		case inProcess:
			c.Shared, c.ReceiverWhy = "client+receiver", withClient
		case peer != nil:
			c.Receiver = peer
		default:
			c.ReceiverWhy = peerWhy
		}
	}
	if peer != nil {
		c.PeerProcess = res.PeerProcess
	}
	if c.Receiver != nil || c.Broker != nil || inProcess {
		t := c.Process
		if peer != nil {
			t += *peer
		}
		c.Total = &t
	}
	return c, true
}

// String is the cost as one line: "client+receiver 12.0µs (one process) ·
// broker 8.00µs (beam.smp (pid 2968)) · total 20.0µs".
func (c CPUCost) String() string {
	us := func(v float64) string { return FormatNS(v * 1e3) }
	var parts []string
	proc := c.Shared + " " + us(c.Process)
	if strings.Contains(c.Shared, "+") {
		proc += " (one process)"
	}
	parts = append(parts, proc)
	for _, p := range []struct {
		name string
		v    *float64
		why  string
	}{{"receiver", c.Receiver, c.ReceiverWhy}, {"broker", c.Broker, c.BrokerWhy}} {
		switch {
		case p.v != nil:
			parts = append(parts, fmt.Sprintf("%s %s (%s)", p.name, us(*p.v), c.PeerProcess))
		case p.why != "with the client" && p.why != "none":
			parts = append(parts, p.name+" "+p.why)
		}
	}
	if c.Total != nil {
		parts = append(parts, "total "+us(*c.Total))
	} else {
		parts = append(parts, "total unknown")
	}
	return strings.Join(parts, " · ")
}
