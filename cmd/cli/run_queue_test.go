package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/queue"
)

// queueTestBroker returns the URL of the RabbitMQ the queue tests use, or
// skips (fails under CI=true) when none answers.
func queueTestBroker(t *testing.T) string {
	t.Helper()
	u := os.Getenv(queue.EnvURL)
	if u == "" {
		u = queue.DefaultURL
	}
	conn, err := amqp.DialConfig(u, amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		msg := fmt.Sprintf("no RabbitMQ answers at %s (%v): start one with 'rabbitmq-server -detached' or set %s", queue.RedactURL(u), err, queue.EnvURL)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	conn.Close()
	return u
}

func queueFactory(env map[string]string, args ...string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	f, out, errOut := testFactory(args...)
	f.Getenv = func(k string) string { return env[k] }
	return f, out, errOut
}

func TestRunQueueBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string // must appear in stderr
	}{
		{"unknown mode", []string{"--mode", "broadcast"}, `--mode "broadcast": choose oneway or rpc`},
		{"unknown queue type", []string{"--queue-type", "stream"}, `--queue-type "stream": choose classic or quorum`},
		{"no producer", []string{"--producers", "0"}, "--producers 0: between 1 and 1000"},
		{"negative consumers", []string{"--consumers", "-1"}, "--consumers -1: between 0 and 1000"},
		// One-way runs learn what arrived from their own consumers only.
		{"outside consumers in one-way mode", []string{"--consumers", "0"}, "--consumers 0 (the queue consumed by something else"},
		{"outside consumers without a queue", []string{"--consumers", "0", "--mode", "rpc"}, "name the queue the other consumers read"},
		{"zero in flight", []string{"--inflight", "0"}, "--inflight 0: must be at least 1"},
		{"in flight without confirms", []string{"--inflight", "10", "--confirm=false"}, "--inflight bounds messages awaiting their confirm"},
		{"prefetch out of range", []string{"--prefetch", "70000"}, "--prefetch 70000: between 0 (no limit) and 65535"},
		{"negative work", []string{"--work", "-1ms"}, "--work -1ms: must not be negative"},
		{"negative drain timeout", []string{"--drain-timeout", "-1s"}, "--drain-timeout -1s: must not be negative"},
		// The REST/gRPC flag has no meaning here; say what to use instead.
		{"target flag", []string{"--target", "127.0.0.1:5672"}, "--target does not apply to the queue transport"},
		{"not an AMQP URL", []string{"--amqp-url", "http://u:Hunter2x@host/"}, "is not an AMQP URL"},
		{"shared flags are checked too", []string{"--duration", "0s"}, "--duration 0s: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := queueFactory(nil, append([]string{"run", "queue"}, tt.args...)...)
			if code := Main(context.Background(), f); code != ExitUsage {
				t.Errorf("exit code %d, want %d; stderr: %s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr %q does not say %q", errOut.String(), tt.msg)
			}
			if strings.Contains(errOut.String()+out.String(), "Hunter2x") {
				t.Errorf("the password is in the output: %s", errOut)
			}
		})
	}
}

func TestRunQueueUnreachableBroker(t *testing.T) {
	const password = "Xy7-not-for-logs"
	dead := closedPort(t)
	u := "amqp://bench:" + password + "@" + dead + "/"
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		// The broker named on the command line.
		{"flag", nil, []string{"--amqp-url", u}},
		// The broker named by the environment, with no flag.
		{"environment", map[string]string{queue.EnvURL: u}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			args := append([]string{"run", "queue", "--duration", "1s", "--out", out}, tt.args...)
			f, stdout, stderr := queueFactory(tt.env, args...)
			start := time.Now()
			code := Main(context.Background(), f)
			if code != ExitFailure {
				t.Errorf("exit code %d, want %d; stderr: %s", code, ExitFailure, stderr)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v to report an unreachable broker", d)
			}
			msg := stderr.String()
			for _, want := range []string{"amqp://bench:xxxxx@" + dead + "/", "rabbitmq-server -detached", "container"} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr %q does not say %q", msg, want)
				}
			}
			if lines := strings.Count(strings.TrimSpace(msg), "\n") + 1; lines != 1 {
				t.Errorf("want one line of error, got %d:\n%s", lines, msg)
			}
			if strings.Contains(msg+stdout.String(), password) {
				t.Errorf("the password is in the output:\n%s%s", stdout, msg)
			}
		})
	}
}

func TestRunQueueKeepsThePasswordOut(t *testing.T) {
	u := queueTestBroker(t)
	if !strings.Contains(u, ":guest@") {
		t.Skip("the broker URL does not use the guest account this test looks for")
	}
	out := filepath.Join(t.TempDir(), "queue.json")
	f, stdout, stderr := queueFactory(nil, "run", "queue", "--amqp-url", u, "--rate", "300", "--duration", "1s", "--warmup", "200ms",
		"--producers", "2", "--consumers", "2", "--out", out)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit code %d; stderr: %s", code, stderr)
	}
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "result file": string(file)} {
		if strings.Contains(text, "guest:guest") {
			t.Errorf("%s shows the password:\n%s", name, text)
		}
	}
	res, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Counts.Delivery
	if d == nil || d.Received != res.Counts.Sent || d.Lost != 0 || d.Duplicates != 0 || res.Counts.Sent < 250 {
		t.Errorf("counts %+v, delivery %+v", res.Counts, d)
	}
	if res.Target.Broker != "rabbitmq" || res.Target.Address == "" || res.Options["queue"] == "" {
		t.Errorf("target %+v, options %v", res.Target, res.Options)
	}
	// The text summary shows the accounting line and both latencies.
	for _, want := range []string{"delivery  sent ", "lost 0 / unread 0 / duplicates 0", "publish", "end to end"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary does not show %q:\n%s", want, stdout)
		}
	}
}

func TestServeQueueAnswersRPCRun(t *testing.T) {
	u := queueTestBroker(t)
	name := fmt.Sprintf("commsbench.test-serve-%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		if conn, err := amqp.Dial(u); err == nil {
			if ch, err := conn.Channel(); err == nil {
				_, _ = ch.QueueDelete(name, false, false, false)
			}
			conn.Close()
		}
	})
	ctx, stop := context.WithCancel(context.Background())
	f, _, serveErr := queueFactory(nil, "serve", "queue", "--amqp-url", u, "--queue", name, "--consumers", "2")
	serveOut := &lockedBuffer{}
	f.IO.Out = serveOut
	var wg sync.WaitGroup
	wg.Add(1)
	var serveCode int
	go func() { defer wg.Done(); serveCode = Main(ctx, f) }()
	// The target prints its first line once it consumes.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(serveOut.String(), "consuming") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}

	rf, stdout, stderr := queueFactory(nil, "run", "queue", "--amqp-url", u, "--mode", "rpc", "--consumers", "0", "--queue", name,
		"--rate", "0", "--concurrency", "4", "--duration", "1s", "--warmup", "100ms", "--format", "json", "--out", "-", "--quiet")
	code := Main(context.Background(), rf)
	stop()
	wg.Wait()
	if code != ExitOK {
		t.Fatalf("run exit code %d; stderr: %s", code, stderr)
	}
	if serveCode != ExitOK {
		t.Errorf("serve exit code %d; stderr: %s", serveCode, serveErr)
	}
	res, err := results.Unmarshal(stdout.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	d := res.Counts.Delivery
	if res.Counts.OK == 0 || res.Counts.Errors != 0 || d == nil || d.Received != res.Counts.Sent {
		t.Errorf("counts %+v, delivery %+v, errors %v", res.Counts, d, res.Errors)
	}
	if res.Latency[results.Response] == nil {
		t.Error("request-reply run without response latency")
	}
	if !strings.Contains(serveOut.String(), fmt.Sprintf("consuming %q on amqp://guest:xxxxx@", name)) && strings.Contains(u, ":guest@") {
		t.Errorf("serve output: %s", serveOut)
	}
	if !strings.Contains(serveOut.String(), "replied to") {
		t.Errorf("serve does not report what it did: %s", serveOut)
	}
}

// lockedBuffer is a buffer that one goroutine writes while another polls it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRunQueueBrokerLostExits1WithPartialResult(t *testing.T) {
	u := queueTestBroker(t)
	bu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	// A TCP proxy in front of the broker, cut after a second: the broker
	// going away as far as the run can tell.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	cut := func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", bu.Host)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, b)
			mu.Unlock()
			go func() { _, _ = io.Copy(b, c); b.Close() }()
			go func() { _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
	proxied := *bu
	proxied.Host = ln.Addr().String()
	out := filepath.Join(t.TempDir(), "lost.json")
	f, stdout, stderr := queueFactory(nil, "run", "queue", "--amqp-url", proxied.String(), "--rate", "300",
		"--duration", "30s", "--warmup", "0", "--out", out)
	time.AfterFunc(time.Second, cut)
	start := time.Now()
	code := Main(context.Background(), f)
	if code != ExitFailure {
		t.Errorf("exit code %d, want %d; stderr: %s", code, ExitFailure, stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the run took %v after the broker went away at 1s of 30s", d)
	}
	if !strings.Contains(stderr.String(), "lost the connection to the broker") || !strings.Contains(stderr.String(), "partial") {
		t.Errorf("stderr does not say the broker was lost and the result is partial: %s", stderr)
	}
	res, err := results.ReadFile(out)
	if err != nil {
		t.Fatalf("the partial result must be written: %v", err)
	}
	q, _ := res.Options["queue"].(string)
	t.Cleanup(func() {
		if conn, err := amqp.Dial(u); err == nil {
			if ch, err := conn.Channel(); err == nil {
				_, _ = ch.QueueDelete(q, false, false, false)
			}
			conn.Close()
		}
	})
	// The broker is unreachable through the cut proxy, so the queue stays:
	// the user must be told which one.
	if q == "" || !strings.Contains(stderr.String(), "rabbitmqctl delete_queue "+q) {
		t.Errorf("stderr does not name the queue %q left on the broker: %s", q, stderr)
	}
	if !res.Partial || res.Counts.Delivery == nil || res.Counts.Delivery.Confirmed == 0 {
		t.Errorf("partial %v, counts %+v, delivery %+v", res.Partial, res.Counts, res.Counts.Delivery)
	}
	if !strings.Contains(stdout.String(), "PARTIAL") {
		t.Errorf("the summary does not say the result is partial:\n%s", stdout)
	}
}
