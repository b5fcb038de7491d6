package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/containers"
	"github.com/commsbench/commsbench/targets/queue"
)

// envAMQPURL names the environment variable with the default broker URL.
const envAMQPURL = "COMMSBENCH_AMQP_URL"

// queueFlags are the broker flags that run and serve share.
type queueFlags struct {
	URL        string
	Queue      string
	QueueType  string
	Persistent bool
	Consumers  int
	Prefetch   int
	AutoAck    bool
	Work       time.Duration
}

func (q *queueFlags) addFlags(cmd *cobra.Command, queueHelp string) {
	fl := cmd.Flags()
	fl.StringVar(&q.URL, "amqp-url", "", "broker URL, amqp://user:password@host:port/vhost (default $"+envAMQPURL+", else "+queue.DefaultURL+")")
	fl.StringVar(&q.Queue, "queue", q.Queue, queueHelp)
	fl.StringVar(&q.QueueType, "queue-type", queue.QueueClassic, "queue type: classic or quorum (quorum needs RabbitMQ 3.8 or later)")
	fl.BoolVar(&q.Persistent, "persistent", false, "publish persistent messages (delivery mode 2) to a durable queue (default on for quorum queues)")
	fl.IntVar(&q.Prefetch, "prefetch", queue.DefaultPrefetch, "unacknowledged messages each consumer may hold (basic.qos); 0 for no limit")
	fl.BoolVar(&q.AutoAck, "auto-ack", false, "let the broker count a message as delivered when it sends it, instead of the consumer acknowledging it")
	fl.DurationVar(&q.Work, "work", 0, "simulated work time per message in each consumer, before it acknowledges (and replies)")
}

// resolve fills the URL from the environment and checks the flags shared
// with serve.
func (q *queueFlags) resolve(cmd *cobra.Command, f *Factory) error {
	if q.URL == "" {
		q.URL = f.Getenv(envAMQPURL)
	}
	if q.URL == "" {
		q.URL = queue.DefaultURL
	}
	if err := queue.CheckURL(q.URL); err != nil {
		return flagErrorf("--amqp-url: %v", err)
	}
	switch q.QueueType {
	case queue.QueueClassic, queue.QueueQuorum:
	default:
		return flagErrorf("--queue-type %q: choose classic or quorum", q.QueueType)
	}
	if !cmd.Flags().Changed("persistent") {
		q.Persistent = q.QueueType == queue.QueueQuorum
	}
	switch {
	case len(q.Queue) > 255:
		return flagErrorf("--queue: a queue name has at most 255 bytes")
	case q.Prefetch < 0 || q.Prefetch > 65535:
		return flagErrorf("--prefetch %d: between 0 (no limit) and 65535", q.Prefetch)
	case q.Work < 0:
		return flagErrorf("--work %v: must not be negative", q.Work)
	}
	return nil
}

func newCmdRunQueue(f *Factory) *cobra.Command {
	o := newRunOptions()
	q := &queueFlags{}
	ct := &containerFlags{}
	var (
		producers    int
		confirm      bool
		inflight     int
		mode         string
		drainTimeout time.Duration
		keepQueue    bool
	)
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Publish to a RabbitMQ queue and consume from it (one-way or request-reply)",
		Long: `Publish messages to a RabbitMQ queue and consume them, as an order service
hands order confirmations to an inventory service that works at its own pace.

Each run declares its own queue (commsbench.<run-id>, or --queue) and deletes
it afterwards (unless --keep-queue). Producers publish with publisher confirms
(--confirm=false to turn them off), at most --inflight unconfirmed messages
each; consumers acknowledge each message after --work. After the measured
period the producers stop and the consumers drain the queue until everything
sent arrived or --drain-timeout passed.

Every message carries its producer, its sequence number and its intended send
time, so the accounting is exact: sent, confirmed, received, lost (confirmed
but never received), duplicates, redelivered, outstanding and out of order.

Latency: publish (send to the broker's confirm) and end to end (intended send
to a consumer's receipt). With --mode rpc the consumer sends each body back
through direct reply-to and the response latency is the full round trip, the
figure to hold against REST and gRPC.

Workers and producers: in closed loop each worker publishes through producer
(worker mod --producers) and sends its next message when the previous one is
confirmed (or answered), so --concurrency is the number of messages in
flight; with --inflight and no --concurrency, it is producers x inflight. In
open loop, messages are dealt to the producers in turn.

The broker: --amqp-url, else $` + envAMQPURL + `, else a local RabbitMQ with
the guest account. The password is never printed or stored.`,
		Example: `  commsbench run queue --rate 2000 --producers 2 --consumers 4
  commsbench run queue --rate 0 --inflight 100 --payload-size 1000
  commsbench run queue --mode rpc --rate 1000
  commsbench run queue --rate 500 --consumers 1 --work 5ms --drain-timeout 30s
  COMMSBENCH_AMQP_URL=amqp://bench:secret@10.0.0.5:5672/ commsbench run queue --queue-type quorum`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			changed := cmd.Flags().Changed
			if o.Target != "" {
				return flagErrorf("--target does not apply to the queue transport: name the broker with --amqp-url (and, for consumers running elsewhere, --queue with --consumers 0)")
			}
			if err := o.validate(cmd); err != nil {
				return err
			}
			if err := q.resolve(cmd, f); err != nil {
				return err
			}
			if err := ct.validate(cmd, containers.Queue, "amqp-url"); err != nil {
				return err
			}
			switch {
			case mode != queue.ModeOneway && mode != queue.ModeRPC:
				return flagErrorf("--mode %q: choose oneway or rpc", mode)
			case producers < 1 || producers > 1000:
				return flagErrorf("--producers %d: between 1 and 1000", producers)
			case q.Consumers < 0 || q.Consumers > 1000:
				return flagErrorf("--consumers %d: between 0 and 1000", q.Consumers)
			case q.Consumers == 0 && mode != queue.ModeRPC:
				return flagErrorf("--consumers 0 (the queue consumed by something else, such as 'commsbench serve queue') needs --mode rpc: only replies tell a one-way run what arrived")
			case q.Consumers == 0 && q.Queue == "":
				return flagErrorf("--consumers 0: name the queue the other consumers read with --queue")
			case inflight < 0 || (changed("inflight") && inflight == 0):
				return flagErrorf("--inflight %d: must be at least 1", inflight)
			case drainTimeout < 0:
				return flagErrorf("--drain-timeout %v: must not be negative", drainTimeout)
			case o.Connections > 2000:
				return flagErrorf("--connections %d: at most 2000", o.Connections)
			}
			if inflight > 0 && !confirm && mode == queue.ModeOneway {
				return flagErrorf("--inflight bounds messages awaiting their confirm: it needs --confirm (or --mode rpc)")
			}
			if o.Rate == 0 && inflight > 0 && !changed("concurrency") {
				o.Concurrency = producers * inflight
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			broker, removeBroker, cerr := ct.start(ctx, f, o, containers.Queue)
			if cerr != nil {
				return cerr
			}
			defer removeBroker()
			if broker != nil {
				q.URL = broker.AMQPURL
			}
			cfg := queue.Config{
				URL:          q.URL,
				Queue:        q.Queue,
				QueueType:    q.QueueType,
				Persistent:   q.Persistent,
				Producers:    producers,
				Consumers:    q.Consumers,
				Connections:  o.Connections,
				Prefetch:     q.Prefetch,
				AutoAck:      q.AutoAck,
				Confirm:      confirm,
				InFlight:     inflight,
				Mode:         mode,
				Work:         q.Work,
				DrainTimeout: drainTimeout,
				KeepQueue:    keepQueue,
				PayloadBytes: int(o.Payload),
				Payload:      o.PayloadContent,
				OpenLoop:     o.Rate > 0,
				// A broken broker connection ends the load at once instead of
				// failing every operation until the planned end.
				OnBrokerLost: func(error) { cancel() },
			}
			conns := o.Connections
			if conns == 0 {
				conns = producers + q.Consumers
			}
			var w *queue.Workload
			options := map[string]any{
				"mode":            mode,
				"queue_type":      q.QueueType,
				"persistent":      q.Persistent,
				"producers":       producers,
				"consumers":       q.Consumers,
				"prefetch":        q.Prefetch,
				"auto_ack":        q.AutoAck,
				"confirm":         confirm,
				"inflight":        inflight,
				"work_s":          q.Work.Seconds(),
				"drain_timeout_s": drainTimeout.Seconds(),
				"keep_queue":      keepQueue,
				"header_bytes":    queue.HeaderSize,
				"message_bytes":   max(int(o.Payload), queue.HeaderSize),
			}
			err := executeRun(ctx, f, o, runSpec{
				Transport:   "queue",
				Connections: conns,
				NewWorkload: func(runID string) (bench.Workload, error) {
					cfg.RunID = runID
					options["queue"] = cfg.QueueName()
					var err error
					w, err = queue.NewWorkload(cfg)
					return ct.wrap(w, err)
				},
				Options: options,
			})
			if w != nil && cmd.Context().Err() == nil {
				if lost := w.BrokerErr(); lost != nil {
					var ee *ExitError
					if err == nil || (errors.As(err, &ee) && ee.Code == ExitInterrupted) {
						err = fmt.Errorf("%w; the run stopped early and its result is partial", lost)
						if w.LeftQueue() {
							err = fmt.Errorf("%w; its queue %s stayed on the broker: delete it with 'rabbitmqctl delete_queue %s'", err, w.Queue(), w.Queue())
						}
						return &ExitError{Code: ExitFailure, Err: err}
					}
				}
			}
			return err
		},
	}
	o.addFlags(cmd)
	q.addFlags(cmd, "queue name (default commsbench.<run-id>, declared before the run and deleted after it)")
	fl := cmd.Flags()
	if c := fl.Lookup("payload-size"); c != nil {
		c.Usage = fmt.Sprintf("bytes per message body, its %d-byte header included (256, 4KiB, 1MiB; at most 16MiB); rpc replies must echo it", queue.HeaderSize)
	}
	if c := fl.Lookup("connections"); c != nil {
		c.Usage = "AMQP connections that the producers' and consumers' channels are dealt over (default one per producer and per consumer)"
	}
	_ = fl.MarkHidden("target")
	fl.IntVar(&producers, "producers", 1, "producers, each publishing on its own channel")
	fl.IntVar(&q.Consumers, "consumers", 1, "consumers, each on its own channel; 0 with --mode rpc and --queue when something else consumes the queue")
	fl.BoolVar(&confirm, "confirm", true, "publisher confirms: a publish completes when the broker acknowledges it (--confirm=false to publish without)")
	fl.IntVar(&inflight, "inflight", 0, "most unconfirmed (or unanswered) messages per producer, like PerfTest's -c (default: only --concurrency bounds them)")
	fl.StringVar(&mode, "mode", queue.ModeOneway, "oneway (publish and go on) or rpc (wait for the consumer's reply through direct reply-to)")
	fl.DurationVar(&drainTimeout, "drain-timeout", queue.DefaultDrainTimeout, "after the load, how long consumers may take to receive what is still on its way")
	fl.BoolVar(&keepQueue, "keep-queue", false, "leave the run's queue on the broker after the run")
	ct.addFlags(cmd, containers.Queue)
	return cmd
}
