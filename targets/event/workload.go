// Package event is the event transport: Kafka publish/subscribe with
// kafka-go. Producers publish events to a topic's partitions; every
// consumer group (a subscribing service such as "payment" or "email")
// receives every event, shared among the group's members. Without broker
// addresses an embedded Kafka-protocol broker (kfake) runs in-process.
//
// Each event carries a Stamp (producer, sequence, intended send time) in a
// header, so that publish latency (intended send to acknowledgement),
// end-to-end latency per group (intended send to receipt) and the delivery
// accounting (lost, duplicated, out of order) are exact.
package event

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
)

// Workload publishes events and measures their delivery to every group.
type Workload struct {
	cfg     Config
	runTag  uint32
	topic   string
	brokers []string

	broker       *Broker // embedded; nil with external brokers
	admin        *kafka.Client
	adminTr      *kafka.Transport
	createdTopic bool
	partitions   int

	producers   []*producer
	subs        []*subscriber
	membersCtx  context.Context
	stopMembers context.CancelFunc
	faults      faultState
	membersDown bool
	joinS       float64

	payload []byte
	closeMu sync.Mutex
	closed  bool

	clocks messages.Clocks // the producers' encode time, typed events only
}

var _ bench.Workload = (*Workload)(nil)

// NewWorkload returns the event workload for cfg, which must be valid.
func NewWorkload(cfg Config) (*Workload, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	cfg = cfg.withDefaults()
	payload := make([]byte, cfg.PayloadBytes)
	if cfg.Payload != nil {
		copy(payload, cfg.Payload)
	} else {
		for i := range payload {
			payload[i] = byte(rand.Uint32())
		}
	}
	return &Workload{cfg: cfg, runTag: RunTag(cfg.RunID), topic: cfg.TopicName(), payload: payload}, nil
}

// OperationLatency names what the engine times: an operation ends at the
// broker's acknowledgement of the publish.
func (w *Workload) OperationLatency() string { return results.Publish }

// Topic is the run's topic.
func (w *Workload) Topic() string { return w.topic }

// GroupID is the consumer group id of the named subscribing service.
func (w *Workload) GroupID(name string) string { return w.topic + "." + name }

// Start starts the embedded broker (or reaches the given brokers), creates
// the topic, starts the producers and the consumer groups, and waits until
// every group has joined and reads every partition. That wait is reported
// as group_join_s and kept out of every other figure.
func (w *Workload) Start(ctx context.Context) (results.Target, error) {
	target := results.Target{Kind: results.TargetExternal, Broker: "kafka"}
	if len(w.cfg.Brokers) == 0 {
		retention := w.cfg.EmbeddedRetention / int64(w.cfg.Partitions)
		b, err := StartBroker(BrokerConfig{RetentionPerPartition: retention, Proxy: w.cfg.BrokerFaults})
		if err != nil {
			return results.Target{}, err
		}
		w.broker = b
		w.brokers = []string{b.Addr()}
		target = results.Target{Kind: results.TargetEmbedded, Broker: BrokerName}
	} else {
		w.brokers = w.cfg.Brokers
		if err := reachable(ctx, w.brokers, w.cfg.DialTimeout); err != nil {
			return results.Target{}, err
		}
	}
	target.Address = strings.Join(w.brokers, ",")

	// kafka-go answers metadata requests from a cache; a short TTL lets
	// the wait for a new topic's partition leaders see them soon.
	w.adminTr = &kafka.Transport{DialTimeout: w.cfg.DialTimeout, ClientID: "commsbench-admin", MetadataTTL: time.Second}
	w.admin = &kafka.Client{Addr: kafka.TCP(w.brokers...), Transport: w.adminTr, Timeout: defaultRequestTimeout}
	if err := w.answersKafka(ctx); err != nil {
		return results.Target{}, err
	}
	partitions, err := w.createTopic(ctx)
	if err != nil {
		return results.Target{}, err
	}
	w.partitions = partitions

	acks, _ := w.cfg.Acks.required()
	codec, _ := w.cfg.Compression.codec()
	for i := range w.cfg.Producers {
		w.producers = append(w.producers, newProducer(producerConfig{
			id:         uint32(i),
			runTag:     w.runTag,
			brokers:    w.brokers,
			topic:      w.topic,
			partitions: partitions,
			acks:       acks,
			codec:      codec,
			key:        w.cfg.Key,
			batchSize:  w.cfg.BatchSize,
			linger:     w.cfg.BatchTimeout,
			dial:       w.cfg.DialTimeout,
			reqTimeout: defaultRequestTimeout,
			retryFor:   retryFor(w.cfg.BrokerFaults),
		}))
	}

	joinStart := time.Now()
	mctx, stop := context.WithCancel(context.Background())
	w.membersCtx, w.stopMembers = mctx, stop
	for i, name := range GroupNames(w.cfg.Subscribers) {
		s := newSubscriber(subscriberConfig{
			brokers:        w.brokers,
			topic:          w.topic,
			groupID:        w.GroupID(name),
			name:           name,
			members:        w.cfg.ConsumersOf(i),
			partitions:     partitions,
			producers:      w.cfg.Producers,
			runTag:         w.runTag,
			fromStart:      w.createdTopic,
			maxBytes:       max(4<<20, 2*w.cfg.PayloadBytes+(1<<20)),
			dial:           w.cfg.DialTimeout,
			memberPrefix:   "commsbench-" + name,
			faults:         &w.faults,
			readDelay:      w.cfg.readDelay,
			check:          messages.OrderCheck(w.cfg.Encoding),
			sessionTimeout: sessionFor(w.cfg.BrokerFaults),
		})
		w.subs = append(w.subs, s)
		s.start(mctx)
	}
	if err := w.awaitJoin(ctx, partitions); err != nil {
		return results.Target{}, err
	}
	w.joinS = time.Since(joinStart).Seconds()
	return target, nil
}

// reachable fails fast, naming the brokers, when none of them answers:
// within the dial timeout however many are named.
func reachable(ctx context.Context, brokers []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		i   int
		err error
	}
	answers := make(chan result, len(brokers))
	var d net.Dialer
	for i, b := range brokers {
		go func() {
			c, err := d.DialContext(ctx, "tcp", b)
			if err == nil {
				c.Close()
			}
			answers <- result{i, err}
		}()
	}
	errs := make([]string, len(brokers))
	for range brokers {
		r := <-answers
		if r.err == nil {
			return nil
		}
		errs[r.i] = r.err.Error()
	}
	return fmt.Errorf("event: cannot reach the Kafka brokers at %s (%s); check --brokers or COMMSBENCH_KAFKA_BROKERS, or leave both unset to use the embedded broker",
		strings.Join(brokers, ","), strings.Join(errs, "; "))
}

// answersKafka asks the brokers for their metadata, within the dial
// timeout: something may accept connections without speaking Kafka.
func (w *Workload) answersKafka(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.DialTimeout)
	defer cancel()
	if _, err := w.admin.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{}}); err != nil {
		return fmt.Errorf("event: the brokers at %s accept connections but do not answer Kafka requests within %v (%v); check --brokers or COMMSBENCH_KAFKA_BROKERS",
			strings.Join(w.brokers, ","), w.cfg.DialTimeout, err)
	}
	return nil
}

// createTopic creates the run's topic, or takes an existing one of that
// name as it is, and returns its partition count.
func (w *Workload) createTopic(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, defaultRequestTimeout)
	defer cancel()
	tc := kafka.TopicConfig{Topic: w.topic, NumPartitions: w.cfg.Partitions, ReplicationFactor: w.cfg.ReplicationFactor}
	if w.broker != nil {
		// The embedded broker's retention, set on the topic so that its
		// bound holds over all partitions, whatever their number.
		ret := w.cfg.EmbeddedRetention / int64(w.cfg.Partitions)
		tc.ConfigEntries = []kafka.ConfigEntry{
			{ConfigName: "retention.bytes", ConfigValue: strconv.FormatInt(ret, 10)},
			{ConfigName: "segment.bytes", ConfigValue: strconv.FormatInt(segmentBytes(ret), 10)},
			{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(embeddedMaxMessageBytes)},
		}
	}
	res, err := w.admin.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{tc}})
	if err != nil {
		return 0, fmt.Errorf("event: create topic %q on %s: %w", w.topic, strings.Join(w.brokers, ","), err)
	}
	switch terr := res.Errors[w.topic]; {
	case terr == nil:
		w.createdTopic = true
	case errors.Is(terr, kafka.TopicAlreadyExists):
		// A topic the user named and made: use it, keep it.
	default:
		return 0, fmt.Errorf("event: create topic %q with %d partitions and replication factor %d: %w", w.topic, w.cfg.Partitions, w.cfg.ReplicationFactor, terr)
	}
	return w.partitionCount(ctx)
}

// partitionCount asks the brokers for the topic's partitions, waiting for
// them to have leaders (a real cluster elects them after creation).
func (w *Workload) partitionCount(ctx context.Context) (int, error) {
	var last error
	for {
		md, err := w.admin.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{w.topic}})
		if err == nil {
			for _, t := range md.Topics {
				if t.Name != w.topic {
					continue
				}
				err = t.Error
				if err == nil && len(t.Partitions) > 0 {
					led := true
					for _, p := range t.Partitions {
						led = led && p.Leader.Host != "" && p.Error == nil
					}
					if led {
						return len(t.Partitions), nil
					}
					err = errors.New("partitions without a leader")
				}
			}
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("event: topic %q did not become ready: %v", w.topic, errors.Join(last, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Join probing: a round of probes is one event to every partition. The
// groups have joined when, for each, every partition delivered a probe of
// some round and every member that must hold partitions received one of that
// round or later (see subscriber.joined), and the broker reports the group
// stable with all its members.
const probeEvery = 100 * time.Millisecond

func (w *Workload) awaitJoin(ctx context.Context, partitions int) error {
	deadline := time.Now().Add(w.cfg.JoinTimeout)
	p := w.producers[0]
	for round := uint64(1); ; round++ {
		pctx, cancel := context.WithTimeout(ctx, defaultRequestTimeout)
		var errs []error
		var mu sync.Mutex
		var wg sync.WaitGroup
		for part := range partitions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := p.publish(pctx, part, event{flags: FlagProbe, probe: round, sentNS: time.Now().UnixNano()})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		cancel()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("event: publish to topic %q on %s: %w", w.topic, strings.Join(w.brokers, ","), err)
		}
		next := time.Now().Add(probeEvery)
		for time.Now().Before(next) {
			if ok, err := w.allJoined(ctx); err != nil {
				return err
			} else if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
		if time.Now().After(deadline) {
			return w.joinError()
		}
	}
}

func (w *Workload) allJoined(ctx context.Context) (bool, error) {
	for _, s := range w.subs {
		if !s.joined() {
			return false, nil
		}
	}
	ids := make([]string, len(w.subs))
	for i, s := range w.subs {
		ids[i] = s.groupID
	}
	dctx, cancel := context.WithTimeout(ctx, defaultRequestTimeout)
	defer cancel()
	res, err := w.admin.DescribeGroups(dctx, &kafka.DescribeGroupsRequest{GroupIDs: ids})
	if err != nil {
		// A broker that cannot describe groups: the probes alone decide.
		return true, nil
	}
	want := map[string]int{}
	for _, s := range w.subs {
		want[s.groupID] = len(s.members)
	}
	for _, g := range res.Groups {
		if g.Error != nil {
			return true, nil
		}
		if !strings.EqualFold(g.GroupState, "Stable") || len(g.Members) != want[g.GroupID] {
			return false, nil
		}
	}
	return true, nil
}

func (w *Workload) joinError() error {
	var parts []string
	for _, s := range w.subs {
		if s.joined() {
			continue
		}
		msg := fmt.Sprintf("%s: %d of %d members reading", s.tally.name, s.readingMembers(), len(s.members))
		if err := s.lastError(); err != nil {
			msg += fmt.Sprintf(" (last error: %v)", err)
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		parts = append(parts, "the broker does not report every group stable with all its members")
	}
	return fmt.Errorf("event: the consumer groups did not all join within %v: %s", w.cfg.JoinTimeout, strings.Join(parts, "; "))
}

// NewClient returns a worker's client; workers are spread over the producers.
func (w *Workload) NewClient(_ context.Context, worker int) (bench.Client, error) {
	return &client{
		p:       w.producers[worker%len(w.producers)],
		key:     w.cfg.Key,
		payload: w.payload,
		rng:     rand.NewPCG(rand.Uint64(), rand.Uint64()),
		order:   w.newOrderSender(),
	}, nil
}

type client struct {
	p       *producer
	key     KeyStrategy
	payload []byte
	rng     *rand.PCG
	keyBuf  [16]byte
	order   *messages.OrderSender // typed events; nil for random bytes
}

// Do publishes one event and waits for the broker's acknowledgement.
func (c *client) Do(ctx context.Context, op bench.Op) error {
	ev := event{sentNS: op.Intended.UnixNano(), value: c.payload, measure: !op.Warmup}
	if c.order != nil {
		v, err := c.order.AppendEncoded(nil, op.Seq, !op.Warmup)
		if err != nil {
			return fmt.Errorf("event: %w", err)
		}
		ev.value = v
	}
	if op.Warmup {
		ev.flags = FlagWarmup
	}
	ev.key = keyOf(c.key, op, c.rng, &c.keyBuf)
	return c.p.publish(ctx, c.p.partitionFor(ev.key), ev)
}
