package nats

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/transport"
)

// set gives options as a user would, by name.
func set(t *testing.T, opts []transport.Option, kv ...string) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		o := transport.Find(opts, kv[i])
		if o == nil {
			t.Fatalf("no option %q", kv[i])
		}
		if err := o.Value.Set(kv[i+1]); err != nil {
			t.Fatalf("--%s %s: %v", kv[i], kv[i+1], err)
		}
	}
}

func envOf(vars map[string]string) transport.Env {
	return transport.Env{Getenv: func(k string) string { return vars[k] }}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		target string
		conns  int
		// wantErr is part of the usage error, or "" for none.
		wantErr string
		wantURL string
		// wantConns is the connections the run records.
		wantConns int
	}{
		// The defaults: request mode on the embedded server.
		{name: "defaults", wantConns: 2},
		// The environment names the server.
		{name: "env", env: map[string]string{EnvURL: "nats://u:p@10.0.0.5:4222"}, wantURL: "nats://u:p@10.0.0.5:4222", wantConns: 2},
		// --nats-url wins over the environment, and an empty one asks for the embedded server.
		{name: "flag over env", args: []string{"nats-url", ""}, env: map[string]string{EnvURL: "nats://10.0.0.5:4222"}, wantURL: "", wantConns: 2},
		// Publish fan-out: one publisher and four subscribers.
		{name: "publish", args: []string{"mode", "publish", "subscribers", "4"}, conns: 2, wantConns: 6},
		{name: "target", target: "127.0.0.1:4222", wantErr: "--nats-url"},
		{name: "bad url", args: []string{"nats-url", "http://x:secret@h:1"}, wantErr: "scheme"},
		{name: "bad mode", args: []string{"mode", "stream"}, wantErr: "request, publish or jetstream"},
		{name: "subscribers outside publish", args: []string{"subscribers", "2"}, wantErr: "--subscribers applies to --mode publish"},
		{name: "storage outside jetstream", args: []string{"mode", "publish", "storage", "memory"}, wantErr: "--storage applies to --mode jetstream"},
		{name: "consumers in publish", args: []string{"mode", "publish", "consumers", "2"}, wantErr: "--subscribers"},
		{name: "jetstream without consumers", args: []string{"mode", "jetstream", "consumers", "0"}, wantErr: "at least one consumer"},
		{name: "replicas on the embedded server", args: []string{"mode", "jetstream", "replicas", "3"}, wantErr: "cluster"},
		{name: "bad storage", args: []string{"mode", "jetstream", "storage", "disk"}, wantErr: "file or memory"},
		{name: "wildcard subject", args: []string{"subject", "orders.>"}, wantErr: "wildcards"},
		// Typed messages in every mode, but not to the echo responders of serve nats.
		{name: "typed request", args: []string{"encoding", "protobuf", "items", "5"}, wantConns: 2},
		{name: "typed jetstream", args: []string{"mode", "jetstream", "encoding", "json"}, wantConns: 2},
		{name: "bad encoding", args: []string{"encoding", "xml"}, wantErr: "raw, json or protobuf"},
		{name: "bad items", args: []string{"encoding", "json", "items", "0"}, wantErr: "--items 0"},
		{name: "typed to echo responders", args: []string{"encoding", "json", "consumers", "0"}, wantErr: "--consumers 1 or more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Transport().NewConfig().(*runConfig)
			set(t, c.Options(), tc.args...)
			run := &transport.Run{Target: tc.target, Concurrency: 4, Connections: tc.conns}
			err := c.Resolve(envOf(tc.env), run)
			if tc.wantErr != "" {
				if err == nil || !transport.IsUsage(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%v; want a usage error with %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.URL != tc.wantURL || run.Connections != tc.wantConns {
				t.Errorf("url %q, connections %d; want %q, %d", c.URL, run.Connections, tc.wantURL, tc.wantConns)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		options   map[string]any
		name      string
		kind      string
		withProse string
	}{
		{map[string]any{"mode": "request"}, "NATS request", transport.RPC, "request-reply"},
		{map[string]any{"mode": "publish", "queue_group": false}, "NATS publish", transport.Event, "publish/subscribe"},
		{map[string]any{"mode": "publish", "queue_group": true}, "NATS publish", transport.Oneway, "queue group"},
		{map[string]any{"mode": "jetstream"}, "NATS JetStream", transport.Oneway, "JetStream"},
		// A result without options (another version) reads as request mode.
		{nil, "NATS request", transport.RPC, "request-reply"},
		// A typed run's name says its encoding.
		{map[string]any{"mode": "request", "encoding": "protobuf"}, "NATS request · protobuf", transport.RPC, "request-reply"},
		{map[string]any{"mode": "jetstream", "encoding": "json"}, "NATS JetStream · json", transport.Oneway, "JetStream"},
	}
	for _, tc := range tests {
		m := Transport().Describe(&results.Result{Options: tc.options})
		if m.Name != tc.name || m.Kind != tc.kind || !strings.Contains(m.Prose, tc.withProse) {
			t.Errorf("%v: %+v, want %s, %s, prose with %q", tc.options, m, tc.name, tc.kind, tc.withProse)
		}
	}
}

// TestRunConfigWorkload resolves, records and runs a configuration the way
// the commands do.
func TestRunConfigWorkload(t *testing.T) {
	c := Transport().NewConfig()
	set(t, c.Options(), "mode", "jetstream", "storage", "memory", "consumers", "2", "consumer", "push")
	run := transport.Run{ID: runID(t), Concurrency: 8, PayloadBytes: 100}
	if err := c.Resolve(envOf(nil), &run); err != nil {
		t.Fatal(err)
	}
	rec := c.Record(transport.Run{})
	if rec["mode"] != "jetstream" || rec["storage"] != "memory" || rec["consumer"] != "push" || rec["consumers"] != 2 || run.Connections != 3 {
		t.Errorf("record %v, connections %d", rec, run.Connections)
	}
	w, err := c.Workload(run)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := w.(bench.OperationNamer); !ok || n.OperationLatency() != results.Publish {
		t.Errorf("the jetstream operation is not named publish")
	}
	res, err := bench.Run(context.Background(), w, bench.Options{Requests: 500, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Counts.Delivery; d.Received != 500 || res.Latency[results.Publish] == nil {
		t.Errorf("delivery %+v, latencies %v", d, res.Latency)
	}
	if _, ok := w.(transport.Finisher); !ok {
		t.Error("the workload does not report a lost connection as a run error")
	}
}

// TestRunConfigTyped: a typed request run records its encoding and the
// sizes of both messages, and its responders confirm every order.
func TestRunConfigTyped(t *testing.T) {
	c := Transport().NewConfig()
	set(t, c.Options(), "encoding", "json", "items", "6")
	run := transport.Run{ID: runID(t), Concurrency: 4, PayloadBytes: 100}
	if err := c.Resolve(envOf(nil), &run); err != nil {
		t.Fatal(err)
	}
	rec := c.Record(run)
	if rec["encoding"] != "json" || rec["items"] != 6 || rec["payload"] != "order" || rec["reply_bytes"] == nil {
		t.Errorf("record %v: want the encoding, the items and both sizes", rec)
	}
	if want := HeaderSize + rec["request_bytes"].(int); run.PayloadBytes != want {
		t.Errorf("payload %d bytes, want the header and the order, %d", run.PayloadBytes, want)
	}
	w, err := c.Workload(run)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(context.Background(), w, bench.Options{Requests: 200, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Counts.Delivery; d.Received != 200 || d.Invalid != 0 || res.Counts.Errors != 0 {
		t.Errorf("delivery %+v, errors %v", d, res.Errors)
	}
}

func TestProbe(t *testing.T) {
	c := Transport().NewConfig().(*runConfig)
	if reason, fix := c.Probe(context.Background(), envOf(nil)); reason != "" || fix != "" {
		t.Errorf("embedded: %q, %q; want no reason to skip", reason, fix)
	}
	env := envOf(map[string]string{EnvURL: "nats://u:pw-secret@127.0.0.1:" + freePort(t)})
	start := time.Now()
	reason, fix := c.Probe(context.Background(), env)
	if reason == "" || fix == "" || strings.Contains(reason, "pw-secret") || time.Since(start) > 5*time.Second {
		t.Errorf("nothing listening: %q, %q after %v", reason, fix, time.Since(start))
	}
}

// TestServe starts 'serve nats' embedded, reads its address line and
// measures request-reply against its responders, then serves responders
// alone on that server.
func TestServe(t *testing.T) {
	first, stop := serve(t, "addr", "127.0.0.1:0", "responders", "2")
	defer stop()
	fields := strings.Fields(first)
	if len(fields) < 5 || !strings.HasPrefix(fields[4], "nats://127.0.0.1:") {
		t.Fatalf("address line %q", first)
	}
	url := fields[4]
	res, _ := run(t, Config{URL: url, Mode: ModeRequest, Consumers: 0}, bench.Options{Requests: 300})
	if res.Counts.OK != 300 || res.Counts.Delivery.Received != 0 {
		t.Errorf("ok %d, delivery %+v", res.Counts.OK, res.Counts.Delivery)
	}

	// Responders alone, on the server just started.
	line, stop2 := serve(t, "nats-url", url, "subject", "commsbench.other")
	if !strings.Contains(line, "responders on commsbench.other") {
		t.Errorf("address line %q", line)
	}
	res, _ = run(t, Config{URL: url, Mode: ModeRequest, Consumers: 0, Subject: "commsbench.other"}, bench.Options{Requests: 100})
	if res.Counts.OK != 100 {
		t.Errorf("responders alone: ok %d", res.Counts.OK)
	}
	stop2()
}

// serve runs 'serve nats' with the options given and returns its first
// line, printed once it serves, and a function that stops it and checks
// that it ended well.
func serve(t *testing.T, kv ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sc := Transport().Serve.NewConfig()
	set(t, sc.Options(), kv...)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- sc.Serve(ctx, envOf(nil), pw); pw.Close() }()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		cancel()
		t.Fatalf("no address line: %v", <-done)
	}
	first := lines.Text()
	go func() {
		for lines.Scan() {
		}
	}()
	return first, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve %v: %v", kv, err)
		}
	}
}

func TestServeRefusesBoth(t *testing.T) {
	sc := Transport().Serve.NewConfig()
	set(t, sc.Options(), "addr", "127.0.0.1:0", "nats-url", localURL)
	if err := sc.Serve(context.Background(), envOf(nil), io.Discard); !transport.IsUsage(err) {
		t.Errorf("%v; want a usage error", err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nats://bench:s3cret@h:4222", "nats://bench:xxxxx@h:4222"},
		{"nats://tok3n@h:4222", "nats://xxxxx@h:4222"},
		{"nats://a:p1@h1:4222, nats://a:p2@h2:4222", "nats://a:xxxxx@h1:4222, nats://a:xxxxx@h2:4222"},
		{"nats://h:4222", "nats://h:4222"},
		// A password with an escaped character.
		{"nats://u:p%40ss@h:4222", "nats://u:xxxxx@h:4222"},
	}
	for _, tc := range tests {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	r := newRedactor("nats://u:p%40ss@h:4222")
	if got := r.redact("auth failed for p@ss and p%40ss"); strings.Contains(got, "p@ss") || strings.Contains(got, "p%40ss") {
		t.Errorf("redact left the password: %q", got)
	}
	for _, bad := range []string{"http://u:pw-1@h:1", "nats://", "nats://u:pw-1@h:1,::::"} {
		err := CheckURL(bad)
		if err == nil || strings.Contains(err.Error(), "pw-1") {
			t.Errorf("CheckURL(%q) = %v; want an error without the password", bad, err)
		}
	}
}
