package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// These tests talk to a real RabbitMQ: COMMSBENCH_AMQP_URL, or the local
// default. Without one they skip, except under CI=true, where a missing
// broker is a failure of the set-up.

func testBroker(t *testing.T) string {
	t.Helper()
	u := os.Getenv("COMMSBENCH_AMQP_URL")
	if u == "" {
		u = DefaultURL
	}
	conn, err := dial(u, 2*time.Second, "commsbench test probe")
	if err != nil {
		msg := fmt.Sprintf("no RabbitMQ answers at %s (%v): start one with 'rabbitmq-server -detached' or set COMMSBENCH_AMQP_URL", RedactURL(u), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	conn.Close()
	return u
}

// queueExists asks the broker whether a queue is there.
func queueExists(t *testing.T, brokerURL, name string) bool {
	t.Helper()
	conn, err := dial(brokerURL, 2*time.Second, "commsbench test check")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.QueueDeclarePassive(name, false, false, false, false, nil)
	var aerr *amqp.Error
	switch {
	case err == nil:
		ch.Close()
		return true
	case errors.As(err, &aerr) && aerr.Code == amqp.NotFound:
		return false
	}
	t.Fatalf("passive declare of %q: %v", name, err)
	return false
}

func deleteQueue(t *testing.T, brokerURL, name string) {
	conn, err := dial(brokerURL, 2*time.Second, "commsbench test clean-up")
	if err != nil {
		return
	}
	defer conn.Close()
	if ch, err := conn.Channel(); err == nil {
		_, _ = ch.QueueDelete(name, false, false, false)
	}
}

func runWorkload(t *testing.T, cfg Config, o bench.Options) (*Workload, *results.Result, error) {
	t.Helper()
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteQueue(t, cfg.URL, w.Queue()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := bench.Run(ctx, w, o)
	return w, res, err
}

// checkAccounted asserts that every message sent was confirmed and received
// exactly once.
func checkAccounted(t *testing.T, res *results.Result) {
	t.Helper()
	d := res.Counts.Delivery
	if d == nil {
		t.Fatal("no delivery accounting in the result")
	}
	c := res.Counts
	if c.Sent == 0 || c.Errors != 0 || c.OK != c.Sent {
		t.Errorf("counts: %+v, errors %v", c, res.Errors)
	}
	if d.Received != c.Sent || d.Confirmed != c.Sent {
		t.Errorf("sent %d, confirmed %d, received %d: every message must be confirmed and received", c.Sent, d.Confirmed, d.Received)
	}
	if d.Lost != 0 || d.Duplicates != 0 || d.Outstanding != 0 || d.Nacked != 0 || d.Returned != 0 {
		t.Errorf("accounting: %+v", *d)
	}
}

func TestOnewayRunAccountsForEveryMessage(t *testing.T) {
	u := testBroker(t)
	cfg := Config{URL: u, RunID: "test-oneway-" + randSuffix(), Producers: 3, Consumers: 3, Confirm: true,
		Prefetch: 100, PayloadBytes: 200, OpenLoop: true, DrainTimeout: 5 * time.Second}
	w, res, err := runWorkload(t, cfg, bench.Options{Rate: 1500, Concurrency: 300, Duration: time.Second, Warmup: 200 * time.Millisecond, Timeout: 5 * time.Second, PayloadBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, res)
	if res.Counts.Sent < 1400 {
		t.Errorf("sent %d messages in 1s at 1500/s", res.Counts.Sent)
	}
	if _, ok := res.Latency[results.Response]; ok {
		t.Error("one-way result has a response latency; it should be named publish")
	}
	for _, k := range []string{results.Publish, results.EndToEnd, results.Service, results.SendDelay} {
		if res.Latency[k] == nil {
			t.Errorf("latency %q missing", k)
		}
	}
	if e2e := res.Latency[results.EndToEnd]; e2e != nil && (e2e.Count != res.Counts.Delivery.Received || e2e.P50 <= 0) {
		t.Errorf("end-to-end: count %d (received %d), p50 %d", e2e.Count, res.Counts.Delivery.Received, e2e.P50)
	}
	tp := res.Throughput
	if tp.PublishedPerS < 1400 || tp.ConsumedPerS < 0.9*tp.PublishedPerS {
		t.Errorf("throughput: %+v", tp)
	}
	if res.Target.Kind != results.TargetExternal || res.Target.Broker != "rabbitmq" || res.Target.BrokerVersion == "" || strings.Contains(res.Target.Address, ":guest@") {
		t.Errorf("target: %+v", res.Target)
	}
	if queueExists(t, u, w.Queue()) || w.LeftQueue() {
		t.Errorf("queue %q is still on the broker after the run", w.Queue())
	}
}

func TestRPCRunRoundTrips(t *testing.T) {
	u := testBroker(t)
	cfg := Config{URL: u, RunID: "test-rpc-" + randSuffix(), Mode: ModeRPC, Producers: 2, Consumers: 3, Confirm: true,
		Prefetch: 50, PayloadBytes: 1000, DrainTimeout: 5 * time.Second}
	w, res, err := runWorkload(t, cfg, bench.Options{Concurrency: 6, Duration: time.Second, Warmup: 100 * time.Millisecond, Timeout: 5 * time.Second, PayloadBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, res)
	for _, k := range []string{results.Response, results.Publish, results.EndToEnd} {
		if res.Latency[k] == nil || res.Latency[k].Count != res.Counts.OK {
			t.Errorf("latency %q: %+v, want %d values", k, res.Latency[k], res.Counts.OK)
		}
	}
	// The round trip contains the trip to the consumer.
	if r, e := res.Latency[results.Response], res.Latency[results.EndToEnd]; r != nil && e != nil && r.P50 < e.P50 {
		t.Errorf("response p50 %d below end-to-end p50 %d", r.P50, e.P50)
	}
	if queueExists(t, u, w.Queue()) {
		t.Errorf("queue %q is still on the broker after the run", w.Queue())
	}
}

func TestRequeuedMessagesAreRedeliveriesNotDuplicates(t *testing.T) {
	u := testBroker(t)
	const every = 7
	cfg := Config{URL: u, RunID: "test-requeue-" + randSuffix(), Producers: 2, Consumers: 2, Confirm: true,
		Prefetch: 20, PayloadBytes: 64, OpenLoop: true, DrainTimeout: 5 * time.Second, RequeueEvery: every}
	w, res, err := runWorkload(t, cfg, bench.Options{Rate: 800, Concurrency: 100, Duration: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, res)
	var want int64
	for _, s := range w.ledger.streams {
		want += int64(s.published / every)
	}
	if got := res.Counts.Delivery.Redelivered; got != want || want == 0 {
		t.Errorf("redelivered %d, want %d (every %dth message of each producer was rejected once)", got, want, every)
	}
}

func TestQuorumQueueAndRequestCount(t *testing.T) {
	u := testBroker(t)
	cfg := Config{URL: u, RunID: "test-quorum-" + randSuffix(), QueueType: QueueQuorum, Persistent: true, Producers: 1, Consumers: 1,
		Confirm: true, Prefetch: 100, PayloadBytes: 100, DrainTimeout: 5 * time.Second}
	w, res, err := runWorkload(t, cfg, bench.Options{Concurrency: 10, Requests: 300, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, res)
	if res.Counts.Sent != 300 {
		t.Errorf("sent %d, want the 300 requested", res.Counts.Sent)
	}
	if queueExists(t, u, w.Queue()) {
		t.Errorf("queue %q is still on the broker after the run", w.Queue())
	}
}

func TestKeepQueueAndConfirmsOff(t *testing.T) {
	u := testBroker(t)
	cfg := Config{URL: u, RunID: "test-keep-" + randSuffix(), Producers: 1, Consumers: 1, Confirm: false, KeepQueue: true,
		PayloadBytes: 10, DrainTimeout: 5 * time.Second}
	w, res, err := runWorkload(t, cfg, bench.Options{Concurrency: 2, Requests: 200, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Counts.Delivery
	if d.Confirmed != 0 || d.Received != 200 || d.Lost != 0 || d.Outstanding != 0 {
		t.Errorf("accounting without confirms: %+v", *d)
	}
	if !queueExists(t, u, w.Queue()) {
		t.Errorf("queue %q is gone despite KeepQueue", w.Queue())
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "confirms were off") || !strings.Contains(strings.Join(res.Notes, "\n"), "28-byte header") {
		t.Errorf("notes do not explain confirms off and the header: %q", res.Notes)
	}
}

func TestUnreachableBrokerFailsFastWithoutPassword(t *testing.T) {
	const password = "Zq9-distinctive-pw"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	// A port that accepts connections and never says a word: the AMQP
	// handshake must time out rather than hang.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()

	tests := []struct {
		name, addr, says string
		within           time.Duration
	}{
		// Nothing listens: refused at once.
		{"closed port", closed, "nothing listens there", 2 * time.Second},
		// Something listens but never answers: the dial timeout ends it.
		{"silent port", silent.Addr().String(), "cannot reach a RabbitMQ broker", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := "amqp://bench:" + password + "@" + tt.addr + "/"
			w, err := NewWorkload(Config{URL: u, RunID: "test-unreachable", Consumers: 1, DialTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = bench.Run(context.Background(), w, bench.Options{Concurrency: 1, Duration: time.Second})
			took := time.Since(start)
			if err == nil {
				t.Fatal("a run against no broker succeeded")
			}
			msg := err.Error()
			for _, want := range []string{"amqp://bench:xxxxx@" + tt.addr, tt.says, "rabbitmq-server -detached", "COMMSBENCH_AMQP_URL"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, password) {
				t.Errorf("error shows the password: %q", msg)
			}
			if took > tt.within {
				t.Errorf("took %v to fail, want under %v", took, tt.within)
			}
		})
	}
}

func TestBrokerLostMidRunEndsTheRun(t *testing.T) {
	u := testBroker(t)
	p := newCutProxy(t, u)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var lost sync.Once
	lostC := make(chan struct{})
	cfg := Config{URL: p.url, RunID: "test-lost-" + randSuffix(), Producers: 2, Consumers: 2, Confirm: true, Prefetch: 50,
		PayloadBytes: 100, OpenLoop: true, DrainTimeout: 5 * time.Second, DialTimeout: 2 * time.Second,
		OnBrokerLost: func(error) { lost.Do(func() { close(lostC); cancel() }) }}
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteQueue(t, u, w.Queue()) })
	go func() {
		time.Sleep(700 * time.Millisecond)
		p.cut()
	}()
	start := time.Now()
	res, err := bench.Run(ctx, w, bench.Options{Rate: 500, Concurrency: 100, Duration: 20 * time.Second, Timeout: 5 * time.Second, Grace: 500 * time.Millisecond})
	took := time.Since(start)
	select {
	case <-lostC:
	default:
		t.Error("OnBrokerLost was not called")
	}
	if took > 8*time.Second {
		t.Errorf("the run took %v after the broker went away at 0.7s", took)
	}
	if err == nil || !strings.Contains(err.Error(), "lost the connection to the broker") {
		t.Errorf("error %v, want one saying the connection was lost", err)
	}
	if res == nil {
		t.Fatal("no result after the broker went away")
	}
	d := res.Counts.Delivery
	if d == nil || d.Confirmed == 0 || d.Received == 0 {
		t.Fatalf("the result does not count what happened before the cut: %+v", d)
	}
	if !res.Partial || !strings.Contains(strings.Join(res.Notes, "\n"), "lost the connection") {
		t.Errorf("partial %v, notes %q", res.Partial, res.Notes)
	}
	// The broker stays out of reach through the cut proxy: the queue could
	// not be deleted, and the workload says so.
	if !w.LeftQueue() || !queueExists(t, u, w.Queue()) {
		t.Errorf("LeftQueue %v; the queue should be left on the broker and reported", w.LeftQueue())
	}
}

// cutProxy forwards TCP connections to the broker until cut, when it drops
// every connection at once, as a broker that went away would.
type cutProxy struct {
	url   string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, brokerURL string) *cutProxy {
	t.Helper()
	bu, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	target := bu.Host
	if bu.Port() == "" {
		target += ":5672"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bu.Host = ln.Addr().String()
	p := &cutProxy{url: bu.String(), ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(b, c); b.Close() }()
			go func() { _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func randSuffix() string { return fmt.Sprintf("%d", time.Now().UnixNano()%1e9) }

// queueDeleter deletes the run's queue right after Start, so that every
// message published has nowhere to go.
type queueDeleter struct {
	*Workload
	t *testing.T
}

func (d queueDeleter) Start(ctx context.Context) (results.Target, error) {
	tg, err := d.Workload.Start(ctx)
	if err == nil {
		deleteQueue(d.t, d.cfg.URL, d.Queue())
	}
	return tg, err
}

func TestUnroutableMessagesAreReturnedNotLost(t *testing.T) {
	u := testBroker(t)
	w, err := NewWorkload(Config{URL: u, RunID: "test-returned-" + randSuffix(), Producers: 1, Consumers: 1, Confirm: true,
		PayloadBytes: 50, DrainTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(context.Background(), queueDeleter{w, t}, bench.Options{Concurrency: 4, Requests: 100, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Counts.Delivery
	if d.Returned != 100 || d.Confirmed != 100 || d.Received != 0 || d.Lost != 0 || d.Outstanding != 0 {
		t.Errorf("accounting of unroutable messages: %+v", *d)
	}
}

// TestDrainTimeoutCountsQueuedMessagesAsUnread stops the consumers from
// keeping up (each message takes 50ms of work, one at a time) and lets the
// drain time out: the confirmed messages still in the queue then are
// unread, late rather than lost, and nothing is lost.
func TestDrainTimeoutCountsQueuedMessagesAsUnread(t *testing.T) {
	u := testBroker(t)
	cfg := Config{URL: u, RunID: "test-unread-" + randSuffix(), Producers: 1, Consumers: 1, Confirm: true,
		Prefetch: 1, Work: 50 * time.Millisecond, PayloadBytes: 64, OpenLoop: true, DrainTimeout: 300 * time.Millisecond}
	_, res, err := runWorkload(t, cfg, bench.Options{Rate: 200, Concurrency: 50, Duration: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Counts.Delivery
	if d == nil || d.Unread == nil {
		t.Fatalf("delivery %+v: want unread counted", d)
	}
	if *d.Unread == 0 || d.Lost != 0 {
		t.Errorf("unread %d, lost %d: want the messages still queued at the drain timeout unread, and none lost", *d.Unread, d.Lost)
	}
	if d.Received+*d.Unread != d.Confirmed {
		t.Errorf("received %d + unread %d != confirmed %d: every confirmed message is received or still queued", d.Received, *d.Unread, d.Confirmed)
	}
	if notes := strings.Join(res.Notes, "\n"); !strings.Contains(notes, "unread") {
		t.Errorf("notes do not say what is unread: %q", res.Notes)
	}
}
