package event

import (
	"context"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

func TestTypedEvents(t *testing.T) {
	for _, enc := range []messages.Encoding{messages.JSON, messages.Protobuf} {
		t.Run(string(enc), func(t *testing.T) {
			cfg := baseConfig(nil, "test-typed-"+string(enc)+"-"+time.Now().Format("150405.000000"))
			cfg.Encoding, cfg.Items, cfg.PayloadBytes = enc, 4, 0
			_, res := runWorkload(t, cfg, bench.Options{Concurrency: 4, Requests: 400, Timeout: 5 * time.Second})
			checkExactDelivery(t, res, []int{1, 2})
			if d := res.Counts.Delivery; d.Invalid != 0 {
				t.Errorf("%d valid orders refused as invalid", d.Invalid)
			}
			if res.Resources == nil || res.Resources.ClientCodecPerOpUS <= 0 {
				t.Errorf("resources %+v: want the producers' encode time", res.Resources)
			}
		})
	}
}

// halfBad publishes, for every odd operation, an event whose value is
// not an order: the run's stamp, a malformed body.
type halfBad struct{ c *client }

func (h halfBad) Do(ctx context.Context, op bench.Op) error {
	if op.Seq%2 == 0 {
		return h.c.Do(ctx, op)
	}
	ev := event{sentNS: op.Intended.UnixNano(), value: []byte(`{"order_id": "ord-1", "items": [`), measure: !op.Warmup}
	return h.c.p.publish(ctx, h.c.p.partitionFor(nil), ev)
}

type halfBadWorkload struct{ *Workload }

func (w halfBadWorkload) NewClient(ctx context.Context, worker int) (bench.Client, error) {
	c, err := w.Workload.NewClient(ctx, worker)
	if err != nil {
		return nil, err
	}
	return halfBad{c.(*client)}, nil
}

// TestInvalidEventsAreCounted: every group receives the malformed events
// too, refuses them after decoding, counts them and goes on.
func TestInvalidEventsAreCounted(t *testing.T) {
	cfg := baseConfig(nil, "test-invalid-"+time.Now().Format("150405.000000"))
	cfg.Encoding, cfg.Items, cfg.PayloadBytes = messages.JSON, 2, 0
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(context.Background(), halfBadWorkload{w}, bench.Options{Concurrency: 1, Requests: 40, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkExactDelivery(t, res, []int{1, 2})
	if d := res.Counts.Delivery; d.Invalid != 40 {
		t.Errorf("delivery.invalid %d, want 20 for each of 2 groups", d.Invalid)
	}
	for _, s := range res.Subscribers {
		if s.Invalid != 20 || s.Received != 40 {
			t.Errorf("group %s: invalid %d of %d received; want 20 of 40", s.Group, s.Invalid, s.Received)
		}
	}
}
