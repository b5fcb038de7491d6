package event

import "github.com/commsbench/commsbench/targets/messages"

// Typed events (--encoding json|protobuf): every event's value is an
// encoded order, which each subscribing group's members decode and
// validate (subscriberConfig.check, messages.OrderCheck). Kafka has no
// rejection of one record: an invalid event is counted
// (Subscriber.Invalid, Delivery.Invalid) and its offset committed like
// any other, as a consumer that logs and skips a poison message does.
// Values are encoded afresh for each event, never into a reused buffer:
// the producer may still hold an earlier value when an operation timed
// out.

// newOrderSender returns a client's order, or nil for random bytes.
func (w *Workload) newOrderSender() *messages.OrderSender {
	if !w.cfg.Encoding.Typed() {
		return nil
	}
	return messages.NewOrderSender(w.cfg.Encoding, w.cfg.Items, w.clocks.New())
}
