package event

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
)

// seqSet is a growing bitmap of sequence numbers, safe for concurrent use:
// one bit per event, so exact accounting of ten million events costs a
// little over a megabyte per producer and group, and no event is kept.
type seqSet struct {
	mu     sync.Mutex                  // serialises growth only
	chunks atomic.Pointer[[]*seqChunk] // read without a lock
}

const (
	chunkWords = 1024 // 64Ki sequence numbers per chunk
	chunkBits  = chunkWords * 64
)

type seqChunk [chunkWords]atomic.Uint64

func (s *seqSet) chunk(i int, grow bool) *seqChunk {
	if p := s.chunks.Load(); p != nil && i < len(*p) {
		return (*p)[i]
	}
	if !grow {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur []*seqChunk
	if p := s.chunks.Load(); p != nil {
		cur = *p
	}
	if i < len(cur) {
		return cur[i]
	}
	next := make([]*seqChunk, i+1)
	copy(next, cur)
	for j := len(cur); j <= i; j++ {
		next[j] = new(seqChunk)
	}
	s.chunks.Store(&next)
	return next[i]
}

// add sets seq and reports whether it was already set.
func (s *seqSet) add(seq uint64) (already bool) {
	c := s.chunk(int(seq/chunkBits), true)
	w, bit := (seq%chunkBits)/64, uint64(1)<<(seq%64)
	return c[w].Or(bit)&bit != 0
}

// has reports whether seq is set.
func (s *seqSet) has(seq uint64) bool {
	c := s.chunk(int(seq/chunkBits), false)
	if c == nil {
		return false
	}
	return c[(seq%chunkBits)/64].Load()&(1<<(seq%64)) != 0
}

// words calls fn with every word of the bitmap, in order, zero words
// included up to the last chunk.
func (s *seqSet) words(fn func(i int, w uint64)) {
	p := s.chunks.Load()
	if p == nil {
		return
	}
	for ci, c := range *p {
		for wi := range c {
			fn(ci*chunkWords+wi, c[wi].Load())
		}
	}
}

// word returns the i-th word (0 past the end).
func (s *seqSet) word(i int) uint64 {
	c := s.chunk(i/chunkWords, false)
	if c == nil {
		return 0
	}
	return c[i%chunkWords].Load()
}

// count returns the number of set sequence numbers.
func (s *seqSet) count() int64 {
	var n int64
	s.words(func(_ int, w uint64) { n += int64(bits.OnesCount64(w)) })
	return n
}

// missingFrom counts the sequence numbers set in s and not in other.
func (s *seqSet) missingFrom(other *seqSet) int64 {
	var n int64
	s.words(func(i int, w uint64) { n += int64(bits.OnesCount64(w &^ other.word(i))) })
	return n
}

// unionCount counts the sequence numbers set in any of the sets.
func unionCount(sets ...*seqSet) int64 {
	longest := 0
	for _, s := range sets {
		if p := s.chunks.Load(); p != nil {
			longest = max(longest, len(*p))
		}
	}
	var n int64
	for i := range longest * chunkWords {
		var w uint64
		for _, s := range sets {
			w |= s.word(i)
		}
		n += int64(bits.OnesCount64(w))
	}
	return n
}

// groupTally is what one consumer group (one subscribing service) has
// received. Its members record into it concurrently: the partitions of a
// group are split among its members, but any partition may carry any
// producer's events, so the per-producer bitmaps are shared and atomic.
type groupTally struct {
	name      string
	producers int

	recv []seqSet // per producer: measured events received

	received   atomic.Int64 // distinct measured events
	duplicates atomic.Int64 // measured events received again
	outOfOrder atomic.Int64 // measured events behind an event of the same producer in the same partition
	foreign    atomic.Int64 // events without this run's stamp

	// lastSeq is the highest sequence seen per partition and producer
	// (index partition*producers+producer), -1 before the first.
	lastSeq []atomic.Int64
	// nextOffset is, per partition, one past the highest offset seen, so
	// that the drain knows when the group has caught up.
	nextOffset []atomic.Int64
	// probe is, per partition, the highest join-probe round seen.
	probe []atomic.Int64

	// firstSent and lastRecv bound the consumed rate: from the earliest
	// intended send of a measured event to the last measured receive, ns.
	firstSent atomic.Int64
	lastRecv  atomic.Int64
}

func newGroupTally(name string, partitions, producers int) *groupTally {
	g := &groupTally{
		name:       name,
		producers:  producers,
		recv:       make([]seqSet, producers),
		lastSeq:    make([]atomic.Int64, partitions*producers),
		nextOffset: make([]atomic.Int64, partitions),
		probe:      make([]atomic.Int64, partitions),
	}
	for i := range g.lastSeq {
		g.lastSeq[i].Store(-1)
	}
	g.firstSent.Store(math.MaxInt64)
	return g
}

// outcome is what recording one event found.
type outcome uint8

const (
	outcomeNew outcome = iota
	outcomeDuplicate
	outcomeIgnored // warm-up, probe or foreign: not accounted
)

// record accounts for one event received from partition at offset, at
// receive time now (ns since the epoch). ok is false for an event without
// a valid stamp of this run. A duplicate is not checked for order again: it
// is expected to come after newer events when a partition is re-read.
func (g *groupTally) record(partition int, offset int64, st Stamp, ok bool, now int64) outcome {
	if partition >= 0 && partition < len(g.nextOffset) {
		atomicMax(&g.nextOffset[partition], offset+1)
	}
	switch {
	case !ok || int(st.Producer) >= g.producers && st.Flags&FlagProbe == 0:
		g.foreign.Add(1)
		return outcomeIgnored
	case st.Flags&FlagProbe != 0:
		if partition >= 0 && partition < len(g.probe) {
			atomicMax(&g.probe[partition], int64(st.Seq))
		}
		return outcomeIgnored
	case st.Flags&FlagWarmup != 0:
		g.advanceOrder(partition, st)
		return outcomeIgnored
	}
	if g.recv[st.Producer].add(st.Seq) {
		g.duplicates.Add(1)
		return outcomeDuplicate
	}
	g.received.Add(1)
	if g.advanceOrder(partition, st) {
		g.outOfOrder.Add(1)
	}
	atomicMin(&g.firstSent, st.SentNS)
	atomicMax(&g.lastRecv, now)
	return outcomeNew
}

// advanceOrder moves the partition's last sequence of the producer forward
// and reports whether st came behind it.
func (g *groupTally) advanceOrder(partition int, st Stamp) (behind bool) {
	i := partition*g.producers + int(st.Producer)
	if partition < 0 || i >= len(g.lastSeq) {
		return false
	}
	seq := int64(st.Seq)
	for {
		last := g.lastSeq[i].Load()
		if seq <= last {
			return true
		}
		if g.lastSeq[i].CompareAndSwap(last, seq) {
			return false
		}
	}
}

// minProbe is the lowest probe round seen over all partitions.
func (g *groupTally) minProbe() int64 {
	m := int64(math.MaxInt64)
	for i := range g.probe {
		m = min(m, g.probe[i].Load())
	}
	return m
}

// lag is how many events of the partitions' logs (hwm: one past the last
// offset of each partition) the group has not read.
func (g *groupTally) lag(hwm []int64) int64 {
	var n int64
	for p, h := range hwm {
		if p < len(g.nextOffset) {
			n += max(0, h-g.nextOffset[p].Load())
		}
	}
	return n
}

// lost counts the events acked by the broker (per producer) that the group
// never received.
func (g *groupTally) lost(acked []*seqSet) int64 {
	var n int64
	for p, a := range acked {
		n += a.missingFrom(&g.recv[p])
	}
	return n
}

// consumedPerS is the group's rate of measured events: received over the
// span from the first intended send to the last receive. 0 when unknown.
func (g *groupTally) consumedPerS() float64 {
	first, last := g.firstSent.Load(), g.lastRecv.Load()
	if g.received.Load() == 0 || last <= first {
		return 0
	}
	return float64(g.received.Load()) / (float64(last-first) / 1e9)
}

func atomicMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

func atomicMin(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v >= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}
