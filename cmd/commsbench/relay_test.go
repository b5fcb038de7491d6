package main

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	kafka "github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// relay BROKERS IN OUT creates the topics IN and OUT and runs, until the
// script ends, a consume-transform-produce service that knows nothing of
// commsbench: for each event on IN it writes one to OUT, continuing the
// trace as an OpenTelemetry-instrumented service does.
func cmdRelay(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: relay BROKERS IN OUT")
	}
	addr, in, out := args[0], args[1], args[2]
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	res, err := c.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: in, NumPartitions: 2, ReplicationFactor: 1}, {Topic: out, NumPartitions: 2, ReplicationFactor: 1},
	}})
	if err != nil {
		ts.Fatalf("relay: create topics: %v", err)
	}
	for t, err := range res.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			ts.Fatalf("relay: create %s: %v", t, err)
		}
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: "relay", Topic: in, StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 50 * time.Millisecond})
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: out, BatchSize: 1}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		prop := propagation.TraceContext{}
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				return
			}
			pctx := prop.Extract(ctx, propagation.HeaderCarrier{})
			var hs []kafka.Header
			for _, h := range m.Headers {
				if h.Key == "traceparent" {
					pctx = prop.Extract(ctx, propagation.MapCarrier{"traceparent": string(h.Value)})
				}
			}
			if parent := trace.SpanContextFromContext(pctx); parent.IsValid() {
				var span trace.SpanID
				_, _ = rand.Read(span[:])
				child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: parent.TraceID(), SpanID: span, TraceFlags: parent.TraceFlags()})
				mc := propagation.MapCarrier{}
				prop.Inject(trace.ContextWithSpanContext(pctx, child), mc)
				hs = append(hs, kafka.Header{Key: "traceparent", Value: []byte(mc["traceparent"])})
			}
			if err := w.WriteMessages(ctx, kafka.Message{Key: m.Key, Value: []byte(`{"event":"InventoryReserved"}`), Headers: hs}); err != nil {
				return
			}
		}
	}()
	ts.Defer(func() {
		cancel()
		<-done
		r.Close()
		w.Close()
	})
}
