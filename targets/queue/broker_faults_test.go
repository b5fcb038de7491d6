package queue

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// brokerRun runs a one-way run with confirms against the local broker
// with the given faults.
func brokerRun(t *testing.T, name string, rate float64, cfg Config, faults ...string) *results.Result {
	return brokerRunFor(t, name, rate, 4*time.Second, cfg, faults...)
}

// brokerRunFor is brokerRun, measuring for d.
func brokerRunFor(t *testing.T, name string, rate float64, d time.Duration, cfg Config, faults ...string) *results.Result {
	t.Helper()
	var fs []fault.Fault
	for _, s := range faults {
		fs = append(fs, fault.MustParse(s))
	}
	cfg.URL = testBroker(t)
	cfg.RunID = name + "-" + randSuffix()
	cfg.Confirm, cfg.OpenLoop = true, true
	cfg.Reconnect = reconnects(fs)
	cfg.NetProxy = !transportHasRestart(fs)
	if cfg.Producers == 0 {
		cfg.Producers, cfg.Consumers = 2, 2
	}
	cfg.Prefetch, cfg.PayloadBytes = 100, 128
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 15 * time.Second
	}
	_, res, err := runWorkload(t, cfg, bench.Options{
		Rate: rate, Concurrency: 200, Duration: d, Warmup: 300 * time.Millisecond, Timeout: 8 * time.Second,
		Faults: fs,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resilience == nil || len(res.Faults) != len(fs) {
		t.Fatalf("resilience %+v, faults %+v", res.Resilience, res.Faults)
	}
	for _, f := range res.Faults {
		if f.Error != "" {
			t.Fatalf("fault %s: %s", f.Spec, f.Error)
		}
	}
	return res
}

func transportHasRestart(fs []fault.Fault) bool {
	for _, f := range fs {
		if f.Kind == fault.BrokerRestart {
			return true
		}
	}
	return false
}

// Every connection to the broker cut for 1.5 s at 200 messages/s: the
// producers reconnect and publish again what was not confirmed, the
// consumers come back, and no confirmed message is lost. Publishing again
// may duplicate: duplicates are counted, never hidden, and every one of
// them is a message received more than once.
func TestBrokerDownLosesNothingConfirmed(t *testing.T) {
	const rate = 200
	res := brokerRun(t, "test-broker-down", rate, Config{}, "broker-down@1s+1500ms")
	d, rs := res.Counts.Delivery, res.Resilience
	if d.Lost != 0 || rs.Lost != 0 {
		t.Errorf("lost %d: no confirmed message may be lost (%+v)", d.Lost, *d)
	}
	if d.Outstanding != 0 || d.Confirmed < res.Counts.Sent*95/100 {
		t.Errorf("sent %d, confirmed %d, outstanding %d: the client publishes again until the broker confirms", res.Counts.Sent, d.Confirmed, d.Outstanding)
	}
	if d.Received != d.Confirmed {
		t.Errorf("confirmed %d, received %d (first receipts)", d.Confirmed, d.Received)
	}
	if rs.Duplicates != d.Duplicates {
		t.Errorf("resilience duplicates %d, delivery %d", rs.Duplicates, d.Duplicates)
	}
	if len(rs.Findings) == 0 || !strings.Contains(rs.Findings[0], "published after the reconnection") {
		t.Errorf("findings %q: want the recovery told", rs.Findings)
	}
	// The publishes due during the window waited for the broker.
	if p := rs.During.Latency[results.Publish]; p == nil || p.Max < int64(time.Second) {
		t.Errorf("publish latency during the window %+v: the outage must show as latency", p)
	}
	peak := rs.During.BacklogPeak
	t.Logf("sent %d confirmed %d received %d duplicates %d redelivered %d; during: ok %d errors %d %v; backlog peak %v; recovery %v; %s",
		res.Counts.Sent, d.Confirmed, d.Received, d.Duplicates, d.Redelivered, rs.During.OK, rs.During.Errors, rs.During.ErrorClasses, deref(peak), deref(rs.RecoveryS), rs.Findings)
}

// A latency toxic of 50 ms on the path from the broker: each confirm
// arrives about 50 ms later during the window (at least that, and a loose
// upper bound for a loaded machine).
func TestBrokerNetworkLatencyDelaysConfirms(t *testing.T) {
	res := brokerRun(t, "test-broker-latency", 100, Config{Producers: 1, Consumers: 1}, "network@1s+2s,latency=50ms")
	rs := res.Resilience
	before, during := rs.Before.Latency[results.Publish], rs.During.Latency[results.Publish]
	if before == nil || during == nil {
		t.Fatalf("publish latency before %+v, during %+v", before, during)
	}
	// The baseline is the quieter of the seconds around the window: a
	// loaded machine stalls in one of them now and then.
	base := before.P50
	if after := rs.After.Latency[results.Publish]; after != nil && after.Count > 0 {
		base = min(base, after.P50)
	}
	rise := time.Duration(during.P50 - base)
	if rise < 40*time.Millisecond || rise > 500*time.Millisecond {
		t.Errorf("publish p50 before %v, during %v: want about 50 ms more", time.Duration(before.P50), time.Duration(during.P50))
	}
	if d := res.Counts.Delivery; d.Lost != 0 || d.Duplicates != 0 {
		t.Errorf("accounting %+v", *d)
	}
	t.Logf("publish p50 before %v during %v after %v", time.Duration(before.P50), time.Duration(during.P50), time.Duration(rs.After.Latency[results.Publish].P50))
}

// A real restart of the local RabbitMQ (rabbitmqctl stop_app, start_app)
// for a moment: a durable queue with persistent messages loses nothing
// confirmed, and a transient queue is dropped with what it held. Other
// work may share the broker, so this runs only when asked for
// (COMMSBENCH_RABBITMQ_RESTART=1) and starts the broker again whatever
// happens.
func TestBrokerRestart(t *testing.T) {
	if os.Getenv("COMMSBENCH_RABBITMQ_RESTART") != "1" {
		t.Skip("restarts the local RabbitMQ: set COMMSBENCH_RABBITMQ_RESTART=1")
	}
	ctl, err := exec.LookPath("rabbitmqctl")
	if err != nil {
		t.Skip("no rabbitmqctl")
	}
	testBroker(t)
	t.Cleanup(func() {
		if out, err := exec.Command(ctl, "start_app").CombinedOutput(); err != nil {
			t.Errorf("rabbitmqctl start_app: %v: %s", err, out)
		}
		_ = exec.Command(ctl, "await_startup").Run()
	})
	// rabbitmqctl starts an Erlang node for each command, which takes
	// seconds on a loaded machine: the runs last long enough for the
	// broker to be stopped and started within them.
	durable := brokerRunFor(t, "test-restart-durable", 100, 20*time.Second, Config{Persistent: true, Rabbitmqctl: ctl}, "broker-restart@1s+1s")
	_ = exec.Command(ctl, "await_startup").Run()
	// A consumer slower than the rate holds a backlog in the queue when the
	// broker stops.
	transient := brokerRunFor(t, "test-restart-transient", 60, 20*time.Second, Config{Rabbitmqctl: ctl, Consumers: 1, Producers: 1, Work: 20 * time.Millisecond, DrainTimeout: 10 * time.Second}, "broker-restart@1s+1s")
	dd, td := durable.Counts.Delivery, transient.Counts.Delivery
	if dd.Lost != 0 {
		t.Errorf("durable queue, persistent messages: %d confirmed messages lost", dd.Lost)
	}
	if td.Lost == 0 {
		t.Errorf("transient queue behind a slow consumer: none of what waited in it was lost (%+v)", *td)
	}
	for _, r := range []*results.Result{durable, transient} {
		f := r.Resilience.Findings
		if len(f) < 2 || !strings.Contains(f[len(f)-1], "restarted") {
			t.Errorf("findings %q: want what the restart kept", f)
		}
		t.Logf("%+v; recovery %v; %s", *r.Counts.Delivery, deref(r.Resilience.RecoveryS), f)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
