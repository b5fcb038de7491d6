package event

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/results"
)

// Consumer settings. kafka-go's defaults suit a long-lived service, not a
// benchmark that must start, measure and stop within seconds; each one
// changed here was measured to matter.
const (
	// MaxWait is how long a fetch waits at the broker for data. It does
	// not delay events (a fetch returns as soon as one arrives); a member
	// that stops closes its connections rather than wait for it.
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
	// errorPause keeps a reader whose broker fails from spinning.
	errorPause = 50 * time.Millisecond
)

// subscriber is one consumer group: a subscribing service such as
// "payment", with its members (kafka-go consumer group members sharing the
// partitions).
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

// member is one reader of a group (member.go).
type member struct {
	cg     *kafka.ConsumerGroup
	cfg    *memberConfig
	tally  *groupTally
	runTag uint32
	faults *faultState
	probe  atomic.Int64 // highest join-probe round this member received
	errs   atomic.Int64
	// check and invalid: typed events, and those that failed the check.
	check   func(value []byte) error
	invalid atomic.Int64
	// lastErr is the member's last error, for a join failure message.
	lastErr   atomic.Pointer[error]
	done      chan struct{}
	readDelay time.Duration
	// slow serialises the member's partitions while events wait.
	slow sync.Mutex
	// stats are the partition readers' figures, of every generation.
	statsMu sync.Mutex
	stats   []*partStats
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

func newSubscriber(c subscriberConfig) (*subscriber, error) {
	s := &subscriber{groupID: c.groupID, tally: newGroupTally(c.name, c.partitions, c.producers), cfg: c}
	ms, err := s.newMembers()
	if err != nil {
		return nil, err
	}
	s.members = ms
	return s, nil
}

// newMembers makes the group's members, one life of them.
func (s *subscriber) newMembers() ([]*member, error) {
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
		dialer := &kafka.Dialer{
			Timeout:   c.dial,
			DualStack: true,
			ClientID:  fmt.Sprintf("%s-%d", prefix, i+1),
		}
		cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
			ID:                c.groupID,
			Brokers:           c.brokers,
			Dialer:            dialer,
			Topics:            []string{c.topic},
			HeartbeatInterval: readerHeartbeat,
			SessionTimeout:    cmp.Or(c.sessionTimeout, readerSessionTimeout),
			RebalanceTimeout:  cmp.Or(c.sessionTimeout, readerRebalanceTimeout),
			JoinGroupBackoff:  readerJoinBackoff,
			StartOffset:       start,
			Timeout:           defaultRequestTimeout,
		})
		if err != nil {
			for _, m := range ms {
				_ = m.cg.Close()
			}
			return nil, fmt.Errorf("event: group %s: %w", c.groupID, err)
		}
		ms = append(ms, &member{
			cg:        cg,
			cfg:       &memberConfig{brokers: c.brokers, topic: c.topic, maxBytes: c.maxBytes, dialer: dialer},
			tally:     s.tally,
			runTag:    c.runTag,
			faults:    c.faults,
			done:      make(chan struct{}),
			readDelay: c.readDelay,
			check:     c.check,
		})
	}
	return ms, nil
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
		m.mergeLatency(h, -1)
	}
	return h
}

func (s *subscriber) allMembers() []*member {
	return append(append([]*member(nil), s.retired...), s.members...)
}

// close closes every member at once (each leaves the group; it committed
// what it read when it stopped).
func (s *subscriber) close(wg *sync.WaitGroup) {
	for _, m := range s.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = m.cg.Close()
		}()
	}
}
