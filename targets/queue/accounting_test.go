package queue

import (
	"testing"

	"github.com/commsbench/commsbench/results"
)

// ev is one event of the accounting tests, in a small notation:
//
//	pub p s / warm p s    producer p published sequence number s (warm: in warm-up)
//	ack p s / nack p s    the broker confirmed or nacked it
//	ret p s               the broker returned it as unroutable
//	rcv c p s             consumer c received it
//	red c p s             consumer c received it flagged as redelivered
type ev struct {
	op      string
	c, p, s int
}

func pub(p, s int) ev    { return ev{op: "pub", p: p, s: s} }
func warm(p, s int) ev   { return ev{op: "warm", p: p, s: s} }
func ack(p, s int) ev    { return ev{op: "ack", p: p, s: s} }
func nack(p, s int) ev   { return ev{op: "nack", p: p, s: s} }
func ret(p, s int) ev    { return ev{op: "ret", p: p, s: s} }
func rcv(c, p, s int) ev { return ev{op: "rcv", c: c, p: p, s: s} }
func red(c, p, s int) ev { return ev{op: "red", c: c, p: p, s: s} }
func pubAck(p, n int) []ev { // producer p published and got confirmed 0..n-1
	var evs []ev
	for s := range n {
		evs = append(evs, pub(p, s), ack(p, s))
	}
	return evs
}

func seq(parts ...any) []ev {
	var evs []ev
	for _, p := range parts {
		switch v := p.(type) {
		case ev:
			evs = append(evs, v)
		case []ev:
			evs = append(evs, v...)
		}
	}
	return evs
}

func TestLedger(t *testing.T) {
	tests := []struct {
		name      string
		producers int
		noConfirm bool
		events    []ev
		want      results.Delivery
		warm      results.Delivery
		foreign   int64
		settled   bool
	}{
		{
			// The healthy case: everything confirmed arrives, in order.
			name: "all delivered", producers: 1,
			events:  seq(pubAck(0, 5), rcv(0, 0, 0), rcv(0, 0, 1), rcv(0, 0, 2), rcv(0, 0, 3), rcv(0, 0, 4)),
			want:    results.Delivery{Confirmed: 5, Received: 5},
			settled: true,
		},
		{
			// A confirmed message that never arrives is lost.
			name: "missing confirmed message is lost", producers: 1,
			events: seq(pubAck(0, 3), rcv(0, 0, 0), rcv(0, 0, 2)),
			want:   results.Delivery{Confirmed: 3, Received: 2, Lost: 1},
		},
		{
			// Without a confirm the broker never vouched for it: outstanding, not lost.
			name: "unconfirmed and missing is outstanding", producers: 1,
			events: seq(pub(0, 0), ack(0, 0), pub(0, 1), rcv(0, 0, 0)),
			want:   results.Delivery{Confirmed: 1, Received: 1, Outstanding: 1},
		},
		{
			// Received before its confirm came back: neither lost nor outstanding,
			// but the run is not settled until the confirm arrives.
			name: "received before its confirm", producers: 1,
			events: seq(pub(0, 0), rcv(0, 0, 0)),
			want:   results.Delivery{Received: 1},
		},
		{
			// The same message twice, without the redelivered flag, is a duplicate.
			name: "duplicate", producers: 1,
			events:  seq(pubAck(0, 2), rcv(0, 0, 0), rcv(0, 0, 1), rcv(1, 0, 0)),
			want:    results.Delivery{Confirmed: 2, Received: 2, Duplicates: 1},
			settled: true,
		},
		{
			// A requeued message comes back flagged: a redelivery, not a duplicate.
			name: "redelivery after requeue", producers: 1,
			events:  seq(pubAck(0, 2), rcv(0, 0, 0), rcv(0, 0, 1), red(1, 0, 0)),
			want:    results.Delivery{Confirmed: 2, Received: 2, Redelivered: 1},
			settled: true,
		},
		{
			// A consumer that rejected the first delivery never counted it: the
			// flagged one is the first receipt and a redelivery.
			name: "first receipt flagged as redelivered", producers: 1,
			events:  seq(pubAck(0, 1), red(0, 0, 0)),
			want:    results.Delivery{Confirmed: 1, Received: 1, Redelivered: 1},
			settled: true,
		},
		{
			// One consumer sees 0, 2, 1, 3: message 1 came after a later one.
			name: "out of order within a consumer", producers: 1,
			events:  seq(pubAck(0, 4), rcv(0, 0, 0), rcv(0, 0, 2), rcv(0, 0, 1), rcv(0, 0, 3)),
			want:    results.Delivery{Confirmed: 4, Received: 4, OutOfOrder: 1},
			settled: true,
		},
		{
			// Two consumers share the queue: each sees an increasing
			// subsequence, which is in order however they interleave.
			name: "interleaved consumers are in order", producers: 1,
			events:  seq(pubAck(0, 4), rcv(0, 0, 0), rcv(1, 0, 1), rcv(0, 0, 2), rcv(1, 0, 3)),
			want:    results.Delivery{Confirmed: 4, Received: 4},
			settled: true,
		},
		{
			// A redelivery arrives late by nature; it is not out of order.
			name: "redelivery is not out of order", producers: 1,
			events:  seq(pubAck(0, 3), rcv(0, 0, 0), rcv(0, 0, 2), red(0, 0, 1)),
			want:    results.Delivery{Confirmed: 3, Received: 3, Redelivered: 1},
			settled: true,
		},
		{
			// Sequence numbers are per producer: 1 of producer 1 after 3 of
			// producer 0 is in order, 0 of producer 1 after its 1 is not.
			name: "order is per producer", producers: 2,
			events:  seq(pubAck(0, 4), pubAck(1, 2), rcv(0, 0, 3), rcv(0, 1, 1), rcv(0, 1, 0), rcv(0, 0, 0), rcv(0, 0, 1), rcv(0, 0, 2)),
			want:    results.Delivery{Confirmed: 6, Received: 6, OutOfOrder: 4},
			settled: true,
		},
		{
			// The broker refused a message: its fate is known, so it is neither
			// lost nor outstanding.
			name: "nacked", producers: 1,
			events:  seq(pub(0, 0), ack(0, 0), pub(0, 1), nack(0, 1), rcv(0, 0, 0)),
			want:    results.Delivery{Confirmed: 1, Nacked: 1, Received: 1},
			settled: true,
		},
		{
			// An unroutable mandatory message comes back, then is confirmed.
			name: "returned", producers: 1,
			events:  seq(pub(0, 0), ret(0, 0), ack(0, 0)),
			want:    results.Delivery{Confirmed: 1, Returned: 1},
			settled: true,
		},
		{
			// Warm-up messages are accounted apart from the measured ones.
			name: "warm-up counted apart", producers: 1,
			events: seq(warm(0, 0), ack(0, 0), warm(0, 1), ack(0, 1), pub(0, 2), ack(0, 2), pub(0, 3), ack(0, 3),
				rcv(0, 0, 0), rcv(0, 0, 2), rcv(0, 0, 3)),
			want: results.Delivery{Confirmed: 2, Received: 2},
			warm: results.Delivery{Confirmed: 2, Received: 1, Lost: 1},
		},
		{
			// A producer id the run does not have is another run's message.
			name: "foreign message", producers: 1,
			events:  seq(pubAck(0, 1), rcv(0, 0, 0), rcv(0, 7, 0)),
			want:    results.Delivery{Confirmed: 1, Received: 1},
			foreign: 1,
			settled: true,
		},
		{
			// Without confirms, arrival alone settles a message.
			name: "confirms off", producers: 1, noConfirm: true,
			events:  seq(pub(0, 0), pub(0, 1), rcv(0, 0, 0), rcv(0, 0, 1)),
			want:    results.Delivery{Received: 2},
			settled: true,
		},
		{
			// Without confirms a missing message is outstanding, never lost.
			name: "confirms off, missing", producers: 1, noConfirm: true,
			events: seq(pub(0, 0), pub(0, 1), rcv(0, 0, 1)),
			want:   results.Delivery{Received: 1, Outstanding: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger(tt.producers, !tt.noConfirm)
			spec := &consumerSpec{acct: &consumerAccounting{run: 1, ledger: l, producers: tt.producers}}
			consumers := map[int]*consumer{}
			warmSeqs := map[[2]int]bool{}
			for _, e := range tt.events {
				p, s := uint32(e.p), uint64(e.s)
				switch e.op {
				case "pub":
					l.published(p, s, false)
				case "warm":
					l.published(p, s, true)
					warmSeqs[[2]int{e.p, e.s}] = true
				case "ack", "nack":
					l.confirm(p, s, e.op == "ack")
				case "ret":
					l.returned(p, s)
				case "rcv", "red":
					c := consumers[e.c]
					if c == nil {
						c = newConsumer(spec, "test")
						consumers[e.c] = c
					}
					h := Header{Run: 1, Producer: p, Seq: s, Warmup: warmSeqs[[2]int{e.p, e.s}]}
					c.account(h, e.op == "red", 1000)
				default:
					t.Fatalf("unknown event %q", e.op)
				}
			}
			a := l.count()
			if a.Measured != tt.want {
				t.Errorf("measured\n got %+v\nwant %+v", a.Measured, tt.want)
			}
			if a.Warmup != tt.warm {
				t.Errorf("warm-up\n got %+v\nwant %+v", a.Warmup, tt.warm)
			}
			if a.Foreign != tt.foreign {
				t.Errorf("foreign %d, want %d", a.Foreign, tt.foreign)
			}
			if got := l.settled(); got != tt.settled {
				t.Errorf("settled %v, want %v", got, tt.settled)
			}
		})
	}
}

func TestLedgerEndToEndOnFirstMeasuredReceipt(t *testing.T) {
	l := newLedger(1, true)
	c := newConsumer(&consumerSpec{acct: &consumerAccounting{run: 1, ledger: l, producers: 1}}, "test")
	c.account(Header{Run: 1, Seq: 0, SentNS: 100}, false, 600)               // measured: 500 ns
	c.account(Header{Run: 1, Seq: 0, SentNS: 100}, false, 900)               // duplicate: not timed again
	c.account(Header{Run: 1, Seq: 1, SentNS: 100, Warmup: true}, false, 5e6) // warm-up: not timed
	h, last := c.snapshot()
	if h.TotalCount() != 1 || h.Max() < 500 || h.Min() > 500 {
		t.Errorf("end-to-end histogram: count %d, min %d, max %d; want one value of 500", h.TotalCount(), h.Min(), h.Max())
	}
	if last != 600 {
		t.Errorf("last measured receipt %d, want 600", last)
	}
}

func TestBitset(t *testing.T) {
	var b bitset
	for _, i := range []uint64{0, 63, 64, 1000, 5} {
		if b.set(i) {
			t.Errorf("set(%d) reported it present before", i)
		}
	}
	if !b.set(63) {
		t.Error("set(63) twice did not report it present")
	}
	if b.count() != 5 || !b.has(1000) || b.has(999) || b.has(1<<20) {
		t.Errorf("count %d, has(1000) %v, has(999) %v", b.count(), b.has(1000), b.has(999))
	}
}

func TestLedgerIgnoresAbsurdSequenceNumbers(t *testing.T) {
	// A corrupt header must not make the ledger allocate for it.
	l := newLedger(1, true)
	l.published(0, maxSeq+5, false)
	l.confirm(0, 1<<62, true)
	if first := l.received(Header{Seq: 1 << 62}, false, false); first {
		t.Error("received an absurd sequence number as a message")
	}
	if a := l.count(); a.PublishedMeasured != 0 || a.Foreign != 1 {
		t.Errorf("count: %+v", a)
	}
}
