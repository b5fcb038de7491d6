package bench_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

type noopWorkload struct{}

func (noopWorkload) Start(context.Context) (results.Target, error) { return results.Target{}, nil }
func (noopWorkload) NewClient(context.Context, int) (bench.Client, error) {
	return clientFunc(func(context.Context, bench.Op) error { return nil }), nil
}
func (noopWorkload) Finish(context.Context, *results.Result) error { return nil }
func (noopWorkload) Close() error                                  { return nil }

func benchmarkEngine(b *testing.B, o bench.Options) {
	o.Requests = int64(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	res, err := bench.Run(context.Background(), noopWorkload{}, o)
	elapsed := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if res.Counts.OK != int64(b.N) {
		b.Fatalf("ok %d, want %d", res.Counts.OK, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
}

// BenchmarkClosedLoopNoop is the engine's own ceiling: workers driving a
// client that does nothing, each operation timed and recorded.
func BenchmarkClosedLoopNoop(b *testing.B) {
	benchmarkEngine(b, bench.Options{Concurrency: runtime.GOMAXPROCS(0)})
}

// BenchmarkClosedLoopNoopWithTimeout adds the per-operation timeout context.
func BenchmarkClosedLoopNoopWithTimeout(b *testing.B) {
	benchmarkEngine(b, bench.Options{Concurrency: runtime.GOMAXPROCS(0), Timeout: 5 * time.Second})
}

// BenchmarkOpenLoopNoop offers far more than the engine can pace, so the
// pacer never sleeps: the cost of scheduling and handing operations to workers.
func BenchmarkOpenLoopNoop(b *testing.B) {
	benchmarkEngine(b, bench.Options{Rate: 50_000_000, Concurrency: 64})
}
