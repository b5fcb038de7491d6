package nats

import (
	"testing"

	"github.com/commsbench/commsbench/results"
)

// TestLedgerCount feeds a ledger by hand and checks each class of message.
func TestLedgerCount(t *testing.T) {
	const run = 9
	l := newLedger(2)
	a := newReceiver("a", 1, 2, run)
	b := newReceiver("b", 1, 2, run)
	l.receivers = []*receiver{a, b}
	msg := func(producer uint32, seq uint64, warm bool) []byte {
		m := make([]byte, HeaderSize)
		Header{Run: run, Producer: producer, Seq: seq, Warmup: warm}.Put(m)
		return m
	}
	// Producer 0: seq 0 warm-up, 1–9 measured, all flushed (core NATS).
	for seq := range uint64(10) {
		l.producers[0].record(seq, seq == 0)
	}
	l.producers[0].flushedAll()
	// Producer 1 (JetStream): 0–3 measured; 0–2 acked, 3 unanswered.
	for seq := range uint64(4) {
		l.producers[1].record(seq, false)
	}
	for seq := range uint64(3) {
		l.producers[1].answer(seq, true)
	}
	// a gets everything, in order.
	oa := newOrder(2)
	for seq := range uint64(10) {
		a.delivery(msg(0, seq, seq == 0), false, 0, oa)
	}
	for seq := range uint64(4) {
		a.delivery(msg(1, seq, false), false, 0, oa)
	}
	// b misses 0/5 and 1/2, 1/3; gets 0/3 twice (a duplicate), 0/4 again as
	// a redelivery, 0/7 before 0/6 (out of order), and a foreign message.
	ob := newOrder(2)
	for _, seq := range []uint64{0, 1, 2, 3, 3, 4, 7, 6, 8, 9} {
		b.delivery(msg(0, seq, seq == 0), false, 0, ob)
	}
	b.delivery(msg(0, 4, false), true, 0, ob)
	b.delivery(msg(1, 0, false), false, 0, ob)
	b.delivery(msg(1, 1, false), false, 0, ob)
	b.delivery([]byte("not ours"), false, 0, ob)
	if l.settled(false) {
		t.Error("settled while b misses messages")
	}
	got := l.count()
	want := results.Delivery{
		Confirmed:   9 + 3,
		Received:    (9 + 4) + (8 + 2),
		Lost:        1 + 1, // 0/5, 1/2 for b
		Outstanding: 1,     // 1/3 for b: never acked
		Duplicates:  1,
		Redelivered: 1,
		OutOfOrder:  1,
	}
	if got.Measured != want {
		t.Errorf("measured\n got %+v\nwant %+v", got.Measured, want)
	}
	if got.PublishedMeasured != 13 || got.PublishedWarmup != 1 || got.Foreign != 1 {
		t.Errorf("published %d measured, %d warm-up, %d foreign; want 13, 1, 1", got.PublishedMeasured, got.PublishedWarmup, got.Foreign)
	}
	if rc := got.perReceiver[0].measured; rc.Received != 13 || rc.Lost+rc.Outstanding != 0 {
		t.Errorf("a: %+v, want everything received", rc)
	}
	if n := latencyValues(a); n != 13 {
		t.Errorf("a's end-to-end latency holds %d values, want 13 (warm-up aside)", n)
	}
}

// TestReceiverRefusesFarSequence: a sequence number far beyond reach is
// not believed (and allocates nothing).
func TestReceiverRefusesFarSequence(t *testing.T) {
	r := newReceiver("r", 1, 1, 1)
	m := make([]byte, HeaderSize)
	Header{Run: 1, Seq: 1 << 40}.Put(m)
	if r.delivery(m, false, 0, nil) || r.foreign.Load() != 1 || len(r.got[0].words) != 0 {
		t.Errorf("believed seq 2^40: foreign %d, %d words", r.foreign.Load(), len(r.got[0].words))
	}
}

func latencyValues(r *receiver) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.e2e.TotalCount()
}
