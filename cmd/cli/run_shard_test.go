package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/registry"
)

func TestBadShardInput(t *testing.T) {
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	soon := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	tests := []struct {
		name string
		args []string
		msg  string // must appear in stderr
	}{
		{"index past the last shard", []string{"--shard", "3/2", "--run-id", "x"}, "--shard 3/2: I counts from 0 to N-1 (0 to 1 here)"},
		{"no shards", []string{"--shard", "0/0", "--run-id", "x"}, "--shard 0/0: N must be at least 1"},
		{"not I/N", []string{"--shard", "2", "--run-id", "x"}, `write the shard as I/N`},
		{"start in the past", []string{"--shard", "0/2", "--start-at", past}, "in the past"},
		{"start not a time", []string{"--start-at", "tomorrow"}, `--start-at "tomorrow": not an RFC 3339 time`},
		{"shard without a shared id", []string{"--shard", "1/2"}, "give every shard the same --run-id or --start-at"},
		{"both --shard and --shards", []string{"--shard", "0/2", "--shards", "2", "--start-at", soon}, "--shards and --shard: give one"},
		{"repeated sharded run", []string{"--shards", "2", "--count", "3", "--out", "dir/"}, "a sharded run is measured once"},
		{"fewer workers than shards", []string{"--shard", "3/4", "--run-id", "x", "--rate", "0", "--concurrency", "3"}, "3 workers cannot be split over 4 shards"},
		{"negative --shards", []string{"--shards", "-1"}, "--shards -1: give from 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(append([]string{"run", "rest"}, tt.args...)...)
			if code := Main(context.Background(), f); code != ExitUsage {
				t.Errorf("exit code %d, want %d; stderr: %s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr %q does not say %q", errOut.String(), tt.msg)
			}
		})
	}
}

// A shard records its part, the shared run id and the agreed start.
func TestShardRecordsItsPart(t *testing.T) {
	start := time.Now().Add(300 * time.Millisecond).UTC().Truncate(time.Millisecond)
	f, out, errOut := testFactory("run", "rest", "--rate", "400", "--duration", "500ms", "--warmup", "100ms",
		"--shard", "1/2", "--start-at", start.Format(time.RFC3339Nano), "--run-id", "r1", "--out", "-", "-q")
	if code := Main(context.Background(), f); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	res, err := results.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.RunID != "r1" || res.Shard == nil || res.Shard.Index != 1 || res.Shard.Count != 2 || !res.Shard.StartAt.Equal(start) {
		t.Errorf("result records run %q shard %+v; want r1, 1 of 2 from %v", res.RunID, res.Shard, start)
	}
	if res.Load.Rate != 200 || res.Load.Concurrency != 500 {
		t.Errorf("shard offered %v ops/s with %d in flight, want 200 and 500 (half of 400 and 1000)", res.Load.Rate, res.Load.Concurrency)
	}
	// On a busy machine some may be late past the end: asked is exact.
	if want := int64(100); res.Asked() != want {
		t.Errorf("shard sent %d (unsent %d, notes %q), want %d (200/s for 0.5s)", res.Counts.Sent, res.Counts.Unsent, res.Notes, want)
	}
}

// A shard's command line keeps the run's flags and drops those that say
// where the whole run's result goes or which part a process is.
func TestShardArgs(t *testing.T) {
	rest, ok := registry.Lookup("rest")
	if !ok {
		t.Fatal("no rest transport")
	}
	in := newRunInputs(rest)
	fs := pflag.NewFlagSet("rest", pflag.ContinueOnError)
	in.addFlags(fs)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"nothing to drop", []string{"run", "rest", "--rate", "5"}, []string{"run", "rest", "--rate", "5"}},
		{"value apart", []string{"run", "rest", "--shards", "4", "--rate", "5", "-o", "x.json"}, []string{"run", "rest", "--rate", "5"}},
		{"value joined", []string{"run", "rest", "--shards=4", "--out=x.json", "--label", "a"}, []string{"run", "rest", "--label", "a"}},
		{"bool flags take no value", []string{"run", "rest", "-q", "--rate", "5", "--quiet"}, []string{"run", "rest", "--rate", "5"}},
		{"a value that looks like a flag's", []string{"run", "rest", "--label", "--out"}, []string{"run", "rest", "--label", "--out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shardArgs(tt.args, fs, fanOutFlags); !slices.Equal(got, tt.want) {
				t.Errorf("shardArgs(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}
