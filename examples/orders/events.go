package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// InventoryReserved is what the service emits for each order placed.
type InventoryReserved struct {
	Event      string `json:"event"`
	OrderID    string `json:"order_id"`
	CustomerID string `json:"customer_id"`
	Units      int    `json:"units"`
}

// eventsConfig is the consume-transform-produce loop's settings.
type eventsConfig struct {
	Brokers    []string
	In, Out    string
	Group      string
	Delay      time.Duration
	Partitions int
}

// eventStats counts what the loop did.
type eventStats struct{ consumed, emitted, invalid atomic.Int64 }

// headerCarrier lets the trace context propagator read and write Kafka
// record headers.
type headerCarrier struct{ h *[]kafka.Header }

func (c headerCarrier) Get(key string) string {
	for _, h := range *c.h {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func (c headerCarrier) Set(key, value string) {
	*c.h = append(*c.h, kafka.Header{Key: key, Value: []byte(value)})
}

func (c headerCarrier) Keys() []string {
	ks := make([]string, len(*c.h))
	for i, h := range *c.h {
		ks[i] = h.Key
	}
	return ks
}

// ensureTopics creates the service's topics if they are missing, as a
// service that owns them does at start.
func ensureTopics(ctx context.Context, cfg eventsConfig) error {
	c := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second}
	var tcs []kafka.TopicConfig
	for _, t := range []string{cfg.In, cfg.Out} {
		tcs = append(tcs, kafka.TopicConfig{Topic: t, NumPartitions: cfg.Partitions, ReplicationFactor: 1})
	}
	res, err := c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: tcs})
	if err != nil {
		return fmt.Errorf("create topics on %v: %w", cfg.Brokers, err)
	}
	for t, err := range res.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	return nil
}

// runEvents reads OrderPlaced events from cfg.In and writes an
// InventoryReserved event to cfg.Out for each valid one, with the input's
// key, continuing the input's trace as an OpenTelemetry-instrumented
// service does: the output's traceparent has the input's trace id and a
// span id of its own. It returns when ctx ends.
func runEvents(ctx context.Context, cfg eventsConfig, st *eventStats, ready chan<- struct{}) error {
	if err := ensureTopics(ctx, cfg); err != nil {
		return err
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: cfg.Brokers, GroupID: cfg.Group, Topic: cfg.In,
		MinBytes: 1, MaxBytes: 4 << 20, MaxWait: 50 * time.Millisecond, CommitInterval: time.Second,
	})
	defer r.Close()
	w := &kafka.Writer{Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.Out, Balancer: &kafka.Hash{},
		BatchSize: 100, BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if ready != nil {
		close(ready)
	}
	prop := propagation.TraceContext{}
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read %s: %w", cfg.In, err)
		}
		st.consumed.Add(1)
		o, err := decodeOrder(m.Value)
		if err != nil {
			st.invalid.Add(1)
			log.Printf("orders: skipped an invalid OrderPlaced at %s/%d@%d: %v", cfg.In, m.Partition, m.Offset, err)
			continue
		}
		sleep(cfg.Delay)
		units := 0
		for _, it := range o.Items {
			units += it.Quantity
		}
		value, _ := json.Marshal(InventoryReserved{Event: "InventoryReserved", OrderID: newID(), CustomerID: o.CustomerID, Units: units})
		var hs []kafka.Header
		in := prop.Extract(ctx, headerCarrier{&m.Headers})
		if parent := trace.SpanContextFromContext(in); parent.IsValid() {
			var span trace.SpanID
			_, _ = rand.Read(span[:])
			child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: parent.TraceID(), SpanID: span, TraceFlags: parent.TraceFlags()})
			prop.Inject(trace.ContextWithSpanContext(in, child), headerCarrier{&hs})
		}
		if err := w.WriteMessages(ctx, kafka.Message{Key: m.Key, Value: value, Headers: hs}); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("write %s: %w", cfg.Out, err)
		}
		st.emitted.Add(1)
	}
}
