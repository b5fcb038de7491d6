package event

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/commsbench/commsbench/bench"
)

// retentionBroker is a broker that applies retention every 20 ms, with
// 1 MiB segments, and a kafka-go client of it.
func retentionBroker(t *testing.T, bound int64) (*Broker, *kafka.Client) {
	t.Helper()
	b, err := StartBroker(BrokerConfig{RetentionPerPartition: bound, RetentionInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	tr := &kafka.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return b, &kafka.Client{Addr: kafka.TCP(b.Addr()), Transport: tr, Timeout: 5 * time.Second}
}

// create makes topic: one partition, 1 MiB segments.
func create(t *testing.T, c *kafka.Client, topic string) {
	t.Helper()
	res, err := c.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "segment.bytes", ConfigValue: strconv.Itoa(minSegmentBytes)}},
	}}})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// fill produces n events of size bytes to partition 0 of topic, 64 a
// request; it returns the partition's end offset.
func fill(t *testing.T, c *kafka.Client, topic string, n, size int) int64 {
	t.Helper()
	ctx := context.Background()
	value := bytes.Repeat([]byte{'x'}, size)
	var end int64
	for sent := 0; sent < n; sent += 64 {
		recs := make([]kafka.Record, min(64, n-sent))
		for i := range recs {
			recs[i] = kafka.Record{Value: kafka.NewBytes(value)}
		}
		pr, err := c.Produce(ctx, &kafka.ProduceRequest{Topic: topic, RequiredAcks: kafka.RequireAll, Records: kafka.NewRecordReader(recs...)})
		if err == nil {
			err = pr.Error
		}
		if err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
		end = pr.BaseOffset + int64(len(recs))
	}
	return end
}

// commit commits offset for group on partition 0 of topic, as a consumer
// outside any generation can.
func commit(t *testing.T, c *kafka.Client, group, topic string, offset int64) {
	t.Helper()
	res, err := c.OffsetCommit(context.Background(), &kafka.OffsetCommitRequest{
		GroupID: group, GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: offset}}},
	})
	if err == nil {
		for _, p := range res.Topics[topic] {
			err = p.Error
		}
	}
	if err != nil {
		t.Fatalf("commit %s at %d: %v", group, offset, err)
	}
}

// settle waits until partition 0 of topic is as ok wants it, or fails.
func settle(t *testing.T, b *Broker, topic string, ok func(p *kfake.PartitionInfo) bool, what string) *kfake.PartitionInfo {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := b.c.PartitionInfo(topic, 0)
		if p != nil && ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: partition %+v", what, p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// held checks for a while that partition 0 of topic still starts at or
// before limit.
func held(t *testing.T, b *Broker, topic string, limit int64, what string) {
	t.Helper()
	for range 10 { // 10 retention passes and more
		time.Sleep(25 * time.Millisecond)
		if p := b.c.PartitionInfo(topic, 0); p == nil || p.LogStartOffset > limit {
			t.Fatalf("%s: partition starts at %+v, beyond %d", what, p, limit)
		}
	}
}

// The broker deletes a read topic's events only below the lowest offset
// every group committed: a group far behind holds the log for itself. (A
// group that has joined but not committed holds the whole partition; the
// workload tests run through that.)
func TestRetentionFollowsTheSlowestGroup(t *testing.T) {
	b, c := retentionBroker(t, 1<<20)
	const topic = "retention-read"
	create(t, c, topic)
	commit(t, c, "slow", topic, 0)
	commit(t, c, "fast", topic, 0)
	end := fill(t, c, topic, 4096, 1024) // 4 MiB: four segments and more
	commit(t, c, "fast", topic, end)
	commit(t, c, "slow", topic, 10)
	held(t, b, topic, 10, "slow group at 10, fast group at the end")

	commit(t, c, "slow", topic, end-100)
	p := settle(t, b, topic, func(p *kfake.PartitionInfo) bool { return p.NumBytes <= 2*minSegmentBytes }, "both groups near the end")
	if p.LogStartOffset == 0 || p.LogStartOffset > end-100 {
		t.Errorf("the log starts at %d; want it past the first segments, and not beyond the slow group's commit %d", p.LogStartOffset, end-100)
	}
}

// A topic no group reads keeps about the bytes bound.
func TestRetentionBoundsUnreadTopics(t *testing.T) {
	b, c := retentionBroker(t, 1<<20)
	const topic = "retention-unread"
	create(t, c, topic)
	end := fill(t, c, topic, 4096, 1024)
	p := settle(t, b, topic, func(p *kfake.PartitionInfo) bool { return p.NumBytes <= 2*minSegmentBytes }, "4 MiB over a 1 MiB bound")
	if p.HighWatermark != end || p.LogStartOffset < end/2 {
		t.Errorf("partition %+v; want about the last 1 MiB of %d events kept", p, end)
	}
}

// A group far slower than the producers, beside a fast one, on a broker
// that applies retention every 20 ms with 1 MiB segments: the fast group's
// progress frees nothing the slow group has not read, so the slow group
// loses nothing, and what it could not read by the drain timeout is
// unread; the broker did delete what both had read.
func TestSlowGroupLosesNothing(t *testing.T) {
	b, _ := retentionBroker(t, 1<<20)
	cfg := baseConfig([]string{b.Addr()}, "test-slow-retention-"+time.Now().Format("150405.000000"))
	cfg.Partitions, cfg.Producers, cfg.Subscribers, cfg.GroupConsumers = 1, 1, 2, nil
	cfg.readDelays = []time.Duration{0, 2 * time.Millisecond}
	cfg.DrainTimeout = 300 * time.Millisecond
	cfg.KeepTopic = true
	w, res := runWorkload(t, cfg, bench.Options{Rate: 2000, Concurrency: 100, Duration: 2 * time.Second, Timeout: 5 * time.Second, PayloadBytes: 2000})
	d := res.Counts.Delivery
	if d == nil || d.Unread == nil {
		t.Fatalf("delivery %+v: want unread counted", d)
	}
	fast, slow := res.Subscribers[0], res.Subscribers[1]
	if d.Lost != 0 || fast.Lost != 0 || slow.Lost != 0 {
		t.Errorf("lost %d (fast %d, slow %d): retention must not delete what a group has not read", d.Lost, fast.Lost, slow.Lost)
	}
	if fast.Received != d.Acked || slow.Unread == nil || *slow.Unread == 0 || slow.Received+*slow.Unread != d.Acked {
		t.Errorf("fast received %d, slow received %d + unread %v, of %d acked: want the slow group behind, by unread events only", fast.Received, slow.Received, slow.Unread, d.Acked)
	}
	p := b.c.PartitionInfo(w.Topic(), 0)
	g := b.c.GroupInfo(w.GroupID("email"))
	if p == nil || g == nil {
		t.Fatalf("partition %+v, slow group %+v", p, g)
	}
	committed := g.Commits[w.Topic()][0].Offset
	if p.LogStartOffset == 0 || p.LogStartOffset > committed {
		t.Errorf("the log starts at %d, the slow group committed %d: want what both read deleted, and no more", p.LogStartOffset, committed)
	}
	t.Logf("acked %d; slow group received %d, unread %d, committed %d; log starts at %d of %d", d.Acked, slow.Received, *slow.Unread, committed, p.LogStartOffset, p.HighWatermark)
}
