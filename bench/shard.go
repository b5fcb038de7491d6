package bench

import (
	"github.com/commsbench/commsbench/results"

	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of Count equal parts of a load that several generators
// (processes, machines, pods) drive together. The zero value is the whole
// load.
//
// An open-loop shard keeps the whole schedule at the total rate and takes
// every Count-th operation of it, from the Index-th on: operations Index,
// Index+Count, Index+2·Count… of the single-generator schedule. The union
// of all shards' due times is therefore exactly that schedule, each shard
// offers Rate/Count on its own clock, and an operation's Seq is its index
// in the global schedule, unique across shards. A closed-loop shard runs
// its share of the workers (and of a request count), and numbers its
// operations Index, Index+Count… so that they too stay unique.
type Shard struct {
	// Index counts from 0; Count is the number of shards (0 or 1: whole).
	Index, Count int
}

// MaxShards bounds Count: more shards than this is a mistake, not a load.
const MaxShards = 10000

// ParseShard reads "I/N" (shard I of N, I from 0 to N-1).
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("%q: write the shard as I/N, such as 0/4 for the first of four", s)
	}
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err := errors.Join(err1, err2); err != nil {
		return Shard{}, fmt.Errorf("%q: I and N must be whole numbers, such as 0/4", s)
	}
	sh := Shard{Index: index, Count: count}
	if count < 1 {
		return Shard{}, fmt.Errorf("shard %s: N must be at least 1", s)
	}
	return sh, sh.Validate()
}

// Validate reports a shard that names no part of a load.
func (s Shard) Validate() error {
	switch {
	case s.Count < 0 || (s.Count == 0 && s.Index != 0):
		return fmt.Errorf("shard %d/%d: N must be at least 1", s.Index, s.Count)
	case s.Count == 0:
		return nil
	case s.Count > MaxShards:
		return fmt.Errorf("shard %d/%d: at most %d shards", s.Index, s.Count, MaxShards)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("shard %d/%d: I counts from 0 to N-1 (0 to %d here)", s.Index, s.Count, s.Count-1)
	}
	return nil
}

// String is "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.n()) }

// Whole says the shard is the whole load.
func (s Shard) Whole() bool { return s.n() == 1 }

func (s Shard) n() int {
	if s.Count < 1 {
		return 1
	}
	return s.Count
}

// Share is this shard's part of a total that is split in whole units
// (workers, connections, requests): total/N, the first total%N shards
// taking one more, so the parts add up to total exactly. A share may be
// 0 when total < N: the caller decides whether that is an error.
func (s Shard) Share(total int64) int64 {
	n := int64(s.n())
	q, r := total/n, total%n
	if int64(s.Index) < r {
		q++
	}
	return q
}

// Seq is the global index of the k-th operation of this shard.
func (s Shard) Seq(k int64) int64 { return k*int64(s.n()) + int64(s.Index) }

// First is the first global index at or after g that belongs to this shard.
func (s Shard) First(g int64) int64 {
	n := int64(s.n())
	if g <= int64(s.Index) {
		return int64(s.Index)
	}
	return g + ((int64(s.Index)-g)%n+n)%n
}

// Within counts the global indices in [from, to) that belong to this shard.
func (s Shard) Within(from, to int64) int64 {
	if to <= from {
		return 0
	}
	first := s.First(from)
	if first >= to {
		return 0
	}
	return (to-1-first)/int64(s.n()) + 1
}

// shardRecord is the result's record of the shard and of the schedule's
// origin, for a sharded run or one that started at an agreed instant.
func (r *run) shardRecord() *results.Shard {
	if r.o.Shard.Whole() && r.o.StartAt.IsZero() {
		return nil
	}
	return &results.Shard{Index: r.o.Shard.Index, Count: r.o.Shard.n(), StartAt: r.start.UTC()}
}

// requestsShare is this shard's part of the asked request count: its
// operations among the whole schedule's measured ones (open loop), or its
// share of the count (closed loop).
func (r *run) requestsShare() int64 {
	if r.o.Requests == 0 {
		return 0
	}
	if r.o.Rate > 0 && !r.start.IsZero() {
		first := ConstantPacer{PerSecond: r.o.Rate}.Index(r.measureStart.Sub(r.start))
		return r.o.Shard.Within(first, first+r.o.Requests)
	}
	return r.o.Shard.Share(r.o.Requests)
}
