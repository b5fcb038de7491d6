package event

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/correlate"
	"github.com/commsbench/commsbench/targets/transport"
)

func createTopics(t *testing.T, addr string, partitions int, topics ...string) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 5 * time.Second}
	var tcs []kafka.TopicConfig
	for _, n := range topics {
		tcs = append(tcs, kafka.TopicConfig{Topic: n, NumPartitions: partitions, ReplicationFactor: 1})
	}
	res, err := c.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: tcs})
	if err != nil {
		t.Fatal(err)
	}
	for n, err := range res.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			t.Fatalf("create %s: %v", n, err)
		}
	}
}

// inventory is a consume-transform-produce service written for the test,
// knowing nothing of commsbench: it reads OrderPlaced events from in and
// writes an InventoryReserved event to out for each, with the input's key
// and the trace continued as an OpenTelemetry-instrumented service does
// (same trace id, a span id of its own). Counting the events it reads from
// 1, it drops every 100th and emits every 200th (the 50th, the 250th, …)
// twice.
func startInventory(t *testing.T, addr, in, out string) {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: "inventory", Topic: in, StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 50 * time.Millisecond})
	wr := &kafka.Writer{Addr: kafka.TCP(addr), Topic: out, BatchSize: 1, RequiredAcks: kafka.RequireAll}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		prop := propagation.TraceContext{}
		for n := 1; ; n++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				return
			}
			pctx := prop.Extract(ctx, correlate.KafkaHeaders{H: &m.Headers})
			parent := trace.SpanContextFromContext(pctx)
			var span trace.SpanID
			_, _ = rand.Read(span[:])
			child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: parent.TraceID(), SpanID: span, TraceFlags: parent.TraceFlags()})
			var hs []kafka.Header
			if parent.IsValid() {
				prop.Inject(trace.ContextWithSpanContext(pctx, child), correlate.KafkaHeaders{H: &hs})
			}
			outMsg := kafka.Message{Key: m.Key, Headers: hs, Value: []byte(`{"event":"InventoryReserved"}`)}
			copies := 1
			switch {
			case n%100 == 0:
				copies = 0
			case n%200 == 50:
				copies = 2
			}
			for range copies {
				if err := wr.WriteMessages(ctx, outMsg); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		r.Close()
		wr.Close()
	})
}

func TestPipelineThroughAConsumeTransformProduceService(t *testing.T) {
	for _, mode := range []string{"traceparent", "key"} {
		t.Run(mode, func(t *testing.T) {
			b, err := StartBroker(BrokerConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			createTopics(t, b.Addr(), 3, "orders", "reserved")
			startInventory(t, b.Addr(), "orders", "reserved")
			m, _ := correlate.ParseMode(mode)
			w, err := NewPipeline(PipelineConfig{Brokers: []string{b.Addr()}, Topic: "orders", ResultTopic: "reserved", Correlate: m,
				Payload: []byte(`{"event":"OrderPlaced"}`), DrainTimeout: 5 * time.Second, RunID: "test-" + mode, Headers: []correlate.Header{{Name: "x-tenant", Value: "acme"}}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := bench.Run(ctx, w, bench.Options{Rate: 600, Concurrency: 64, Duration: time.Second, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			d, sent := res.Counts.Delivery, res.Counts.Sent
			if sent < 300 || res.Counts.Errors != 0 {
				t.Fatalf("sent %d, errors %v", sent, res.Errors)
			}
			wantLost, wantDup := sent/100, (sent+150)/200
			if d.Acked != sent || d.Lost != wantLost || d.Duplicates != wantDup || d.Received != sent-wantLost || d.Outstanding != 0 || d.Uncorrelated != 0 || d.OutOfOrder != 0 {
				t.Errorf("sent %d: want lost %d and duplicates %d; got %+v\nnotes: %q", sent, wantLost, wantDup, *d, res.Notes)
			}
			e2e, svc := res.Latency[results.EndToEnd], res.Latency[results.EndToEndService]
			if e2e == nil || svc == nil || e2e.Count != d.Received || svc.Count != d.Received || e2e.P50 <= 0 {
				t.Errorf("latencies: %+v, %+v", e2e, svc)
			}
		})
	}
}

// An output with nothing to correlate by is counted, not dropped.
func TestPipelineCountsUncorrelatedOutputs(t *testing.T) {
	b, err := StartBroker(BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	createTopics(t, b.Addr(), 1, "in", "out")
	w, err := NewPipeline(PipelineConfig{Brokers: []string{b.Addr()}, Topic: "in", ResultTopic: "out", PayloadBytes: 10, DrainTimeout: 200 * time.Millisecond, RunID: "test-unc"})
	if err != nil {
		t.Fatal(err)
	}
	// Something that is not the service writes to the output mid-run.
	wr := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Topic: "out", BatchSize: 1}
	defer wr.Close()
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = wr.WriteMessages(context.Background(), kafka.Message{Value: []byte("x")}, kafka.Message{Value: []byte("y"), Headers: []kafka.Header{{Key: "traceparent", Value: []byte("00-zz")}}})
	}()
	res, err := bench.Run(context.Background(), w, bench.Options{Rate: 100, Concurrency: 8, Duration: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Counts.Delivery
	if d.Uncorrelated != 2 || d.Lost != res.Counts.Sent || d.Received != 0 {
		t.Errorf("delivery %+v", *d)
	}
	if notes := strings.Join(res.Notes, "\n"); !strings.Contains(notes, "1 without the header, 1 malformed") {
		t.Errorf("notes: %s", notes)
	}
}

func TestPipelineRefusesWhatCannotWork(t *testing.T) {
	b, err := StartBroker(BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	createTopics(t, b.Addr(), 1, "in")
	w, err := NewPipeline(PipelineConfig{Brokers: []string{b.Addr()}, Topic: "in", ResultTopic: "missing", RunID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Start(context.Background())
	w.Close()
	if err == nil || !strings.Contains(err.Error(), `output topic "missing" (--result-topic) is not on the brokers`) {
		t.Errorf("missing output topic: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"result-topic=out"}, "--brokers"},
		{[]string{"result-topic=out", "brokers=127.0.0.1:9"}, "--topic"},
		{[]string{"result-topic=out", "brokers=127.0.0.1:9", "topic=out"}, "another topic"},
		{[]string{"result-topic=out", "brokers=127.0.0.1:9", "topic=in", "correlate=bogus"}, "--correlate"},
		{[]string{"result-topic=out", "brokers=127.0.0.1:9", "topic=in", "subscribers=2"}, "--subscribers"},
		{[]string{"correlate=key"}, "--result-topic"},
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
}
