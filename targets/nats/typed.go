package nats

import (
	"errors"
	"fmt"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// Typed messages (--encoding json|protobuf): each message is the header
// and, after it, an encoded order. In request mode the responders decode
// and validate it and reply with its encoded PaymentConfirmation, which
// the client checks; an invalid order gets an error reply in the headers
// NATS services use (Nats-Service-Error-Code 400), counted under
// messages.ClassInvalidMessage. Subscribers and JetStream consumers decode
// and validate each order; an invalid one is counted (Delivery.Invalid)
// and, in JetStream, terminated so that it is not delivered again.

// The reply headers of a refused request, as the NATS service API writes
// them.
const (
	errorHeader     = "Nats-Service-Error"
	errorCodeHeader = "Nats-Service-Error-Code"
)

// newOrderSender returns a client's order, or nil for random bytes.
func (w *Workload) newOrderSender() *messages.OrderSender {
	if !w.cfg.Encoding.Typed() {
		return nil
	}
	return messages.NewOrderSender(w.cfg.Encoding, w.cfg.Items, w.clocks.New())
}

// confirmOrder is a responder's work on a typed request: decode the order
// after the header, validate it, confirm its payment and encode the
// confirmation. Errors wrap messages.ErrInvalid when the order is at fault.
func confirmOrder(enc messages.Encoding, data []byte) ([]byte, error) {
	if len(data) < HeaderSize {
		return nil, fmt.Errorf("%w: a message of %d bytes, shorter than the %d-byte header", messages.ErrInvalid, len(data), HeaderSize)
	}
	return messages.ConfirmEncoded(enc, data[HeaderSize:])
}

// respondOrder answers a typed request with its confirmation, or with an
// error reply; it reports whether the order was valid.
func respondOrder(enc messages.Encoding, msg *gonats.Msg) bool {
	reply := &gonats.Msg{}
	conf, err := confirmOrder(enc, msg.Data)
	if err != nil {
		code := "500"
		if errors.Is(err, messages.ErrInvalid) {
			code = "400"
		}
		reply.Header = gonats.Header{errorCodeHeader: []string{code}, errorHeader: []string{err.Error()}}
	} else {
		reply.Data = conf
	}
	_ = msg.RespondMsg(reply)
	return err == nil
}

// checkReply checks the reply to a typed request: an error reply is the
// responder refusing the order; otherwise it must decode and confirm the
// order sent. The decode time is added to codec.
func (c *client) checkReply(reply *gonats.Msg, codec *time.Duration) error {
	order := c.order.Order()
	if code := reply.Header.Get(errorCodeHeader); code != "" {
		class := messages.ClassBadReply
		if code == "400" {
			class = messages.ClassInvalidMessage
		}
		return bench.Errorf(class, "nats: the responder refused order %s (%s %s)", order.OrderId, code, reply.Header.Get(errorHeader))
	}
	d, err := c.order.CheckReply(reply.Data, c.reply)
	*codec += d
	if err != nil {
		return bench.WithClass(messages.ClassBadReply, fmt.Errorf("nats: the reply to order %s: %w", order.OrderId, err))
	}
	return nil
}

// checkOrder is a subscriber's or consumer's work on a delivery of one of
// the run's messages; it reports whether the order was valid, counting it
// as invalid otherwise.
func (m *member) checkOrder(data []byte) bool {
	if m.check == nil || m.check(data[HeaderSize:]) == nil {
		return true
	}
	m.recv.invalid.Add(1)
	return false
}
