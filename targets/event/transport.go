package event

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// EnvBrokers names the environment variable with the default of --brokers.
const EnvBrokers = "COMMSBENCH_KAFKA_BROKERS"

// Transport describes the event transport to the commands.
func Transport() transport.Transport {
	return transport.Transport{
		Name: "event",
		Run: transport.Help{
			Short: "Publish events to a Kafka topic and measure their delivery to every consumer group",
			Long: `Publish events to a Kafka topic and measure how they reach every subscribing
service: an order service publishes "order placed", and a payment service, an
email service and any other consumer group each receive every event.

Each operation publishes one event and waits for the broker's acknowledgement
(latency.publish). Every consumer group must receive every event; each event
carries its intended send time, producer and sequence number in a header, so
end-to-end latency (per group and over all) and the accounting (lost,
duplicated, out of order per partition) are exact. Before measuring, the run
waits until every group has joined and reads every partition (group_join_s,
kept out of every other figure); after it, producing stops and the groups
get --drain-timeout to catch up.

Without --brokers (or ` + EnvBrokers + `) an embedded Kafka-protocol
broker (kfake, in memory) starts in-process on 127.0.0.1: its figures measure
the kafka-go client and the protocol, not a production Kafka's disks and
replication. A topic commsbench.<run id> is created for the run and deleted
after it.

Batching: every partition of a producer keeps one produce request in flight
and sends what queued up meanwhile as the next batch, so an idle topic sends
each event at once and a busy one batches by itself; throughput grows with
the events in flight (--concurrency). --batch-timeout adds a linger.

Pipeline through your own service: --result-topic OUT with --topic IN and
--brokers produces to the service's input topic, reads its output topic in a
consumer group of the run's own (commsbench.<run id>.results) and matches each
output with its input by the traceparent header that an OpenTelemetry-
instrumented service propagates (--correlate header:NAME or key otherwise).
It counts lost, duplicated, out-of-order and uncorrelated outputs and measures
end to end through the service (see docs/own-services.md).`,
			Example: `  commsbench run event
  commsbench run event --subscribers 3 --consumers 2 --rate 10000
  commsbench run event --rate 0 --concurrency 512 --duration 10s
  commsbench run event --brokers 127.0.0.1:9092 --acks leader --compression lz4
  commsbench run event --brokers 127.0.0.1:9092 --topic orders.placed --result-topic inventory.reserved --payload-file order.json --rate 200`,
		},
		NewConfig: newRunConfig,
		// The event transport reaches brokers, not an echo target, and each
		// producer has its own connections.
		Shared: transport.Shared{Hidden: []string{"target", "connections"}},
		Serve: &transport.Serve{
			Help: transport.Help{
				Short: "Serve the embedded Kafka-protocol broker (kfake, in memory)",
				Long: `Serve the embedded Kafka-protocol broker (kfake: one broker, everything in
memory) on its own, for 'commsbench run event --brokers ADDR' from another
process. Any Kafka client can use it. It keeps at most --retention bytes per
partition, deleting the oldest events beyond that, so memory stays bounded.

It measures a Kafka client and the protocol, not a production Kafka: nothing
is written to disk and nothing is replicated.`,
				Example: `  commsbench serve event --addr 127.0.0.1:9092
  commsbench run event --brokers 127.0.0.1:9092`,
			},
			NewConfig: func() transport.ServeConfig {
				return &serveConfig{Addr: "127.0.0.1:9092", Retention: DefaultRetentionPerPartition}
			},
		},
		Container: "kafka",
		Faults:    Faults(),
		Describe: func(r *results.Result) transport.Mechanism {
			name := "event"
			if r != nil && len(r.Subscribers) > 0 {
				n := len(r.Subscribers)
				word := "groups"
				if n == 1 {
					word = "group"
				}
				name = fmt.Sprintf("event · %d %s", n, word)
			}
			prose := "the event stream"
			if r != nil {
				name += messages.NameSuffix(r.Options)
				if enc := messages.EncodingOf(r.Options); enc.Typed() {
					prose += " (" + string(enc) + ")"
				}
			}
			return transport.Mechanism{Name: name, Prose: prose, Kind: transport.Event}
		},
	}
}

// runConfig is an event run's settings as a user gives them.
type runConfig struct {
	Brokers           string
	Topic             string
	Partitions        int
	ReplicationFactor int
	Subscribers       int
	Consumers         int
	Producers         int
	Acks              string
	BatchSize         int
	BatchTimeout      time.Duration
	Compression       string
	Key               string
	DrainTimeout      time.Duration
	KeepTopic         bool
	Messages          messages.Settings
	pipe              pipelineOptions

	opts     []transport.Option
	resolved Config
}

func newRunConfig() transport.Config {
	c := &runConfig{
		Partitions:        DefaultPartitions,
		ReplicationFactor: 1,
		Subscribers:       1,
		Consumers:         1,
		Producers:         1,
		Acks:              string(AcksAll),
		BatchSize:         DefaultBatchSize,
		Compression:       string(CompressionNone),
		Key:               string(KeyNone),
		DrainTimeout:      DefaultDrainTimeout,
		Messages:          messages.NewSettings(),
	}
	c.opts = []transport.Option{
		{Name: "brokers", Usage: "Kafka bootstrap brokers, host:port[,host:port…] (default $" + EnvBrokers + "; unset: an embedded broker in-process)", Value: transport.String(&c.Brokers)},
		{Name: "topic", Usage: "topic to use (default commsbench.<run id>, created for the run); an existing topic is used as it is and kept", Value: transport.String(&c.Topic)},
		{Name: "partitions", Usage: "partitions of the topic created for the run", Value: transport.Int(&c.Partitions)},
		{Name: "replication-factor", Usage: "replication factor of the topic created for the run (above 1 needs --brokers)", Value: transport.Int(&c.ReplicationFactor)},
		{Name: "subscribers", Usage: "consumer groups (subscribing services: payment, email, …), each receiving every event", Value: transport.Int(&c.Subscribers)},
		{Name: "consumers", Usage: "readers per consumer group, sharing its partitions", Value: transport.Int(&c.Consumers)},
		{Name: "producers", Usage: "producer clients (each with its own connections); workers are spread over them", Value: transport.Int(&c.Producers)},
		{Name: "acks", Usage: "acknowledgement a publish waits for: none, leader or all (in-sync replicas)", Value: transport.String(&c.Acks)},
		{Name: "batch-size", Usage: "most events in one produce request (which also stays under 1 MiB)", Value: transport.Int(&c.BatchSize)},
		{Name: "batch-timeout", Usage: "linger: how long a batch that is not full waits for more events (0: send as soon as the partition's previous request is answered)", Value: transport.Duration(&c.BatchTimeout)},
		{Name: "compression", Usage: "batch compression: none, gzip, snappy, lz4 or zstd", Value: transport.String(&c.Compression)},
		{Name: "key", Usage: "event keys, which choose the partition: none (round-robin), random or sequence", Value: transport.String(&c.Key)},
		{Name: "drain-timeout", Usage: "after the load, how long the groups get to catch up; what is left is reported as lag", Value: transport.Duration(&c.DrainTimeout)},
		{Name: "keep-topic", Usage: "keep the run's topic and consumer groups after the run", Value: transport.Bool(&c.KeepTopic)},
		{Name: "encoding", Usage: messages.EncodingUsage + " (every group decodes and validates it)", Value: transport.String(&c.Messages.Encoding)},
		{Name: "items", Usage: messages.ItemsUsage, Value: transport.Int(&c.Messages.Items)},
	}
	c.opts = append(c.opts, c.pipe.options()...)
	return c
}

func (c *runConfig) Options() []transport.Option { return c.opts }

// BrokerOption is the option --containers replaces.
func (c *runConfig) BrokerOption() string { return "brokers" }

// UseBroker points the run at brokers started for it.
func (c *runConfig) UseBroker(addr string) {
	c.Brokers = addr
	c.resolved.Brokers = ParseBrokers(addr)
}

// brokers returns the bootstrap list: the option, else the environment.
func (c *runConfig) brokers(env transport.Env) string {
	if !transport.Changed(c.opts, "brokers") && env.Getenv != nil {
		return env.Getenv(EnvBrokers)
	}
	return c.Brokers
}

func (c *runConfig) Resolve(env transport.Env, run *transport.Run) error {
	if c.pipeline() {
		return c.resolvePipeline(env, run)
	}
	if err := c.pipelineOnly(); err != nil {
		return err
	}
	switch {
	case run.Target != "":
		return transport.Usagef("--target does not apply to the event transport: name Kafka brokers with --brokers host:port")
	case run.Connections != 0:
		return transport.Usagef("--connections does not apply to the event transport: each of --producers has its own connections")
	}
	if err := c.Messages.Resolve(run.Payload != nil); err != nil {
		return transport.Usagef("%v", err)
	}
	if c.Messages.Enc.Typed() {
		run.PayloadBytes = c.Messages.RequestBytes
	}
	brokers := c.brokers(env)
	if transport.Changed(c.opts, "brokers") && len(ParseBrokers(brokers)) == 0 {
		return transport.Usagef("--brokers %q: name at least one broker as host:port, or leave the flag out to use the embedded broker", brokers)
	}
	if err := resolveFaults(ParseBrokers(brokers), run); err != nil {
		return err
	}
	c.resolved = Config{
		BrokerFaults:      transport.NeedsNetProxy(run.Faults),
		Brokers:           ParseBrokers(brokers),
		Topic:             c.Topic,
		Partitions:        c.Partitions,
		ReplicationFactor: c.ReplicationFactor,
		Subscribers:       c.Subscribers,
		Consumers:         c.Consumers,
		Producers:         c.Producers,
		Acks:              Acks(c.Acks),
		BatchSize:         c.BatchSize,
		BatchTimeout:      c.BatchTimeout,
		Compression:       Compression(c.Compression),
		Key:               KeyStrategy(c.Key),
		DrainTimeout:      c.DrainTimeout,
		KeepTopic:         c.KeepTopic,
		PayloadBytes:      run.PayloadBytes,
		Payload:           run.Payload,
		Encoding:          c.Messages.Enc,
		Items:             c.Messages.Items,
	}
	if err := c.resolved.Validate(); err != nil {
		return transport.Usagef("%s", optionWording(err.Error()))
	}
	if c.Consumers > c.Partitions && run.Warn != nil {
		run.Warn(fmt.Sprintf("--consumers %d is more than --partitions %d: a partition is read by one member of a group, so %d members of each group will sit idle",
			c.Consumers, c.Partitions, c.Consumers-c.Partitions))
	}
	return nil
}

// optionWording names the option in a config error, so that a user knows
// which to change.
func optionWording(msg string) string {
	for _, r := range []struct{ from, to string }{
		{"partitions must", "--partitions must"},
		{"replication factor", "--replication-factor"},
		{"subscribers must", "--subscribers must"},
		{"consumers must", "--consumers must"},
		{"producers must", "--producers must"},
		{"batch size must", "--batch-size must"},
		{"batch timeout must", "--batch-timeout must"},
		{"drain timeout must", "--drain-timeout must"},
		{"unknown acks", "--acks: unknown value"},
		{"unknown compression", "--compression: unknown value"},
		{"unknown key strategy", "--key: unknown value"},
		{"topic ", "--topic "},
		{"broker ", "--brokers: broker "},
	} {
		if strings.HasPrefix(msg, r.from) {
			return r.to + msg[len(r.from):]
		}
	}
	return msg
}

func (c *runConfig) Record(run transport.Run) map[string]any {
	if c.pipeline() {
		return c.recordPipeline(run)
	}
	cfg := c.resolved
	cfg.RunID = run.ID
	o := map[string]any{
		"topic":              cfg.TopicName(),
		"partitions":         c.Partitions,
		"replication_factor": c.ReplicationFactor,
		"subscribers":        c.Subscribers,
		"consumers":          c.Consumers,
		"producers":          c.Producers,
		"acks":               c.Acks,
		"batch_size":         c.BatchSize,
		"batch_timeout_s":    c.BatchTimeout.Seconds(),
		"compression":        c.Compression,
		"key":                c.Key,
		"drain_timeout_s":    c.DrainTimeout.Seconds(),
		"keep_topic":         c.KeepTopic,
	}
	c.Messages.Record(o, false)
	return o
}

func (c *runConfig) Workload(run transport.Run) (bench.Workload, error) {
	if c.pipeline() {
		return c.pipelineWorkload(run)
	}
	cfg := c.resolved
	cfg.RunID = run.ID
	return NewWorkload(cfg)
}

// Probe says why none of the named brokers answers; the embedded broker
// always does.
func (c *runConfig) Probe(ctx context.Context, env transport.Env) (reason, fix string) {
	brokers := ParseBrokers(c.brokers(env))
	if len(brokers) == 0 {
		return "", ""
	}
	var last error
	for _, b := range brokers {
		if last = transport.Dial(ctx, b); last == nil {
			return "", ""
		}
	}
	return fmt.Sprintf("no Kafka broker answers at %s (%v)", strings.Join(brokers, ","), last),
		"start the brokers, correct " + EnvBrokers + " or --set brokers=host:port, or leave both unset to use the embedded broker"
}

// serveConfig is "serve event".
type serveConfig struct {
	Addr      string
	Retention int64
}

func (c *serveConfig) Options() []transport.Option {
	return []transport.Option{
		{Name: "addr", Usage: "address to listen on and advertise to clients (port 0 picks a free one)", Value: transport.String(&c.Addr)},
		{Name: "retention", Usage: "bytes kept per partition; older events are deleted (64MiB, 1GiB, …)", Value: transport.Bytes(&c.Retention)},
	}
}

func (c *serveConfig) Serve(ctx context.Context, _ transport.Env, out io.Writer) error {
	b, err := StartBroker(BrokerConfig{Addr: c.Addr, RetentionPerPartition: c.Retention})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "event broker (%s) listening on %s\n", "kfake, embedded, in-memory", b.Addr())
	fmt.Fprintf(out, "  point 'commsbench run event --brokers %s' at it; Ctrl-C stops it\n", b.Addr())
	stopped := make(chan struct{})
	return transport.ServeUntilDone(ctx,
		func() error { <-stopped; return nil },
		func(context.Context) error { b.Close(); close(stopped); return nil })
}
