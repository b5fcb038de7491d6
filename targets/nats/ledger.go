package nats

import (
	"sync"
	"sync/atomic"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/commsbench/commsbench/results"
)

// The ledger is the exact accounting of a run. Every message carries its
// producer and a sequence number the producer assigns densely from 0 in
// publish order, so the ledger keeps one bit per message and fact: sent in
// warm-up, vouched for by the server, received by each receiver. It never
// keeps a message; a million cost 125 KB per fact.

// seqBits is a set of sequence numbers that grows as they come.
type seqBits struct{ words []uint64 }

// add puts seq in the set and reports whether it was there already.
func (s *seqBits) add(seq uint64) (had bool) {
	i := int(seq >> 6)
	if i >= len(s.words) {
		s.words = append(s.words, make([]uint64, i+1-len(s.words)+len(s.words)/2)...)
	}
	bit := uint64(1) << (seq & 63)
	had = s.words[i]&bit != 0
	s.words[i] |= bit
	return had
}

func (s *seqBits) has(seq uint64) bool {
	i := int(seq >> 6)
	return i < len(s.words) && s.words[i]&(1<<(seq&63)) != 0
}

// seqSlack bounds how far past the highest sequence number a receiver has
// room for it believes a new one: numbers are dense, so a real message is
// never that far ahead, and a corrupt header must not make the receiver
// allocate gigabytes (16M numbers cost 2 MiB).
const seqSlack = 1 << 24

// believable reports whether seq is within reach of the set.
func (s *seqBits) believable(seq uint64) bool { return seq < uint64(len(s.words))*64+seqSlack }

// producerLog is what one producer sent and what the server vouched for.
type producerLog struct {
	mu sync.Mutex
	// published: sequence numbers below it went to the client library.
	published uint64
	warm      seqBits
	// confirmed holds JetStream's PubAcks; flushed (core NATS) says that
	// every sequence number below it reached the server, as a flush that
	// came back after them proves.
	confirmed seqBits
	flushed   uint64
	// answered counts publishes the server acknowledged or refused, acked
	// those it acknowledged.
	answered, acked uint64
}

// receiver is one party that should receive every message: a subscription
// of its own, or a group (responders, a queue group, a durable consumer)
// whose members share the messages.
type receiver struct {
	name    string
	members int
	run     uint32

	mu       sync.Mutex
	got      []seqBits // per producer
	firstN   int64     // first deliveries of the run's messages
	counters [2]deliveryCounters
	e2e      *hdrhistogram.Histogram
	// span runs from the earliest intended send to the last arrival of the
	// measured messages received, Unix ns: the consumption window.
	span      [2]int64
	foreign   atomic.Int64
	dropped   atomic.Int64 // messages the client library dropped (slow consumer)
	invalid   atomic.Int64 // typed messages refused as malformed or invalid
	lastAnyNS atomic.Int64 // Unix ns of the last delivery of any kind
}

// deliveryCounters count deliveries of measured ([0]) or warm-up ([1]) messages.
type deliveryCounters struct{ duplicates, redelivered, outOfOrder int64 }

func newReceiver(name string, members, producers int, run uint32) *receiver {
	return &receiver{name: name, members: members, run: run, got: make([]seqBits, producers), e2e: results.NewHistogram()}
}

// delivery records one delivery of message body at nowNS, seen by a member
// whose order view is order. It reports whether the body was one of the
// run's messages.
func (r *receiver) delivery(body []byte, redelivered bool, nowNS int64, order []int64) bool {
	r.lastAnyNS.Store(nowNS)
	h, err := ParseHeader(body)
	if err != nil || h.Run != r.run || int(h.Producer) >= len(r.got) {
		r.foreign.Add(1)
		return false
	}
	class := 0
	if h.Warmup {
		class = 1
	}
	// A member sees one producer's messages in publish order unless they
	// were reordered on the way; a redelivery comes late by design.
	ooo := false
	if !redelivered && order != nil {
		last := order[h.Producer]
		if int64(h.Seq) < last {
			ooo = true
		} else {
			order[h.Producer] = int64(h.Seq)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.got[h.Producer].believable(h.Seq) {
		r.foreign.Add(1)
		return false
	}
	first := !r.got[h.Producer].add(h.Seq)
	c := &r.counters[class]
	switch {
	case !first && redelivered:
		c.redelivered++
	case !first:
		c.duplicates++
	case ooo:
		c.outOfOrder++
	}
	if !first {
		return true
	}
	r.firstN++
	if !h.Warmup {
		results.RecordClamped(r.e2e, nowNS-h.SentNS)
		if r.span[0] == 0 || h.SentNS < r.span[0] {
			r.span[0] = h.SentNS
		}
		r.span[1] = max(r.span[1], nowNS)
	}
	return true
}

// newOrder returns a member's view of order: the last sequence number it
// saw of each producer.
func newOrder(producers int) []int64 {
	o := make([]int64, producers)
	for i := range o {
		o[i] = -1
	}
	return o
}

// ledger is the accounting of a run: its producers and receivers.
type ledger struct {
	producers []*producerLog
	receivers []*receiver
}

func newLedger(producers int) *ledger {
	l := &ledger{producers: make([]*producerLog, producers)}
	for i := range l.producers {
		l.producers[i] = &producerLog{}
	}
	return l
}

// record records a message the client library took.
func (p *producerLog) record(seq uint64, warm bool) {
	p.mu.Lock()
	p.published = max(p.published, seq+1)
	if warm {
		p.warm.add(seq)
	}
	p.mu.Unlock()
}

// answer records the server's answer to a JetStream publish.
func (p *producerLog) answer(seq uint64, ack bool) {
	p.mu.Lock()
	p.answered++
	if ack {
		p.acked++
		p.confirmed.add(seq)
	}
	p.mu.Unlock()
}

// flushedAll records that every message published so far reached the server.
func (p *producerLog) flushedAll() {
	p.mu.Lock()
	p.flushed = p.published
	p.mu.Unlock()
}

// sent is what the producers published and, for JetStream, whether every
// publish has its answer.
func (l *ledger) sent() (published, acked uint64, answered bool) {
	answered = true
	for _, p := range l.producers {
		p.mu.Lock()
		published += p.published
		acked += p.acked
		if p.answered < p.published {
			answered = false
		}
		p.mu.Unlock()
	}
	return published, acked, answered
}

// settled reports whether every receiver has every message it can still
// get: all that was published (core NATS) or all the stream took
// (JetStream, once every publish is answered), less what its client
// library dropped.
func (l *ledger) settled(jetstream bool) bool {
	published, acked, answered := l.sent()
	want := published
	if jetstream {
		if !answered {
			return false
		}
		want = acked
	}
	for _, r := range l.receivers {
		r.mu.Lock()
		n := r.firstN
		r.mu.Unlock()
		if uint64(n+r.dropped.Load()) < want {
			return false
		}
	}
	return true
}

// receiverCount is one receiver's final accounting.
type receiverCount struct {
	measured, warmup results.Delivery
	foreign          int64
}

// accounting is the ledger's final count.
type accounting struct {
	// Measured sums the receivers' measured counts; Confirmed counts each
	// message once.
	Measured, Warmup                   results.Delivery
	PublishedMeasured, PublishedWarmup int64
	Foreign                            int64
	perReceiver                        []receiverCount
}

// count classifies every message for every receiver. A message the server
// vouched for (PubAck, or a flush after it) and a receiver never got is
// lost for that receiver; one it never vouched for is outstanding.
func (l *ledger) count() accounting {
	var a accounting
	a.perReceiver = make([]receiverCount, len(l.receivers))
	for pi, p := range l.producers {
		p.mu.Lock()
		for seq := uint64(0); seq < p.published; seq++ {
			warm := p.warm.has(seq)
			vouched := p.confirmed.has(seq) || seq < p.flushed
			if warm {
				a.PublishedWarmup++
			} else {
				a.PublishedMeasured++
			}
			if vouched {
				if warm {
					a.Warmup.Confirmed++
				} else {
					a.Measured.Confirmed++
				}
			}
			for ri, r := range l.receivers {
				rc := &a.perReceiver[ri]
				d := &rc.measured
				if warm {
					d = &rc.warmup
				}
				r.mu.Lock()
				got := r.got[pi].has(seq)
				r.mu.Unlock()
				switch {
				case got:
					d.Received++
				case vouched:
					d.Lost++
				default:
					d.Outstanding++
				}
			}
		}
		p.mu.Unlock()
	}
	for ri, r := range l.receivers {
		rc := &a.perReceiver[ri]
		r.mu.Lock()
		for i, d := range []*results.Delivery{&rc.measured, &rc.warmup} {
			c := r.counters[i]
			d.Duplicates, d.Redelivered, d.OutOfOrder = c.duplicates, c.redelivered, c.outOfOrder
		}
		r.mu.Unlock()
		rc.foreign = r.foreign.Load()
		a.Foreign += rc.foreign
		for _, pair := range [][2]*results.Delivery{{&a.Measured, &rc.measured}, {&a.Warmup, &rc.warmup}} {
			sum, d := pair[0], pair[1]
			sum.Received += d.Received
			sum.Lost += d.Lost
			sum.Outstanding += d.Outstanding
			sum.Duplicates += d.Duplicates
			sum.Redelivered += d.Redelivered
			sum.OutOfOrder += d.OutOfOrder
		}
	}
	return a
}
