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
	// On a shared machine the wall-clock rate says as much about the
	// neighbours as about the engine; the process's CPU time per operation
	// (over the measured period: user and system, every thread) does not.
	if rs := res.Resources; rs != nil {
		b.ReportMetric((rs.CPUUserS+rs.CPUSystemS)*1e9/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkClosedLoopNoop is the engine's own ceiling: workers driving a
// client that does nothing, each operation timed and recorded.
func BenchmarkClosedLoopNoop(b *testing.B) {
	benchmarkEngine(b, bench.Options{Concurrency: runtime.GOMAXPROCS(0)})
}

// BenchmarkClosedLoopNoopWithTimeout adds the per-operation timeout.
func BenchmarkClosedLoopNoopWithTimeout(b *testing.B) {
	benchmarkEngine(b, bench.Options{Concurrency: runtime.GOMAXPROCS(0), Timeout: 5 * time.Second})
}

// BenchmarkOpenLoopNoop offers far more than the engine can pace (the
// highest rate a run may ask), so operations are always due: the cost of
// releasing operations to workers, timing and recording them.
func BenchmarkOpenLoopNoop(b *testing.B) {
	benchmarkEngine(b, bench.Options{Rate: bench.MaxRate, Concurrency: 64})
}

// BenchmarkOpenLoopNoopWithTimeout adds the per-operation timeout, as every
// run of the command line has.
func BenchmarkOpenLoopNoopWithTimeout(b *testing.B) {
	benchmarkEngine(b, bench.Options{Rate: bench.MaxRate, Concurrency: 64, Timeout: 5 * time.Second})
}
