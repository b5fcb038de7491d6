package nats

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// localURL is the NATS server with JetStream these machines run.
const localURL = "nats://127.0.0.1:4222"

// runID names a test's run after the test and the moment, so that runs
// on a shared server do not meet.
func runID(t *testing.T) string {
	name := strings.NewReplacer("/", "-", " ", "-", "=", "-").Replace(t.Name())
	return fmt.Sprintf("t%d-%s-%d", os.Getpid(), name, time.Now().UnixNano())
}

// run drives cfg's workload through the engine and checks what every run
// must satisfy: the result is valid and the accounting adds up.
func run(t *testing.T, cfg Config, o bench.Options) (*results.Result, *Workload) {
	t.Helper()
	if cfg.RunID == "" {
		cfg.RunID = runID(t)
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	cfg.OpenLoop = o.Rate > 0
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := bench.Run(ctx, w, o)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	res.Transport = "nats"
	if err := res.Validate(); err != nil {
		t.Fatalf("result: %v", err)
	}
	d := res.Counts.Delivery
	if d == nil {
		t.Fatal("no delivery accounting")
	}
	receivers := int64(max(len(w.ledger.receivers), 1))
	if got := d.Received + d.Lost + d.Outstanding; len(w.ledger.receivers) > 0 && got != res.Counts.Sent*receivers {
		t.Errorf("received %d + lost %d + outstanding %d = %d, want sent %d × %d receivers", d.Received, d.Lost, d.Outstanding, got, res.Counts.Sent, receivers)
	}
	return res, w
}

func latencyCount(r *results.Result, name string) int64 {
	if l := r.Latency[name]; l != nil {
		return l.Count
	}
	return -1
}

// TestModesEmbedded runs every mode on the embedded server and checks its
// accounting and latencies.
func TestModesEmbedded(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		o    bench.Options
		// lossless: every message reached every receiver.
		lossless  bool
		operation string
		receivers int
	}{
		// Request-reply, closed loop: every request answered and received.
		{"request", Config{Mode: ModeRequest, Consumers: 2}, bench.Options{Requests: 2000}, true, results.Response, 1},
		// Two publishers, open loop.
		{"request/open", Config{Mode: ModeRequest, Consumers: 1, Publishers: 2}, bench.Options{Rate: 4000, Duration: 300 * time.Millisecond}, true, results.Response, 1},
		// Fan-out to three subscriptions at a rate they keep up with.
		{"publish/fan-out", Config{Mode: ModePublish, Subscribers: 3}, bench.Options{Rate: 10000, Duration: 300 * time.Millisecond}, true, results.Publish, 3},
		// One queue group shares the messages.
		// Publishing alone: nobody receives, the flush vouches for all.
		{"publish/alone", Config{Mode: ModePublish, Subscribers: 0}, bench.Options{Requests: 5000}, true, results.Publish, 0},
		{"publish/queue-group", Config{Mode: ModePublish, Subscribers: 3, QueueGroup: true}, bench.Options{Rate: 10000, Duration: 300 * time.Millisecond}, true, results.Publish, 1},
		// JetStream, file storage, two pull members, closed loop.
		{"jetstream/pull/file", Config{Mode: ModeJetStream, Consumers: 2}, bench.Options{Requests: 2000, Concurrency: 16}, true, results.Publish, 1},
		// JetStream, memory storage, push consumer in a deliver group.
		{"jetstream/push/memory", Config{Mode: ModeJetStream, Consumers: 2, Consumer: ConsumerPush, Storage: StorageMemory}, bench.Options{Rate: 4000, Duration: 300 * time.Millisecond}, true, results.Publish, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.PayloadBytes = 256
			res, w := run(t, tc.cfg, tc.o)
			d := res.Counts.Delivery
			t.Logf("sent %d, %s p50 %v; %+v", res.Counts.Sent, tc.operation, time.Duration(res.Latency[tc.operation].P50), *d)
			if res.Counts.Sent == 0 || res.Counts.Errors != 0 {
				t.Fatalf("sent %d, errors %d (%v); want some and none", res.Counts.Sent, res.Counts.Errors, res.Errors)
			}
			if got := len(w.ledger.receivers); got != tc.receivers {
				t.Errorf("%d receivers, want %d", got, tc.receivers)
			}
			if got := latencyCount(res, tc.operation); got != res.Counts.Sent {
				t.Errorf("%s latency holds %d values, want one per message (%d)", tc.operation, got, res.Counts.Sent)
			}
			wantRecv := res.Counts.Sent * int64(tc.receivers)
			if tc.lossless && (d.Received != wantRecv || d.Lost != 0 || d.Outstanding != 0) {
				t.Errorf("received %d, lost %d, outstanding %d; want %d, 0, 0", d.Received, d.Lost, d.Outstanding, wantRecv)
			}
			if got := latencyCount(res, results.EndToEnd); tc.receivers > 0 && got != d.Received {
				t.Errorf("end-to-end latency holds %d values, want one per first delivery (%d)", got, d.Received)
			}
			if tc.cfg.Mode != ModeRequest && d.Confirmed != res.Counts.Sent {
				t.Errorf("confirmed %d, want %d (every message vouched for by the server)", d.Confirmed, res.Counts.Sent)
			}
			if d.Duplicates != 0 || d.OutOfOrder != 0 {
				t.Errorf("duplicates %d, out of order %d; want none", d.Duplicates, d.OutOfOrder)
			}
			if tc.cfg.Mode == ModePublish && len(res.Subscribers) != tc.receivers {
				t.Errorf("%d subscriber entries, want %d", len(res.Subscribers), tc.receivers)
			}
			if res.Target.Kind != results.TargetEmbedded || res.Target.BrokerVersion != ServerVersion {
				t.Errorf("target %+v, want the embedded server %s", res.Target, ServerVersion)
			}
			if l := res.Latency[results.EndToEnd]; l != nil && l.Count > 0 && l.P50 <= 0 {
				t.Errorf("end-to-end p50 %d ns", l.P50)
			}
		})
	}
}

// TestEmbeddedServerStore: the embedded server's JetStream store is a
// temporary directory that Close removes, and a busy port is refused with
// the way out.
func TestEmbeddedServerStore(t *testing.T) {
	s, err := StartServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.store); err != nil {
		t.Fatalf("store: %v", err)
	}
	if _, err := StartServer(s.Addr()); err == nil || !strings.Contains(err.Error(), "port 0 picks a free one") {
		t.Errorf("a second server on %s: %v", s.Addr(), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.store); !os.IsNotExist(err) {
		t.Errorf("the store %s is still there after Close (%v)", s.store, err)
	}
}
