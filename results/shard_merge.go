package results

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// shardParts is what the parts of a sharded run say about the whole.
type shardParts struct {
	runID   string
	count   int
	missing []int
	// measureStart is the earliest part's start of measurement; offsets
	// are each part's whole seconds after it, by the wall clock.
	measureStart time.Time
	offsets      []float64
}

// sharded says whether rs are shards of runs (run --shard), and when they
// are, checks that they are parts of one run: one run id, one number of
// shards, each shard once, the same load. Results of which some are shards
// and some not are refused.
func sharded(rs []*Result) (*shardParts, error) {
	var n int
	for _, r := range rs {
		if r.Shard != nil && r.Shard.Count > 1 && !r.Shard.Merged {
			n++
		}
	}
	if n == 0 {
		return nil, nil
	}
	if n < len(rs) {
		return nil, errors.New("some results are shards of a run (run --shard) and some are not; merge the shards of one run alone")
	}
	first := rs[0]
	p := &shardParts{runID: first.RunID, count: first.Shard.Count}
	seen := map[int]bool{}
	for i, r := range rs {
		switch {
		case r.RunID != p.runID:
			return nil, fmt.Errorf("result %d is a shard of run %q, result 1 of run %q; merge the shards of one run", i+1, r.RunID, p.runID)
		case r.Shard.Count != p.count:
			return nil, fmt.Errorf("result %d is shard %d of %d, result 1 of %d; the shards of one run agree on their number", i+1, r.Shard.Index, r.Shard.Count, p.count)
		case r.Shard.Index < 0 || r.Shard.Index >= p.count:
			return nil, fmt.Errorf("result %d is shard %d of %d, which does not exist", i+1, r.Shard.Index, p.count)
		case seen[r.Shard.Index]:
			return nil, fmt.Errorf("result %d is shard %d of run %q again; give each shard's result once", i+1, r.Shard.Index, p.runID)
		}
		seen[r.Shard.Index] = true
		if err := sameLoad(first.Load, r.Load); err != nil {
			return nil, fmt.Errorf("shard %d of run %q: %w", r.Shard.Index, p.runID, err)
		}
	}
	for i := range p.count {
		if !seen[i] {
			p.missing = append(p.missing, i)
		}
	}
	for i, r := range rs {
		ms := measureStart(r)
		if i == 0 || ms.Before(p.measureStart) {
			p.measureStart = ms
		}
	}
	for _, r := range rs {
		p.offsets = append(p.offsets, math.Round(measureStart(r).Sub(p.measureStart).Seconds()))
	}
	return p, nil
}

// measureStart is when a shard's measured period began by the wall clock.
func measureStart(r *Result) time.Time {
	return r.Shard.StartAt.Add(time.Duration(r.Load.WarmupS * float64(time.Second)))
}

// sameLoad says how two shards' loads differ. Each shard records its own
// part: the same rate, and workers, connections and requests that differ
// by at most one.
func sameLoad(a, b Load) error {
	switch {
	case a.Mode != b.Mode:
		return fmt.Errorf("load mode %q differs from %q", b.Mode, a.Mode)
	case a.Rate != b.Rate:
		return fmt.Errorf("rate %v ops/s differs from %v; every shard of a run offers the same part of one rate", b.Rate, a.Rate)
	case a.WarmupS != b.WarmupS || a.DurationS != b.DurationS || a.TimeoutS != b.TimeoutS:
		return fmt.Errorf("warm-up, duration or timeout (%vs, %vs, %vs) differ from %vs, %vs, %vs", b.WarmupS, b.DurationS, b.TimeoutS, a.WarmupS, a.DurationS, a.TimeoutS)
	case a.PayloadBytes != b.PayloadBytes:
		return fmt.Errorf("payload size %d bytes differs from %d", b.PayloadBytes, a.PayloadBytes)
	case abs(a.Concurrency-b.Concurrency) > 1 || abs(a.Connections-b.Connections) > 1 || abs64(a.Requests-b.Requests) > 1:
		return fmt.Errorf("workers, connections or requests (%d, %d, %d) are not a share of the same load as (%d, %d, %d)", b.Concurrency, b.Connections, b.Requests, a.Concurrency, a.Connections, a.Requests)
	}
	return nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// shardOptions is r's options with its shard's own run id (in the names
// of its queue or topic) written as the run's, "-s*ofN", so that the
// shards of one run compare equal.
func shardOptions(r *Result) map[string]any {
	if r.Shard == nil || r.Shard.Count < 2 || r.Options == nil {
		return r.Options
	}
	own := ShardRunID(r.RunID, r.Shard.Index, r.Shard.Count)
	all := strings.Replace(own, "-s"+strconv.Itoa(r.Shard.Index)+"of", "-s*of", 1)
	out := make(map[string]any, len(r.Options))
	for k, v := range r.Options {
		if s, ok := v.(string); ok {
			v = strings.ReplaceAll(s, own, all)
		}
		out[k] = v
	}
	return out
}

// optionsDiffer says whether two results ran with different transport
// options, shards' own names aside.
func optionsDiffer(a, b *Result) bool {
	return !reflect.DeepEqual(shardOptions(a), shardOptions(b))
}

// finish marks out as the merge of p's shards.
func (p *shardParts) finish(out *Result, present int) {
	out.RunID = p.runID
	out.Shard = &Shard{Count: p.count, StartAt: p.measureStart.Add(-time.Duration(out.Load.WarmupS * float64(time.Second))), Merged: true}
	if len(p.missing) == 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("all %d shards of run %s merged; the timeline is aligned by the wall clock", p.count, p.runID))
		return
	}
	out.Partial = true
	out.MissingShards = p.missing
	out.Notes = append(out.Notes, fmt.Sprintf("%d of %d shards of run %s merged", present, p.count, p.runID))
}

// missingShards says which shards a merged result lacks.
func (r *Result) missingShards() string {
	count := 0
	if r.Shard != nil {
		count = r.Shard.Count
	}
	names := make([]string, len(r.MissingShards))
	for i, m := range r.MissingShards {
		names[i] = fmt.Sprintf("%d/%d", m, count)
	}
	return fmt.Sprintf("missing shard %s, whose load is in no figure: its generator died or its result was not given", strings.Join(names, ", "))
}

// shiftTimeline returns tl with every second moved by offset seconds.
func shiftTimeline(tl []TimelinePoint, offset float64) []TimelinePoint {
	if offset == 0 {
		return tl
	}
	out := make([]TimelinePoint, len(tl))
	for i, p := range tl {
		p.TS += offset
		out[i] = p
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}
