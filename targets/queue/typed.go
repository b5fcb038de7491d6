package queue

import (
	"fmt"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// Typed messages (--encoding json|protobuf): the body is the header and,
// after it, an encoded order, which the consumers decode and validate. A
// message that does not decode or breaks the order's rules is rejected
// without requeue, which the broker dead-letters when the queue has a
// dead-letter exchange, and is counted as invalid.

// orderBody is a client's order, re-encoded for each message.
type orderBody struct {
	enc   messages.Encoding
	order *messages.Order
	clock *messages.CodecClock
}

func (w *Workload) newOrderBody() *orderBody {
	if !w.cfg.Encoding.Typed() {
		return nil
	}
	return &orderBody{enc: w.cfg.Encoding, order: messages.NewOrder(0, w.cfg.Items), clock: w.clocks.New()}
}

// put encodes op's order after the header room of body and returns the
// whole body; the encode time of measured operations goes to the clock.
func (b *orderBody) put(body []byte, op bench.Op) ([]byte, error) {
	start := time.Now()
	messages.SetOrderID(b.order, op.Seq)
	body, err := b.enc.AppendMarshal(body[:HeaderSize], b.order)
	if err != nil {
		return nil, fmt.Errorf("queue: encode order %s: %w", b.order.OrderId, err)
	}
	if !op.Warmup {
		b.clock.Add(time.Since(start))
	}
	return body, nil
}

// orderCheck is the consumers' work on a typed message's payload.
func orderCheck(enc messages.Encoding) func([]byte) error {
	if !enc.Typed() {
		return nil
	}
	return func(payload []byte) error {
		_, err := messages.DecodeValidOrder(enc, payload)
		return err
	}
}
