package queue

import (
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

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
	c, err := startConsumer(conn, &consumerSpec{queue: q, prefetch: 10, check: messages.OrderCheck(messages.JSON)}, "test-invalid", 2*time.Second)
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
