package queue

import (
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// Typed messages (--encoding json|protobuf): the body is the header and,
// after it, an encoded order, which the consumers decode and validate. In
// one-way mode that is all; in rpc mode the consumer replies with the
// header and the order's encoded PaymentConfirmation, which the producer
// checks. A message that does not decode or breaks the order's rules is
// rejected without requeue, which the broker dead-letters when the queue
// has a dead-letter exchange, and counted as invalid; a request gets a
// reply of its header alone with the reason in its refusedHeader, which
// the producer counts as messages.ClassInvalidMessage.

// refusedHeader names the AMQP header of a reply that refuses the request,
// holding the reason.
const refusedHeader = "commsbench-refused"

// rpcReply is a reply as the producer hands it to the waiting worker:
// its body and, for a refused request, the reason.
type rpcReply struct {
	body    []byte
	refused string
	corr    string // the reply's correlation id
}

// refusal reads a reply's refusal from its headers, "" for none.
func refusal(h amqp.Table) string {
	if s, ok := h[refusedHeader].(string); ok {
		return s
	}
	return ""
}

// newOrderSender returns a client's order, or nil for random bytes.
func (w *Workload) newOrderSender() *messages.OrderSender {
	if !w.cfg.Encoding.Typed() {
		return nil
	}
	return messages.NewOrderSender(w.cfg.Encoding, w.cfg.Items, w.clocks.New())
}

// typedWork is a consumer's work on a typed message, whose body has a
// header: decode and validate its order and, for a request, return the
// reply, the header and the encoded confirmation.
func typedWork(enc messages.Encoding, d *amqp.Delivery) ([]byte, error) {
	if d.ReplyTo == "" {
		_, err := messages.DecodeValidOrder(enc, d.Body[HeaderSize:])
		return d.Body, err
	}
	conf, err := messages.ConfirmEncoded(enc, d.Body[HeaderSize:])
	if err != nil {
		return nil, err
	}
	return append(d.Body[:HeaderSize:HeaderSize], conf...), nil
}

// refuse answers a refused request with its header and the reason.
func (c *consumer) refuse(d *amqp.Delivery, reason error) {
	if d.ReplyTo == "" {
		return
	}
	c.fail(c.ch.Publish("", d.ReplyTo, false, false, amqp.Publishing{
		CorrelationId: d.CorrelationId,
		Headers:       amqp.Table{refusedHeader: reason.Error()},
		Body:          d.Body[:HeaderSize],
	}))
}

// checkReply checks the reply to a typed request: a refusal is the
// consumer rejecting the order; otherwise the reply must decode and
// confirm the order sent. The decode time is added to codec.
func (c *client) checkReply(r rpcReply, codec *time.Duration) error {
	id := c.order.Order().OrderId
	if r.refused != "" {
		return bench.Errorf(messages.ClassInvalidMessage, "queue: the consumer refused order %s: %s", id, r.refused)
	}
	d, err := c.order.CheckReply(r.body[HeaderSize:], c.reply)
	*codec += d
	if err != nil {
		return bench.WithClass(messages.ClassBadReply, fmt.Errorf("queue: the reply to order %s: %w", id, err))
	}
	return nil
}
