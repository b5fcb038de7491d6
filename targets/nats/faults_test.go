package nats

import (
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// faultRun runs cfg with faults at rate for 4 s.
func faultRun(t *testing.T, cfg Config, rate float64, specs ...string) *results.Result {
	t.Helper()
	var fs []fault.Fault
	for _, s := range specs {
		fs = append(fs, fault.MustParse(s))
	}
	cfg.BrokerFaults = cfg.BrokerFaults || strings.Contains(strings.Join(specs, " "), "broker-down") || strings.Contains(strings.Join(specs, " "), "network")
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	res, _ := run(t, cfg, bench.Options{
		Rate: rate, Concurrency: 200, Duration: 4 * time.Second, Warmup: 300 * time.Millisecond, Timeout: 8 * time.Second,
		Faults: fs,
	})
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

// Every connection to the server cut for 1.5 s at 200 messages/s in
// JetStream mode, on the embedded server and on the local one: the
// publishers reconnect and publish again what got no PubAck, the consumers
// resume, and no acknowledged message is lost; copies count as duplicates.
func TestBrokerDownJetStream(t *testing.T) {
	for _, where := range []string{"embedded", "local"} {
		t.Run(where, func(t *testing.T) {
			cfg := Config{Mode: ModeJetStream, Consumers: 2, Storage: StorageFile}
			if where == "local" {
				cfg.URL = localServer(t)
			}
			res := faultRun(t, cfg, 200, "broker-down@1s+1500ms")
			d, rs := res.Counts.Delivery, res.Resilience
			if d.Lost != 0 || rs.Lost != 0 {
				t.Errorf("lost %d: no acknowledged message may be lost (%+v)", d.Lost, *d)
			}
			if d.Confirmed < res.Counts.Sent*95/100 || d.Received != d.Confirmed {
				t.Errorf("sent %d, confirmed %d, received %d", res.Counts.Sent, d.Confirmed, d.Received)
			}
			if rs.Duplicates != d.Duplicates {
				t.Errorf("resilience duplicates %d, delivery %d", rs.Duplicates, d.Duplicates)
			}
			if len(rs.Findings) == 0 {
				t.Error("no finding: want the reconnection told")
			}
			if p := rs.During.Latency[results.Publish]; p == nil || p.Max < int64(time.Second) {
				t.Errorf("publish latency during the window %+v: the outage must show as latency", p)
			}
			t.Logf("sent %d confirmed %d received %d duplicates %d redelivered %d; during ok %d errors %d %v; backlog peak %v; recovery %v; %s",
				res.Counts.Sent, d.Confirmed, d.Received, d.Duplicates, d.Redelivered, rs.During.OK, rs.During.Errors, rs.During.ErrorClasses, deref(rs.During.BacklogPeak), deref(rs.RecoveryS), rs.Findings)
		})
	}
}

// A latency toxic of 50 ms between the publishers and the server: each
// PubAck arrives about 50 ms later during the window (at least that, and a
// loose upper bound for a loaded machine).
func TestNetworkLatencyJetStream(t *testing.T) {
	res := faultRun(t, Config{Mode: ModeJetStream, Consumers: 1, Storage: StorageMemory}, 100, "network@1s+2s,latency=50ms")
	rs := res.Resilience
	before, during := rs.Before.Latency[results.Publish], rs.During.Latency[results.Publish]
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
}

// The responders down for 1 s at 200 requests/s: requests due in the
// window find no responders, and none outside it fails.
func TestRespondersDown(t *testing.T) {
	res := faultRun(t, Config{Mode: ModeRequest, Consumers: 2, DrainTimeout: time.Second}, 200, "down@1s+1s")
	rs := res.Resilience
	if rs.Before.Errors != 0 || rs.After.Errors != 0 {
		t.Errorf("errors before %d, after %d: want none outside the window", rs.Before.Errors, rs.After.Errors)
	}
	if n := rs.During.ErrorClasses[ClassNoResponders]; n < 150 || n > 250 {
		t.Errorf("no-responders errors during the window %d (%v), want about 200", n, rs.During.ErrorClasses)
	}
}

// The JetStream consumers down for 1.5 s: the messages wait in the stream
// and nothing is lost; slowed, they take the delay longer per message.
func TestConsumersDownAndSlowJetStream(t *testing.T) {
	res := faultRun(t, Config{Mode: ModeJetStream, Consumers: 1, Storage: StorageMemory}, 200, "down@1s+1500ms")
	rs, d := res.Resilience, res.Counts.Delivery
	if d.Lost != 0 || d.Received != d.Confirmed {
		t.Errorf("accounting %+v", *d)
	}
	if e2e := rs.During.Latency[results.EndToEnd]; e2e != nil && e2e.Count > 0 {
		t.Logf("end-to-end during %v", time.Duration(e2e.Max))
	}
	if p := rs.During.BacklogPeak; p == nil || *p < 200 {
		t.Errorf("backlog peak during the window %v, want about 300 (1.5 s at 200/s)", deref(p))
	}

	slow := faultRun(t, Config{Mode: ModeRequest, Consumers: 1}, 50, "slow@1s+2s,delay=20ms")
	before, during := slow.Resilience.Before.Latency[results.Response], slow.Resilience.During.Latency[results.Response]
	if during.P50-before.P50 < int64(15*time.Millisecond) {
		t.Errorf("response p50 before %v, during %v: want 20 ms more", time.Duration(before.P50), time.Duration(during.P50))
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
