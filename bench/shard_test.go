package bench_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    bench.Shard
		wantErr bool
	}{
		{"0/1", bench.Shard{Index: 0, Count: 1}, false},
		{"3/4", bench.Shard{Index: 3, Count: 4}, false},
		{" 1 / 2 ", bench.Shard{Index: 1, Count: 2}, false},
		{"3/2", bench.Shard{}, true},     // index past the last shard
		{"2/2", bench.Shard{}, true},     // indices count from 0
		{"0/0", bench.Shard{}, true},     // no shards
		{"-1/2", bench.Shard{}, true},    // negative index
		{"1", bench.Shard{}, true},       // no count
		{"a/b", bench.Shard{}, true},     // not numbers
		{"0/20000", bench.Shard{}, true}, // beyond MaxShards
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := bench.ParseShard(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseShard(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("ParseShard(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "3/2", "0/0", "", "/", "9999/10000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := bench.ParseShard(s)
		if err != nil {
			return
		}
		if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("ParseShard(%q) accepted %+v", s, sh)
		}
		again, err := bench.ParseShard(sh.String())
		if err != nil || again != sh {
			t.Fatalf("%q → %v → %+v, %v", s, sh, again, err)
		}
	})
}

// The shares of a total add up to it, and the shards' indices of any
// range partition it.
func TestShardPartition(t *testing.T) {
	for n := 1; n <= 7; n++ {
		for _, total := range []int64{0, 1, 5, 6, 7, 100, 1001} {
			var sum int64
			for i := range n {
				sum += bench.Shard{Index: i, Count: n}.Share(total)
			}
			if sum != total {
				t.Errorf("shares of %d over %d shards add up to %d", total, n, sum)
			}
		}
		for _, r := range [][2]int64{{0, 0}, {0, 1}, {3, 17}, {5, 6}, {10, 10}, {999, 2024}} {
			var sum int64
			for i := range n {
				sh := bench.Shard{Index: i, Count: n}
				got := sh.Within(r[0], r[1])
				var want int64
				for g := r[0]; g < r[1]; g++ {
					if g%int64(n) == int64(i) {
						want++
					}
				}
				if got != want {
					t.Errorf("shard %v: Within(%d, %d) = %d, want %d", sh, r[0], r[1], got, want)
				}
				sum += got
			}
			if sum != max(r[1]-r[0], 0) {
				t.Errorf("%d shards: Within(%d, %d) add up to %d", n, r[0], r[1], sum)
			}
		}
	}
}

// opLog records each operation a shard did.
type opLog struct {
	mu  sync.Mutex
	ops []bench.Op
}

func (l *opLog) workload() *fakeWorkload {
	return &fakeWorkload{do: func(_ context.Context, op bench.Op) error {
		l.mu.Lock()
		l.ops = append(l.ops, op)
		l.mu.Unlock()
		return nil
	}}
}

// Shards started at one instant, each with its part, do exactly the
// operations of the single-generator schedule: the same sequence numbers
// and the same due times, each once.
func TestShardsUnionIsTheWholeSchedule(t *testing.T) {
	const rate, n = 2000, 3
	opts := bench.Options{Rate: rate, Concurrency: 50, Requests: 301, Warmup: 100 * time.Millisecond, Timeout: time.Second}
	start := time.Now().Add(200 * time.Millisecond).Truncate(time.Millisecond)

	var logs [n]opLog
	var wg sync.WaitGroup
	var counts [n]int64
	var requests [n]int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := opts
			o.Shard = bench.Shard{Index: i, Count: n}
			o.StartAt = start
			res, err := bench.Run(context.Background(), logs[i].workload(), o)
			if err != nil {
				t.Errorf("shard %d: %v", i, err)
				return
			}
			counts[i] = res.Counts.Sent
			requests[i] = res.Load.Requests
			if res.Shard == nil || res.Shard.Index != i || res.Shard.Count != n || !res.Shard.StartAt.Equal(start) {
				t.Errorf("shard %d recorded %+v", i, res.Shard)
			}
			if want := float64(rate) / n; res.Load.Rate != want {
				t.Errorf("shard %d offered %v ops/s, want %v", i, res.Load.Rate, want)
			}
		}()
	}
	wg.Wait()

	pacer := bench.ConstantPacer{PerSecond: rate}
	first := pacer.Index(opts.Warmup)
	var seqs []int64
	var measured, asked int64
	for i := range n {
		measured += counts[i]
		asked += requests[i]
		for _, op := range logs[i].ops {
			if op.Seq%n != int64(i) {
				t.Errorf("shard %d did operation %d, which is another shard's", i, op.Seq)
			}
			if want := start.Add(pacer.Due(op.Seq)); !op.Intended.Equal(want) {
				t.Errorf("operation %d due at %v, want %v", op.Seq, op.Intended, want)
			}
			seqs = append(seqs, op.Seq)
		}
	}
	if measured != opts.Requests || asked != opts.Requests {
		t.Errorf("shards measured %d operations and were asked %d, want %d", measured, asked, opts.Requests)
	}
	sort.Slice(seqs, func(a, b int) bool { return seqs[a] < seqs[b] })
	if int64(len(seqs)) != first+opts.Requests {
		t.Fatalf("shards did %d operations, want %d (warm-up %d + %d)", len(seqs), first+opts.Requests, first, opts.Requests)
	}
	for k, s := range seqs {
		if s != int64(k) {
			t.Fatalf("operation %d is missing or repeated (got %d at position %d)", k, s, k)
		}
	}
}

// Closed-loop shards number their operations apart.
func TestClosedLoopShardsSequenceApart(t *testing.T) {
	const n = 2
	var logs [n]opLog
	for i := range n {
		o := bench.Options{Concurrency: 2, Requests: 40, Timeout: time.Second, Shard: bench.Shard{Index: i, Count: n}}
		res, err := bench.Run(context.Background(), logs[i].workload(), o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts.Sent != 20 || res.Load.Requests != 20 {
			t.Errorf("shard %d sent %d of %d requests, want its share 20", i, res.Counts.Sent, res.Load.Requests)
		}
	}
	seen := map[int64]bool{}
	for i := range n {
		for _, op := range logs[i].ops {
			if seen[op.Seq] {
				t.Errorf("sequence number %d used twice", op.Seq)
			}
			seen[op.Seq] = true
		}
	}
}

// A run waiting for its start instant ends at once when cancelled.
func TestStartAtWaitIsInterruptible(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	began := time.Now()
	o := bench.Options{Rate: 100, Concurrency: 1, Duration: time.Second, Timeout: time.Second, StartAt: time.Now().Add(time.Hour)}
	res, err := bench.Run(ctx, (&opLog{}).workload(), o)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("cancelled wait took %v", took)
	}
	if !res.Partial || res.Counts.Sent != 0 {
		t.Errorf("interrupted wait: partial %v, sent %d; want partial and nothing sent", res.Partial, res.Counts.Sent)
	}
}
