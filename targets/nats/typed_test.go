package nats

import (
	"context"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
)

// typedModes are the shapes typed messages are tested in, each on the
// embedded server.
var typedModes = []struct {
	name string
	cfg  Config
}{
	{"request", Config{Mode: ModeRequest, Consumers: 2}},
	{"publish", Config{Mode: ModePublish, Subscribers: 2}},
	{"jetstream", Config{Mode: ModeJetStream, Consumers: 2}},
}

// TestTypedMessages: in every mode and both encodings, every order
// arrives, decodes and validates, and the client's encode (and, for
// requests, decode) time is measured.
func TestTypedMessages(t *testing.T) {
	for _, mode := range typedModes {
		for _, enc := range []messages.Encoding{messages.JSON, messages.Protobuf} {
			t.Run(mode.name+"/"+string(enc), func(t *testing.T) {
				cfg := mode.cfg
				cfg.Encoding, cfg.Items = enc, 4
				res, w := run(t, cfg, bench.Options{Requests: 300})
				d := res.Counts.Delivery
				if res.Counts.Sent != 300 || res.Counts.Errors != 0 {
					t.Fatalf("sent %d, errors %d (%v); want 300 and none", res.Counts.Sent, res.Counts.Errors, res.Errors)
				}
				if want := 300 * int64(len(w.ledger.receivers)); d.Received != want || d.Invalid != 0 {
					t.Errorf("received %d, invalid %d; want %d and none", d.Received, d.Invalid, want)
				}
				if res.Resources == nil || res.Resources.ClientCodecPerOpUS <= 0 {
					t.Errorf("resources %+v: want the clients' encode time", res.Resources)
				}
			})
		}
	}
}

// halfBad sends, for every odd operation, an order whose currency is not
// a three-letter code: it encodes and travels like any other, and fails
// validation at the far side.
type halfBad struct{ c *client }

func (h halfBad) Do(ctx context.Context, op bench.Op) error {
	if op.Seq%2 == 0 {
		return h.c.Do(ctx, op)
	}
	o := h.c.order.Order()
	o.Currency = "euro"
	defer func() { o.Currency = "EUR" }()
	return h.c.Do(ctx, op)
}

// halfBadWorkload's clients are halfBad. Before the accounting it waits
// out pause, in which a JetStream message left unacknowledged, or
// refused for redelivery, would come back.
type halfBadWorkload struct {
	*Workload
	pause time.Duration
}

func (w halfBadWorkload) Finish(ctx context.Context, r *results.Result) error {
	time.Sleep(w.pause)
	return w.Workload.Finish(ctx, r)
}

func (w halfBadWorkload) NewClient(ctx context.Context, worker int) (bench.Client, error) {
	c, err := w.Workload.NewClient(ctx, worker)
	if err != nil {
		return nil, err
	}
	return halfBad{c.(*client)}, nil
}

// TestInvalidOrdersCounted: an invalid order is counted by the receivers
// in every mode and, for a request, answered with an error reply that
// the client counts as invalid_message; the run goes on.
func TestInvalidOrdersCounted(t *testing.T) {
	for _, mode := range typedModes {
		t.Run(mode.name, func(t *testing.T) {
			cfg := mode.cfg
			cfg.Encoding, cfg.Items, cfg.RunID = messages.Protobuf, 2, runID(t)
			cfg.DrainTimeout, cfg.AckWait = 3*time.Second, 200*time.Millisecond
			w, err := NewWorkload(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := bench.Run(context.Background(), halfBadWorkload{w, 3 * cfg.AckWait}, bench.Options{Concurrency: 1, Requests: 40})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Counts.Delivery
			receivers := int64(len(w.ledger.receivers))
			if d.Invalid != 20*receivers || d.Received != 40*receivers {
				t.Errorf("invalid %d of %d received; want %d of %d", d.Invalid, d.Received, 20*receivers, 40*receivers)
			}
			wantErrs := int64(0)
			if cfg.Mode == ModeRequest {
				wantErrs = 20
			}
			if got := res.Errors[messages.ClassInvalidMessage]; got != wantErrs || res.Counts.Errors != wantErrs {
				t.Errorf("errors %v (%d); want %d of class %s", res.Errors, res.Counts.Errors, wantErrs, messages.ClassInvalidMessage)
			}
			if cfg.Mode == ModeJetStream && d.Redelivered != 0 {
				t.Errorf("%d redelivered: an invalid message must be terminated, not redelivered", d.Redelivered)
			}
			if cfg.Mode == ModePublish {
				for _, s := range res.Subscribers {
					if s.Invalid != 20 {
						t.Errorf("subscriber %s: invalid %d, want 20", s.Group, s.Invalid)
					}
				}
			}
			res.Transport = "nats"
			if err := res.Validate(); err != nil {
				t.Errorf("result: %v", err)
			}
		})
	}
}
