package report

import (
	"time"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/registry"
)

// latency makes a deterministic distribution whose median is p50 and
// whose 99th percentile is p99: 40% at half the median, 58% at the
// median, 1% at p99 and 1% beyond.
func latency(p50, p99 int64, n int) *results.Latency {
	h := results.NewHistogram()
	hundredths := int64(n / 100)
	rest := int64(n) - 100*hundredths
	_ = h.RecordValues(p50/2, 40*hundredths)
	_ = h.RecordValues(p50, 58*hundredths+rest)
	_ = h.RecordValues(p99, hundredths)
	_ = h.RecordValues(p99*3/2, hundredths)
	return results.MustLatency(h)
}

// fixture is one synthetic result of a suite run.
type fixture struct {
	scenario, transport, phase string
	opts                       map[string]any
	opsPerS                    float64
	respP50, respP99           int64 // response (sync, rpc) or publish (oneway, event)
	e2eP50, e2eP99             int64 // end to end; 0 for calls
	groups                     int
	cpuUS                      float64
	target                     results.Target
	lost, dup, errors          int64
}

var fixtureStart = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func (f fixture) result() *results.Result {
	const dur = 3
	n := int(f.opsPerS * dur)
	res := &results.Result{
		Schema:    results.SchemaVersion,
		Tool:      results.Tool{Name: "commsbench", Version: "v0.1.0", Commit: "abc123def456"},
		Transport: f.transport,
		Scenario:  f.scenario,
		Phase:     f.phase,
		Label:     f.scenario + "/" + f.phase,
		Command:   "commsbench suite microservices --duration 3s",
		StartedAt: fixtureStart,
		DurationS: dur,
		Target:    f.target,
		Env:       results.Env{GoVersion: "go1.26.8", GOMAXPROCS: 2, NumCPU: 2, OS: "linux", Arch: "amd64", CPUModel: "Test CPU @ 2.0GHz", Hostname: "bench-host"},
		Options:   f.opts,
		Counts:    results.Counts{Sent: int64(n), OK: int64(n) - f.errors, Errors: f.errors},
		Errors:    map[string]int64{},
		Latency:   map[string]*results.Latency{},
		Throughput: results.Throughput{
			OpsPerS: f.opsPerS, BytesPerS: f.opsPerS * 500,
		},
		Resources: &results.Resources{CPUPerOpUS: f.cpuUS},
	}
	if f.errors > 0 {
		res.Errors["timeout"] = f.errors
	}
	switch {
	case f.target.Broker == "rabbitmq":
		// RabbitMQ on this machine, its CPU read from /proc.
		broker := f.cpuUS / 2
		res.Resources.PeerCPUPerOpUS, res.Resources.PeerProcess = &broker, "beam.smp (pid 100)"
	case f.target.Kind == results.TargetEmbedded:
		res.Resources.PeerNote = results.PeerInProcess
	}
	if f.phase == SameLoad {
		res.Load = results.Load{Mode: results.OpenLoop, Rate: 1000, Concurrency: 1000, PayloadBytes: 500, WarmupS: 1, DurationS: dur}
		res.Throughput.RequestedOpsPerS = 1000
	} else {
		res.Load = results.Load{Mode: results.ClosedLoop, Concurrency: 16, PayloadBytes: 500, WarmupS: 1, DurationS: dur}
	}
	main := results.Response
	if f.e2eP50 > 0 {
		main = results.Publish
		res.Latency[results.EndToEnd] = latency(f.e2eP50, f.e2eP99, n)
		groups := max(f.groups, 1)
		res.Counts.Delivery = &results.Delivery{Confirmed: int64(n), Received: int64(n*groups) - f.lost + f.dup, Lost: f.lost, Duplicates: f.dup}
		for g := 0; g < f.groups; g++ {
			res.Subscribers = append(res.Subscribers, results.Subscriber{Group: []string{"payment", "email"}[g%2], Received: int64(n), EndToEnd: latency(f.e2eP50, f.e2eP99, n)})
		}
	}
	res.Latency[main] = latency(f.respP50, f.respP99, n)
	for s := 0; s < dur+1; s++ {
		p := results.TimelinePoint{TS: float64(s), Ops: int64(f.opsPerS) + int64(s*7), P50NS: f.respP50, P99NS: f.respP99 + int64(s)*f.respP99/10}
		res.Timeline = append(res.Timeline, p)
	}
	if f.transport == "event" {
		res.Notes = []string{"the embedded broker keeps every message in memory: these numbers measure the client and the protocol, not a production Kafka's disks and replication"}
	}
	return res
}

func fixtureRows() []Row {
	rabbit := results.Target{Kind: results.TargetExternal, Broker: "rabbitmq", BrokerVersion: "3.12.1", Address: "amqp://guest:xxxxx@127.0.0.1:5672/"}
	kfake := results.Target{Kind: results.TargetEmbedded, Broker: "kfake (embedded, in-memory)"}
	echo := results.Target{Kind: results.TargetEmbedded, Address: "http://127.0.0.1:40000"}
	var rs []*results.Result
	for _, f := range []fixture{
		{scenario: "order-payment-rest", transport: "rest", phase: SameLoad, opts: map[string]any{"http2": false}, opsPerS: 1000, respP50: 120_000, respP99: 310_000, cpuUS: 48, target: echo},
		{scenario: "order-payment-rest", transport: "rest", phase: Saturation, opts: map[string]any{"http2": false}, opsPerS: 18_200, respP50: 800_000, respP99: 2_100_000, cpuUS: 60, target: echo},
		{scenario: "user-auth-grpc", transport: "grpc", phase: SameLoad, opts: map[string]any{"grpc_mode": "unary"}, opsPerS: 1000, respP50: 95_000, respP99: 210_000, cpuUS: 31, target: echo},
		{scenario: "user-auth-grpc", transport: "grpc", phase: Saturation, opts: map[string]any{"grpc_mode": "unary"}, opsPerS: 25_300, respP50: 600_000, respP99: 1_500_000, cpuUS: 40, target: echo},
		{scenario: "order-inventory-queue", transport: "queue", phase: SameLoad, opts: map[string]any{"mode": "oneway"}, opsPerS: 1000, respP50: 410_000, respP99: 1_200_000, e2eP50: 2_100_000, e2eP99: 4_000_000, cpuUS: 35, target: rabbit},
		{scenario: "order-inventory-queue", transport: "queue", phase: Saturation, opts: map[string]any{"mode": "oneway"}, opsPerS: 9_100, respP50: 1_700_000, respP99: 5_000_000, e2eP50: 3_000_000, e2eP99: 9_000_000, cpuUS: 30, target: rabbit},
		{scenario: "order-inventory-queue-rpc", transport: "queue", phase: SameLoad, opts: map[string]any{"mode": "rpc"}, opsPerS: 1000, respP50: 650_000, respP99: 1_900_000, cpuUS: 52, target: rabbit},
		{scenario: "order-inventory-queue-rpc", transport: "queue", phase: Saturation, opts: map[string]any{"mode": "rpc"}, opsPerS: 7_400, respP50: 2_100_000, respP99: 6_000_000, cpuUS: 50, target: rabbit, errors: 3},
		{scenario: "order-placed-event", transport: "event", phase: SameLoad, opts: map[string]any{"subscribers": 2}, opsPerS: 1000, respP50: 1_300_000, respP99: 3_400_000, e2eP50: 1_900_000, e2eP99: 4_600_000, groups: 2, cpuUS: 70, target: kfake},
		{scenario: "order-placed-event", transport: "event", phase: Saturation, opts: map[string]any{"subscribers": 2}, opsPerS: 40_000, respP50: 3_000_000, respP99: 8_000_000, e2eP50: 6_000_000, e2eP99: 20_000_000, groups: 2, cpuUS: 20, target: kfake},
	} {
		rs = append(rs, f.result())
	}
	rows := append(Rows(rs), Row{Scenario: "order-inventory-quorum", Transport: "queue", Skipped: "no RabbitMQ answers at amqp://guest:xxxxx@127.0.0.1:1/ (connection refused)", Fix: "start one with 'rabbitmq-server -detached', or point COMMSBENCH_AMQP_URL at one"})
	Describe(rows, describeByRegistry)
	return rows
}

// describeByRegistry names mechanisms as the transports do, as the
// commands do with the rows they make.
func describeByRegistry(t string, r *results.Result) Mechanism {
	tr, ok := registry.Lookup(t)
	if !ok {
		return Mechanism{}
	}
	m := tr.Describe(r)
	return Mechanism{Name: m.Name, Prose: m.Prose, Kind: Kind(m.Kind)}
}
