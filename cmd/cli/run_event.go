package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/containers"
	"github.com/commsbench/commsbench/targets/event"
)

// envKafkaBrokers is the default of --brokers.
const envKafkaBrokers = "COMMSBENCH_KAFKA_BROKERS"

// eventOptions are the flags of "run event" beyond the shared ones.
type eventOptions struct {
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
}

func newCmdRunEvent(f *Factory) *cobra.Command {
	o := newRunOptions()
	ct := &containerFlags{}
	e := &eventOptions{
		Partitions:        event.DefaultPartitions,
		ReplicationFactor: 1,
		Subscribers:       1,
		Consumers:         1,
		Producers:         1,
		Acks:              string(event.AcksAll),
		BatchSize:         event.DefaultBatchSize,
		Compression:       string(event.CompressionNone),
		Key:               string(event.KeyNone),
		DrainTimeout:      event.DefaultDrainTimeout,
	}
	cmd := &cobra.Command{
		Use:   "event",
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

Without --brokers (or COMMSBENCH_KAFKA_BROKERS) an embedded Kafka-protocol
broker (kfake, in memory) starts in-process on 127.0.0.1: its figures measure
the kafka-go client and the protocol, not a production Kafka's disks and
replication. A topic commsbench.<run id> is created for the run and deleted
after it.

Batching: every partition of a producer keeps one produce request in flight
and sends what queued up meanwhile as the next batch, so an idle topic sends
each event at once and a busy one batches by itself; throughput grows with
the events in flight (--concurrency). --batch-timeout adds a linger.`,
		Example: `  commsbench run event
  commsbench run event --subscribers 3 --consumers 2 --rate 10000
  commsbench run event --rate 0 --concurrency 512 --duration 10s
  commsbench run event --brokers 127.0.0.1:9092 --acks leader --compression lz4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			cfg, err := e.config(cmd, f, o)
			if err != nil {
				return err
			}
			if err := ct.validate(cmd, containers.Event, "brokers"); err != nil {
				return err
			}
			if cfg.Consumers > cfg.Partitions {
				fmt.Fprintf(f.IO.ErrOut, "warning: --consumers %d is more than --partitions %d: a partition is read by one member of a group, so %d members of each group will sit idle\n",
					cfg.Consumers, cfg.Partitions, cfg.Consumers-cfg.Partitions)
			}
			broker, removeBroker, err := ct.start(cmd.Context(), f, o, containers.Event)
			if err != nil {
				return err
			}
			defer removeBroker()
			if broker != nil {
				cfg.Brokers = broker.Brokers
			}
			options := e.resultOptions()
			return executeRun(cmd.Context(), f, o, runSpec{
				Transport: "event",
				NewWorkload: func(runID string) (bench.Workload, error) {
					c := cfg
					c.RunID = runID
					options["topic"] = c.TopicName()
					return ct.wrap(event.NewWorkload(c))
				},
				Options: options,
			})
		},
	}
	o.addFlags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&e.Brokers, "brokers", "", "Kafka bootstrap brokers, host:port[,host:port…] (default $"+envKafkaBrokers+"; unset: an embedded broker in-process)")
	fl.StringVar(&e.Topic, "topic", "", "topic to use (default commsbench.<run id>, created for the run); an existing topic is used as it is and kept")
	fl.IntVar(&e.Partitions, "partitions", e.Partitions, "partitions of the topic created for the run")
	fl.IntVar(&e.ReplicationFactor, "replication-factor", e.ReplicationFactor, "replication factor of the topic created for the run (above 1 needs --brokers)")
	fl.IntVar(&e.Subscribers, "subscribers", e.Subscribers, "consumer groups (subscribing services: payment, email, …), each receiving every event")
	fl.IntVar(&e.Consumers, "consumers", e.Consumers, "readers per consumer group, sharing its partitions")
	fl.IntVar(&e.Producers, "producers", e.Producers, "producer clients (each with its own connections); workers are spread over them")
	fl.StringVar(&e.Acks, "acks", e.Acks, "acknowledgement a publish waits for: none, leader or all (in-sync replicas)")
	fl.IntVar(&e.BatchSize, "batch-size", e.BatchSize, "most events in one produce request (which also stays under 1 MiB)")
	fl.DurationVar(&e.BatchTimeout, "batch-timeout", 0, "linger: how long a batch that is not full waits for more events (0: send as soon as the partition's previous request is answered)")
	fl.StringVar(&e.Compression, "compression", e.Compression, "batch compression: none, gzip, snappy, lz4 or zstd")
	fl.StringVar(&e.Key, "key", e.Key, "event keys, which choose the partition: none (round-robin), random or sequence")
	fl.DurationVar(&e.DrainTimeout, "drain-timeout", e.DrainTimeout, "after the load, how long the groups get to catch up; what is left is reported as lag")
	fl.BoolVar(&e.KeepTopic, "keep-topic", false, "keep the run's topic and consumer groups after the run")
	ct.addFlags(cmd, containers.Event)
	// The event transport reaches brokers, not an echo target.
	_ = fl.MarkHidden("target")
	_ = fl.MarkHidden("connections")
	return cmd
}

// config turns the flags into the transport's config; errors are usage errors.
func (e *eventOptions) config(cmd *cobra.Command, f *Factory, o *RunOptions) (event.Config, error) {
	changed := cmd.Flags().Changed
	switch {
	case changed("target"):
		return event.Config{}, flagErrorf("--target does not apply to the event transport: name Kafka brokers with --brokers host:port")
	case changed("connections"):
		return event.Config{}, flagErrorf("--connections does not apply to the event transport: each of --producers has its own connections")
	}
	brokers := e.Brokers
	if !changed("brokers") {
		brokers = f.Getenv(envKafkaBrokers)
	} else if len(event.ParseBrokers(brokers)) == 0 {
		return event.Config{}, flagErrorf("--brokers %q: name at least one broker as host:port, or leave the flag out to use the embedded broker", brokers)
	}
	cfg := event.Config{
		Brokers:           event.ParseBrokers(brokers),
		Topic:             e.Topic,
		Partitions:        e.Partitions,
		ReplicationFactor: e.ReplicationFactor,
		Subscribers:       e.Subscribers,
		Consumers:         e.Consumers,
		Producers:         e.Producers,
		Acks:              event.Acks(e.Acks),
		BatchSize:         e.BatchSize,
		BatchTimeout:      e.BatchTimeout,
		Compression:       event.Compression(e.Compression),
		Key:               event.KeyStrategy(e.Key),
		DrainTimeout:      e.DrainTimeout,
		KeepTopic:         e.KeepTopic,
		PayloadBytes:      int(o.Payload),
		Payload:           o.PayloadContent,
	}
	if err := cfg.Validate(); err != nil {
		return event.Config{}, flagErrorf("%s", flagWording(err.Error()))
	}
	return cfg, nil
}

// flagWording names the flags in a config error, so that a user knows
// which to change.
func flagWording(msg string) string {
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
		if len(msg) >= len(r.from) && msg[:len(r.from)] == r.from {
			return r.to + msg[len(r.from):]
		}
	}
	return msg
}

// resultOptions are the settings stored in the result.
func (e *eventOptions) resultOptions() map[string]any {
	return map[string]any{
		"partitions":         e.Partitions,
		"replication_factor": e.ReplicationFactor,
		"subscribers":        e.Subscribers,
		"consumers":          e.Consumers,
		"producers":          e.Producers,
		"acks":               e.Acks,
		"batch_size":         e.BatchSize,
		"batch_timeout_s":    e.BatchTimeout.Seconds(),
		"compression":        e.Compression,
		"key":                e.Key,
		"drain_timeout_s":    e.DrainTimeout.Seconds(),
		"keep_topic":         e.KeepTopic,
	}
}
