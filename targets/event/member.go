package event

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// How a member reads. kafka-go's Reader hands its caller one message at a
// time through a channel from one goroutine per partition, and commits
// through another goroutine: a profile of a run at its ceiling showed the
// hand-overs and the scheduler's wake-ups costing more than the decoding
// (docs/performance.md). A member therefore drives kafka-go one level
// lower, as the Reader does underneath:
//
//   - kafka.ConsumerGroup joins the group, heartbeats and hands out each
//     generation's partitions and committed offsets;
//   - each assigned partition has one goroutine and one connection to its
//     leader (kafka.Conn), which fetches batches (ReadBatch: one request
//     returns every event the partition has, up to maxBytes) and accounts
//     for each event of the batch where it lies, without a hand-over;
//   - the member commits the next offset of each partition it read every
//     commitInterval, and once more when the generation ends or the member
//     stops (at least once: an event is committed after it was accounted).

// Member settings.
const (
	// commitInterval is how often a member commits what it read. The
	// embedded broker frees what every group committed (retention.go).
	commitInterval = 100 * time.Millisecond
	// fetchDeadline bounds a fetch beyond its MaxWait: a broker that does
	// not answer in that time has gone.
	fetchDeadline = readerMaxWait + defaultRequestTimeout
)

// memberConfig is what the members of a group share.
type memberConfig struct {
	brokers  []string
	topic    string
	maxBytes int
	dialer   *kafka.Dialer
}

// partStats is what one partition's reader measured in one generation: only
// its goroutine touches it until the member stopped.
type partStats struct {
	// hist is the end-to-end latency of measured events.
	hist *hdrhistogram.Histogram
	// phases is the end-to-end latency of measured events by the phase of
	// the faults' window they were sent in (made at first use).
	phases [fault.Phases]*hdrhistogram.Histogram
}

// recordPhase records a measured event's end-to-end latency in the phase
// it was sent in, once a run with faults measures.
func (p *partStats) recordPhase(f *faultState, sentNS, now int64) {
	clk := f.clock.Load()
	if clk == nil {
		return
	}
	ph := clk.PhaseNS(sentNS)
	if p.phases[ph] == nil {
		p.phases[ph] = results.NewHistogram()
	}
	results.RecordClamped(p.phases[ph], now-sentNS)
}

// newStats adds a partition reader's figures to the member's.
func (m *member) newStats() *partStats {
	p := &partStats{hist: results.NewHistogram()}
	m.statsMu.Lock()
	m.stats = append(m.stats, p)
	m.statsMu.Unlock()
	return p
}

// mergeLatency adds the member's end-to-end latency to h; phase < 0 is
// every event, else the events sent in that phase. Only after it stopped.
func (m *member) mergeLatency(h *hdrhistogram.Histogram, phase int) {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	for _, p := range m.stats {
		switch {
		case phase < 0:
			h.Merge(p.hist)
		case p.phases[phase] != nil:
			h.Merge(p.phases[phase])
		}
	}
}

func (m *member) fail(err error) {
	m.errs.Add(1)
	m.lastErr.Store(&err)
}

// pause waits d or until ctx ends; false when ctx ended.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// run takes part in the group's generations until ctx ends. It returns once
// the member has stopped reading and committed what it read; the member
// stays in its group until close, which leaves it.
func (m *member) run(ctx context.Context) {
	defer close(m.done)
	for {
		gen, err := m.cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return
			}
			m.fail(err)
			if !pause(ctx, errorPause) {
				return
			}
			continue
		}
		read := make(chan struct{})
		gen.Start(func(gctx context.Context) {
			m.consume(ctx, gctx, gen)
			close(read)
			// Hold the generation until the group ends it (a rebalance) or
			// the member closes: returning would rejoin the group at once,
			// a rebalance for every other member.
			<-gctx.Done()
		})
		<-read
		if ctx.Err() != nil {
			return
		}
	}
}

// partPos is where a partition's reader is: the offset of the next event
// to read, and the last one committed (-1: none yet).
type partPos struct {
	id        int
	next      atomic.Int64
	committed int64
}

// consume reads the generation's partitions until ctx or the generation
// ends, committing as it goes and once at the end.
func (m *member) consume(ctx, gctx context.Context, gen *kafka.Generation) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(gctx, cancel)
	defer stop()

	assigned := gen.Assignments[m.cfg.topic]
	pos := make([]partPos, len(assigned))
	var wg sync.WaitGroup
	for i, a := range assigned {
		pos[i].id = a.ID
		pos[i].next.Store(-1)
		pos[i].committed = -1
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.readPartition(rctx, a, &pos[i])
		}()
	}
	t := time.NewTicker(commitInterval)
	defer t.Stop()
	for rctx.Err() == nil {
		select {
		case <-rctx.Done():
		case <-t.C:
			m.commit(gen, pos)
		}
	}
	wg.Wait()
	m.commit(gen, pos)
}

// commit commits the partitions that moved since their last commit. A
// commit the broker refuses (the generation ended) leaves the events to the
// partition's next reader, which reads them again: duplicates, counted.
func (m *member) commit(gen *kafka.Generation, pos []partPos) {
	var offsets map[int]int64
	for i := range pos {
		if n := pos[i].next.Load(); n >= 0 && n != pos[i].committed {
			if offsets == nil {
				offsets = make(map[int]int64, len(pos))
			}
			offsets[pos[i].id] = n
		}
	}
	if offsets == nil {
		return
	}
	if err := gen.CommitOffsets(map[string]map[int]int64{m.cfg.topic: offsets}); err != nil {
		return
	}
	for i := range pos {
		if n, ok := offsets[pos[i].id]; ok {
			pos[i].committed = n
		}
	}
}

// readPartition reads one partition from a.Offset until ctx ends,
// reconnecting after errors.
func (m *member) readPartition(ctx context.Context, a kafka.PartitionAssignment, pos *partPos) {
	st := m.newStats()
	offset := a.Offset
	for ctx.Err() == nil {
		conn, err := m.dialLeader(ctx, a.ID)
		if err == nil {
			offset, err = m.readConn(ctx, conn, a.ID, offset, pos, st)
			conn.Close()
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			m.fail(err)
		}
		if !pause(ctx, errorPause) {
			return
		}
	}
}

func (m *member) dialLeader(ctx context.Context, partition int) (*kafka.Conn, error) {
	var errs []error
	for _, b := range m.cfg.brokers {
		conn, err := m.cfg.dialer.DialLeader(ctx, "tcp", b, m.cfg.topic, partition)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("reach the leader of partition %d: %w", partition, errors.Join(errs...))
}

// start resolves a start offset (kafka.FirstOffset or LastOffset where the
// group has no commit) and moves one that the log no longer holds to its
// start: events deleted before they were read, which count as lost.
func start(conn *kafka.Conn, offset int64) (int64, error) {
	conn.SetDeadline(time.Now().Add(defaultRequestTimeout))
	defer conn.SetDeadline(time.Time{})
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return offset, err
	}
	switch {
	case offset == kafka.FirstOffset, offset >= 0 && offset < first:
		offset = first
	case offset == kafka.LastOffset || offset < 0:
		offset = last
	}
	return offset, nil
}

// readConn fetches batches from the partition's leader until ctx ends or
// an error that needs a new connection; it returns the next offset to read.
func (m *member) readConn(ctx context.Context, conn *kafka.Conn, partition int, offset int64, pos *partPos, st *partStats) (int64, error) {
	// Closing the connection ends a fetch waiting at the broker at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	next, err := start(conn, offset)
	if err != nil {
		return offset, err
	}
	if _, err := conn.Seek(next, kafka.SeekAbsolute); err != nil {
		return offset, err
	}
	pos.next.Store(next)
	for ctx.Err() == nil {
		conn.SetReadDeadline(time.Now().Add(fetchDeadline))
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: m.cfg.maxBytes, MaxWait: readerMaxWait})
		for {
			msg, err := batch.ReadMessage()
			if err != nil {
				break
			}
			m.handle(ctx, partition, &msg, st)
			next = msg.Offset + 1
		}
		err := batch.Close()
		pos.next.Store(next)
		switch {
		case err == nil, errors.Is(err, kafka.RequestTimedOut):
		case errors.Is(err, kafka.OffsetOutOfRange):
			// Behind the log's start (deleted) or ahead of its end.
			moved, serr := start(conn, next)
			if serr != nil {
				return next, serr
			}
			if moved == next && !pause(ctx, errorPause) {
				return next, nil
			}
			if _, serr := conn.Seek(moved, kafka.SeekAbsolute); serr != nil {
				return next, serr
			}
			next = moved
		case errors.Is(err, io.EOF), ctx.Err() != nil:
			return next, nil
		default:
			return next, err
		}
	}
	return next, nil
}

// handle accounts for one event.
func (m *member) handle(ctx context.Context, partition int, msg *kafka.Message, st *partStats) {
	if m.serial() {
		defer m.slow.Unlock()
	}
	now := time.Now().UnixNano()
	stamp, ok := m.stampOf(msg.Headers)
	if m.tally.record(partition, msg.Offset, stamp, ok, now) == outcomeNew {
		results.RecordClamped(st.hist, now-stamp.SentNS)
		st.recordPhase(m.faults, stamp.SentNS, now)
	}
	m.faults.wait(ctx)
	if ok && stamp.Flags&FlagProbe != 0 {
		atomicMax(&m.probe, int64(stamp.Seq))
	} else if ok && m.check != nil && m.check(msg.Value) != nil {
		m.invalid.Add(1)
	}
	if m.readDelay > 0 {
		pause(ctx, m.readDelay)
	}
}

// serial makes a member whose events wait (a slow fault, or readDelay)
// read one event at a time over all its partitions, as one service
// instance working through its events would: it locks m.slow and reports
// whether it did.
func (m *member) serial() bool {
	if m.readDelay <= 0 && m.faults.delay.Load() <= 0 {
		return false
	}
	m.slow.Lock()
	return true
}

// stampOf finds this run's stamp among the headers.
func (m *member) stampOf(hs []kafka.Header) (Stamp, bool) {
	for _, h := range hs {
		if h.Key != HeaderKey {
			continue
		}
		st, err := DecodeStamp(h.Value)
		if err != nil || st.Run != m.runTag {
			return Stamp{}, false
		}
		return st, true
	}
	return Stamp{}, false
}
