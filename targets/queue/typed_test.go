package queue

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// TestTypedRPCRun: in rpc mode the consumers reply with each order's
// confirmation, which the producers check, in both encodings.
func TestTypedRPCRun(t *testing.T) {
	u := testBroker(t)
	for _, enc := range []messages.Encoding{messages.JSON, messages.Protobuf} {
		t.Run(string(enc), func(t *testing.T) {
			cfg := Config{URL: u, RunID: "test-typed-rpc-" + string(enc) + "-" + randSuffix(), Mode: ModeRPC, Producers: 2, Consumers: 2, Confirm: true,
				Prefetch: 100, DrainTimeout: 5 * time.Second, Encoding: enc, Items: 4}
			_, res, err := runWorkload(t, cfg, bench.Options{Requests: 400, Concurrency: 8, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			checkAccounted(t, res)
			if d := res.Counts.Delivery; d.Invalid != 0 {
				t.Errorf("%d valid orders refused as invalid", d.Invalid)
			}
			if res.Resources == nil || res.Resources.ClientCodecPerOpUS <= 0 {
				t.Errorf("resources %+v: want the producers' encode and decode time", res.Resources)
			}
		})
	}
}

// halfBad sends, for every odd operation, an order whose currency is not
// a three-letter code: it encodes and travels like any other, and fails
// validation at the consumer.
type halfBad struct{ c *client }

func (h halfBad) Do(ctx context.Context, op bench.Op) error {
	if op.Seq%2 == 1 {
		o := h.c.order.Order()
		o.Currency = "euro"
		defer func() { o.Currency = "EUR" }()
	}
	return h.c.Do(ctx, op)
}

type halfBadWorkload struct{ *Workload }

func (w halfBadWorkload) NewClient(ctx context.Context, worker int) (bench.Client, error) {
	c, err := w.Workload.NewClient(ctx, worker)
	if err != nil {
		return nil, err
	}
	return halfBad{c.(*client)}, nil
}

// TestTypedRPCRefusesInvalid: an invalid order in rpc mode is rejected,
// counted as invalid by the consumer, and answered with a refusal the
// producer counts as invalid_message; the run goes on.
func TestTypedRPCRefusesInvalid(t *testing.T) {
	u := testBroker(t)
	cfg := Config{URL: u, RunID: "test-typed-rpc-invalid-" + randSuffix(), Mode: ModeRPC, Producers: 1, Consumers: 1, Confirm: true,
		Prefetch: 10, DrainTimeout: 3 * time.Second, Encoding: messages.Protobuf, Items: 2}
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteQueue(t, u, w.Queue()) })
	res, err := bench.Run(context.Background(), halfBadWorkload{w}, bench.Options{Requests: 40, Concurrency: 1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Errors[messages.ClassInvalidMessage]; got != 20 || res.Counts.Errors != 20 || res.Counts.OK != 20 {
		t.Errorf("counts %+v, errors %v; want 20 ok and 20 %s", res.Counts, res.Errors, messages.ClassInvalidMessage)
	}
	if d := res.Counts.Delivery; d.Invalid != 20 || d.Received != 40 {
		t.Errorf("delivery %+v: want 40 received, 20 of them invalid", d)
	}
}

func TestTypedOnewayRun(t *testing.T) {
	u := testBroker(t)
	for _, enc := range []messages.Encoding{messages.JSON, messages.Protobuf} {
		t.Run(string(enc), func(t *testing.T) {
			cfg := Config{URL: u, RunID: "test-typed-" + string(enc) + "-" + randSuffix(), Producers: 2, Consumers: 2, Confirm: true,
				Prefetch: 100, OpenLoop: true, DrainTimeout: 5 * time.Second, Encoding: enc, Items: 4}
			_, res, err := runWorkload(t, cfg, bench.Options{Rate: 500, Concurrency: 100, Duration: time.Second, Warmup: 200 * time.Millisecond, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			checkAccounted(t, res)
			if d := res.Counts.Delivery; d != nil && d.Invalid != 0 {
				t.Errorf("%d valid orders refused as invalid", d.Invalid)
			}
			if res.Resources == nil || res.Resources.ClientCodecPerOpUS <= 0 {
				t.Errorf("resources %+v: want the producers' encode time", res.Resources)
			}
		})
	}
}

// TestInvalidMessagesAreDeadLettered: a consumer of typed messages takes
// a valid order, and rejects without requeue one that does not decode
// and one that breaks a rule; the broker dead-letters both.
func TestInvalidMessagesAreDeadLettered(t *testing.T) {
	u := testBroker(t)
	conn, err := dial(u, 2*time.Second, "commsbench test dead letters")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, dlq := "commsbench.test-invalid-"+randSuffix(), "commsbench.test-dead-"+randSuffix()
	t.Cleanup(func() { deleteQueue(t, u, q); deleteQueue(t, u, dlq) })
	if _, err := ch.QueueDeclare(dlq, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	args := amqp.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq}
	if _, err := ch.QueueDeclare(q, false, false, false, false, args); err != nil {
		t.Fatal(err)
	}
	c, err := startConsumer(conn, &consumerSpec{queue: q, prefetch: 10, enc: messages.JSON}, "test-invalid", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop(conn, 2*time.Second)

	bad := messages.NewOrder(2, 3)
	bad.Items[1].UnitPriceCents = 0
	for i, payload := range [][]byte{
		mustJSON(t, messages.NewOrder(1, 3)),
		[]byte(`{"order_id": "ord-2", "items": [`),
		mustJSON(t, bad),
	} {
		body := make([]byte, HeaderSize, HeaderSize+len(payload))
		Header{Run: 1, Seq: uint64(i)}.Put(body)
		if err := ch.Publish("", q, false, false, amqp.Publishing{Body: append(body, payload...)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	var dead int
	for time.Now().Before(deadline) {
		st, err := ch.QueueDeclarePassive(dlq, false, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if dead = st.Messages; dead == 2 && c.consumed.Load() == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.consumed.Load() != 1 || c.invalid.Load() != 2 || dead != 2 {
		t.Errorf("consumed %d, invalid %d, dead-lettered %d; want 1, 2 and 2", c.consumed.Load(), c.invalid.Load(), dead)
	}
}

func mustJSON(t *testing.T, o *messages.Order) []byte {
	t.Helper()
	b, err := messages.JSON.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTypedEchoTarget: a standalone target with a typed encoding (serve
// queue --encoding) confirms the orders of a run without consumers of
// its own; a raw echo target's replies are no confirmations, and every
// one counts as a bad reply.
func TestTypedEchoTarget(t *testing.T) {
	u := testBroker(t)
	for _, tc := range []struct {
		target   messages.Encoding
		wantOK   int64
		badReply int64
	}{
		{messages.Protobuf, 100, 0},
		{messages.Raw, 0, 100},
	} {
		t.Run(string(tc.target), func(t *testing.T) {
			q := "commsbench.test-typed-echo-" + randSuffix()
			e, err := StartEcho(EchoConfig{URL: u, Queue: q, Consumers: 2, Prefetch: 50, Encoding: tc.target})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close(); deleteQueue(t, u, q) })
			cfg := Config{URL: u, Queue: q, RunID: "test-typed-echo-" + randSuffix(), Mode: ModeRPC, Producers: 1, Consumers: 0, Confirm: true,
				DrainTimeout: 2 * time.Second, Encoding: messages.Protobuf, Items: 3}
			_, res, err := runWorkload(t, cfg, bench.Options{Requests: 100, Concurrency: 4, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts.OK != tc.wantOK || res.Errors[messages.ClassBadReply] != tc.badReply {
				t.Errorf("counts %+v, errors %v; want %d ok and %d %s", res.Counts, res.Errors, tc.wantOK, tc.badReply, messages.ClassBadReply)
			}
			if s := e.Stats(); s.Replied != 100 || s.Invalid != 0 {
				t.Errorf("target stats %+v: want 100 replies, none invalid", s)
			}
		})
	}
}

// TestResolveTypedRPC: --mode rpc takes a typed encoding, with consumers
// of the run or elsewhere, and records the reply's size; serve queue
// refuses an encoding it does not know.
func TestResolveTypedRPC(t *testing.T) {
	for _, args := range [][]string{
		{"mode", "rpc", "encoding", "protobuf"},
		{"mode", "rpc", "encoding", "json", "consumers", "0", "queue", "commsbench.echo"},
	} {
		c := Transport().NewConfig()
		for i := 0; i < len(args); i += 2 {
			if err := transport.Find(c.Options(), args[i]).Value.Set(args[i+1]); err != nil {
				t.Fatal(err)
			}
		}
		run := transport.Run{ID: "resolve", Concurrency: 4}
		if err := c.Resolve(transport.Env{}, &run); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		rec := c.Record(run)
		if rec["encoding"] != args[3] || rec["reply_bytes"] == nil || run.PayloadBytes != HeaderSize+rec["request_bytes"].(int) {
			t.Errorf("%v: record %v, payload %d bytes", args, rec, run.PayloadBytes)
		}
	}
	s := Transport().Serve.NewConfig()
	if err := transport.Find(s.Options(), "encoding").Value.Set("xml"); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(context.Background(), transport.Env{}, io.Discard); err == nil || !transport.IsUsage(err) || !strings.Contains(err.Error(), "raw, json or protobuf") {
		t.Errorf("serve --encoding xml: %v, want a usage error naming the encodings", err)
	}
}
