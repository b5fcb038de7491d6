package event

import (
	"fmt"
	"slices"
	"strings"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/targets/messages"
)

// Defaults of Config.
const (
	DefaultPartitions   = 6
	DefaultBatchSize    = 1000
	DefaultDrainTimeout = 10 * time.Second
	// DefaultEmbeddedRetention bounds what the embedded broker keeps of a
	// run's topic, over all its partitions.
	DefaultEmbeddedRetention = 256 << 20
	defaultDialTimeout       = 5 * time.Second
	defaultJoinTimeout       = 30 * time.Second
	defaultRequestTimeout    = 10 * time.Second
	maxBatchBytes            = 1 << 20
)

// Acks is how many replicas must have a message before the broker
// acknowledges it.
type Acks string

// Acks values, named after what the client waits for.
const (
	AcksNone   Acks = "none"
	AcksLeader Acks = "leader"
	AcksAll    Acks = "all"
)

func (a Acks) required() (kafka.RequiredAcks, error) {
	switch a {
	case AcksNone:
		return kafka.RequireNone, nil
	case AcksLeader:
		return kafka.RequireOne, nil
	case AcksAll, "":
		return kafka.RequireAll, nil
	}
	return 0, fmt.Errorf("unknown acks %q: choose none, leader or all", string(a))
}

// Compression names a codec for produced batches.
type Compression string

// Compression values.
const (
	CompressionNone   Compression = "none"
	CompressionGzip   Compression = "gzip"
	CompressionSnappy Compression = "snappy"
	CompressionLZ4    Compression = "lz4"
	CompressionZstd   Compression = "zstd"
)

func (c Compression) codec() (kafka.Compression, error) {
	switch c {
	case CompressionNone, "":
		return 0, nil
	case CompressionGzip:
		return kafka.Gzip, nil
	case CompressionSnappy:
		return kafka.Snappy, nil
	case CompressionLZ4:
		return kafka.Lz4, nil
	case CompressionZstd:
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("unknown compression %q: choose none, gzip, snappy, lz4 or zstd", string(c))
}

// KeyStrategy says how events are keyed, which decides their partition.
type KeyStrategy string

// KeyStrategy values.
const (
	// KeyNone sends events without a key, spread round-robin over the partitions.
	KeyNone KeyStrategy = "none"
	// KeyRandom gives each event 16 random key bytes (murmur2-partitioned,
	// as the Java client does).
	KeyRandom KeyStrategy = "random"
	// KeySequence keys each event with the engine's operation number.
	KeySequence KeyStrategy = "sequence"
)

func (k KeyStrategy) valid() error {
	switch k {
	case KeyNone, KeyRandom, KeySequence, "":
		return nil
	}
	return fmt.Errorf("unknown key strategy %q: choose none, random or sequence", string(k))
}

// Config is an event run's transport settings.
type Config struct {
	// Brokers are the bootstrap addresses of a Kafka cluster; none starts
	// an embedded broker (kfake) in-process on 127.0.0.1.
	Brokers []string
	// Topic is the run's topic; empty names it commsbench.<RunID>.
	Topic string
	// RunID names the run's topic and consumer groups and tags its events.
	RunID string
	// Partitions and ReplicationFactor of the topic created for the run.
	Partitions        int
	ReplicationFactor int
	// Subscribers is the number of consumer groups (subscribing services),
	// each of which receives every event; Consumers is the number of
	// readers in each group, among which its partitions are shared.
	Subscribers int
	Consumers   int
	// GroupConsumers, if set, gives the readers of the first groups one by
	// one (a group beyond its length has Consumers readers).
	GroupConsumers []int
	// Producers is the number of producer clients; workers are spread
	// over them.
	Producers int
	Acks      Acks
	// BatchSize bounds the events of one produce request (which also stays
	// under 1 MiB).
	BatchSize int
	// BatchTimeout is how long a batch that is not full waits for more
	// events before it is sent (linger). 0 sends a batch as soon as the
	// partition's previous request has been answered.
	BatchTimeout time.Duration
	Compression  Compression
	Key          KeyStrategy
	// DrainTimeout bounds the wait, after the load, for every group to
	// catch up.
	DrainTimeout time.Duration
	// KeepTopic leaves the topic and the groups' offsets on the broker.
	KeepTopic bool
	// PayloadBytes is the size of each event's value.
	PayloadBytes int
	// Payload, when set, is every event's value instead of random bytes (a
	// template that looks like the real events); PayloadBytes is then its length.
	Payload []byte
	// EmbeddedRetention bounds, in bytes over all partitions, what the
	// embedded broker keeps of the topic. Default DefaultEmbeddedRetention.
	EmbeddedRetention int64
	// DialTimeout bounds reaching the brokers. Default 5s.
	DialTimeout time.Duration
	// JoinTimeout bounds the wait for every group to join. Default 30s.
	JoinTimeout time.Duration
	// BrokerFaults: the run's faults reach the broker (broker-down,
	// network), so the embedded broker listens behind a network proxy and
	// producers retry their batches until it is back (broker_faults.go).
	BrokerFaults bool
	// readDelay, set by tests only, makes every reader pause this long
	// after each event: groups that cannot keep up, on purpose.
	readDelay time.Duration
	// Encoding is messages.Raw (random bytes, the default) or a typed
	// encoding: every event's value is then an order of Items lines, which
	// the subscribers decode and validate (typed.go).
	Encoding messages.Encoding
	Items    int
}

// Validate reports settings that cannot make a run.
func (c Config) Validate() error {
	switch {
	case c.Partitions < 1:
		return fmt.Errorf("partitions must be at least 1 (got %d)", c.Partitions)
	case c.ReplicationFactor < 1:
		return fmt.Errorf("replication factor must be at least 1 (got %d)", c.ReplicationFactor)
	case len(c.Brokers) == 0 && c.ReplicationFactor > 1:
		return fmt.Errorf("replication factor %d needs real brokers: the embedded broker is a single in-memory broker that replicates nothing (use --brokers, or a replication factor of 1)", c.ReplicationFactor)
	case c.Subscribers < 1:
		return fmt.Errorf("subscribers must be at least 1 consumer group (got %d)", c.Subscribers)
	case c.Consumers < 1:
		return fmt.Errorf("consumers must be at least 1 per group (got %d)", c.Consumers)
	case slices.ContainsFunc(c.GroupConsumers, func(n int) bool { return n < 1 }):
		return fmt.Errorf("every group needs at least 1 consumer (got %v)", c.GroupConsumers)
	case c.Producers < 1:
		return fmt.Errorf("producers must be at least 1 (got %d)", c.Producers)
	case c.BatchSize < 1:
		return fmt.Errorf("batch size must be at least 1 event (got %d)", c.BatchSize)
	case c.BatchTimeout < 0:
		return fmt.Errorf("batch timeout must not be negative (got %v)", c.BatchTimeout)
	case c.DrainTimeout < 0:
		return fmt.Errorf("drain timeout must not be negative (got %v)", c.DrainTimeout)
	case c.PayloadBytes < 0:
		return fmt.Errorf("payload size must not be negative (got %d)", c.PayloadBytes)
	case c.Topic != "" && !validTopic(c.Topic):
		return fmt.Errorf("topic %q: a Kafka topic name has 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-', and is not '.' or '..'", c.Topic)
	}
	for _, b := range c.Brokers {
		if !strings.Contains(b, ":") {
			return fmt.Errorf("broker %q: want host:port, such as 127.0.0.1:9092", b)
		}
	}
	if _, err := c.Acks.required(); err != nil {
		return err
	}
	if _, err := c.Compression.codec(); err != nil {
		return err
	}
	return c.Key.valid()
}

func validTopic(t string) bool {
	if len(t) == 0 || len(t) > 249 || t == "." || t == ".." {
		return false
	}
	for _, r := range t {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// ParseBrokers splits a comma-separated broker list, dropping blanks.
func ParseBrokers(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// groupNames are the subscribing services of a run, in order: the first
// few are named after the services that typically act on an "order
// placed" event.
var groupNames = []string{"payment", "email", "inventory", "shipping", "analytics", "audit", "search", "loyalty"}

// GroupNames returns the names of k subscribing services.
func GroupNames(k int) []string {
	names := make([]string, k)
	for i := range names {
		if i < len(groupNames) {
			names[i] = groupNames[i]
		} else {
			names[i] = fmt.Sprintf("subscriber-%d", i+1)
		}
	}
	return names
}

// ConsumersOf is the number of readers of the i-th group.
func (c Config) ConsumersOf(i int) int {
	if i < len(c.GroupConsumers) {
		return c.GroupConsumers[i]
	}
	return c.Consumers
}

// TopicName is the topic of a run: cfg.Topic or commsbench.<run id>.
func (c Config) TopicName() string {
	if c.Topic != "" {
		return c.Topic
	}
	return "commsbench." + c.RunID
}

func (c Config) withDefaults() Config {
	if c.Payload != nil {
		c.PayloadBytes = len(c.Payload)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = defaultDialTimeout
	}
	if c.JoinTimeout <= 0 {
		c.JoinTimeout = defaultJoinTimeout
	}
	if c.EmbeddedRetention <= 0 {
		c.EmbeddedRetention = DefaultEmbeddedRetention
	}
	if c.Acks == "" {
		c.Acks = AcksAll
	}
	if c.Compression == "" {
		c.Compression = CompressionNone
	}
	if c.Key == "" {
		c.Key = KeyNone
	}
	if c.RunID == "" {
		c.RunID = fmt.Sprintf("%d", time.Now().UnixNano())
	}
	return c
}
