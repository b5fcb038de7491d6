package event

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/correlate"
)

// PipelineConfig is a run through a user's consume-transform-produce
// service: events go to its input topic, its output topic is read in a
// consumer group of the run's own, and each output is matched with its
// input by a correlation header or the record key (package correlate).
type PipelineConfig struct {
	Brokers     []string
	Topic       string // the service's input
	ResultTopic string // the service's output
	Correlate   correlate.Mode
	Headers     []correlate.Header
	Acks        Acks
	// BatchSize bounds the events of one produce request.
	BatchSize    int
	DrainTimeout time.Duration
	Payload      []byte
	PayloadBytes int
	RunID        string
	DialTimeout  time.Duration
	JoinTimeout  time.Duration
}

// Pipeline is a pipeline run's workload.
type Pipeline struct {
	cfg     PipelineConfig
	runTag  uint32
	value   []byte
	admin   *kafka.Client
	adminTr *kafka.Transport
	sender  *pipeSender
	reader  *kafka.Reader
	group   string
	joinS   float64

	// startOffsets are the output topic's end offsets before the run:
	// what lies below is not the run's.
	startOffsets map[int]int64

	sent     pipeSent
	acked    seqSet
	received seqSet
	ackedN   atomic.Int64

	readDone   chan struct{}
	stopRead   context.CancelFunc
	stopOnce   sync.Once
	readErr    atomic.Value // error
	foreign    atomic.Int64
	before     atomic.Int64
	dups, ooo  atomic.Int64
	receivedN  atomic.Int64
	tally      correlate.Tally
	lastSeen   map[[2]int]uint64 // (input partition, output partition) → last sequence; the reader's own
	mu         sync.Mutex
	e2e, svc   *hdrhistogram.Histogram
	lastRecvNS int64
}

var _ bench.Workload = (*Pipeline)(nil)

// NewPipeline returns the pipeline workload for cfg.
func NewPipeline(cfg PipelineConfig) (*Pipeline, error) {
	switch {
	case len(cfg.Brokers) == 0:
		return nil, errors.New("event: a pipeline needs the brokers the service uses (--brokers)")
	case cfg.Topic == "" || cfg.ResultTopic == "":
		return nil, errors.New("event: a pipeline needs the service's input topic (--topic) and output topic (--result-topic)")
	case cfg.Topic == cfg.ResultTopic:
		return nil, fmt.Errorf("event: --topic and --result-topic are both %q: the service's output must be another topic", cfg.Topic)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.JoinTimeout <= 0 {
		cfg.JoinTimeout = defaultJoinTimeout
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.RunID == "" {
		cfg.RunID = fmt.Sprintf("%d", time.Now().UnixNano())
	}
	var tag [4]byte
	for binary.BigEndian.Uint32(tag[:]) == 0 {
		_, _ = rand.Read(tag[:])
	}
	value := cfg.Payload
	if value == nil {
		value = make([]byte, cfg.PayloadBytes)
		_, _ = rand.Read(value)
	}
	w := &Pipeline{
		cfg: cfg, runTag: binary.BigEndian.Uint32(tag[:]), value: value,
		group: "commsbench." + cfg.RunID + ".results", lastSeen: map[[2]int]uint64{},
		e2e: results.NewHistogram(), svc: results.NewHistogram(),
	}
	w.sent.firstMeasured.Store(math.MaxInt64)
	return w, nil
}

// OperationLatency: an operation is a publish to the service's input.
func (w *Pipeline) OperationLatency() string { return results.Publish }

// GroupID is the consumer group that reads the service's output.
func (w *Pipeline) GroupID() string { return w.group }

// Start reaches the brokers, checks both topics exist, starts reading the
// output from its current end and waits for the run's group to join.
func (w *Pipeline) Start(ctx context.Context) (results.Target, error) {
	cfg := w.cfg
	if err := reachable(ctx, cfg.Brokers, cfg.DialTimeout); err != nil {
		return results.Target{}, err
	}
	w.adminTr = &kafka.Transport{DialTimeout: cfg.DialTimeout, ClientID: "commsbench-admin", MetadataTTL: time.Second}
	w.admin = &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: w.adminTr, Timeout: defaultRequestTimeout}
	parts, err := w.topicPartitions(ctx)
	if err != nil {
		return results.Target{}, err
	}
	if w.startOffsets, err = w.endOffsets(ctx, cfg.ResultTopic, parts[cfg.ResultTopic]); err != nil {
		return results.Target{}, err
	}
	w.commitStart(ctx)
	w.sender = newPipeSender(w, parts[cfg.Topic])

	joinStart := time.Now()
	w.reader = kafka.NewReader(kafka.ReaderConfig{
		Brokers:        cfg.Brokers,
		GroupID:        w.group,
		Topic:          cfg.ResultTopic,
		StartOffset:    kafka.FirstOffset,
		MinBytes:       1,
		MaxBytes:       16 << 20,
		MaxWait:        100 * time.Millisecond,
		CommitInterval: time.Second,
		Dialer:         &kafka.Dialer{Timeout: cfg.DialTimeout, ClientID: "commsbench-results"},
	})
	rctx, stop := context.WithCancel(context.Background())
	w.stopRead, w.readDone = stop, make(chan struct{})
	go w.read(rctx)
	if err := w.awaitJoin(ctx); err != nil {
		return results.Target{}, err
	}
	w.joinS = time.Since(joinStart).Seconds()
	return results.Target{Kind: results.TargetExternal, Broker: "kafka", Address: strings.Join(cfg.Brokers, ",")}, nil
}

// topicPartitions returns the partition counts of the input and output
// topics, which must both exist: they are the service's.
func (w *Pipeline) topicPartitions(ctx context.Context) (map[string]int, error) {
	cfg := w.cfg
	ctx, cancel := context.WithTimeout(ctx, defaultRequestTimeout)
	defer cancel()
	md, err := w.admin.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{cfg.Topic, cfg.ResultTopic}})
	if err != nil {
		return nil, fmt.Errorf("event: the brokers at %s do not answer Kafka metadata requests (%v); check --brokers", strings.Join(cfg.Brokers, ","), err)
	}
	out := map[string]int{}
	for _, t := range md.Topics {
		if t.Error == nil && len(t.Partitions) > 0 {
			out[t.Name] = len(t.Partitions)
		}
	}
	for _, c := range []struct{ topic, flag, role string }{{cfg.Topic, "--topic", "input"}, {cfg.ResultTopic, "--result-topic", "output"}} {
		if out[c.topic] == 0 {
			return nil, fmt.Errorf("event: the service's %s topic %q (%s) is not on the brokers at %s: start the service, or create the topic, first", c.role, c.topic, c.flag, strings.Join(cfg.Brokers, ","))
		}
	}
	return out, nil
}

// endOffsets asks for the end offset of every partition of topic.
func (w *Pipeline) endOffsets(ctx context.Context, topic string, partitions int) (map[int]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, defaultRequestTimeout)
	defer cancel()
	req := make([]kafka.OffsetRequest, partitions)
	for p := range req {
		req[p] = kafka.LastOffsetOf(p)
	}
	res, err := w.admin.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: req}})
	if err != nil {
		return nil, fmt.Errorf("event: end offsets of %q: %w", topic, err)
	}
	out := map[int]int64{}
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("event: end offset of %q partition %d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = po.LastOffset
	}
	return out, nil
}

// commitStart commits the output's end offsets for the run's new group,
// so that its reader starts there rather than reading the topic's
// history. Where the broker refuses, the reader reads from the start and
// skips what lies below them.
func (w *Pipeline) commitStart(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, defaultRequestTimeout)
	defer cancel()
	var oc []kafka.OffsetCommit
	for p, off := range w.startOffsets {
		oc = append(oc, kafka.OffsetCommit{Partition: p, Offset: off})
	}
	_, _ = w.admin.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: w.group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{w.cfg.ResultTopic: oc}})
}

// awaitJoin waits until the broker reports the run's group stable with
// its one member, within the join timeout.
func (w *Pipeline) awaitJoin(ctx context.Context) error {
	deadline := time.Now().Add(w.cfg.JoinTimeout)
	for {
		dctx, cancel := context.WithTimeout(ctx, defaultRequestTimeout)
		res, err := w.admin.DescribeGroups(dctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{w.group}})
		cancel()
		if err == nil {
			for _, g := range res.Groups {
				if g.Error == nil && strings.EqualFold(g.GroupState, "Stable") && len(g.Members) == 1 && len(g.Members[0].MemberAssignments.Topics) > 0 {
					return nil
				}
			}
		}
		if e, ok := w.readErr.Load().(error); ok && e != nil {
			return fmt.Errorf("event: read the result topic %q: %w", w.cfg.ResultTopic, e)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("event: the run's consumer group %q did not join on the result topic %q within %v", w.group, w.cfg.ResultTopic, w.cfg.JoinTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// read consumes the output topic until stopped.
func (w *Pipeline) read(ctx context.Context) {
	defer close(w.readDone)
	for {
		m, err := w.reader.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.readErr.Store(err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			return
		}
		w.handle(&m, time.Now().UnixNano())
	}
}

// handle matches one output with its input and accounts for it.
func (w *Pipeline) handle(m *kafka.Message, now int64) {
	if start, ok := w.startOffsets[m.Partition]; ok && m.Offset < start {
		w.before.Add(1)
		return
	}
	id, err := w.cfg.Correlate.Extract(correlate.KafkaHeaders{H: &m.Headers}, m.Key)
	if err != nil {
		w.tally.Add(err)
		return
	}
	if id.Run != w.runTag {
		w.foreign.Add(1)
		return
	}
	s, ok := w.sent.get(id.Seq)
	if !ok {
		w.tally.Add(fmt.Errorf("%w: event %d was never sent", correlate.ErrMalformed, id.Seq))
		return
	}
	if w.received.add(id.Seq) {
		if !id.Warmup {
			w.dups.Add(1)
		}
		return
	}
	k := [2]int{s.partition, m.Partition}
	if last, seen := w.lastSeen[k]; seen && id.Seq < last {
		if !id.Warmup {
			w.ooo.Add(1)
		}
	} else {
		w.lastSeen[k] = id.Seq
	}
	if id.Warmup {
		return
	}
	w.receivedN.Add(1)
	w.mu.Lock()
	results.RecordClamped(w.e2e, now-s.intended)
	results.RecordClamped(w.svc, now-s.actual)
	w.lastRecvNS = max(w.lastRecvNS, now)
	w.mu.Unlock()
}

// pipeSent keeps each event's send times and input partition, by
// sequence number, for when its output comes back.
type pipeSent struct {
	mu            sync.Mutex
	recs          []sentRec
	firstMeasured atomic.Int64
}

type sentRec struct {
	intended, actual int64
	partition        int
	warm             bool
}

func (s *pipeSent) put(seq uint64, r sentRec) {
	s.mu.Lock()
	for uint64(len(s.recs)) <= seq {
		s.recs = append(s.recs, sentRec{})
	}
	s.recs[seq] = r
	s.mu.Unlock()
}

func (s *pipeSent) get(seq uint64) (sentRec, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq >= uint64(len(s.recs)) || s.recs[seq].actual == 0 {
		return sentRec{}, false
	}
	return s.recs[seq], true
}

// count returns how many events were sent, measured and in warm-up.
func (s *pipeSent) count() (measured, warm int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.recs {
		switch {
		case r.actual == 0:
		case r.warm:
			warm++
		default:
			measured++
		}
	}
	return measured, warm
}

// Finish waits for the outputs, up to the drain timeout, and adds the
// accounting and the end-to-end latencies through the service.
func (w *Pipeline) Finish(ctx context.Context, r *results.Result) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultRequestTimeout)
	flushErr := w.sender.flush(fctx)
	cancel()
	start := time.Now()
	settled := w.drain(ctx)
	drained := time.Since(start)
	w.stopReading()

	d := &results.Delivery{Acked: w.ackedN.Load(), Received: w.receivedN.Load(), Duplicates: w.dups.Load(), OutOfOrder: w.ooo.Load(), Uncorrelated: w.tally.Total()}
	measured, _ := w.sent.count()
	var lost, outstanding int64
	w.sent.mu.Lock()
	for seq, rec := range w.sent.recs {
		if rec.actual == 0 || rec.warm || w.received.has(uint64(seq)) {
			continue
		}
		if w.acked.has(uint64(seq)) {
			lost++
		} else {
			outstanding++
		}
	}
	w.sent.mu.Unlock()
	d.Lost, d.Outstanding = lost, outstanding
	r.Counts.Delivery = d
	w.mu.Lock()
	r.Latency[results.EndToEnd] = results.MustLatency(w.e2e)
	r.Latency[results.EndToEndService] = results.MustLatency(w.svc)
	last := w.lastRecvNS
	w.mu.Unlock()
	if r.DurationS > 0 {
		r.Throughput.PublishedPerS = float64(d.Acked) / r.DurationS
		window := r.DurationS
		if first := w.sent.firstMeasured.Load(); last > first && first != math.MaxInt64 {
			window = max(window, float64(last-first)/1e9)
		}
		r.Throughput.ConsumedPerS = float64(d.Received) / window
	}
	cfg := w.cfg
	notes := []string{fmt.Sprintf("pipeline through the service: %d events produced to %q, outputs read from %q in the group %s and matched by %s; received counts inputs whose output arrived, lost those the broker acknowledged and whose output never came; out of order counts outputs on one partition behind a later input of the same input partition; end to end is from the intended send to the output's arrival (the group joined in %.2fs, before measuring)",
		measured, cfg.Topic, cfg.ResultTopic, w.group, cfg.Correlate, w.joinS)}
	if !settled {
		why := fmt.Sprintf("the drain ended after %.1fs before every output arrived (--drain-timeout %v): outputs still inside the service count as lost", drained.Seconds(), cfg.DrainTimeout)
		if ctx.Err() != nil {
			why = "the run was interrupted before every output arrived: outputs still inside the service count as lost"
		}
		notes = append(notes, why)
	}
	if n := w.tally.Note("outputs"); n != "" {
		notes = append(notes, n)
	}
	if n := w.foreign.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("%d outputs on %q belonged to another run; they were not counted", n, cfg.ResultTopic))
	}
	if n := w.before.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("%d outputs on %q were there before the run; they were skipped", n, cfg.ResultTopic))
	}
	if e, ok := w.readErr.Load().(error); ok && e != nil {
		notes = append(notes, fmt.Sprintf("reading %q failed at least once: %v", cfg.ResultTopic, e))
	}
	r.Notes = append(r.Notes, notes...)
	return flushErr
}

// drain waits until every acknowledged event's output arrived.
func (w *Pipeline) drain(ctx context.Context) bool {
	deadline := time.Now().Add(w.cfg.DrainTimeout)
	for {
		if w.acked.missingFrom(&w.received) == 0 {
			return true
		}
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-time.After(2 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

func (w *Pipeline) stopReading() {
	w.stopOnce.Do(func() {
		if w.stopRead == nil {
			return
		}
		w.stopRead()
		select {
		case <-w.readDone:
		case <-time.After(closeTimeout):
		}
	})
}

// Close stops reading and producing. The service's topics stay; the
// run's group is deleted.
func (w *Pipeline) Close() error {
	w.stopReading()
	var errs []error
	if w.reader != nil {
		done := make(chan error, 1)
		go func() { done <- w.reader.Close() }()
		select {
		case err := <-done:
			errs = append(errs, err)
		case <-time.After(closeTimeout):
		}
	}
	if w.sender != nil {
		w.sender.close()
	}
	if w.admin != nil {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		_, _ = w.admin.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: []string{w.group}})
		cancel()
		w.adminTr.CloseIdleConnections()
	}
	return errors.Join(errs...)
}
