package event

import (
	"cmp"
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

// Consumer settings. kafka-go's defaults suit a long-lived service, not a
// benchmark that must start, measure and stop within seconds; each one
// changed here was measured to matter.
const (
	// CommitInterval 0 (the default) commits every message synchronously,
	// a round trip each: about 22k events/s per reader at most. Committing
	// in the background every 200 ms costs nothing per event; the readers
	// also commit when they leave or the group rebalances.
	readerCommitInterval = 200 * time.Millisecond
	// MaxWait is how long a fetch waits at the broker for data. It does
	// not delay events (a fetch returns as soon as one arrives), but
	// Close waits for fetches in flight: the 10 s default made it block
	// for ~7.5 s.
	readerMaxWait = 200 * time.Millisecond
	// A member learns of a rebalance from its heartbeat. With the 3 s
	// default a second member of a group got its first event up to 3 s
	// after joining; this keeps the group join short. Session and
	// rebalance timeouts stay well above it, and above the 6 s minimum
	// session timeout of Kafka brokers.
	readerHeartbeat        = 200 * time.Millisecond
	readerSessionTimeout   = 10 * time.Second
	readerRebalanceTimeout = 10 * time.Second
	readerJoinBackoff      = 200 * time.Millisecond
	readerQueueCapacity    = 1024
	// errorPause keeps a reader whose broker fails from spinning.
	errorPause = 50 * time.Millisecond
)

// subscriber is one consumer group: a subscribing service such as
// "payment", with its members (kafka-go readers sharing the partitions).
type subscriber struct {
	groupID string
	tally   *groupTally
	cfg     subscriberConfig
	members []*member
	// retired are members a down fault closed; their histograms still
	// hold what they received.
	retired []*member
	// cancel ends the current members' loops; gen counts their lives.
	cancel context.CancelFunc
	gen    int
}

// member is one reader of a group.
type member struct {
	r      *kafka.Reader
	tally  *groupTally
	runTag uint32
	// hist is the end-to-end latency of measured events; only the
	// member's own goroutine touches it until done is closed.
	hist *hdrhistogram.Histogram
	// phases is the end-to-end latency of measured events by the phase of
	// the faults' window they were sent in (made at first use); faults
	// holds the clock and a slow fault's delay.
	phases [fault.Phases]*hdrhistogram.Histogram
	faults *faultState
	probe  atomic.Int64 // highest join-probe round this member received
	errs   atomic.Int64
	// check and invalid: typed events, and those that failed the check.
	check   func(value []byte) error
	invalid atomic.Int64
	// lastErr is the last error of FetchMessage, for a join failure message.
	lastErr   atomic.Pointer[error]
	done      chan struct{}
	readDelay time.Duration
}

type subscriberConfig struct {
	brokers    []string
	topic      string
	groupID    string
	name       string
	members    int
	partitions int
	producers  int
	runTag     uint32
	// fromStart reads a partition without a committed offset from its
	// first event (a topic made for the run) rather than its end (a
	// topic that held events before).
	fromStart    bool
	maxBytes     int
	dial         time.Duration
	memberPrefix string
	faults       *faultState
	readDelay    time.Duration // Config.readDelay
	// check, when set, is the work on a typed event's value (typed.go).
	check func(value []byte) error
	// sessionTimeout, when set, replaces the session and rebalance
	// timeouts (broker faults: a member cut off must be let go soon).
	sessionTimeout time.Duration
}

func newSubscriber(c subscriberConfig) *subscriber {
	s := &subscriber{groupID: c.groupID, tally: newGroupTally(c.name, c.partitions, c.producers), cfg: c}
	s.members = s.newMembers()
	return s
}

// newMembers makes the group's members, one life of them.
func (s *subscriber) newMembers() []*member {
	c := s.cfg
	start := kafka.LastOffset
	if c.fromStart {
		start = kafka.FirstOffset
	}
	prefix := c.memberPrefix
	if s.gen > 0 {
		prefix = fmt.Sprintf("%s-r%d", prefix, s.gen)
	}
	var ms []*member
	for i := range c.members {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: c.brokers,
			GroupID: c.groupID,
			Topic:   c.topic,
			Dialer: &kafka.Dialer{
				Timeout:   c.dial,
				DualStack: true,
				ClientID:  fmt.Sprintf("%s-%d", prefix, i+1),
			},
			QueueCapacity:     readerQueueCapacity,
			MinBytes:          1,
			MaxBytes:          c.maxBytes,
			MaxWait:           readerMaxWait,
			ReadLagInterval:   -1,
			HeartbeatInterval: readerHeartbeat,
			CommitInterval:    readerCommitInterval,
			SessionTimeout:    cmp.Or(c.sessionTimeout, readerSessionTimeout),
			RebalanceTimeout:  cmp.Or(c.sessionTimeout, readerRebalanceTimeout),
			JoinGroupBackoff:  readerJoinBackoff,
			StartOffset:       start,
			MaxAttempts:       3,
		})
		ms = append(ms, &member{
			r:         r,
			tally:     s.tally,
			runTag:    c.runTag,
			hist:      results.NewHistogram(),
			faults:    c.faults,
			done:      make(chan struct{}),
			readDelay: c.readDelay,
			check:     c.check,
		})
	}
	return ms
}

// invalid counts the typed events the group's members refused, retired
// members' too.
func (s *subscriber) invalid() int64 {
	var n int64
	for _, m := range s.allMembers() {
		n += m.invalid.Load()
	}
	return n
}

// start runs every member until ctx ends.
func (s *subscriber) start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	for _, m := range s.members {
		go m.run(ctx)
	}
}

// stopped waits until every member's loop has ended after its context was
// cancelled, at most until deadline; it reports whether they all did.
func (s *subscriber) stopped(deadline <-chan time.Time) bool {
	for _, m := range s.members {
		select {
		case <-m.done:
		case <-deadline:
			return false
		}
	}
	return true
}

// joined reports whether the group is ready to measure: every partition
// delivered a probe of some round r, and enough members received a probe of
// round r or later that each must hold partitions of the current
// generation (min(members, partitions) of them).
func (s *subscriber) joined() bool {
	r := s.tally.minProbe()
	if r < 1 {
		return false
	}
	need := min(len(s.members), len(s.tally.probe))
	n := 0
	for _, m := range s.members {
		if m.probe.Load() >= r {
			n++
		}
	}
	return n >= need
}

// lastError is the most recent consumer error of any member, or nil.
func (s *subscriber) lastError() error {
	for _, m := range s.members {
		if p := m.lastErr.Load(); p != nil {
			return *p
		}
	}
	return nil
}

// readingMembers counts the members that received a probe.
func (s *subscriber) readingMembers() int {
	n := 0
	for _, m := range s.members {
		if m.probe.Load() > 0 {
			n++
		}
	}
	return n
}

// latency merges the members' end-to-end histograms, retired members'
// too. Call it only after the members stopped.
func (s *subscriber) latency() *hdrhistogram.Histogram {
	h := results.NewHistogram()
	for _, m := range s.allMembers() {
		h.Merge(m.hist)
	}
	return h
}

func (s *subscriber) allMembers() []*member {
	return append(append([]*member(nil), s.retired...), s.members...)
}

// close closes every reader at once (each leaves the group and commits).
func (s *subscriber) close(wg *sync.WaitGroup) {
	for _, m := range s.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = m.r.Close()
		}()
	}
}

func (m *member) run(ctx context.Context) {
	defer close(m.done)
	c := committer{r: m.r}
	defer c.flush()
	for {
		msg, err := m.r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			m.errs.Add(1)
			m.lastErr.Store(&err)
			select {
			case <-time.After(errorPause):
			case <-ctx.Done():
				return
			}
			continue
		}
		now := time.Now().UnixNano()
		st, ok := m.stampOf(msg.Headers)
		if m.tally.record(msg.Partition, msg.Offset, st, ok, now) == outcomeNew {
			results.RecordClamped(m.hist, now-st.SentNS)
			m.recordPhase(st.SentNS, now)
		}
		m.faults.wait(ctx)
		if ok && st.Flags&FlagProbe != 0 {
			atomicMax(&m.probe, int64(st.Seq))
		} else if ok && m.check != nil && m.check(msg.Value) != nil {
			m.invalid.Add(1)
		}
		c.add(msg, now)
		if m.readDelay > 0 {
			select {
			case <-time.After(m.readDelay):
			case <-ctx.Done():
			}
		}
	}
}

// committer hands a member's offsets to its reader in small groups rather
// than one call per event: each call wakes kafka-go's commit goroutine, a
// cost per event as large as reading it. Offsets still reach the broker
// every readerCommitInterval, and when the reader leaves or rebalances.
type committer struct {
	r      *kafka.Reader
	last   []kafka.Message // the latest message of each partition since the last hand-over
	n      int
	lastNS int64
}

const (
	commitEvery   = 256
	commitAfterNS = int64(20 * time.Millisecond)
)

func (c *committer) add(msg kafka.Message, now int64) {
	replaced := false
	for i := range c.last {
		if c.last[i].Partition == msg.Partition {
			c.last[i], replaced = msg, true
			break
		}
	}
	if !replaced {
		c.last = append(c.last, msg)
	}
	c.n++
	if c.n >= commitEvery || now-c.lastNS >= commitAfterNS {
		c.flush()
		c.lastNS = now
	}
}

func (c *committer) flush() {
	if len(c.last) == 0 {
		return
	}
	// The run's context may be over; the reader guards its own closing.
	_ = c.r.CommitMessages(context.Background(), c.last...)
	clear(c.last)
	c.last, c.n = c.last[:0], 0
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
