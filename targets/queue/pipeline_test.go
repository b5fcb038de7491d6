package queue

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/correlate"
	"github.com/commsbench/commsbench/targets/transport"
)

// relay is a service written for the test that knows nothing of
// commsbench: it consumes queue in, and for each message publishes a new
// one to queue out, continuing the trace as an OpenTelemetry-instrumented
// service does (same trace id, a span id of its own). It drops every
// dropEvery-th message, emits every dupEvery-th twice, and starts with
// one output that carries no trace at all.
type relay struct {
	in, out             string
	dropEvery, dupEvery int
	conn                *amqp.Connection
	done                chan struct{}
	mu                  sync.Mutex
	seen                int
	sawHeader           string
}

func startRelay(t *testing.T, url string, r *relay) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	r.conn, r.done = conn, make(chan struct{})
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{r.in, r.out} {
		if _, err := ch.QueueDeclare(q, false, true, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.Qos(200, 0, false); err != nil {
		t.Fatal(err)
	}
	msgs, err := ch.Consume(r.in, "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Publish("", r.out, false, false, amqp.Publishing{Body: []byte(`{"hello":"no trace"}`)}); err != nil {
		t.Fatal(err)
	}
	prop := propagation.TraceContext{}
	go func() {
		defer close(r.done)
		for d := range msgs {
			r.mu.Lock()
			r.seen++
			n := r.seen
			if h, ok := d.Headers["x-tenant"].(string); ok {
				r.sawHeader = h
			}
			r.mu.Unlock()
			ctx := prop.Extract(context.Background(), correlate.AMQPHeaders(d.Headers))
			parent := trace.SpanContextFromContext(ctx)
			var span trace.SpanID
			_, _ = rand.Read(span[:])
			child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: parent.TraceID(), SpanID: span, TraceFlags: parent.TraceFlags()})
			headers := amqp.Table{}
			prop.Inject(trace.ContextWithSpanContext(ctx, child), correlate.AMQPHeaders(headers))
			copies := 1
			switch {
			case r.dropEvery > 0 && n%r.dropEvery == 0:
				copies = 0
			case r.dupEvery > 0 && n%r.dupEvery == 0:
				copies = 2
			}
			for range copies {
				_ = ch.Publish("", r.out, false, false, amqp.Publishing{Headers: headers, Body: append([]byte(`{"reserved":`), append(d.Body, '}')...)})
			}
			_ = d.Ack(false)
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-r.done
		deleteQueue(t, url, r.in)
		deleteQueue(t, url, r.out)
	})
}

func TestPipelineThroughAServiceAccountsForEveryOutput(t *testing.T) {
	u := testBroker(t)
	sfx := randSuffix()
	r := &relay{in: "test.orders." + sfx, out: "test.reserved." + sfx, dropEvery: 50, dupEvery: 75}
	startRelay(t, u, r)
	w, err := NewPipeline(PipelineConfig{URL: u, RoutingKey: r.in, ResultQueue: r.out, Producers: 1, Confirm: true,
		Headers: []correlate.Header{{Name: "x-tenant", Value: "acme"}}, Prefetch: 100,
		Payload: []byte(`{"order":1}`), RunID: "test-pipe-" + sfx, OpenLoop: true, DrainTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := bench.Run(ctx, w, bench.Options{Rate: 500, Concurrency: 100, Duration: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d, sent := res.Counts.Delivery, res.Counts.Sent
	if sent < 300 || res.Counts.Errors != 0 {
		t.Fatalf("sent %d, errors %v", sent, res.Errors)
	}
	// The relay saw exactly the run's messages (no warm-up here), in order.
	wantLost, wantDup := sent/50, sent/75-sent/150 // a dropped message is not duplicated
	if d.Confirmed != sent || d.Lost != wantLost || d.Duplicates != wantDup || d.Received != sent-wantLost || d.Uncorrelated != 1 || d.OutOfOrder != 0 {
		t.Errorf("sent %d: want lost %d, duplicates %d, uncorrelated 1; got %+v", sent, wantLost, wantDup, *d)
	}
	e2e, svc := res.Latency[results.EndToEnd], res.Latency[results.EndToEndService]
	if e2e == nil || svc == nil || e2e.Count != d.Received || svc.Count != d.Received || e2e.P50 <= 0 {
		t.Errorf("latencies: end to end %+v, through the service %+v", e2e, svc)
	}
	if e2e != nil && svc != nil {
		t.Logf("sent %d at 500/s: end to end p50 %v p99 %v; from the actual send p50 %v p99 %v", sent,
			time.Duration(e2e.P50), time.Duration(e2e.P99), time.Duration(svc.P50), time.Duration(svc.P99))
	}
	if r.sawHeader != "acme" {
		t.Errorf("the service saw x-tenant %q", r.sawHeader)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "1 outputs could not be correlated") {
		t.Errorf("notes: %q", res.Notes)
	}
}

func TestPipelineRefusesWhatCannotWork(t *testing.T) {
	u := testBroker(t)
	sfx := randSuffix()
	r := &relay{in: "test.orders." + sfx, out: "test.reserved." + sfx}
	startRelay(t, u, r)
	for _, c := range []struct {
		name string
		cfg  PipelineConfig
		want string
	}{
		{"no result queue", PipelineConfig{URL: u, ResultQueue: "test.missing." + sfx, RoutingKey: r.in}, "result queue"},
		{"no input queue", PipelineConfig{URL: u, ResultQueue: r.out, RoutingKey: "test.missing." + sfx}, "input queue"},
		{"no exchange", PipelineConfig{URL: u, ResultQueue: r.out, Exchange: "test.missing." + sfx}, "input exchange"},
	} {
		c.cfg.Producers, c.cfg.RunID = 1, "test-"+sfx
		w, err := NewPipeline(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Start(context.Background())
		w.Close()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not on the broker") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestPipelineOptionsAreChecked(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"result-queue=out"}, "--routing-key"},
		{[]string{"result-queue=out", "routing-key=in", "correlate=spans"}, "--correlate"},
		{[]string{"result-queue=out", "routing-key=in", "correlate=key"}, "no record key"},
		{[]string{"result-queue=out", "routing-key=in", "consumers=2"}, "--consumers"},
		{[]string{"result-queue=out", "routing-key=in", "mode=rpc"}, "--mode rpc"},
		{[]string{"mode=pipeline"}, "--result-queue"},
		{[]string{"routing-key=in"}, "--result-queue"},
		{[]string{"header=x-a:1"}, "--result-queue"},
		{[]string{"mode=rpc", "consumers=0", "routing-key=in", "correlate=key"}, "--correlate applies to a pipeline"},
		{[]string{"mode=rpc", "consumers=0", "header=x-a:1"}, "--routing-key QUEUE"},
		{[]string{"mode=rpc", "consumers=0", "routing-key=in", "encoding=json"}, "--payload-file"},
	} {
		cfg := newRunConfig()
		for _, a := range c.args {
			k, v, _ := strings.Cut(a, "=")
			if err := transport.Find(cfg.Options(), k).Value.Set(v); err != nil {
				t.Fatal(err)
			}
		}
		err := cfg.Resolve(transport.Env{}, &transport.Run{ID: "x"})
		if err == nil || !transport.IsUsage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v", c.args, err)
		}
	}
	if err := transport.Find(newRunConfig().Options(), "header").Value.Set("no-colon"); err == nil {
		t.Error("--header without a colon accepted")
	}
}

// A consumer of your own answers requests with bodies of its own, keeping
// the correlation id: a request-reply run addressed by routing key counts
// every reply, and the consumer sees the headers.
func TestRPCToAConsumerOfYourOwn(t *testing.T) {
	u := testBroker(t)
	sfx := randSuffix()
	in := "test.auth." + sfx
	conn, err := amqp.Dial(u)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(in, false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := ch.Consume(in, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tenant atomicString
	go func() {
		for d := range msgs {
			if h, ok := d.Headers["x-tenant"].(string); ok {
				tenant.set(h)
			}
			_ = ch.Publish("", d.ReplyTo, false, false, amqp.Publishing{CorrelationId: d.CorrelationId, Body: []byte(`{"valid":true}`)})
		}
	}()
	defer conn.Close()
	cfg := Config{URL: u, RunID: "test-ext-" + sfx, Mode: ModeRPC, Consumers: 0, Producers: 2, Confirm: true, Payload: []byte(`{"user":"u"}`),
		OpenLoop: true, DrainTimeout: 3 * time.Second, External: &ExternalInput{RoutingKey: in, Headers: []correlate.Header{{Name: "x-tenant", Value: "acme"}}}}
	_, res, err := runWorkload(t, cfg, bench.Options{Rate: 300, Concurrency: 50, Duration: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Counts.Delivery
	if res.Counts.Sent < 200 || res.Counts.Errors != 0 || d.Received != res.Counts.Sent || d.Lost != 0 || d.Duplicates != 0 {
		t.Errorf("sent %d, errors %v, delivery %+v", res.Counts.Sent, res.Errors, *d)
	}
	if tenant.get() != "acme" {
		t.Errorf("the consumer saw x-tenant %q", tenant.get())
	}
	cfg.External = &ExternalInput{Exchange: "test.missing." + sfx}
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "exchange") {
		t.Errorf("missing exchange: %v", err)
	}
	w.Close()
}

type atomicString struct {
	mu sync.Mutex
	s  string
}

func (a *atomicString) set(s string) { a.mu.Lock(); a.s = s; a.mu.Unlock() }
func (a *atomicString) get() string  { a.mu.Lock(); defer a.mu.Unlock(); return a.s }
