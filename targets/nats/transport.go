package nats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// Transport describes the NATS transport to the commands.
func Transport() transport.Transport {
	return transport.Transport{
		Name: "nats",
		Run: transport.Help{
			Short: "Request-reply, publish/subscribe or JetStream over a NATS server (embedded by default)",
			Long: `Send messages through a NATS server in one of three shapes (--mode):

  request    each message is a request to a queue group of --consumers
             responders, which echo it; the response latency is the full
             round trip, the figure to hold against REST, gRPC and the
             queue's rpc mode. No responders and timeouts are error classes.
  publish    core NATS publish to --subscribers subscriptions, each getting
             every message (fan-out), or sharing them with --queue-group.
             At most once: a subscriber that cannot keep up loses messages,
             and the run counts them as lost, with the slow-consumer events
             in the errors.
  jetstream  publish to a stream (--storage file or memory, --replicas) and
             wait for its PubAck; --consumers members of one durable consumer
             (--consumer pull or push) acknowledge each message. At least
             once: redeliveries are counted.

Every message carries its publisher, its sequence number and its intended
send time, so the accounting is exact: sent, confirmed (a PubAck, or a flush
that came back after it), received, lost, duplicates, redelivered,
outstanding and out of order, and the end-to-end latency runs from the
intended send to a receiver. After the load the receivers drain until
everything arrived or --drain-timeout passed.

With --encoding json or protobuf each message carries an order of --items
lines: responders confirm it with an encoded PaymentConfirmation that the
client checks, subscribers and consumers decode and validate it; invalid
orders are counted (invalid_message, delivery.invalid).

Publishers: --connections publishing connections (default 1); each
responder, subscriber and consumer has a connection of its own.

The server: --nats-url, else $` + EnvURL + `, else an embedded nats-server
started in this process on 127.0.0.1 with JetStream on a temporary store,
so nothing needs installing. Passwords and tokens are never printed or
stored.`,
			Example: `  commsbench run nats --mode request --rate 2000
  commsbench run nats --mode publish --rate 0 --concurrency 8 --subscribers 4
  commsbench run nats --mode publish --rate 50000 --subscribers 4 --queue-group
  commsbench run nats --mode jetstream --rate 5000 --consumers 2 --storage memory
  commsbench run nats --encoding protobuf --items 10
  COMMSBENCH_NATS_URL=nats://bench:secret@10.0.0.5:4222 commsbench run nats --mode jetstream`,
		},
		NewConfig: func() transport.Config { return newRunConfig() },
		Shared: transport.Shared{
			Hidden: []string{"target"},
			Usage: map[string]string{
				"payload-size": fmt.Sprintf("bytes per message, its %d-byte header included (256, 4KiB, 1MiB; at most 16MiB); requests must be echoed byte for byte", HeaderSize),
				"connections":  "publishing connections that messages are dealt over (default 1); responders, subscribers and consumers have their own",
			},
		},
		Serve: &transport.Serve{
			Help: transport.Help{
				Short: "Serve NATS: an embedded server with echo responders, or responders on an external server",
				Long: `Without --nats-url (or $` + EnvURL + `), start a NATS server with
JetStream on --addr and echo responders on --subject in it. With a URL, run
only the responders against that server. Either way 'commsbench run nats
--mode request --consumers 0 --nats-url URL' measures against them. The
first line printed is the server's address.`,
				Example: `  commsbench serve nats --addr 127.0.0.1:4222
  commsbench serve nats --nats-url nats://127.0.0.1:4222 --responders 4`,
			},
			NewConfig: func() transport.ServeConfig {
				return &serveConfig{Addr: "127.0.0.1:4222", Subject: DefaultEchoSubject, Responders: 1}
			},
		},
		Faults:   Faults(),
		Describe: describe,
	}
}

// describe names a NATS result's mechanism. A request crosses the server
// and back (RPC). A JetStream publish waits for the server's PubAck and one
// durable consumer shares the messages: one-way, like the queue. A core
// publish waits for nothing and every subscription gets every message,
// like an event stream's groups; with a queue group the subscribers share
// them, which is one-way.
func describe(r *results.Result) transport.Mechanism {
	m := describeMode(r)
	if r != nil {
		m.Name += messages.NameSuffix(r.Options)
	}
	return m
}

// describeMode names the mechanism of a result's mode.
func describeMode(r *results.Result) transport.Mechanism {
	mode := ModeRequest
	queueGroup := false
	if r != nil {
		if m, ok := r.Options["mode"].(string); ok {
			mode = m
		}
		queueGroup, _ = r.Options["queue_group"].(bool)
	}
	switch mode {
	case ModePublish:
		if queueGroup {
			return transport.Mechanism{Name: "NATS publish", Prose: "NATS publish to a queue group", Kind: transport.Oneway}
		}
		return transport.Mechanism{Name: "NATS publish", Prose: "NATS publish/subscribe", Kind: transport.Event}
	case ModeJetStream:
		return transport.Mechanism{Name: "NATS JetStream", Prose: "NATS JetStream", Kind: transport.Oneway}
	}
	return transport.Mechanism{Name: "NATS request", Prose: "NATS request-reply", Kind: transport.RPC}
}

// runConfig is a NATS run's settings as a user gives them.
type runConfig struct {
	URL          string
	Mode         string
	Subject      string
	Consumers    int
	Subscribers  int
	QueueGroup   bool
	Consumer     string
	Storage      string
	Replicas     int
	AckWait      time.Duration
	DrainTimeout time.Duration
	KeepStream   bool
	Messages     messages.Settings

	publishers int
	opts       []transport.Option
}

var (
	_ transport.Config = (*runConfig)(nil)
	_ transport.Prober = (*runConfig)(nil)
)

func newRunConfig() *runConfig {
	return &runConfig{
		Mode:         ModeRequest,
		Consumers:    1,
		Subscribers:  1,
		Consumer:     ConsumerPull,
		Storage:      StorageFile,
		Replicas:     1,
		AckWait:      DefaultAckWait,
		DrainTimeout: DefaultDrainTimeout,
		Messages:     messages.NewSettings(),
	}
}

// Options binds the settings. The values are made once, so that Resolve
// can tell which were given.
func (c *runConfig) Options() []transport.Option {
	if c.opts == nil {
		c.opts = []transport.Option{
			{Name: "nats-url", Usage: "server URL, nats://user:password@host:4222 (default $" + EnvURL + ", else an embedded server)", Value: transport.String(&c.URL)},
			{Name: "mode", Usage: "request (request-reply to responders), publish (core publish/subscribe) or jetstream (a stream and a durable consumer)", Value: transport.String(&c.Mode)},
			{Name: "subject", Usage: "subject to send on (default commsbench.<run-id>.<mode>; " + DefaultEchoSubject + " for request mode with --consumers 0)", Value: transport.String(&c.Subject)},
			{Name: "consumers", Usage: "request: responders in one queue group (0: they run elsewhere, such as 'commsbench serve nats'); jetstream: members of the durable consumer", Value: transport.Int(&c.Consumers)},
			{Name: "subscribers", Usage: "publish: subscriptions, each on its own connection, each getting every message unless --queue-group; 0 measures publishing alone", Value: transport.Int(&c.Subscribers)},
			{Name: "queue-group", Usage: "publish: the subscribers share the messages in one queue group instead of each getting all", Value: transport.Bool(&c.QueueGroup)},
			{Name: "consumer", Usage: "jetstream: pull or push durable consumer, explicit acks", Value: transport.String(&c.Consumer)},
			{Name: "storage", Usage: "jetstream: the stream's storage, file or memory", Value: transport.String(&c.Storage)},
			{Name: "replicas", Usage: "jetstream: the stream's replicas (more than 1 needs a cluster)", Value: transport.Int(&c.Replicas)},
			{Name: "ack-wait", Usage: "jetstream: how long the server waits for a consumer's ack before delivering the message again", Value: transport.Duration(&c.AckWait)},
			{Name: "drain-timeout", Usage: "after the load, how long receivers may take to get what is still on its way", Value: transport.Duration(&c.DrainTimeout)},
			{Name: "keep-stream", Usage: "jetstream: leave the run's stream on an external server after the run", Value: transport.Bool(&c.KeepStream)},
			{Name: "encoding", Usage: messages.EncodingUsage + " (responders confirm it; subscribers and consumers validate it)", Value: transport.String(&c.Messages.Encoding)},
			{Name: "items", Usage: messages.ItemsUsage, Value: transport.Int(&c.Messages.Items)},
		}
	}
	return c.opts
}

// url is the server URL the run uses: --nats-url when given (even empty,
// which asks for the embedded server), else the environment's.
func (c *runConfig) url(env transport.Env) string {
	if transport.Changed(c.Options(), "nats-url") || env.Getenv == nil {
		return c.URL
	}
	return env.Getenv(EnvURL)
}

func (c *runConfig) Resolve(env transport.Env, run *transport.Run) error {
	opts := c.Options()
	if run.Target != "" {
		return transport.Usagef("--target does not apply to NATS: name the server with --nats-url (or $%s); without either, an embedded server starts", EnvURL)
	}
	c.URL = c.url(env)
	if c.URL != "" {
		if err := CheckURL(c.URL); err != nil {
			return transport.Usagef("--nats-url: %v", err)
		}
	}
	switch c.Mode {
	case ModeRequest, ModePublish, ModeJetStream:
	default:
		return transport.Usagef("--mode %q: choose request, publish or jetstream", c.Mode)
	}
	// Options that apply to one mode only.
	onlyIn := []struct{ option, mode string }{
		{"subscribers", ModePublish},
		{"queue-group", ModePublish},
		{"consumer", ModeJetStream},
		{"storage", ModeJetStream},
		{"replicas", ModeJetStream},
		{"ack-wait", ModeJetStream},
		{"keep-stream", ModeJetStream},
	}
	for _, o := range onlyIn {
		if o.mode != c.Mode && transport.Changed(opts, o.option) {
			return transport.Usagef("--%s applies to --mode %s only", o.option, o.mode)
		}
	}
	if c.Mode == ModePublish && transport.Changed(opts, "consumers") {
		return transport.Usagef("--consumers does not apply to --mode publish: give --subscribers (and --queue-group to share the messages)")
	}
	switch {
	case c.Consumers < 0 || c.Consumers > maxMembers:
		return transport.Usagef("--consumers %d: between 0 and %d", c.Consumers, maxMembers)
	case c.Consumers == 0 && c.Mode == ModeJetStream:
		return transport.Usagef("--consumers 0: jetstream mode needs at least one consumer to account for the messages")
	case c.Subscribers < 0 || c.Subscribers > maxMembers:
		return transport.Usagef("--subscribers %d: between 0 (publish alone) and %d", c.Subscribers, maxMembers)
	case c.Consumer != ConsumerPull && c.Consumer != ConsumerPush:
		return transport.Usagef("--consumer %q: choose pull or push", c.Consumer)
	case c.Storage != StorageFile && c.Storage != StorageMemory:
		return transport.Usagef("--storage %q: choose file or memory", c.Storage)
	case c.Replicas < 1 || c.Replicas > 5:
		return transport.Usagef("--replicas %d: between 1 and 5", c.Replicas)
	case c.Replicas > 1 && c.URL == "":
		return transport.Usagef("--replicas %d needs a cluster, and the embedded server is one server: give --nats-url of a cluster, or leave --replicas at 1", c.Replicas)
	case c.AckWait <= 0:
		return transport.Usagef("--ack-wait %v: must be positive", c.AckWait)
	case c.DrainTimeout < 0:
		return transport.Usagef("--drain-timeout %v: must not be negative", c.DrainTimeout)
	case run.Connections < 0 || run.Connections > maxMembers:
		return transport.Usagef("--connections %d: between 1 and %d", run.Connections, maxMembers)
	}
	if c.Subject != "" {
		if err := checkSubject(c.Subject); err != nil {
			return transport.Usagef("--subject: %v", err)
		}
	}
	if err := c.Messages.Resolve(run.Payload != nil); err != nil {
		return transport.Usagef("%v", err)
	}
	if len(run.Faults) > 0 && c.members() == 0 && (transport.Has(run.Faults, fault.Down) || transport.Has(run.Faults, fault.Slow)) {
		return transport.Usagef("--fault down and slow apply to the run's own responders, subscribers or consumers, and this run has none: give --consumers (or --subscribers) 1 or more")
	}
	if c.Messages.Enc.Typed() {
		if c.Mode == ModeRequest && c.Consumers == 0 {
			return transport.Usagef("--encoding %s with --consumers 0: the responders of 'commsbench serve nats' echo bytes; give --consumers 1 or more, whose responders confirm each order", c.Messages.Enc)
		}
		run.PayloadBytes = HeaderSize + c.Messages.RequestBytes
	}
	c.publishers = max(run.Connections, 1)
	run.Connections = c.publishers + c.members()
	return nil
}

// members is the number of receiving connections.
func (c *runConfig) members() int {
	if c.Mode == ModePublish {
		return c.Subscribers
	}
	return c.Consumers
}

func (c *runConfig) Record(transport.Run) map[string]any {
	m := map[string]any{
		"mode":            c.Mode,
		"publishers":      max(c.publishers, 1),
		"drain_timeout_s": c.DrainTimeout.Seconds(),
		"header_bytes":    HeaderSize,
	}
	if c.Subject != "" {
		m["subject"] = c.Subject
	}
	switch c.Mode {
	case ModePublish:
		m["subscribers"] = c.Subscribers
		m["queue_group"] = c.QueueGroup
	case ModeRequest:
		m["consumers"] = c.Consumers
	case ModeJetStream:
		m["consumers"] = c.Consumers
		m["consumer"] = c.Consumer
		m["storage"] = c.Storage
		m["replicas"] = c.Replicas
		m["ack_wait_s"] = c.AckWait.Seconds()
	}
	c.Messages.Record(m, c.Mode == ModeRequest)
	return m
}

func (c *runConfig) Workload(run transport.Run) (bench.Workload, error) {
	return NewWorkload(Config{
		URL:          c.URL,
		Mode:         c.Mode,
		Subject:      c.Subject,
		Publishers:   max(c.publishers, 1),
		Consumers:    c.Consumers,
		Subscribers:  c.Subscribers,
		QueueGroup:   c.QueueGroup,
		Storage:      c.Storage,
		Replicas:     c.Replicas,
		Consumer:     c.Consumer,
		AckWait:      c.AckWait,
		DrainTimeout: c.DrainTimeout,
		PayloadBytes: run.PayloadBytes,
		Payload:      run.Payload,
		RunID:        run.ID,
		OpenLoop:     run.OpenLoop,
		KeepStream:   c.KeepStream,
		OnBrokerLost: run.Abort,
		BrokerFaults: transport.NeedsNetProxy(run.Faults),
		Encoding:     c.Messages.Enc,
		Items:        c.Messages.Items,
	})
}

// Probe dials an external server; the embedded one always starts.
func (c *runConfig) Probe(ctx context.Context, env transport.Env) (reason, fix string) {
	url := c.url(env)
	if url == "" {
		return "", ""
	}
	if err := CheckURL(url); err != nil {
		return err.Error(), "correct --nats-url or $" + EnvURL
	}
	timeout := DefaultDialTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	nc, err := connect(url, "commsbench probe", timeout)
	if err != nil {
		return err.Error(), "start a NATS server there, or unset --nats-url and $" + EnvURL + " to use the embedded server"
	}
	nc.Close()
	return "", ""
}

// serveConfig is "serve nats".
type serveConfig struct {
	Addr       string
	URL        string
	Subject    string
	Responders int
	opts       []transport.Option
}

func (c *serveConfig) Options() []transport.Option {
	if c.opts == nil {
		c.opts = []transport.Option{
			{Name: "addr", Usage: "address of the embedded server (port 0 picks a free one)", Value: transport.String(&c.Addr)},
			{Name: "nats-url", Usage: "run only the responders, on this server (default $" + EnvURL + ", else an embedded server on --addr)", Value: transport.String(&c.URL)},
			{Name: "subject", Usage: "subject the responders answer on", Value: transport.String(&c.Subject)},
			{Name: "responders", Usage: "echo responders in one queue group, each on its own connection", Value: transport.Int(&c.Responders)},
		}
	}
	return c.opts
}

func (c *serveConfig) Serve(ctx context.Context, env transport.Env, out io.Writer) error {
	opts := c.Options()
	url := c.URL
	if !transport.Changed(opts, "nats-url") && env.Getenv != nil {
		url = env.Getenv(EnvURL)
	}
	switch {
	case url != "" && transport.Changed(opts, "addr"):
		return transport.Usagef("--addr is for the embedded server and --nats-url names an external one: give one of them")
	case c.Responders < 1 || c.Responders > maxMembers:
		return transport.Usagef("--responders %d: between 1 and %d", c.Responders, maxMembers)
	}
	if err := checkSubject(c.Subject); err != nil {
		return transport.Usagef("--subject: %v", err)
	}
	if url != "" {
		if err := CheckURL(url); err != nil {
			return transport.Usagef("--nats-url: %v", err)
		}
	}
	var srv *Server
	if url == "" {
		s, err := StartServer(c.Addr)
		if err != nil {
			return err
		}
		srv, url = s, s.URL()
		defer srv.Close()
	}
	e, err := startEcho(url, c.Subject, c.Responders)
	if err != nil {
		return err
	}
	defer e.close()
	if srv != nil {
		fmt.Fprintf(out, "nats server listening on %s (embedded nats-server %s, JetStream on a temporary store; echo responders on %s: %d); Ctrl-C stops it\n", url, ServerVersion, c.Subject, c.Responders)
	} else {
		fmt.Fprintf(out, "nats echo responders on %s at %s (%d in queue group %s); Ctrl-C stops them\n", c.Subject, RedactURL(url), c.Responders, responderGroup)
	}
	fmt.Fprintf(out, "measure with: commsbench run nats --mode request --consumers 0 --subject %s --nats-url %s\n", c.Subject, RedactURL(url))
	select {
	case <-ctx.Done():
		return nil
	case err := <-e.lost:
		return err
	}
}

// echo is the standalone responders of "serve nats".
type echo struct {
	conns []*gonats.Conn
	lost  chan error
}

func startEcho(url, subject string, n int) (*echo, error) {
	e := &echo{lost: make(chan error, 1)}
	red := newRedactor(url)
	for i := range n {
		nc, err := connect(url, fmt.Sprintf("commsbench echo %d", i), DefaultDialTimeout,
			gonats.ClosedHandler(func(nc *gonats.Conn) {
				if err := nc.LastError(); err != nil {
					select {
					case e.lost <- fmt.Errorf("nats: lost the connection to %s: %w", red.redact(url), red.err(err)):
					default:
					}
				}
			}))
		if err != nil {
			e.close()
			return nil, err
		}
		e.conns = append(e.conns, nc)
		m := &member{nc: nc}
		if _, err := nc.QueueSubscribe(subject, responderGroup, func(msg *gonats.Msg) { m.respond(msg, 0) }); err != nil {
			e.close()
			return nil, fmt.Errorf("nats: responder on %q: %w", subject, red.err(err))
		}
		if err := nc.FlushTimeout(DefaultDialTimeout); err != nil {
			e.close()
			return nil, errors.New(red.redact(err.Error()))
		}
	}
	return e, nil
}

func (e *echo) close() {
	for _, nc := range e.conns {
		nc.Close()
	}
}
