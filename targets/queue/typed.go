package queue

import "github.com/commsbench/commsbench/targets/messages"

// Typed messages (--encoding json|protobuf): the body is the header and,
// after it, an encoded order, which the consumers decode and validate
// (consumerSpec.check, messages.OrderCheck). A message that does not
// decode or breaks the order's rules is rejected without requeue, which
// the broker dead-letters when the queue has a dead-letter exchange, and
// is counted as invalid.

// newOrderSender returns a client's order, or nil for random bytes.
func (w *Workload) newOrderSender() *messages.OrderSender {
	if !w.cfg.Encoding.Typed() {
		return nil
	}
	return messages.NewOrderSender(w.cfg.Encoding, w.cfg.Items, w.clocks.New())
}
