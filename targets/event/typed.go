package event

import (
	"fmt"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// Typed events (--encoding json|protobuf): every event's value is an
// encoded order, which each subscribing group's members decode and
// validate. Kafka has no rejection of one record: an invalid event is
// counted (Subscriber.Invalid, Delivery.Invalid) and its offset committed
// like any other, as a consumer that logs and skips a poison message does.

// orderValue is a client's order, encoded afresh for each event: the
// producer may still hold an earlier value when an operation timed out,
// so values are never reused.
type orderValue struct {
	enc   messages.Encoding
	order *messages.Order
	clock *messages.CodecClock
}

func (w *Workload) newOrderValue() *orderValue {
	if !w.cfg.Encoding.Typed() {
		return nil
	}
	return &orderValue{enc: w.cfg.Encoding, order: messages.NewOrder(0, w.cfg.Items), clock: w.clocks.New()}
}

// encode returns op's order, encoded; the encode time of measured
// operations goes to the clock.
func (v *orderValue) encode(op bench.Op) ([]byte, error) {
	start := time.Now()
	messages.SetOrderID(v.order, op.Seq)
	b, err := v.enc.Marshal(v.order)
	if err != nil {
		return nil, fmt.Errorf("event: encode order %s: %w", v.order.OrderId, err)
	}
	if !op.Warmup {
		v.clock.Add(time.Since(start))
	}
	return b, nil
}

// orderCheck is a member's work on a typed event's value.
func orderCheck(enc messages.Encoding) func([]byte) error {
	if !enc.Typed() {
		return nil
	}
	return func(value []byte) error {
		_, err := messages.DecodeValidOrder(enc, value)
		return err
	}
}
