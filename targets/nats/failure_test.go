package nats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	gonats "github.com/nats-io/nats.go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// TestPublishLossCountedHonestly makes subscribers too small to keep up:
// the client library drops what overflows, and the run counts every
// dropped message as lost, the slow-consumer events as errors, and never
// more received than sent.
func TestPublishLossCountedHonestly(t *testing.T) {
	w := started(t, Config{Mode: ModePublish, Subscribers: 2, DrainTimeout: 3 * time.Second, PayloadBytes: 512})
	ctx := context.Background()
	// One message of room: the subscriber's goroutine cannot take a burst.
	for _, m := range w.members {
		if err := m.sub.SetPendingLimits(1, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	c, err := w.NewClient(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	const sent = 20000
	now := time.Now()
	for i := range sent {
		if err := c.Do(ctx, bench.Op{Seq: int64(i), Intended: now}); err != nil {
			t.Fatal(err)
		}
	}
	r := &results.Result{Latency: map[string]*results.Latency{}, Counts: results.Counts{Sent: sent}, DurationS: 1}
	if err := w.Finish(ctx, r); err != nil {
		t.Fatal(err)
	}
	d := r.Counts.Delivery
	t.Logf("%+v; errors %v", *d, r.Errors)
	if d.Confirmed != sent {
		t.Errorf("confirmed %d, want %d: the flush vouches for every message", d.Confirmed, sent)
	}
	if d.Lost == 0 || r.Errors[ClassSlowConsumer] == 0 {
		t.Errorf("lost %d, %s %d: want both above 0 with one message of room", d.Lost, ClassSlowConsumer, r.Errors[ClassSlowConsumer])
	}
	for _, s := range r.Subscribers {
		if s.Received+s.Lost != sent {
			t.Errorf("%s: received %d + lost %d, want %d", s.Group, s.Received, s.Lost, sent)
		}
	}
	if d.Received+d.Lost != 2*sent || d.Outstanding != 0 {
		t.Errorf("received %d + lost %d (outstanding %d), want 2 × %d", d.Received, d.Lost, d.Outstanding, sent)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "slow-consumer") {
		t.Errorf("no note about slow consumers in %q", r.Notes)
	}
}

// TestRequestNoResponders: a run with nobody answering fails at the start
// with a sentence saying what to do, and a request that finds no
// responders mid-run is classed nats_no_responders.
func TestRequestNoResponders(t *testing.T) {
	t.Run("start", func(t *testing.T) {
		w, err := NewWorkload(Config{Mode: ModeRequest, Consumers: 0, Subject: "commsbench.nobody." + runID(t), RunID: runID(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		_, err = w.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "no responders") || !strings.Contains(err.Error(), "serve nats") {
			t.Fatalf("Start: %v; want an error naming no responders and 'serve nats'", err)
		}
	})
	t.Run("mid-run", func(t *testing.T) {
		w := started(t, Config{Mode: ModeRequest, Consumers: 1})
		ctx := context.Background()
		c, _ := w.NewClient(ctx, 0)
		if err := c.Do(ctx, bench.Op{Intended: time.Now()}); err != nil {
			t.Fatalf("with a responder: %v", err)
		}
		w.stopMembers()
		_ = w.members[0].nc.Flush()
		err := c.Do(ctx, bench.Op{Seq: 1, Intended: time.Now()})
		if got := bench.Classify(err); got != ClassNoResponders {
			t.Fatalf("without responders: %v (class %q), want class %s", err, got, ClassNoResponders)
		}
	})
}

// TestRequestTimeoutClassed: a responder that never answers in time gives
// nats_timeout when the engine set no deadline.
func TestRequestTimeoutClassed(t *testing.T) {
	srv, err := StartServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	silent, err := connect(srv.URL(), "silent", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	subject := "commsbench.silent"
	if _, err := silent.Subscribe(subject, func(*gonats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	_ = silent.Flush()
	w, err := NewWorkload(Config{URL: srv.URL(), Mode: ModeRequest, Consumers: 0, Subject: subject, RunID: runID(t), RequestTimeout: 200 * time.Millisecond, DialTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// The probe finds a subscriber but no answer: Start says so.
	_, err = w.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("Start: %v; want 'no answer'", err)
	}
	c, _ := w.NewClient(context.Background(), 0)
	err = c.Do(context.Background(), bench.Op{Intended: time.Now()})
	if got := bench.Classify(err); got != ClassTimeout {
		t.Fatalf("%v (class %q), want %s", err, got, ClassTimeout)
	}
}

// TestJetStreamConsumerRestart stops the only consumer abruptly mid-run
// and starts it again: the durable consumer keeps its place and the server
// redelivers what was unacknowledged, so nothing is lost.
func TestJetStreamConsumerRestart(t *testing.T) {
	for _, kind := range []string{ConsumerPull, ConsumerPush} {
		t.Run(kind, func(t *testing.T) {
			w, err := NewWorkload(Config{Mode: ModeJetStream, Consumers: 1, Consumer: kind, AckWait: 500 * time.Millisecond, RunID: runID(t), DrainTimeout: 10 * time.Second, OpenLoop: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			restarted := make(chan error, 1)
			sw := &startSignal{Workload: w, started: make(chan struct{})}
			go func() {
				// The members exist once Start returned, however slow the
				// machine; the restart comes well inside the measured period.
				<-sw.started
				if len(w.members) == 0 {
					restarted <- errors.New("the workload started no consumer")
					return
				}
				time.Sleep(600 * time.Millisecond)
				restarted <- w.restart(ctx, w.members[0], 300*time.Millisecond)
			}()
			res, err := bench.Run(ctx, sw, bench.Options{Rate: 2000, Concurrency: 32, Duration: 1500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if err := <-restarted; err != nil {
				t.Fatalf("restart: %v", err)
			}
			d := res.Counts.Delivery
			t.Logf("sent %d: %+v", res.Counts.Sent, *d)
			if res.Counts.Errors != 0 || d.Confirmed != res.Counts.Sent {
				t.Fatalf("errors %d, confirmed %d of %d", res.Counts.Errors, d.Confirmed, res.Counts.Sent)
			}
			if d.Received != res.Counts.Sent || d.Lost != 0 || d.Outstanding != 0 {
				t.Errorf("received %d, lost %d, outstanding %d of %d sent; want nothing lost", d.Received, d.Lost, d.Outstanding, res.Counts.Sent)
			}
		})
	}
}

// TestFailFast: a wrong URL and a wrong password fail the start within
// five seconds, with one line that says what to do and no password.
func TestFailFast(t *testing.T) {
	auth := startAuthServer(t, "bench", "s3cret-pw")
	closed := freePort(t)
	tests := []struct {
		name, url string
		want      []string
	}{
		// Nothing listens on the port.
		{"nothing listening", "nats://127.0.0.1:" + closed, []string{"no NATS server", "--nats-url", "embedded"}},
		// The right server, the wrong password.
		{"wrong password", "nats://bench:wrong-pw@" + auth, []string{"refused the credentials", "--nats-url"}},
		// The right server, no credentials.
		{"no credentials", "nats://" + auth, []string{"refused the credentials"}},
		// A token the server does not know.
		{"wrong token", "nats://not-a-token@" + auth, []string{"refused the credentials"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWorkload(Config{URL: tc.url, Mode: ModePublish, Subscribers: 1, RunID: runID(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			start := time.Now()
			_, err = w.Start(context.Background())
			took := time.Since(start)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			msg := err.Error()
			t.Log(msg)
			if took > 5*time.Second {
				t.Errorf("failed after %v, want under 5s", took)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error has several lines: %q", msg)
			}
			for _, s := range tc.want {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q lacks %q", msg, s)
				}
			}
			for _, secret := range []string{"wrong-pw", "s3cret-pw", "not-a-token"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q shows the secret %q", msg, secret)
				}
			}
		})
	}
	// The right password works, and nothing of it reaches the result.
	t.Run("right password", func(t *testing.T) {
		res, _ := run(t, Config{URL: "nats://bench:s3cret-pw@" + auth, Mode: ModeRequest, Consumers: 1}, bench.Options{Requests: 100})
		if res.Counts.OK != 100 || strings.Contains(fmt.Sprint(res.Target, res.Notes), "s3cret-pw") {
			t.Errorf("ok %d, target %+v, notes %q", res.Counts.OK, res.Target, res.Notes)
		}
	})
}

// started returns cfg's workload, started, and closes it after the test.
func started(t *testing.T, cfg Config) *Workload {
	t.Helper()
	cfg.RunID = runID(t)
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if _, err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// startAuthServer starts a server that wants a user and password.
func startAuthServer(t *testing.T, user, password string) string {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoLog: true, NoSigs: true, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("auth server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s.Addr().String()
}

// freePort returns a port nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// TestServerLostMidRun: the server going away ends the load at once and
// the run reports it as its error, with what was measured until then.
func TestServerLostMidRun(t *testing.T) {
	srv, err := StartServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := NewWorkload(Config{URL: srv.URL(), Mode: ModeJetStream, Consumers: 1, RunID: runID(t), DrainTimeout: time.Second, DialTimeout: time.Second, OnBrokerLost: func(error) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(400*time.Millisecond, func() { srv.Close() })
	start := time.Now()
	res, err := bench.Run(ctx, w, bench.Options{Rate: 1000, Concurrency: 8, Duration: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "lost the connection") {
		t.Fatalf("run error %v; want the lost connection", err)
	}
	if res == nil || res.Counts.Sent == 0 || !res.Partial {
		t.Fatalf("result %+v; want a partial result with what was sent", res)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("the run took %v after the server went away", took)
	}
}

// TestServerCannot: a server that lacks what the run needs fails the start
// with a sentence naming the fix.
func TestServerCannot(t *testing.T) {
	plain, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoLog: true, NoSigs: true, MaxPayload: 1024})
	if err != nil {
		t.Fatal(err)
	}
	go plain.Start()
	if !plain.ReadyForConnections(5 * time.Second) {
		t.Fatal("server not ready")
	}
	defer plain.Shutdown()
	url := plain.ClientURL()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		// No JetStream on the server.
		{"no JetStream", Config{Mode: ModeJetStream, Consumers: 1}, "start it with -js"},
		// Messages larger than the server's max_payload.
		{"max payload", Config{Mode: ModePublish, Subscribers: 1, PayloadBytes: 4096}, "max_payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.URL = url
			tc.cfg.RunID = runID(t)
			w, err := NewWorkload(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			_, err = w.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start: %v; want an error with %q", err, tc.want)
			}
		})
	}
}

// startSignal is a workload that says when its Start returned; embedding
// keeps every other method, so the engine sees the same workload.
type startSignal struct {
	*Workload
	started chan struct{}
}

func (s *startSignal) Start(ctx context.Context) (results.Target, error) {
	defer close(s.started)
	return s.Workload.Start(ctx)
}
