package event

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/correlate"
)

// pipeSender produces to the service's input topic. As the run's own
// producer does (see producer.go), each partition keeps one produce
// request in flight and sends what queued meanwhile as the next batch: an
// idle topic sends each event at once, a busy one batches by itself, and
// events stay in sequence order within a partition. It is kept apart from
// that producer because its records carry other headers and keys.
type pipeSender struct {
	w      *Pipeline
	client *kafka.Client
	tr     *kafka.Transport
	acks   kafka.RequiredAcks
	parts  []*pipePart
	index  []int
	rr     atomic.Uint64
	seq    atomic.Uint64
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type pipeMsg struct {
	seq  uint64
	warm bool
	rec  kafka.Message
	done chan error
}

type pipePart struct {
	s         *pipeSender
	partition int
	mu        sync.Mutex
	pending   []*pipeMsg
	busy      bool
	wake      chan struct{}
}

func newPipeSender(w *Pipeline, partitions int) *pipeSender {
	acks, _ := w.cfg.Acks.required()
	tr := &kafka.Transport{DialTimeout: w.cfg.DialTimeout, IdleTimeout: time.Minute, ClientID: "commsbench-pipeline", MetadataTopics: []string{w.cfg.Topic}}
	s := &pipeSender{w: w, tr: tr, acks: acks, client: &kafka.Client{Addr: kafka.TCP(w.cfg.Brokers...), Transport: tr, Timeout: defaultRequestTimeout}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for i := range partitions {
		p := &pipePart{s: s, partition: i, wake: make(chan struct{}, 1)}
		s.parts = append(s.parts, p)
		s.index = append(s.index, i)
		s.wg.Add(1)
		go p.run()
	}
	return s
}

// NewClient returns a worker's client.
func (w *Pipeline) NewClient(context.Context, int) (bench.Client, error) {
	return &pipeClient{w: w}, nil
}

type pipeClient struct{ w *Pipeline }

// Do produces one event to the service's input, stamped with its ID, and
// waits for the broker's acknowledgement.
func (c *pipeClient) Do(ctx context.Context, op bench.Op) error {
	w := c.w
	s := w.sender
	if !op.Warmup {
		ns := op.Intended.UnixNano()
		for {
			cur := w.sent.firstMeasured.Load()
			if ns >= cur || w.sent.firstMeasured.CompareAndSwap(cur, ns) {
				break
			}
		}
	}
	m := &pipeMsg{warm: op.Warmup, done: make(chan error, 1)}
	m.rec.Value = w.value
	for _, h := range w.cfg.Headers {
		m.rec.Headers = append(m.rec.Headers, kafka.Header{Key: h.Name, Value: []byte(h.Value)})
	}
	if w.cfg.Correlate.Kind == correlate.Key {
		m.rec.Key = make([]byte, 32) // the ID's token, once it has its sequence number
	}
	if err := s.next().enqueue(m, op.Intended.UnixNano()); err != nil {
		return err
	}
	select {
	case err := <-m.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next chooses the input partition, round-robin (a key that is the ID
// changes with every event, so hashing it would spread them the same).
func (s *pipeSender) next() *pipePart {
	return s.parts[int(s.rr.Add(1)%uint64(len(s.parts)))]
}

// enqueue stamps the event with the next sequence number, under the
// partition's lock so that sequence order is send order in the partition.
func (p *pipePart) enqueue(m *pipeMsg, intended int64) error {
	s := p.s
	if s.ctx.Err() != nil {
		return errProducerClosed
	}
	w := s.w
	p.mu.Lock()
	m.seq = s.seq.Add(1) - 1
	id := correlate.ID{Run: w.runTag, Seq: m.seq, Warmup: m.warm}
	if w.cfg.Correlate.Kind == correlate.Key {
		copy(m.rec.Key, id.Token())
	} else {
		w.cfg.Correlate.Inject(id, correlate.KafkaHeaders{H: &m.rec.Headers})
	}
	w.sent.put(m.seq, sentRec{intended: intended, actual: time.Now().UnixNano(), partition: p.partition, warm: m.warm})
	p.pending = append(p.pending, m)
	if !p.busy {
		p.busy = true
		p.wake <- struct{}{}
	}
	p.mu.Unlock()
	return nil
}

func (p *pipePart) run() {
	defer p.s.wg.Done()
	for {
		select {
		case <-p.wake:
		case <-p.s.ctx.Done():
			p.mu.Lock()
			for _, m := range p.pending {
				m.done <- errProducerClosed
			}
			p.pending = nil
			p.mu.Unlock()
			return
		}
		for p.sendNext() {
		}
	}
}

func (p *pipePart) sendNext() bool {
	s := p.s
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.busy = false
		p.mu.Unlock()
		return false
	}
	n := min(len(p.pending), s.w.cfg.BatchSize)
	batch := append([]*pipeMsg(nil), p.pending[:n]...)
	p.pending = append(p.pending[:0], p.pending[n:]...)
	p.mu.Unlock()

	recs := make([]kafka.Record, len(batch))
	for i, m := range batch {
		recs[i] = kafka.Record{Key: bytesOrNil(m.rec.Key), Value: kafka.NewBytes(m.rec.Value), Headers: m.rec.Headers}
	}
	err := p.produce(recs)
	for _, m := range batch {
		if err == nil {
			s.w.acked.add(m.seq)
			if !m.warm {
				s.w.ackedN.Add(1)
			}
		}
		m.done <- err
	}
	return true
}

func bytesOrNil(b []byte) kafka.Bytes {
	if b == nil {
		return nil
	}
	return kafka.NewBytes(b)
}

func (p *pipePart) produce(recs []kafka.Record) error {
	s := p.s
	var err error
	for attempt := range produceAttempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			case <-s.ctx.Done():
				return errProducerClosed
			}
		}
		ctx, cancel := context.WithTimeout(s.ctx, defaultRequestTimeout)
		var res *kafka.ProduceResponse
		res, err = s.client.Produce(ctx, &kafka.ProduceRequest{
			Topic: s.w.cfg.Topic, Partition: p.partition, RequiredAcks: s.acks,
			Records: kafka.NewRecordReader(recs...),
		})
		cancel()
		if err == nil && res != nil && res.Error != nil {
			err = res.Error
		}
		if err == nil {
			return nil
		}
		if s.ctx.Err() != nil {
			return errProducerClosed
		}
	}
	return classifyKafka(fmt.Errorf("produce to %q partition %d: %w", s.w.cfg.Topic, p.partition, err))
}

// flush waits until every event handed over was answered.
func (s *pipeSender) flush(ctx context.Context) error {
	for _, p := range s.parts {
		for {
			p.mu.Lock()
			idle := !p.busy && len(p.pending) == 0
			p.mu.Unlock()
			if idle {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("event: events still unanswered: %w", ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
	}
	return nil
}

func (s *pipeSender) close() {
	s.cancel()
	s.wg.Wait()
	s.tr.CloseIdleConnections()
}
