package event

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/bench"
)

// How an engine operation maps to Kafka batching.
//
// An operation is one event: the worker hands it to its producer and waits
// for the broker's acknowledgement, so the operation's latency is the
// publish latency. Events are not sent one request each: every partition
// of a producer has one sender, which keeps one produce request in flight
// and sends everything that queued up while it was in flight as the next
// batch (up to BatchSize events and 1 MiB). An idle partition sends an
// event at once; a busy one gathers large batches by itself. Throughput
// then grows with the events in flight, that is with the engine's workers
// (--concurrency), and a paced run at a low rate never waits for a timer.
//
// kafka-go's Writer batches differently: a batch leaves when it is full or
// when BatchTimeout (default 1 s) has passed since its first message, so at
// any rate below BatchSize per BatchTimeout and partition every event waits
// out the timer. Its synchronous WriteMessages makes that the latency of
// every operation. This producer therefore drives the same kafka-go client
// one level lower (Client.Produce over a kafka.Transport, which the Writer
// uses underneath) with the batching above; BatchTimeout keeps its meaning
// as an optional linger for who wants to measure it.

var errProducerClosed = errors.New("event: producer closed")

// producer is one producer client: its own kafka-go transport (and so its
// own connections) and one sender per partition.
type producer struct {
	id         uint32
	runTag     uint32
	topic      string
	client     *kafka.Client
	transport  *kafka.Transport
	acks       kafka.RequiredAcks
	codec      kafka.Compression
	key        KeyStrategy
	batchSize  int
	linger     time.Duration
	reqTimeout time.Duration
	retryFor   time.Duration

	parts     []*partSender
	partIndex []int // 0..partitions-1, for the key balancer
	rr        atomic.Uint64
	nextSeq   atomic.Uint64

	// acked holds the sequence numbers of measured events the broker
	// acknowledged; ackedN counts them.
	acked  seqSet
	ackedN atomic.Int64
	// retries counts batches sent again after a failed attempt.
	retries atomic.Int64

	waiters sync.Pool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type producerConfig struct {
	id         uint32
	runTag     uint32
	brokers    []string
	topic      string
	partitions int
	acks       kafka.RequiredAcks
	codec      kafka.Compression
	key        KeyStrategy
	batchSize  int
	linger     time.Duration
	dial       time.Duration
	reqTimeout time.Duration
	// retryFor: retry a batch for this long, not produceAttempts times
	// (broker faults; 0: produceAttempts).
	retryFor time.Duration
}

func newProducer(c producerConfig) *producer {
	t := &kafka.Transport{
		DialTimeout:    c.dial,
		IdleTimeout:    time.Minute,
		ClientID:       fmt.Sprintf("commsbench-producer-%d", c.id),
		MetadataTopics: []string{c.topic},
	}
	p := &producer{
		id:         c.id,
		runTag:     c.runTag,
		topic:      c.topic,
		client:     &kafka.Client{Addr: kafka.TCP(c.brokers...), Transport: t, Timeout: c.reqTimeout},
		transport:  t,
		acks:       c.acks,
		codec:      c.codec,
		key:        c.key,
		batchSize:  c.batchSize,
		linger:     c.linger,
		reqTimeout: c.reqTimeout,
		retryFor:   c.retryFor,
		partIndex:  make([]int, c.partitions),
	}
	p.waiters.New = func() any { return &waiter{done: make(chan error, 1)} }
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for i := range p.partIndex {
		p.partIndex[i] = i
		s := &partSender{p: p, partition: i, wake: make(chan struct{}, 1)}
		p.parts = append(p.parts, s)
		p.wg.Add(1)
		go s.run()
	}
	return p
}

// waiter is how a worker waits for its event's acknowledgement. A worker
// that gave up (timeout) abandons its waiter instead of reusing it, so a
// late acknowledgement can never be taken for the next event's.
type waiter struct{ done chan error }

// event is what a worker hands to the producer.
type event struct {
	flags   uint8
	sentNS  int64
	key     []byte // nil: no key
	value   []byte // shared and never modified while in flight
	probe   uint64 // probe round (FlagProbe only)
	waiter  *waiter
	measure bool
}

// partitionFor chooses the partition of an event by its key.
func (p *producer) partitionFor(key []byte) int {
	if key == nil {
		return int(p.rr.Add(1) % uint64(len(p.parts)))
	}
	return kafka.Murmur2Balancer{Consistent: true}.Balance(kafka.Message{Key: key}, p.partIndex...)
}

// publish sends one event and waits for its acknowledgement or ctx.
func (p *producer) publish(ctx context.Context, partition int, ev event) error {
	w := p.waiters.Get().(*waiter)
	ev.waiter = w
	p.parts[partition].enqueue(ev)
	select {
	case err := <-w.done:
		p.waiters.Put(w)
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush waits until every event handed to the producer was answered.
func (p *producer) flush(ctx context.Context) error {
	for _, s := range p.parts {
		for !s.idle() {
			select {
			case <-ctx.Done():
				return fmt.Errorf("event: producer %d: events still unanswered: %w", p.id, ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
	}
	return nil
}

// close stops the senders; events still queued fail.
func (p *producer) close() {
	p.cancel()
	p.wg.Wait()
	p.transport.CloseIdleConnections()
}

// outMsg is an event queued in a partition sender.
type outMsg struct {
	stamp   [StampLen]byte
	key     [16]byte
	keyLen  int8 // -1: no key
	value   []byte
	seq     uint64
	measure bool
	waiter  *waiter
}

func (m *outMsg) size() int {
	return len(m.value) + max(int(m.keyLen), 0) + StampLen + len(HeaderKey) + 32
}

// partSender sends one partition's events for one producer, one request
// in flight at a time, which also keeps them in order.
type partSender struct {
	p         *producer
	partition int

	mu      sync.Mutex
	pending []outMsg
	busy    bool      // a send is in progress or about to be
	since   time.Time // when the oldest pending event arrived (linger)
	wake    chan struct{}

	out  []outMsg // the batch being sent; the sender's own
	recs records
}

// enqueue queues an event. The producer's sequence number is taken under
// the partition's lock, so that sequence order is send order within each
// partition and any reordering the subscribers see is the broker's.
func (s *partSender) enqueue(ev event) {
	if s.p.ctx.Err() != nil {
		ev.waiter.done <- errProducerClosed
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, outMsg{})
	m := &s.pending[len(s.pending)-1]
	st := Stamp{Flags: ev.flags, Run: s.p.runTag, Producer: s.p.id, SentNS: ev.sentNS}
	if ev.flags&FlagProbe != 0 {
		st.Seq = ev.probe
	} else {
		st.Seq = s.p.nextSeq.Add(1) - 1
	}
	st.Put(m.stamp[:])
	m.keyLen = -1
	if ev.key != nil {
		m.keyLen = int8(copy(m.key[:], ev.key))
	}
	m.value, m.seq, m.measure, m.waiter = ev.value, st.Seq, ev.measure, ev.waiter
	if len(s.pending) == 1 {
		s.since = time.Now()
	}
	if !s.busy {
		s.busy = true
		s.wake <- struct{}{}
	}
	s.mu.Unlock()
}

func (s *partSender) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.busy && len(s.pending) == 0
}

func (s *partSender) run() {
	defer s.p.wg.Done()
	for {
		select {
		case <-s.wake:
		case <-s.p.ctx.Done():
			s.failPending()
			return
		}
		for s.sendNext() {
		}
	}
}

// sendNext sends the next batch; false when nothing was pending.
func (s *partSender) sendNext() bool {
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.busy = false
		s.mu.Unlock()
		return false
	}
	if s.p.linger > 0 && len(s.pending) < s.p.batchSize {
		if wait := s.p.linger - time.Since(s.since); wait > 0 {
			s.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.p.ctx.Done():
				t.Stop()
			}
			s.mu.Lock()
		}
	}
	n, bytes := 0, 0
	for n < len(s.pending) && n < s.p.batchSize {
		bytes += s.pending[n].size()
		if n > 0 && bytes > maxBatchBytes {
			break
		}
		n++
	}
	s.out = append(s.out[:0], s.pending[:n]...)
	rest := copy(s.pending, s.pending[n:])
	clear(s.pending[rest:])
	s.pending = s.pending[:rest]
	if rest > 0 {
		s.since = time.Now()
	}
	s.mu.Unlock()

	err := s.produce()
	for i := range s.out {
		m := &s.out[i]
		if err == nil && m.measure {
			s.p.acked.add(m.seq)
			s.p.ackedN.Add(1)
		}
		if m.waiter != nil {
			m.waiter.done <- err
		}
	}
	woken := len(s.out)
	clear(s.out)
	if woken > 1 {
		// The workers just answered publish their next events within
		// microseconds: let them run before taking the next batch, or it
		// would leave with the first of them alone (measured: a third of
		// the batch size, and as many more requests).
		runtime.Gosched()
	}
	return true
}

// produceAttempts bounds retries of retriable errors (a leader not yet
// elected right after the topic was created, a connection reset). A retry
// can duplicate a batch whose first attempt the broker had written, as any
// producer without idempotence can; the subscribers count such duplicates.
const produceAttempts = 3

func (s *partSender) produce() error {
	var err error
	until := time.Now().Add(s.p.retryFor)
	for attempt := 0; attempt < produceAttempts || time.Now().Before(until); attempt++ {
		if attempt > 0 {
			s.p.retries.Add(1)
			select {
			case <-time.After(min(time.Duration(attempt)*50*time.Millisecond, retryPauseMax)):
			case <-s.p.ctx.Done():
				return errProducerClosed
			}
		}
		s.recs.reset(s.out)
		ctx, cancel := context.WithTimeout(s.p.ctx, s.p.reqTimeout)
		var res *kafka.ProduceResponse
		res, err = s.p.client.Produce(ctx, &kafka.ProduceRequest{
			Topic:        s.p.topic,
			Partition:    s.partition,
			RequiredAcks: s.p.acks,
			Records:      &s.recs,
			Compression:  s.p.codec,
		})
		cancel()
		if err == nil && res != nil && res.Error != nil {
			err = res.Error
		}
		if err == nil {
			return nil
		}
		if s.p.ctx.Err() != nil {
			return errProducerClosed
		}
		var kerr kafka.Error
		if errors.As(err, &kerr) && !kerr.Temporary() {
			break
		}
	}
	return classifyKafka(err)
}

// failPending fails what is still queued when the producer closes.
func (s *partSender) failPending() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.pending {
		if w := s.pending[i].waiter; w != nil {
			w.done <- errProducerClosed
		}
	}
	clear(s.pending)
	s.pending = s.pending[:0]
}

// classifyKafka gives Kafka protocol errors their own error class, such as
// kafka_not_leader_for_partition; other errors keep the engine's classes.
func classifyKafka(err error) error {
	var kerr kafka.Error
	if err == nil || !errors.As(err, &kerr) {
		return err
	}
	return bench.WithClass("kafka_"+strings.ReplaceAll(strings.ToLower(kerr.Title()), " ", "_"), err)
}

// records is a kafka.RecordReader over a batch of outMsgs, reusing one
// record, so that producing allocates nothing per event.
type records struct {
	msgs    []outMsg
	i       int
	rec     kafka.Record
	key     byteSeq
	value   byteSeq
	headers [1]kafka.Header
}

func (r *records) reset(msgs []outMsg) { r.msgs, r.i = msgs, 0 }

// ReadRecord implements kafka.RecordReader.
func (r *records) ReadRecord() (*kafka.Record, error) {
	if r.i >= len(r.msgs) {
		return nil, io.EOF
	}
	m := &r.msgs[r.i]
	r.i++
	r.headers[0] = kafka.Header{Key: HeaderKey, Value: m.stamp[:]}
	r.rec = kafka.Record{Headers: r.headers[:]}
	if m.keyLen >= 0 {
		r.key.Reset(m.key[:m.keyLen])
		r.rec.Key = &r.key
	}
	r.value.Reset(m.value)
	r.rec.Value = &r.value
	return &r.rec, nil
}

// byteSeq is a kafka.Bytes over a byte slice.
type byteSeq struct{ bytes.Reader }

func (*byteSeq) Close() error { return nil }

// keyOf makes the key of an event for a key strategy.
func keyOf(k KeyStrategy, op bench.Op, rng *rand.PCG, buf *[16]byte) []byte {
	switch k {
	case KeyRandom:
		binary.BigEndian.PutUint64(buf[:8], rng.Uint64())
		binary.BigEndian.PutUint64(buf[8:], rng.Uint64())
		return buf[:]
	case KeySequence:
		binary.BigEndian.PutUint64(buf[:8], uint64(op.Seq))
		return buf[:8]
	}
	return nil
}
