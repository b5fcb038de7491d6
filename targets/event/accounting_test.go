package event

import (
	"sync"
	"testing"
)

func TestSeqSet(t *testing.T) {
	var s seqSet
	for _, seq := range []uint64{0, 63, 64, chunkBits - 1, chunkBits, 5 * chunkBits} {
		if s.add(seq) {
			t.Errorf("add(%d): reported as already there", seq)
		}
		if !s.add(seq) {
			t.Errorf("add(%d) again: not reported as already there", seq)
		}
		if !s.has(seq) {
			t.Errorf("has(%d) = false after add", seq)
		}
	}
	if s.has(1) || s.has(10*chunkBits) {
		t.Error("has reports sequence numbers never added")
	}
	if n := s.count(); n != 6 {
		t.Errorf("count = %d, want 6", n)
	}
	var other seqSet
	other.add(63)
	other.add(chunkBits)
	if n := s.missingFrom(&other); n != 4 {
		t.Errorf("missingFrom = %d, want 4", n)
	}
	other.add(7 * chunkBits) // beyond s's chunks
	if n := unionCount(&s, &other); n != 7 {
		t.Errorf("unionCount = %d, want 7", n)
	}
}

func TestSeqSetConcurrent(t *testing.T) {
	var s seqSet
	var wg sync.WaitGroup
	var dups sync.Map
	const per = 3 * chunkBits
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every goroutine adds every number: each must be new exactly once.
			for i := range uint64(per) {
				if !s.add((i*7 + uint64(g)) % per) {
					dups.Store((i*7+uint64(g))%per, g)
				}
			}
		}()
	}
	wg.Wait()
	if n := s.count(); n != per {
		t.Errorf("count = %d, want %d", n, per)
	}
	fresh := 0
	dups.Range(func(any, any) bool { fresh++; return true })
	if fresh != per {
		t.Errorf("%d numbers were reported new, want each of %d exactly once", fresh, per)
	}
}

// rx is one event a group receives in a test.
type rx struct {
	partition int
	offset    int64
	producer  uint32
	seq       uint64
	flags     uint8
	foreign   bool // no stamp of this run
}

func TestGroupTally(t *testing.T) {
	for _, tc := range []struct {
		name  string
		recv  []rx
		acked map[uint32][]uint64 // per producer
		hwm   []int64             // end offsets of partitions 0 and 1
		// want
		received, duplicates, outOfOrder, lost, lag, foreign int64
	}{
		{
			name:     "every event once, in order",
			recv:     []rx{{0, 0, 0, 0, 0, false}, {1, 0, 0, 1, 0, false}, {0, 1, 0, 2, 0, false}, {1, 1, 1, 0, 0, false}},
			acked:    map[uint32][]uint64{0: {0, 1, 2}, 1: {0}},
			hwm:      []int64{2, 2},
			received: 4,
		},
		{
			name:       "a partition read again after a rebalance: duplicates, not reordering",
			recv:       []rx{{0, 0, 0, 0, 0, false}, {0, 1, 0, 1, 0, false}, {0, 0, 0, 0, 0, false}, {0, 1, 0, 1, 0, false}, {0, 2, 0, 2, 0, false}},
			acked:      map[uint32][]uint64{0: {0, 1, 2}},
			hwm:        []int64{3, 0},
			received:   3,
			duplicates: 2,
		},
		{
			name:       "a producer's events swapped within a partition",
			recv:       []rx{{0, 0, 0, 1, 0, false}, {0, 1, 0, 0, 0, false}},
			acked:      map[uint32][]uint64{0: {0, 1}},
			hwm:        []int64{2, 0},
			received:   2,
			outOfOrder: 1,
		},
		{
			name:     "order is per producer: interleaved producers are in order",
			recv:     []rx{{0, 0, 0, 5, 0, false}, {0, 1, 1, 0, 0, false}, {0, 2, 0, 6, 0, false}, {0, 3, 1, 1, 0, false}},
			acked:    map[uint32][]uint64{0: {5, 6}, 1: {0, 1}},
			hwm:      []int64{4, 0},
			received: 4,
		},
		{
			name:     "order is per partition: a lower sequence in another partition is fine",
			recv:     []rx{{0, 0, 0, 9, 0, false}, {1, 0, 0, 3, 0, false}},
			acked:    map[uint32][]uint64{0: {3, 9}},
			hwm:      []int64{1, 1},
			received: 2,
		},
		{
			name:     "acked but never received: lost, and the partition lags",
			recv:     []rx{{0, 0, 0, 0, 0, false}},
			acked:    map[uint32][]uint64{0: {0, 1, 2}},
			hwm:      []int64{1, 2},
			received: 1,
			lost:     2,
			lag:      2,
		},
		{
			name:     "received without an ack (the ack was lost): not lost",
			recv:     []rx{{0, 0, 0, 0, 0, false}, {0, 1, 0, 1, 0, false}},
			acked:    map[uint32][]uint64{0: {0}},
			hwm:      []int64{2, 0},
			received: 2,
		},
		{
			name:  "warm-up and probe events are not accounted, but move the read position",
			recv:  []rx{{0, 0, 0, 0, FlagProbe, false}, {0, 1, 0, 0, FlagWarmup, false}, {1, 0, 0, 1, FlagWarmup, false}},
			acked: map[uint32][]uint64{},
			hwm:   []int64{2, 1},
		},
		{
			name:     "warm-up events count for order: the first measured event after them is in order",
			recv:     []rx{{0, 0, 0, 1, FlagWarmup, false}, {0, 1, 0, 2, 0, false}},
			acked:    map[uint32][]uint64{0: {2}},
			hwm:      []int64{2, 0},
			received: 1,
		},
		{
			name:       "a measured event behind a warm-up event of its producer is out of order",
			recv:       []rx{{0, 0, 0, 2, FlagWarmup, false}, {0, 1, 0, 1, 0, false}},
			acked:      map[uint32][]uint64{0: {1}},
			hwm:        []int64{2, 0},
			received:   1,
			outOfOrder: 1,
		},
		{
			name:    "events of other runs or other tools are counted apart",
			recv:    []rx{{0, 0, 0, 0, 0, true}, {0, 1, 7, 0, 0, false}},
			acked:   map[uint32][]uint64{},
			hwm:     []int64{2, 0},
			foreign: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const producers = 2
			g := newGroupTally("payment", 2, producers)
			for i, r := range tc.recv {
				st := Stamp{Flags: r.flags, Producer: r.producer, Seq: r.seq, SentNS: int64(i)}
				g.record(r.partition, r.offset, st, !r.foreign, int64(i+10))
			}
			acked := make([]seqSet, producers)
			ptrs := make([]*seqSet, producers)
			for p := range acked {
				for _, seq := range tc.acked[uint32(p)] {
					acked[p].add(seq)
				}
				ptrs[p] = &acked[p]
			}
			for _, c := range []struct {
				name      string
				got, want int64
			}{
				{"received", g.received.Load(), tc.received},
				{"duplicates", g.duplicates.Load(), tc.duplicates},
				{"out of order", g.outOfOrder.Load(), tc.outOfOrder},
				{"lost", g.lost(ptrs), tc.lost},
				{"lag", g.lag(tc.hwm), tc.lag},
				{"foreign", g.foreign.Load(), tc.foreign},
			} {
				if c.got != c.want {
					t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestGroupTallyProbesAndRate(t *testing.T) {
	g := newGroupTally("email", 3, 1)
	if g.minProbe() != 0 {
		t.Fatalf("minProbe before any probe = %d, want 0", g.minProbe())
	}
	for p, round := range []uint64{2, 3, 2} {
		g.record(p, 0, Stamp{Flags: FlagProbe, Seq: round}, true, 0)
	}
	if g.minProbe() != 2 {
		t.Errorf("minProbe = %d, want 2 (the lowest partition)", g.minProbe())
	}
	if g.consumedPerS() != 0 {
		t.Errorf("consumed rate %v before any measured event, want 0", g.consumedPerS())
	}
	// 1000 events sent from t=1s and received by t=2s: 1000/s.
	for i := range uint64(1000) {
		g.record(0, int64(i+1), Stamp{Seq: i, SentNS: 1e9 + int64(i)*1e6}, true, 1e9+int64(i+1)*1e6)
	}
	if r := g.consumedPerS(); r < 999 || r > 1001 {
		t.Errorf("consumed rate = %v, want 1000/s", r)
	}
}
