package messages

import (
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
