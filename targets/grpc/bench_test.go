package grpctarget

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/commsbench/commsbench/bench"
)

// BenchmarkEcho measures one operation against the in-process target:
// "serial" is one worker's round trip, "parallel" is 8×GOMAXPROCS workers
// sharing one connection (and, in stream mode, one stream). Allocations
// count both sides, client and in-process target.
func BenchmarkEcho(b *testing.B) {
	for _, mode := range []string{ModeUnary, ModeStream} {
		b.Run(mode+"/serial", func(b *testing.B) {
			w := startBenchWorkload(b, mode)
			c := w.newClient(0)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(2 * 256)
			b.ResetTimer()
			for i := range b.N {
				if err := c.Do(ctx, bench.Op{Seq: int64(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode+"/parallel", func(b *testing.B) {
			w := startBenchWorkload(b, mode)
			var seq, worker atomic.Int64
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(2 * 256)
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := w.newClient(int(worker.Add(1)))
				for pb.Next() {
					if err := c.Do(ctx, bench.Op{Seq: seq.Add(1)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func startBenchWorkload(b *testing.B, mode string) *Workload {
	b.Helper()
	w, err := NewWorkload(Config{Mode: mode, PayloadBytes: 256})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := w.Close(); err != nil {
			b.Error(err)
		}
	})
	if _, err := w.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return w
}
