package event

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	kafka "github.com/segmentio/kafka-go"
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

// The side benchmarks take one side of the transport at a time on the
// embedded broker, so that a profile (-cpuprofile) shows its own costs:
// BenchmarkProduce publishes with no group reading, BenchmarkConsume reads
// a topic filled beforehand with one group of one member. Both report
// events/s; ns/op is per event.

const sideEvents = 200_000

// sideTopic starts a broker with a topic of 6 partitions.
func sideTopic(b *testing.B) (*Broker, []string, string) {
	b.Helper()
	// 1 MiB segments, as a run's topic has (segmentBytes of a 4 MiB
	// bound, which also keeps the produce-only topic small).
	br, err := StartBroker(BrokerConfig{RetentionPerPartition: 4 << 20})
	if err != nil {
		b.Fatal(err)
	}
	brokers := []string{br.Addr()}
	w, err := NewWorkload(Config{Brokers: brokers, RunID: fmt.Sprintf("side-%d", time.Now().UnixNano()), Partitions: 6, ReplicationFactor: 1,
		Subscribers: 1, Consumers: 1, Producers: 1, BatchSize: DefaultBatchSize})
	if err != nil {
		b.Fatal(err)
	}
	w.brokers = brokers
	tr := &kafka.Transport{}
	w.admin = &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 5 * time.Second}
	if _, err := w.createTopic(context.Background()); err != nil {
		b.Fatal(err)
	}
	tr.CloseIdleConnections()
	return br, brokers, w.topic
}

// publishAll publishes n measured 256-byte events from 512 goroutines.
func publishAll(b *testing.B, p *producer, n int) {
	b.Helper()
	value := make([]byte, 256)
	var wg sync.WaitGroup
	var failed atomic.Int64
	const senders = 512
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := s; i < n; i += senders {
				ev := event{sentNS: time.Now().UnixNano(), value: value, measure: true}
				if p.publish(context.Background(), p.partitionFor(nil), ev) != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		b.Fatalf("%d publishes failed", failed.Load())
	}
}

func sideProducer(brokers []string, topic string, runTag uint32) *producer {
	return newProducer(producerConfig{runTag: runTag, brokers: brokers, topic: topic, partitions: 6, acks: kafka.RequireAll,
		key: KeyNone, batchSize: DefaultBatchSize, dial: 5 * time.Second, reqTimeout: 10 * time.Second})
}

func BenchmarkProduce(b *testing.B) {
	for range b.N {
		b.StopTimer()
		br, brokers, topic := sideTopic(b)
		p := sideProducer(brokers, topic, 1)
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		publishAll(b, p, sideEvents)
		b.ReportMetric(sideEvents/time.Since(start).Seconds(), "events/s")
		b.ReportMetric(float64(cpuTime()-cpu)/sideEvents, "cpu-ns/event")
		b.StopTimer()
		p.close()
		br.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sideEvents), "ns/op")
}

func BenchmarkConsume(b *testing.B) {
	for range b.N {
		b.StopTimer()
		br, brokers, topic := sideTopic(b)
		p := sideProducer(brokers, topic, 1)
		publishAll(b, p, sideEvents)
		p.close()
		s, err := newSubscriber(subscriberConfig{brokers: brokers, topic: topic, groupID: topic + ".g", name: "g", members: 1, partitions: 6,
			producers: 1, runTag: 1, fromStart: true, maxBytes: 4 << 20, dial: 5 * time.Second, memberPrefix: "bench", faults: &faultState{}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		s.start(ctx)
		deadline := time.Now().Add(time.Minute)
		for s.tally.received.Load() < sideEvents && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		elapsed, used := time.Since(start), cpuTime()-cpu
		b.StopTimer()
		b.ReportMetric(float64(used)/sideEvents, "cpu-ns/event")
		if got := s.tally.received.Load(); got != sideEvents {
			b.Fatalf("received %d of %d", got, sideEvents)
		}
		b.ReportMetric(sideEvents/elapsed.Seconds(), "events/s")
		cancel()
		var wg sync.WaitGroup
		s.close(&wg)
		wg.Wait()
		br.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sideEvents), "ns/op")
}

// cpuTime is the CPU time the process used so far, user and system, in ns:
// per event, it tells the work apart from the machine's other load.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
