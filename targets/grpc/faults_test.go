package grpctarget

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
)

func runFaults(t *testing.T, cfg Config, o bench.Options, specs ...string) *results.Result {
	t.Helper()
	for _, s := range specs {
		o.Faults = append(o.Faults, fault.MustParse(s))
	}
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(context.Background(), w, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resilience == nil || len(res.Faults) != len(specs) {
		t.Fatalf("resilience %+v, faults %+v", res.Resilience, res.Faults)
	}
	for _, f := range res.Faults {
		if f.Error != "" {
			t.Fatalf("fault %s: %s", f.Spec, f.Error)
		}
	}
	return res
}

// The embedded target down for 2 s at 500 calls/s: about 1000 calls fail
// while it is down, none before. After it, gRPC's reconnect backoff may
// keep a connection failing for a while: that shows in the after phase
// and the recovery time, and is reported, not asserted away.
func TestDown(t *testing.T) {
	for _, mode := range []string{ModeUnary, ModeStream} {
		t.Run(mode, func(t *testing.T) {
			const rate = 500
			res := runFaults(t, Config{Mode: mode, Connections: 2, PayloadBytes: 256}, bench.Options{
				Rate: rate, Concurrency: 100, Duration: 6 * time.Second, Warmup: 300 * time.Millisecond, Timeout: 2 * time.Second,
			}, "down@1500ms+2s")
			rs := res.Resilience
			t.Logf("before %d ok %d failed; during %d ok %d failed %v; after %d ok %d failed %v; recovery %v",
				rs.Before.OK, rs.Before.Errors, rs.During.OK, rs.During.Errors, rs.During.ErrorClasses, rs.After.OK, rs.After.Errors, rs.After.ErrorClasses, rs.RecoveryS)
			if want := 2.0 * rate; math.Abs(float64(rs.During.Errors)-want) > 0.15*want {
				t.Errorf("%d calls failed during the window, want %v ±15%%", rs.During.Errors, want)
			}
			if rs.Before.Errors != 0 {
				t.Errorf("%d calls failed before the window", rs.Before.Errors)
			}
			// A call cut in flight is UNAVAILABLE; one that finds its
			// connection refused on reconnecting is classed by that cause.
			unavailable := rs.During.ErrorClasses["grpc_unavailable"]
			for class, n := range rs.During.ErrorClasses {
				if bench.Unreached(class) {
					unavailable += n
				}
			}
			if unavailable == 0 {
				t.Errorf("no call was unavailable or refused while the target was down: %v", rs.During.ErrorClasses)
			}
			// The recovery time also needs the p99 back within twice its
			// value before, which a loaded test machine may not grant: the
			// test asks only that calls succeed again, every one of the last second.
			if last := res.Timeline[len(res.Timeline)-1]; rs.After.OK == 0 || last.Errors > 0 {
				t.Errorf("the target never answered again: %d ok after, last second %+v", rs.After.OK, last)
			}
		})
	}
}

// A fault that adds latency for a second: calls completing then take that
// much longer, and only then; no call fails.
func TestAddedLatency(t *testing.T) {
	for _, c := range []struct {
		spec  string
		proxy bool
		enc   messages.Encoding
		added time.Duration
	}{
		{"slow@1s+1s,delay=20ms", false, messages.Raw, 20 * time.Millisecond},     // in the server
		{"network@1s+1s,latency=30ms", true, messages.Raw, 30 * time.Millisecond}, // on the path, through the proxy
		// Typed orders go to another service of the same server: the
		// slow fault's interceptor must hold them too.
		{"slow@1s+1s,delay=20ms", false, messages.Protobuf, 20 * time.Millisecond},
	} {
		t.Run(c.spec+" "+string(c.enc), func(t *testing.T) {
			res := runFaults(t, Config{Mode: ModeUnary, PayloadBytes: 64, NetProxy: c.proxy, Encoding: c.enc, Items: 3}, bench.Options{
				Rate: 200, Concurrency: 50, Duration: 3 * time.Second, Warmup: 200 * time.Millisecond, Timeout: 2 * time.Second,
			}, c.spec)
			rs := res.Resilience
			before, during := rs.Before.Latency[results.Response], rs.During.Latency[results.Response]
			if res.Counts.Errors != 0 || during.P50 < int64(c.added) || during.P50-before.P50 < int64(c.added*3/4) {
				t.Errorf("%d errors; p50 before %v, during %v: want none, and %v more during the window only",
					res.Counts.Errors, time.Duration(before.P50), time.Duration(during.P50), c.added)
			}
		})
	}
}
