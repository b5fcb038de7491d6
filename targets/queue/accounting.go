package queue

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/commsbench/commsbench/results"
)

// The ledger is the exact message accounting of a run. Every message
// carries its producer id and a sequence number that its producer assigns,
// densely from 0, in the order it publishes; so the ledger keeps, per
// producer, one bit per message and per fact (published in warm-up,
// confirmed, nacked, returned, received) and counts at the end. A million
// messages cost 125 KB per fact.

// bitset is a growable set of sequence numbers.
type bitset []uint64

// set adds i and reports whether it was already there.
func (b *bitset) set(i uint64) (was bool) {
	w := i / 64
	if w >= uint64(len(*b)) {
		n := max(w+1, uint64(2*len(*b)), 16)
		grown := make([]uint64, n)
		copy(grown, *b)
		*b = grown
	}
	m := uint64(1) << (i % 64)
	was = (*b)[w]&m != 0
	(*b)[w] |= m
	return was
}

func (b bitset) has(i uint64) bool {
	w := i / 64
	return w < uint64(len(b)) && b[w]&(uint64(1)<<(i%64)) != 0
}

// len is one past the highest possible member.
func (b bitset) len() uint64 { return uint64(len(b)) * 64 }

// count returns the number of members.
func (b bitset) count() int64 {
	var n int
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return int64(n)
}

// maxSeq bounds sequence numbers the ledger believes: a corrupt header must
// not make it allocate gigabytes.
const maxSeq = 1 << 36

// deliveryCounters are the per-delivery counts of one class of messages
// (measured or warm-up).
type deliveryCounters struct {
	duplicates, redelivered, outOfOrder int64
}

// stream is the accounting of one producer's messages.
type stream struct {
	mu sync.Mutex
	// published: sequence numbers below it were published (a failed publish
	// does not take a number).
	published                                         uint64
	warm, confirmed, nacked, returned, received, done bitset
	answered, nDone                                   uint64
	counters                                          [2]deliveryCounters // [measured, warm-up]
}

// ledger holds the accounting of every producer of a run.
type ledger struct {
	confirms bool
	streams  []*stream
	// foreign counts deliveries that were not this run's messages (another
	// run's leftovers on a shared queue, or something else entirely).
	foreign atomic.Int64
	// sent and arrived count publishes the client accepted and first
	// receipts, warm-up included: their difference is the backlog.
	sent, arrived atomic.Int64
}

func newLedger(producers int, confirms bool) *ledger {
	l := &ledger{confirms: confirms, streams: make([]*stream, producers)}
	for i := range l.streams {
		l.streams[i] = &stream{}
	}
	return l
}

func (l *ledger) stream(producer uint32, seq uint64) *stream {
	if int(producer) >= len(l.streams) || seq >= maxSeq {
		return nil
	}
	return l.streams[producer]
}

// published records a publish that the client library accepted.
func (l *ledger) published(producer uint32, seq uint64, warm bool) {
	s := l.stream(producer, seq)
	if s == nil {
		return
	}
	l.sent.Add(1)
	s.mu.Lock()
	s.published = max(s.published, seq+1)
	if warm {
		s.warm.set(seq)
	}
	s.mu.Unlock()
}

// confirm records the broker's answer to a publish: ack or nack.
func (l *ledger) confirm(producer uint32, seq uint64, ack bool) {
	s := l.stream(producer, seq)
	if s == nil {
		return
	}
	s.mu.Lock()
	if !s.confirmed.has(seq) && !s.nacked.has(seq) {
		s.answered++
	}
	if ack {
		s.confirmed.set(seq)
	} else {
		s.nacked.set(seq)
		s.markDone(seq)
	}
	s.mu.Unlock()
}

// returned records a mandatory message that the broker could not route.
func (l *ledger) returned(producer uint32, seq uint64) {
	s := l.stream(producer, seq)
	if s == nil {
		return
	}
	s.mu.Lock()
	s.returned.set(seq)
	s.markDone(seq)
	s.mu.Unlock()
}

func (s *stream) markDone(seq uint64) {
	if !s.done.set(seq) {
		s.nDone++
	}
}

// received records one delivery of a message and reports whether it was the
// first. A delivery of a message already received is a redelivery when the
// broker flagged it so (after a requeue) and a duplicate otherwise.
// outOfOrder says the consumer saw a later message of the same producer
// before this one; it is counted for first, unflagged deliveries only,
// since a requeued message comes back out of order by design.
func (l *ledger) received(h Header, redelivered, outOfOrder bool) (first bool) {
	s := l.stream(h.Producer, h.Seq)
	if s == nil {
		l.foreign.Add(1)
		return false
	}
	class := 0
	if h.Warmup {
		class = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.counters[class]
	first = !s.received.set(h.Seq)
	if h.Warmup {
		s.warm.set(h.Seq)
	}
	switch {
	case redelivered:
		c.redelivered++
	case !first:
		c.duplicates++
	case outOfOrder:
		c.outOfOrder++
	}
	if first {
		s.markDone(h.Seq)
		l.arrived.Add(1)
	}
	return first
}

// settled reports whether every published message has its fate known: the
// broker answered it (with confirms on) and it was received, returned or
// nacked. The drain waits for this.
func (l *ledger) settled() bool {
	for _, s := range l.streams {
		s.mu.Lock()
		ok := s.nDone >= s.published && (!l.confirms || s.answered >= s.published)
		s.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// accounting is the ledger's final count, split into measured and warm-up
// messages.
type accounting struct {
	Measured, Warmup results.Delivery
	// Published counts messages the client library accepted.
	PublishedMeasured, PublishedWarmup int64
	Foreign                            int64
}

// count classifies every message of every producer.
func (l *ledger) count() accounting {
	var a accounting
	for _, s := range l.streams {
		s.mu.Lock()
		n := max(s.published, s.received.len())
		for seq := uint64(0); seq < n; seq++ {
			rcv := s.received.has(seq)
			if seq >= s.published && !rcv {
				continue
			}
			d, pub := &a.Measured, &a.PublishedMeasured
			if s.warm.has(seq) {
				d, pub = &a.Warmup, &a.PublishedWarmup
			}
			if seq < s.published {
				*pub++
			}
			conf, nack, ret := s.confirmed.has(seq), s.nacked.has(seq), s.returned.has(seq)
			if conf {
				d.Confirmed++
			}
			if nack {
				d.Nacked++
			}
			if ret {
				d.Returned++
			}
			if rcv {
				d.Received++
			}
			switch {
			case rcv || ret:
			case conf:
				d.Lost++
			case !nack:
				d.Outstanding++
			}
		}
		for i, d := range []*results.Delivery{&a.Measured, &a.Warmup} {
			c := s.counters[i]
			d.Duplicates += c.duplicates
			d.Redelivered += c.redelivered
			d.OutOfOrder += c.outOfOrder
		}
		s.mu.Unlock()
	}
	a.Foreign = l.foreign.Load()
	return a
}

// orderTracker is one consumer's view of the order of each producer's
// messages. A queue hands each consumer its messages in queue order, so a
// consumer that sees a producer's sequence number go down saw them out of
// order.
type orderTracker struct {
	last []int64
}

func newOrderTracker(producers int) *orderTracker {
	t := &orderTracker{last: make([]int64, producers)}
	for i := range t.last {
		t.last[i] = -1
	}
	return t
}

// observe records a first delivery and reports whether it came after a
// later message of the same producer.
func (t *orderTracker) observe(producer uint32, seq uint64) (outOfOrder bool) {
	if int(producer) >= len(t.last) {
		return false
	}
	if int64(seq) < t.last[producer] {
		return true
	}
	t.last[producer] = int64(seq)
	return false
}
