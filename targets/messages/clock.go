package messages

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Error classes of typed exchanges, counted apart from the transport's own.
const (
	// ClassInvalidMessage: the receiver refused the message as malformed
	// or invalid (HTTP 400, gRPC INVALID_ARGUMENT).
	ClassInvalidMessage = "invalid_message"
	// ClassBadReply: the reply did not decode, or did not answer the
	// message sent (another order's confirmation, a wrong amount).
	ClassBadReply = "bad_reply"
)

// CodecClock sums one worker's time encoding requests and decoding
// replies over its measured operations: two clock readings around each,
// on the worker's own counters, merged after the run by Clocks.
type CodecClock struct {
	ns, ops atomic.Int64
}

// Add counts one operation's encode and decode time.
func (c *CodecClock) Add(d time.Duration) {
	c.ns.Add(int64(d))
	c.ops.Add(1)
}

// Clocks holds the workers' clocks of one run.
type Clocks struct {
	mu   sync.Mutex
	list []*CodecClock
}

// New returns a clock for one more worker.
func (cs *Clocks) New() *CodecClock {
	c := new(CodecClock)
	cs.mu.Lock()
	cs.list = append(cs.list, c)
	cs.mu.Unlock()
	return c
}

// PerOpUS is the mean encode and decode time per measured operation in
// microseconds, and false when no operation was measured.
func (cs *Clocks) PerOpUS() (float64, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var ns, ops int64
	for _, c := range cs.list {
		ns += c.ns.Load()
		ops += c.ops.Load()
	}
	if ops == 0 {
		return 0, false
	}
	return float64(ns) / 1e3 / float64(ops), true
}

// OrderSender is a one-way producer's order: built once, encoded again
// with each operation's id, the encode time of measured operations going
// to its clock.
type OrderSender struct {
	enc   Encoding
	order *Order
	clock *CodecClock
}

// NewOrderSender returns the sender of orders of items lines.
func NewOrderSender(enc Encoding, items int, clock *CodecClock) *OrderSender {
	return &OrderSender{enc: enc, order: NewOrder(0, items), clock: clock}
}

// AppendEncoded appends the order of operation seq to b.
func (s *OrderSender) AppendEncoded(b []byte, seq int64, measured bool) ([]byte, error) {
	start := time.Now()
	SetOrderID(s.order, seq)
	b, err := s.enc.AppendMarshal(b, s.order)
	if err != nil {
		return nil, fmt.Errorf("encode order %s: %w", s.order.OrderId, err)
	}
	if measured {
		s.clock.Add(time.Since(start))
	}
	return b, nil
}

// Order is the order AppendEncoded last encoded.
func (s *OrderSender) Order() *Order { return s.order }

// Clock is the clock the sender's encode time goes to.
func (s *OrderSender) Clock() *CodecClock { return s.clock }

// CheckReply decodes b, the reply to the order last encoded, into reply
// and checks that it confirms that order. It returns the decode time,
// which the caller adds to the operation's encode time.
func (s *OrderSender) CheckReply(b []byte, reply *PaymentConfirmation) (time.Duration, error) {
	start := time.Now()
	err := s.enc.Unmarshal(b, reply)
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("not a %s PaymentConfirmation: %v", s.enc, err)
	}
	return d, CheckConfirmation(s.order, reply)
}

// ConfirmEncoded is a responder's work on an encoded order: decode it,
// validate it, confirm its payment and encode the confirmation. An error
// wraps ErrInvalid when the order is at fault.
func ConfirmEncoded(enc Encoding, b []byte) ([]byte, error) {
	order, err := DecodeValidOrder(enc, b)
	if err != nil {
		return nil, err
	}
	conf, err := ConfirmPayment(order)
	if err != nil {
		return nil, err
	}
	return enc.Marshal(conf)
}

// OrderCheck is a consumer's work on a typed message: decode the order
// and validate it. It is nil for the raw encoding, which carries none.
func OrderCheck(enc Encoding) func([]byte) error {
	if !enc.Typed() {
		return nil
	}
	return func(b []byte) error {
		_, err := DecodeValidOrder(enc, b)
		return err
	}
}
