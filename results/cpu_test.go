package results_test

import (
	"testing"

	"github.com/commsbench/commsbench/results"
)

func TestCPUCostSaysWhoSpentIt(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name   string
		target results.Target
		res    results.Resources
		want   string
	}{
		// An embedded REST target: client and receiver are one process.
		{"embedded call", results.Target{Kind: results.TargetEmbedded}, results.Resources{CPUPerOpUS: 20, PeerNote: results.PeerInProcess},
			"client+receiver 20.0µs (one process) · total 20.0µs"},
		// An embedded target the run started in a process of its own.
		{"embedded call, own process", results.Target{Kind: results.TargetEmbedded, Process: results.ProcessChild}, results.Resources{CPUPerOpUS: 10, PeerCPUPerOpUS: f(12), PeerProcess: "commsbench (pid 9)"},
			"client 10.0µs · receiver 12.0µs (commsbench (pid 9)) · total 22.0µs"},
		{"embedded call, in-process", results.Target{Kind: results.TargetEmbedded, Process: results.ProcessShared}, results.Resources{CPUPerOpUS: 20, PeerNote: results.PeerInProcess},
			"client+receiver 20.0µs (one process) · total 20.0µs"},
		// An embedded NATS server in a process of its own: the broker apart.
		{"embedded broker, own process", results.Target{Kind: results.TargetEmbedded, Broker: "nats", Process: results.ProcessChild}, results.Resources{CPUPerOpUS: 30, PeerCPUPerOpUS: f(5), PeerProcess: "commsbench (pid 9)"},
			"client+receiver 30.0µs (one process) · broker 5.00µs (commsbench (pid 9)) · total 35.0µs"},
		// A receiver started apart on this machine is measured apart.
		{"local receiver", results.Target{Kind: results.TargetExternal}, results.Resources{CPUPerOpUS: 10, PeerCPUPerOpUS: f(15), PeerProcess: "commsbench (pid 7)"},
			"client 10.0µs · receiver 15.0µs (commsbench (pid 7)) · total 25.0µs"},
		// RabbitMQ on this machine: consumers run with the client, the broker apart.
		{"local broker", results.Target{Kind: results.TargetExternal, Broker: "rabbitmq"}, results.Resources{CPUPerOpUS: 12, PeerCPUPerOpUS: f(8), PeerProcess: "beam.smp (pid 2968)"},
			"client+receiver 12.0µs (one process) · broker 8.00µs (beam.smp (pid 2968)) · total 20.0µs"},
		// A remote broker cannot be counted: no total.
		{"remote broker", results.Target{Kind: results.TargetExternal, Broker: "rabbitmq"}, results.Resources{CPUPerOpUS: 12, PeerNote: "not measured: 10.1.2.3 is not this machine"},
			"client+receiver 12.0µs (one process) · broker not measured: 10.1.2.3 is not this machine · total unknown"},
		// The embedded Kafka broker runs in this process with everything else.
		{"embedded broker", results.Target{Kind: results.TargetEmbedded, Broker: "kfake"}, results.Resources{CPUPerOpUS: 30, PeerNote: results.PeerInProcess},
			"client+receiver+broker 30.0µs (one process) · total 30.0µs"},
		// A file written before the peer was measured.
		{"old file", results.Target{Kind: results.TargetExternal, Broker: "rabbitmq"}, results.Resources{CPUPerOpUS: 12},
			"client+receiver 12.0µs (one process) · broker not measured (a result written before it was) · total unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &results.Result{Target: tc.target, Resources: &tc.res}
			c, ok := r.CPUCost()
			if !ok {
				t.Fatal("no cost")
			}
			if got := c.String(); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, ok := (&results.Result{}).CPUCost(); ok {
		t.Error("a result without resources has a cost")
	}
}
