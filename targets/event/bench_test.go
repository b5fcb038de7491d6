package event

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// The benchmarks run whole measurements on the embedded broker and report
// the run's own figures as metrics (events/s, latency percentiles), so that
// benchstat can compare them across changes. One iteration is one run:
// use -benchtime 1x -count N.

func benchRun(b *testing.B, cfg Config, o bench.Options) *results.Result {
	b.Helper()
	var res *results.Result
	for b.Loop() {
		w, err := NewWorkload(cfg)
		if err != nil {
			b.Fatal(err)
		}
		res, err = bench.Run(context.Background(), w, o)
		if err != nil {
			b.Fatal(err)
		}
		if d := res.Counts.Delivery; d.Lost != 0 || d.Duplicates != 0 {
			b.Fatalf("lost %d, duplicates %d", d.Lost, d.Duplicates)
		}
	}
	return res
}

// BenchmarkThroughput is the produce+consume ceiling with one group: closed
// loop, enough workers in flight for the batches to fill.
func BenchmarkThroughput(b *testing.B) {
	for _, workers := range []int{256, 512, 1024} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cfg := baseConfig(nil, fmt.Sprintf("bench-%d", time.Now().UnixNano()))
			cfg.Subscribers, cfg.GroupConsumers, cfg.Producers, cfg.PayloadBytes = 1, nil, 1, 256
			res := benchRun(b, cfg, bench.Options{Concurrency: workers, Duration: 5 * time.Second, Warmup: time.Second, Timeout: 10 * time.Second, PayloadBytes: 256})
			b.ReportMetric(res.Throughput.PublishedPerS, "published/s")
			b.ReportMetric(res.Throughput.ConsumedPerS, "consumed/s")
			b.ReportMetric(float64(res.Latency[results.EndToEnd].P50)/1e3, "e2e-p50-µs")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkPaced is end-to-end latency at a steady 10k events/s.
func BenchmarkPaced(b *testing.B) {
	cfg := baseConfig(nil, fmt.Sprintf("paced-%d", time.Now().UnixNano()))
	cfg.Subscribers, cfg.GroupConsumers, cfg.Producers, cfg.PayloadBytes = 1, nil, 1, 256
	res := benchRun(b, cfg, bench.Options{Rate: 10000, Concurrency: 1000, Duration: 10 * time.Second, Warmup: time.Second, Timeout: 10 * time.Second, PayloadBytes: 256})
	e2e := res.Latency[results.EndToEnd]
	b.ReportMetric(float64(e2e.P50)/1e3, "e2e-p50-µs")
	b.ReportMetric(float64(e2e.P99)/1e3, "e2e-p99-µs")
	b.ReportMetric(float64(res.Latency[results.Publish].P50)/1e3, "publish-p50-µs")
	b.ReportMetric(res.Throughput.ConsumedPerS, "consumed/s")
	b.ReportMetric(0, "ns/op")
}
