package cli

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/event"
)

func eventFactory(env map[string]string, args ...string) (*Factory, *strings.Builder, *strings.Builder) {
	f, _, _ := testFactory(args...)
	var out, errOut strings.Builder
	f.IO.Out, f.IO.ErrOut = &out, &errOut
	f.Getenv = func(k string) string { return env[k] }
	return f, &out, &errOut
}

func TestRunEventBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string // must appear in stderr
	}{
		{"no partitions", []string{"--partitions", "0"}, "--partitions must be at least 1 (got 0)"},
		{"unknown compression", []string{"--compression", "brotli"}, `--compression: unknown value "brotli": choose none, gzip, snappy, lz4 or zstd`},
		{"unknown acks", []string{"--acks", "2"}, `--acks: unknown value "2": choose none, leader or all`},
		{"unknown key strategy", []string{"--key", "hash"}, `--key: unknown value "hash": choose none, random or sequence`},
		// kfake is a single broker: replication would measure nothing.
		{"replication on the embedded broker", []string{"--replication-factor", "3"}, "--replication-factor 3 needs real brokers"},
		{"no groups", []string{"--subscribers", "0"}, "--subscribers must be at least 1"},
		{"no readers", []string{"--consumers", "0"}, "--consumers must be at least 1"},
		{"no producer", []string{"--producers", "0"}, "--producers must be at least 1"},
		{"empty batches", []string{"--batch-size", "0"}, "--batch-size must be at least 1"},
		{"negative linger", []string{"--batch-timeout", "-1ms"}, "--batch-timeout must not be negative"},
		{"negative drain", []string{"--drain-timeout", "-1s"}, "--drain-timeout must not be negative"},
		{"bad topic", []string{"--topic", "orders/placed"}, `--topic "orders/placed": a Kafka topic name`},
		{"broker without port", []string{"--brokers", "kafka"}, `--brokers: broker "kafka": want host:port`},
		{"empty broker list", []string{"--brokers", " , "}, "name at least one broker as host:port"},
		// The REST/gRPC flags have no meaning here; say what to use instead.
		{"target flag", []string{"--target", "127.0.0.1:9092"}, "--target does not apply to the event transport: name Kafka brokers with --brokers"},
		{"connections flag", []string{"--connections", "4"}, "--connections does not apply to the event transport"},
		{"shared flags are checked too", []string{"--rate", "-5"}, "--rate -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := eventFactory(nil, append([]string{"run", "event"}, tt.args...)...)
			if code := Main(context.Background(), f); code != ExitUsage {
				t.Errorf("exit code %d, want %d; stderr: %s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr %q does not say %q", errOut.String(), tt.msg)
			}
		})
	}
}

func TestRunEventUnreachableBrokers(t *testing.T) {
	dead := closedPort(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		// Named by the flag.
		{"flag", nil, []string{"--brokers", dead}},
		// Named by the environment, the flag's default.
		{"environment", map[string]string{event.EnvBrokers: dead}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, errOut := eventFactory(tc.env, append([]string{"run", "event", "--duration", "1s"}, tc.args...)...)
			start := time.Now()
			if code := Main(context.Background(), f); code != ExitFailure {
				t.Errorf("exit code %d, want %d; stderr: %s", code, ExitFailure, errOut)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v; want a fast failure", d)
			}
			msg := errOut.String()
			for _, want := range []string{"cannot reach the Kafka brokers at " + dead, "--brokers", event.EnvBrokers} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr %q does not say %q", msg, want)
				}
			}
			if n := strings.Count(strings.TrimSpace(msg), "\n"); n > 0 {
				t.Errorf("stderr has %d lines; want one: %s", n+1, msg)
			}
		})
	}
}

// TestRunEventEmbedded is a whole run on the embedded broker, as a
// newcomer's first 'run event' would be.
func TestRunEventEmbedded(t *testing.T) {
	out := filepath.Join(t.TempDir(), "event.json")
	// Three readers for two partitions: allowed, warned about.
	f, stdout, errOut := eventFactory(nil, "run", "event", "--rate", "500", "--duration", "1s", "--warmup", "200ms",
		"--subscribers", "2", "--consumers", "3", "--partitions", "2", "--out", out)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit code %d; stderr: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "warning: --consumers 3 is more than --partitions 2") {
		t.Errorf("no warning about idle consumers on stderr: %q", errOut)
	}
	for _, want := range []string{"event · open loop · embedded kfake (embedded, in-memory)", "delivery", "group join", "end to end · payment", "end to end · email", "note: embedded broker", "not a production Kafka"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Counts.Delivery
	switch {
	case r.Transport != "event" || r.Target.Kind != results.TargetEmbedded || r.Target.Broker == "":
		t.Errorf("transport %q, target %+v", r.Transport, r.Target)
	case d == nil || d.Acked != r.Counts.Sent || d.Received != 2*d.Acked || d.Lost != 0 || d.Duplicates != 0:
		t.Errorf("counts %+v, delivery %+v: want every event acked and received by both groups once", r.Counts, d)
	case len(r.Subscribers) != 2 || r.Subscribers[0].Group != "payment" || r.Subscribers[1].Group != "email" || r.Subscribers[0].Members != 3:
		t.Errorf("subscribers %+v", r.Subscribers)
	case r.GroupJoinS <= 0:
		t.Errorf("group_join_s = %v", r.GroupJoinS)
	case r.Latency[results.Publish] == nil || r.Latency[results.EndToEnd] == nil || r.Latency[results.Response] != nil:
		t.Errorf("latencies %v: want publish and end_to_end, no response", r.LatencyNames())
	case !strings.HasPrefix(r.Options["topic"].(string), "commsbench."+r.RunID):
		t.Errorf("options.topic = %v, want commsbench.<run id>", r.Options["topic"])
	}
	if rate := r.Throughput.OpsPerS; rate < 475 || rate > 525 {
		t.Errorf("published %.0f/s, want 500/s within 5%%", rate)
	}
}

// TestServeEvent serves the embedded broker and runs against it from the
// same test, as two processes would.
func TestServeEvent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, _, serveErr := eventFactory(nil, "serve", "event", "--addr", "127.0.0.1:0")
	pr, pw := io.Pipe()
	f.IO.Out = pw
	done := make(chan int, 1)
	go func() { done <- Main(ctx, f); pw.Close() }()
	first, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no first line from serve: %v; stderr: %s", err, serveErr)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	const prefix = "event broker (kfake, embedded, in-memory) listening on "
	if !strings.HasPrefix(first, prefix) {
		t.Fatalf("first line %q, want it to start with %q", first, prefix)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(first, prefix))

	out := filepath.Join(t.TempDir(), "served.json")
	rf, _, runErr := eventFactory(nil, "run", "event", "--brokers", addr, "--rate", "300", "--duration", "500ms", "--warmup", "0s", "-q", "--out", out)
	if code := Main(context.Background(), rf); code != ExitOK {
		t.Fatalf("run against serve: exit code %d; stderr: %s", code, runErr)
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Target.Kind != results.TargetExternal || r.Target.Address != addr || r.Counts.Delivery.Received != r.Counts.Delivery.Acked {
		t.Errorf("target %+v, delivery %+v", r.Target, r.Counts.Delivery)
	}
	for _, n := range r.Notes {
		if strings.Contains(n, "not a production Kafka") {
			t.Errorf("a run against --brokers carries the embedded-broker note: %q", n)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("serve exit code %d after Ctrl-C; stderr: %s", code, serveErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after Ctrl-C")
	}
}

func TestServeEventBadAddr(t *testing.T) {
	for _, tc := range []struct {
		name, addr, msg string
	}{
		// The broker advertises its address: 0.0.0.0 would send clients nowhere.
		{"unspecified host", "0.0.0.0:9092", "give a specific one such as 127.0.0.1:9092"},
		{"not host:port", "9092", "want host:port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, errOut := eventFactory(nil, "serve", "event", "--addr", tc.addr)
			if code := Main(context.Background(), f); code != ExitFailure {
				t.Errorf("exit code %d, want %d", code, ExitFailure)
			}
			if !strings.Contains(errOut.String(), tc.msg) {
				t.Errorf("stderr %q does not say %q", errOut, tc.msg)
			}
		})
	}
}
