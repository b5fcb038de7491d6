package queue

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// EnvURL names the environment variable with the default broker URL.
const EnvURL = "COMMSBENCH_AMQP_URL"

// maxConnections bounds --connections of a queue run.
const maxConnections = 2000

// Transport describes the queue transport to the commands.
func Transport() transport.Transport {
	return transport.Transport{
		Name: "queue",
		Run: transport.Help{
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

Pipeline through your own service: --result-queue OUT with --routing-key IN
(or --exchange and --routing-key) publishes your --payload-file to the
service's input with a traceparent header (or --correlate header:NAME), reads
the service's output queue, matches each output with its input and counts
lost, duplicated, out-of-order and uncorrelated outputs; end to end is
through the service (see docs/own-services.md).

The broker: --amqp-url, else $` + EnvURL + `, else a local RabbitMQ with
the guest account. The password is never printed or stored.`,
			Example: `  commsbench run queue --rate 2000 --producers 2 --consumers 4
  commsbench run queue --rate 0 --inflight 100 --payload-size 1000
  commsbench run queue --mode rpc --rate 1000
  commsbench run queue --rate 500 --consumers 1 --work 5ms --drain-timeout 30s
  commsbench run queue --routing-key orders --result-queue reservations --payload-file order.json --rate 200
  COMMSBENCH_AMQP_URL=amqp://bench:secret@10.0.0.5:5672/ commsbench run queue --queue-type quorum`,
		},
		NewConfig: newRunConfig,
		Shared: transport.Shared{
			Hidden: []string{"target"},
			Usage: map[string]string{
				"payload-size": fmt.Sprintf("bytes per message body, its %d-byte header included (256, 4KiB, 1MiB; at most 16MiB); rpc replies must echo it", HeaderSize),
				"connections":  "AMQP connections that the producers' and consumers' channels are dealt over (default one per producer and per consumer)",
			},
		},
		Serve: &transport.Serve{
			Help: transport.Help{
				Short: "Consume a RabbitMQ queue as an echo target (acknowledge, and answer reply-to)",
				Long: `Consume a RabbitMQ queue until Ctrl-C, like an inventory service: each
consumer acknowledges each message after --work and, when the message has a
reply-to address, sends its body back there first.

It stands in for the consumers of 'commsbench run queue --mode rpc' when they
should run in another process or on another machine: point the run at the
same broker and queue with --consumers 0. The queue is declared if missing
and left in place when the target stops.`,
				Example: `  commsbench serve queue --consumers 4 --work 2ms
  commsbench run queue --mode rpc --consumers 0 --queue commsbench.echo`,
			},
			NewConfig: func() transport.ServeConfig {
				return &serveConfig{broker: brokerOptions{Queue: DefaultEchoQueue, QueueType: QueueClassic, Prefetch: DefaultPrefetch, Consumers: 1}, Encoding: string(messages.Raw)}
			},
		},
		Container: "rabbitmq",
		Faults:    Faults(),
		Describe:  describe,
	}
}

// describe names a queue result's mechanism: one-way or request-reply.
func describe(r *results.Result) transport.Mechanism {
	kind := transport.Oneway
	if r != nil {
		if m, ok := r.Options["mode"].(string); ok {
			if m == ModeRPC {
				kind = transport.RPC
			}
			if m == ModePipeline {
				return transport.Mechanism{Name: "queue · pipeline", Prose: "the queue pipeline through the service", Kind: transport.Oneway}
			}
		} else if _, ok := r.Latency[results.EndToEnd]; !ok {
			// Written before the mode was recorded: only rpc runs had no
			// end-to-end latency.
			kind = transport.RPC
		}
	}
	if r == nil {
		return transport.Mechanism{Name: "queue", Prose: "the queue", Kind: kind}
	}
	enc := messages.NameSuffix(r.Options)
	return transport.Mechanism{Name: "queue · " + kind + enc, Prose: "the queue (" + kind + enc + ")", Kind: kind}
}

// brokerOptions are the settings that run and serve share.
type brokerOptions struct {
	URL        string
	Queue      string
	QueueType  string
	Persistent bool
	Consumers  int
	Prefetch   int
	AutoAck    bool
	Work       time.Duration
}

func (b *brokerOptions) options(queueHelp, consumersHelp string) []transport.Option {
	return []transport.Option{
		{Name: "amqp-url", Usage: "broker URL, amqp://user:password@host:port/vhost (default $" + EnvURL + ", else " + DefaultURL + ")", Value: transport.String(&b.URL)},
		{Name: "queue", Usage: queueHelp, Value: transport.String(&b.Queue)},
		{Name: "queue-type", Usage: "queue type: classic or quorum (quorum needs RabbitMQ 3.8 or later)", Value: transport.String(&b.QueueType)},
		{Name: "persistent", Usage: "publish persistent messages (delivery mode 2) to a durable queue (default on for quorum queues)", Value: transport.Bool(&b.Persistent)},
		{Name: "prefetch", Usage: "unacknowledged messages each consumer may hold (basic.qos); 0 for no limit", Value: transport.Int(&b.Prefetch)},
		{Name: "auto-ack", Usage: "let the broker count a message as delivered when it sends it, instead of the consumer acknowledging it", Value: transport.Bool(&b.AutoAck)},
		{Name: "work", Usage: "simulated work time per message in each consumer, before it acknowledges (and replies)", Value: transport.Duration(&b.Work)},
		{Name: "consumers", Usage: consumersHelp, Value: transport.Int(&b.Consumers)},
	}
}

// resolve fills the URL from the environment and checks the settings that
// run and serve share. opts are the options bound to b.
func (b *brokerOptions) resolve(env transport.Env, opts []transport.Option) error {
	if b.URL == "" && env.Getenv != nil {
		b.URL = env.Getenv(EnvURL)
	}
	if b.URL == "" {
		b.URL = DefaultURL
	}
	if err := CheckURL(b.URL); err != nil {
		return transport.Usagef("--amqp-url: %v", err)
	}
	switch b.QueueType {
	case QueueClassic, QueueQuorum:
	default:
		return transport.Usagef("--queue-type %q: choose classic or quorum", b.QueueType)
	}
	if !transport.Changed(opts, "persistent") {
		b.Persistent = b.QueueType == QueueQuorum
	}
	switch {
	case len(b.Queue) > 255:
		return transport.Usagef("--queue: a queue name has at most 255 bytes")
	case b.Prefetch < 0 || b.Prefetch > 65535:
		return transport.Usagef("--prefetch %d: between 0 (no limit) and 65535", b.Prefetch)
	case b.Work < 0:
		return transport.Usagef("--work %v: must not be negative", b.Work)
	case b.Consumers < 0 || b.Consumers > 1000:
		return transport.Usagef("--consumers %d: between 0 and 1000", b.Consumers)
	}
	return nil
}

// runConfig is a queue run's settings as a user gives them.
type runConfig struct {
	broker       brokerOptions
	Producers    int
	Confirm      bool
	InFlight     int
	Mode         string
	DrainTimeout time.Duration
	KeepQueue    bool
	Messages     messages.Settings
	pipe         pipelineOptions
	ext          *ExternalInput

	rabbitmqctl string // for a broker-restart fault
	opts        []transport.Option
}

func newRunConfig() transport.Config {
	c := &runConfig{
		broker:       brokerOptions{QueueType: QueueClassic, Prefetch: DefaultPrefetch, Consumers: 1},
		Producers:    1,
		Confirm:      true,
		Mode:         ModeOneway,
		DrainTimeout: DefaultDrainTimeout,
		Messages:     messages.NewSettings(),
	}
	c.opts = append(c.broker.options(
		"queue name (default commsbench.<run-id>, declared before the run and deleted after it)",
		"consumers, each on its own channel; 0 with --mode rpc and --queue when something else consumes the queue"),
		transport.Option{Name: "producers", Usage: "producers, each publishing on its own channel", Value: transport.Int(&c.Producers)},
		transport.Option{Name: "confirm", Usage: "publisher confirms: a publish completes when the broker acknowledges it (--confirm=false to publish without)", Value: transport.Bool(&c.Confirm)},
		transport.Option{Name: "inflight", Usage: "most unconfirmed (or unanswered) messages per producer, like PerfTest's -c (default: only --concurrency bounds them)", Value: transport.Int(&c.InFlight)},
		transport.Option{Name: "mode", Usage: "oneway (publish and go on), rpc (wait for the consumer's reply through direct reply-to) or pipeline (through a service: see --result-queue)", Value: transport.String(&c.Mode)},
		transport.Option{Name: "drain-timeout", Usage: "after the load, how long consumers may take to receive what is still on its way", Value: transport.Duration(&c.DrainTimeout)},
		transport.Option{Name: "keep-queue", Usage: "leave the run's queue on the broker after the run", Value: transport.Bool(&c.KeepQueue)},
		transport.Option{Name: "encoding", Usage: messages.EncodingUsage + " (consumers reject an invalid one; in --mode rpc they reply with its confirmation; with --consumers 0, start 'serve queue' with the same --encoding)", Value: transport.String(&c.Messages.Encoding)},
		transport.Option{Name: "items", Usage: messages.ItemsUsage, Value: transport.Int(&c.Messages.Items)},
	)
	c.opts = append(c.opts, c.pipe.options()...)
	return c
}

func (c *runConfig) Options() []transport.Option { return c.opts }

// BrokerOption is the option --containers replaces.
func (c *runConfig) BrokerOption() string { return "amqp-url" }

// UseBroker points the run at a broker started for it.
func (c *runConfig) UseBroker(addr string) { c.broker.URL = addr }

func (c *runConfig) Resolve(env transport.Env, run *transport.Run) error {
	if c.pipeline() {
		return c.resolvePipeline(env, run)
	}
	ext, err := c.external()
	if err != nil {
		return err
	}
	if ext == nil {
		if err := c.pipelineOnly(); err != nil {
			return err
		}
	}
	c.ext = ext
	if run.Target != "" {
		return transport.Usagef("--target does not apply to the queue transport: name the broker with --amqp-url (and, for consumers running elsewhere, --queue with --consumers 0)")
	}
	if err := c.broker.resolve(env, c.opts); err != nil {
		return err
	}
	b := &c.broker
	switch {
	case c.Mode != ModeOneway && c.Mode != ModeRPC:
		return transport.Usagef("--mode %q: choose oneway or rpc", c.Mode)
	case c.Producers < 1 || c.Producers > 1000:
		return transport.Usagef("--producers %d: between 1 and 1000", c.Producers)
	case b.Consumers == 0 && c.Mode != ModeRPC:
		return transport.Usagef("--consumers 0 (the queue consumed by something else, such as 'commsbench serve queue') needs --mode rpc: only replies tell a one-way run what arrived")
	case b.Consumers == 0 && b.Queue == "" && c.ext == nil:
		return transport.Usagef("--consumers 0: name the queue the other consumers read with --queue (or your consumer's input with --routing-key or --exchange)")
	case b.Consumers == 0 && len(run.Faults) > 0:
		return transport.Usagef("--fault: faults apply to the run's own consumers, and --consumers 0 leaves the queue to consumers elsewhere; give --consumers 1 or more")
	case c.InFlight < 0 || (transport.Changed(c.opts, "inflight") && c.InFlight == 0):
		return transport.Usagef("--inflight %d: must be at least 1", c.InFlight)
	case c.DrainTimeout < 0:
		return transport.Usagef("--drain-timeout %v: must not be negative", c.DrainTimeout)
	case run.Connections > maxConnections:
		return transport.Usagef("--connections %d: at most %d", run.Connections, maxConnections)
	}
	if err := c.resolveFaults(run); err != nil {
		return err
	}
	if c.InFlight > 0 && !c.Confirm && c.Mode == ModeOneway {
		return transport.Usagef("--inflight bounds messages awaiting their confirm: it needs --confirm (or --mode rpc)")
	}
	if !run.OpenLoop && c.InFlight > 0 && !run.ConcurrencyGiven {
		run.Concurrency = c.Producers * c.InFlight
	}
	if run.Connections == 0 {
		run.Connections = c.Producers + b.Consumers
	}
	if err := c.Messages.Resolve(run.Payload != nil); err != nil {
		return transport.Usagef("%v", err)
	}
	if c.Messages.Enc.Typed() {
		run.PayloadBytes = HeaderSize + c.Messages.RequestBytes
	}
	return nil
}

func (c *runConfig) config(run transport.Run) Config {
	b := c.broker
	if c.ext != nil && b.Queue == "" && c.ext.Exchange == "" {
		b.Queue = c.ext.RoutingKey // on the default exchange, the key names the queue
	}
	return Config{
		URL:          b.URL,
		Queue:        b.Queue,
		QueueType:    b.QueueType,
		Persistent:   b.Persistent,
		Producers:    c.Producers,
		Consumers:    b.Consumers,
		Connections:  run.Connections,
		Prefetch:     b.Prefetch,
		AutoAck:      b.AutoAck,
		Confirm:      c.Confirm,
		InFlight:     c.InFlight,
		Mode:         c.Mode,
		Work:         b.Work,
		DrainTimeout: c.DrainTimeout,
		KeepQueue:    c.KeepQueue,
		PayloadBytes: run.PayloadBytes,
		Payload:      run.Payload,
		RunID:        run.ID,
		OpenLoop:     run.OpenLoop,
		OnBrokerLost: run.Abort,
		Reconnect:    reconnects(run.Faults),
		NetProxy:     transport.NeedsNetProxy(run.Faults),
		Rabbitmqctl:  c.rabbitmqctl,
		Encoding:     c.Messages.Enc,
		Items:        c.Messages.Items,
		External:     c.ext,
	}
}

func (c *runConfig) Record(run transport.Run) map[string]any {
	if c.pipeline() {
		return c.recordPipeline(run)
	}
	b := c.broker
	o := map[string]any{
		"mode":            c.Mode,
		"queue":           c.config(run).QueueName(),
		"queue_type":      b.QueueType,
		"persistent":      b.Persistent,
		"producers":       c.Producers,
		"consumers":       b.Consumers,
		"prefetch":        b.Prefetch,
		"auto_ack":        b.AutoAck,
		"confirm":         c.Confirm,
		"inflight":        c.InFlight,
		"work_s":          b.Work.Seconds(),
		"drain_timeout_s": c.DrainTimeout.Seconds(),
		"keep_queue":      c.KeepQueue,
		"header_bytes":    HeaderSize,
		"message_bytes":   max(run.PayloadBytes, HeaderSize),
	}
	c.Messages.Record(o, c.Mode == ModeRPC)
	recordExternal(o, c.ext)
	return o
}

func (c *runConfig) Workload(run transport.Run) (bench.Workload, error) {
	if c.pipeline() {
		return c.pipelineWorkload(run)
	}
	return NewWorkload(c.config(run))
}

// Probe says why the broker cannot be reached, without connecting to it
// beyond a TCP dial.
func (c *runConfig) Probe(ctx context.Context, env transport.Env) (reason, fix string) {
	raw := c.broker.URL
	if raw == "" && env.Getenv != nil {
		raw = env.Getenv(EnvURL)
	}
	if raw == "" {
		raw = DefaultURL
	}
	addr, err := address(raw)
	if err != nil {
		return "", "" // the run's own validation says what is wrong
	}
	if err := transport.Dial(ctx, addr); err != nil {
		return fmt.Sprintf("no RabbitMQ answers at %s (%v)", RedactURL(raw), err),
			"start one ('rabbitmq-server -detached', or 'docker run -d -p 5672:5672 rabbitmq:3'), point " + EnvURL + " or --set amqp-url=URL at a running broker, or add --set containers=true where Docker runs"
	}
	return "", ""
}

// address is the host:port an AMQP URL connects to.
func address(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("not an AMQP URL")
	}
	port := u.Port()
	if port == "" {
		port = "5672"
		if u.Scheme == "amqps" {
			port = "5671"
		}
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// RunError says the broker went away during the run, if it did, and what
// to do about a queue left behind.
func (w *Workload) RunError() error {
	lost := w.BrokerErr()
	if lost == nil {
		return nil
	}
	err := fmt.Errorf("%w; the run stopped early and its result is partial", lost)
	if w.LeftQueue() {
		err = fmt.Errorf("%w; its queue %s stayed on the broker: delete it with 'rabbitmqctl delete_queue %s'", err, w.Queue(), w.Queue())
	}
	return err
}

// serveConfig is "serve queue".
type serveConfig struct {
	broker      brokerOptions
	Connections int
	Encoding    string
	opts        []transport.Option
}

func (c *serveConfig) Options() []transport.Option {
	if c.opts == nil {
		c.opts = append(c.broker.options("queue to consume (declared if missing, left in place afterwards)", "consumers, each on its own channel"),
			transport.Option{Name: "connections", Usage: "AMQP connections the consumers are dealt over (default one per consumer)", Value: transport.Int(&c.Connections)},
			transport.Option{Name: "encoding", Usage: "raw: echo each message; json or protobuf: decode and validate each order and reply with its confirmation, as 'run queue --mode rpc --consumers 0 --encoding' expects", Value: transport.String(&c.Encoding)})
	}
	return c.opts
}

func (c *serveConfig) Serve(ctx context.Context, env transport.Env, out io.Writer) error {
	opts := c.Options()
	if err := c.broker.resolve(env, opts); err != nil {
		return err
	}
	switch {
	case c.broker.Queue == "":
		return transport.Usagef("--queue: name the queue to consume")
	case c.broker.Consumers < 1:
		return transport.Usagef("--consumers %d: between 1 and 1000", c.broker.Consumers)
	case c.Connections < 0 || (transport.Changed(opts, "connections") && c.Connections == 0):
		return transport.Usagef("--connections %d: must be at least 1", c.Connections)
	}
	enc, err := messages.ParseEncoding(c.Encoding)
	if err != nil {
		return transport.Usagef("--encoding: %v", err)
	}
	b := c.broker
	echo, err := StartEcho(EchoConfig{
		URL:         b.URL,
		Queue:       b.Queue,
		QueueType:   b.QueueType,
		Persistent:  b.Persistent,
		Consumers:   b.Consumers,
		Connections: c.Connections,
		Prefetch:    b.Prefetch,
		AutoAck:     b.AutoAck,
		Work:        b.Work,
		Encoding:    enc,
	})
	if err != nil {
		return err
	}
	br := echo.Broker()
	fmt.Fprintf(out, "queue echo target consuming %q on %s (%s %s) with %d consumers; Ctrl-C stops it\n",
		echo.Queue(), br.Address, br.Product, br.Version, b.Consumers)
	werr := echo.Wait(ctx)
	echo.Close()
	s := echo.Stats()
	fmt.Fprintf(out, "consumed %d messages, replied to %d\n", s.Consumed, s.Replied)
	if enc.Typed() {
		fmt.Fprintf(out, "refused %d invalid %s orders\n", s.Invalid, enc)
	}
	return werr
}
