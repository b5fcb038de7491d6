package results_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

var shardStart = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

// shardRun is shard i of n of run id, brokered: each shard has its own
// queue named after its own id.
func shardRun(t *testing.T, id string, i, n int) *results.Result {
	t.Helper()
	r := synthRun(t, "queue", "", time.Millisecond, 1000, uint64(i+1))
	r.RunID = id
	r.Shard = &results.Shard{Index: i, Count: n, StartAt: shardStart}
	r.Load.Rate, r.Load.WarmupS, r.Load.DurationS = 1000, 1, 2
	r.Counts = results.Counts{Sent: 2000, OK: 1990, Errors: 10, Unsent: int64(i),
		Delivery: &results.Delivery{Confirmed: 1990, Received: 1990 - int64(i), Lost: int64(i), Duplicates: 1}}
	r.Options = map[string]any{"queue": "commsbench." + results.ShardRunID(id, i, n), "prefetch": 10.0}
	r.Timeline = []results.TimelinePoint{{TS: 0, Ops: 1000}, {TS: 1, Ops: 1000}}
	return r
}

func TestMergeShards(t *testing.T) {
	parts := []*results.Result{shardRun(t, "r1", 0, 3), shardRun(t, "r1", 1, 3), shardRun(t, "r1", 2, 3)}
	// Shard 2 started a second late by the wall clock: its seconds are
	// the others' seconds 1 and 2.
	parts[2].Shard.StartAt = shardStart.Add(time.Second)
	m, err := results.MergeResults(parts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Partial || m.MissingShards != nil || m.RunID != "r1" || m.Shard == nil || !m.Shard.Merged || m.Shard.Count != 3 {
		t.Errorf("merge of every shard: partial %v, missing %v, run %q, shard %+v", m.Partial, m.MissingShards, m.RunID, m.Shard)
	}
	c := m.Counts
	if c.Sent != 6000 || c.OK != 5970 || c.Errors != 30 || c.Unsent != 3 {
		t.Errorf("counts %+v, want the sums 6000 sent, 5970 ok, 30 errors, 3 unsent", c)
	}
	if c.Lost != 3 || c.Duplicates != 3 || c.Received != 5967 || c.Confirmed != 5970 {
		t.Errorf("delivery %+v, want the sums over all shards", *c.Delivery)
	}
	if m.Load.Rate != 3000 {
		t.Errorf("merged rate %v, want 3000", m.Load.Rate)
	}
	want := []results.TimelinePoint{{TS: 0, Ops: 2000}, {TS: 1, Ops: 3000}, {TS: 2, Ops: 1000}}
	if !reflect.DeepEqual(m.Timeline, want) {
		t.Errorf("timeline %+v, want %+v (aligned by the wall clock)", m.Timeline, want)
	}
	if q := m.Options["queue"]; q != "commsbench.r1-s*of3" {
		t.Errorf("merged queue option %v, want the shards' names as one pattern", q)
	}
}

func TestMergeShardsWithOneMissingIsPartial(t *testing.T) {
	for _, tt := range []struct {
		name    string
		present []int
		missing []int
		note    string
	}{
		{"the middle one", []int{0, 2}, []int{1}, "missing shard 1/3"},
		{"one alone", []int{2}, []int{0, 1}, "missing shard 0/3, 1/3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var parts []*results.Result
			for _, i := range tt.present {
				parts = append(parts, shardRun(t, "r1", i, 3))
			}
			m, err := results.MergeResults(parts)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Partial || !slices.Equal(m.MissingShards, tt.missing) {
				t.Errorf("partial %v, missing %v; want partial, missing %v", m.Partial, m.MissingShards, tt.missing)
			}
			var text strings.Builder
			if err := results.WriteSummary(&text, m, results.FormatText); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "PARTIAL: "+tt.note) {
				t.Errorf("summary does not say %q:\n%s", tt.note, text.String())
			}
		})
	}
}

func TestMergeShardsRefusesPartsOfOtherRuns(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *results.Result)
		msg    string
	}{
		{"another run", func(r *results.Result) { r.RunID = "r2" }, `shard of run "r2", result 1 of run "r1"`},
		{"another number of shards", func(r *results.Result) { r.Shard.Count = 4 }, "result 1 of 3"},
		{"the same shard twice", func(r *results.Result) { r.Shard.Index = 0 }, "is shard 0 of run \"r1\" again"},
		{"another rate", func(r *results.Result) { r.Load.Rate = 500 }, "rate 500 ops/s differs from 1000"},
		{"another duration", func(r *results.Result) { r.Load.DurationS = 5 }, "warm-up, duration or timeout"},
		{"another option", func(r *results.Result) { r.Options["prefetch"] = 1.0 }, "transport options"},
		{"not a shard", func(r *results.Result) { r.Shard = nil }, "some results are shards of a run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := shardRun(t, "r1", 0, 3), shardRun(t, "r1", 1, 3)
			tt.change(b)
			_, err := results.MergeResults([]*results.Result{a, b})
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one saying %q", err, tt.msg)
			}
		})
	}
}
