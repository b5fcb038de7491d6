package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// This file holds the flags that make a run one part of a load that
// several generators drive together: --shard I/N, --start-at, --run-id,
// and --shards N, which starts the N parts as child processes here.

// shardFlags are the distribution flags as given.
type shardFlags struct {
	Shard   string
	StartAt string
	RunID   string
	Shards  int
}

func (s *shardFlags) addFlags(fl *pflag.FlagSet) {
	fl.StringVar(&s.Shard, "shard", "", "run shard I of N (such as 0/4) of the load: --rate and --requests are the whole load's, --concurrency and --connections are split;\ngive every shard the same flags, --start-at and --run-id")
	fl.StringVar(&s.StartAt, "start-at", "", "start the warm-up at this wall-clock instant (RFC 3339, such as 2026-12-02T08:00:00Z), so that shards measure the same window")
	fl.StringVar(&s.RunID, "run-id", "", "the run's id, the same on every shard (default: derived from --start-at); names the queue or topic of a brokered run")
	fl.IntVar(&s.Shards, "shards", 0, "start N shards of this run as child processes on this machine and merge their results")
}

// distribution is a run's part of a sharded load, checked.
type distribution struct {
	Shard   bench.Shard
	StartAt time.Time
	// RunID is the id every shard shares ("" when not sharded: each run
	// gets a fresh one).
	RunID string
	// Shards > 1 makes this process start the shards (local fan-out).
	Shards int
}

// check turns the flags into a distribution. now is the wall clock.
func (s *shardFlags) check(now time.Time, o *RunOptions) (distribution, error) {
	var d distribution
	if s.Shard != "" {
		sh, err := bench.ParseShard(s.Shard)
		if err != nil {
			return d, flagErrorf("--%v", err)
		}
		d.Shard = sh
	}
	if s.StartAt != "" {
		t, err := time.Parse(time.RFC3339Nano, s.StartAt)
		if err != nil {
			return d, flagErrorf("--start-at %q: not an RFC 3339 time; write it as 2026-12-02T08:00:00Z", s.StartAt)
		}
		if !t.After(now) {
			return d, flagErrorf("--start-at %s: that is %v in the past; give an instant that all shards can still wait for, such as $(date -u -d '+30 sec' +%%FT%%TZ)", s.StartAt, now.Sub(t).Round(time.Millisecond))
		}
		d.StartAt = t
	}
	switch {
	case s.Shards < 0 || s.Shards > bench.MaxShards:
		return d, flagErrorf("--shards %d: give from 2 to %d child processes", s.Shards, bench.MaxShards)
	case s.Shards > 0 && s.Shard != "":
		return d, flagErrorf("--shards and --shard: give one; --shards N starts the N shards itself")
	case (s.Shard != "" || s.Shards > 1) && o.Count > 1:
		return d, flagErrorf("--count %d: a sharded run is measured once; repeat it instead", o.Count)
	}
	d.Shards = s.Shards
	d.RunID = s.RunID
	if d.RunID == "" && !d.StartAt.IsZero() && !d.Shard.Whole() {
		// Every shard derives the same id from the same instant.
		d.RunID = "at-" + d.StartAt.UTC().Format("20060102T150405.000Z")
	}
	if !d.Shard.Whole() && d.RunID == "" {
		return d, flagErrorf("--shard %s: give every shard the same --run-id or --start-at, so that their results merge as one run", s.Shard)
	}
	return d, nil
}

// distribute checks o's distribution flags into req.Dist and gives a shard
// its part of the workers and connections.
func (req *runRequest) distribute(now time.Time, o *RunOptions) error {
	d, err := o.Dist.check(now, o)
	if err != nil {
		return err
	}
	req.Dist = d
	if d.Shard.Whole() {
		return nil
	}
	workers := d.Shard.Share(int64(req.Run.Concurrency))
	if workers < 1 {
		return flagErrorf("--shard %s: %d workers cannot be split over %d shards; give --concurrency at least %d", d.Shard, req.Run.Concurrency, d.Shard.Count, d.Shard.Count)
	}
	req.Run.Concurrency = int(workers)
	req.Engine.Concurrency = int(workers)
	if req.Run.Connections > 0 {
		req.Run.Connections = int(max(1, d.Shard.Share(int64(req.Run.Connections))))
		req.Engine.Connections = req.Run.Connections
	}
	req.Engine.Shard = d.Shard
	req.Engine.StartAt = d.StartAt
	return nil
}

// ids returns the run id recorded in the result and the one the workload
// names its queue or topic after. Shards of one run share the first; each
// has its own of the second, so that a brokered shard's consumers account
// exactly for its own producers' messages (see docs/distributed.md).
func (d distribution) ids(now time.Time) (run, workload string) {
	if d.RunID == "" {
		id := newRunID(now)
		return id, id
	}
	if d.Shard.Whole() {
		return d.RunID, d.RunID
	}
	return d.RunID, results.ShardRunID(d.RunID, d.Shard.Index, d.Shard.Count)
}
