// Package queue is the queue transport: RabbitMQ over AMQP 0-9-1.
//
// An order service puts a message on a queue and an inventory service
// consumes it at its own pace. Here the producers are the load engine's
// clients and the consumers stand on the far side, like the echo targets of
// the synchronous transports: they acknowledge each message after an
// optional simulated work time and, in request-reply mode, send the body
// back to the reply-to address.
//
// Every message carries a header (see Header) with its producer, its
// sequence number and its intended send time, so that the run accounts for
// every message exactly (confirmed, received, lost, duplicated, redelivered,
// out of order) and measures end-to-end latency from the intended send,
// coordinated omission corrected.
package queue

import (
	"errors"
	"fmt"
	"time"

	"github.com/commsbench/commsbench/targets/messages"
)

// Modes of a run.
const (
	// ModeOneway publishes and does not wait for consumers: the publish
	// latency is what the sender waits for, end-to-end what the message took.
	ModeOneway = "oneway"
	// ModeRPC publishes with a reply-to address and waits for the consumer's
	// answer: a synchronous call over an asynchronous transport.
	ModeRPC = "rpc"
)

// Queue types.
const (
	QueueClassic = "classic"
	QueueQuorum  = "quorum"
)

// DirectReplyTo is RabbitMQ's pseudo-queue for request-reply without a
// reply queue of one's own.
const DirectReplyTo = "amq.rabbitmq.reply-to"

// Defaults.
const (
	DefaultDrainTimeout = 10 * time.Second
	DefaultDialTimeout  = 5 * time.Second
	DefaultPrefetch     = 500
	// DefaultEchoQueue is the queue 'commsbench serve queue' consumes.
	DefaultEchoQueue = "commsbench.echo"
)

// Config is a queue run's transport settings.
type Config struct {
	// URL is the broker's AMQP URL, password included; it is never printed
	// as is.
	URL string
	// Queue names the queue; empty means "commsbench.<RunID>".
	Queue     string
	QueueType string
	// Persistent publishes with delivery mode 2 (and declares a classic
	// queue durable, so that persistence means something).
	Persistent bool
	// Producers publish, each on its own channel. Consumers consume, each on
	// its own channel; 0 means the queue is consumed by something else (such
	// as 'commsbench serve queue'), which only request-reply mode can measure.
	Producers, Consumers int
	// Connections carry the channels, dealt in turn: producers first, then
	// consumers. 0 means one connection per producer and per consumer.
	Connections int
	// Prefetch is each consumer's basic.qos prefetch count; 0 is unlimited.
	Prefetch int
	// AutoAck lets the broker consider a message delivered when it sends it.
	AutoAck bool
	// Confirm puts producers in confirm mode: the broker acknowledges each
	// message, and a publish completes with that acknowledgement.
	Confirm bool
	// InFlight bounds each producer's messages awaiting their confirm (or
	// reply); 0 leaves only the engine's concurrency as a bound.
	InFlight int
	// Mode is ModeOneway or ModeRPC.
	Mode string
	// Work is the simulated time a consumer spends on each message.
	Work time.Duration
	// DrainTimeout bounds the wait, after the load, for what was sent to
	// arrive; 0 does not wait (DefaultDrainTimeout is the CLI's default).
	DrainTimeout time.Duration
	// KeepQueue leaves the run's queue on the broker after the run.
	KeepQueue bool
	// PayloadBytes is each message's body size, header included (at least HeaderSize).
	PayloadBytes int
	// Payload, when set, follows the header in every body instead of
	// random bytes (a template that looks like the real messages);
	// PayloadBytes is then HeaderSize plus its length.
	Payload []byte
	// RunID names the run's queue.
	RunID string
	// OpenLoop says the engine runs open loop: messages are then dealt to
	// producers in turn, so that every producer carries its share of the
	// rate; in closed loop each worker stays with one producer.
	OpenLoop bool
	// DialTimeout bounds connecting, the handshake and each set-up call.
	DialTimeout time.Duration
	// RequeueEvery makes consumers reject, with requeue, the first delivery
	// of every n-th message of each producer: the broker delivers it again,
	// flagged as a redelivery. For exercising the redelivery accounting.
	RequeueEvery int
	// OnBrokerLost, if set, is called once when a connection to the broker
	// breaks during the run, for example to stop the load early.
	OnBrokerLost func(error)
	// Reconnect makes the run recover from a broker that went away
	// (recovery.go) instead of ending: runs with broker faults.
	Reconnect bool
	// NetProxy puts a network proxy between the run and the broker, for
	// broker-down and network faults.
	NetProxy bool
	// Rabbitmqctl is the path of rabbitmqctl, for a broker-restart fault
	// of a local broker.
	Rabbitmqctl string
	// Encoding is messages.Raw (random bytes, the default) or a typed
	// encoding: each message then carries an order of Items lines, which
	// the consumers decode and validate (one-way mode; see typed.go).
	Encoding messages.Encoding
	Items    int
	// External, if set, sends the requests of an rpc run to a consumer of
	// the user's (see ExternalInput).
	External *ExternalInput
}

// withDefaults fills the zero values that have a default.
func (c Config) withDefaults() Config {
	if c.Payload != nil {
		c.PayloadBytes = HeaderSize + len(c.Payload)
	}
	if c.QueueType == "" {
		c.QueueType = QueueClassic
	}
	if c.Mode == "" {
		c.Mode = ModeOneway
	}
	if c.Producers == 0 {
		c.Producers = 1
	}
	if c.Connections == 0 {
		c.Connections = c.Producers + c.Consumers
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.URL == "" {
		c.URL = DefaultURL
	}
	return c
}

// QueueName is the queue a run uses.
func (c Config) QueueName() string {
	if c.Queue != "" {
		return c.Queue
	}
	return "commsbench." + c.RunID
}

// Validate reports settings that cannot make a run.
func (c Config) Validate() error {
	switch {
	case c.Mode != ModeOneway && c.Mode != ModeRPC:
		return fmt.Errorf("mode %q: choose %s or %s", c.Mode, ModeOneway, ModeRPC)
	case c.QueueType != QueueClassic && c.QueueType != QueueQuorum:
		return fmt.Errorf("queue type %q: choose %s or %s", c.QueueType, QueueClassic, QueueQuorum)
	case c.Producers < 1:
		return fmt.Errorf("producers %d: at least one", c.Producers)
	case c.Consumers < 0:
		return fmt.Errorf("consumers %d: must not be negative", c.Consumers)
	case c.Consumers == 0 && c.Mode != ModeRPC:
		return errors.New("consumers 0 (the queue consumed elsewhere) works only in request-reply mode, where the replies tell what arrived")
	case c.Consumers == 0 && c.Queue == "" && c.External == nil:
		return errors.New("consumers 0: name the queue that the other consumers read (such as the one 'commsbench serve queue' prints)")
	case c.Connections < 1:
		return fmt.Errorf("connections %d: at least one", c.Connections)
	case c.Prefetch < 0 || c.Prefetch > 65535:
		return fmt.Errorf("prefetch %d: between 0 (unlimited) and 65535", c.Prefetch)
	case c.InFlight < 0:
		return fmt.Errorf("in-flight bound %d: must not be negative", c.InFlight)
	case c.Work < 0:
		return fmt.Errorf("work %v: must not be negative", c.Work)
	case c.DrainTimeout < 0:
		return fmt.Errorf("drain timeout %v: must not be negative", c.DrainTimeout)
	case c.RequeueEvery < 0:
		return fmt.Errorf("requeue-every %d: must not be negative", c.RequeueEvery)
	case c.RequeueEvery > 0 && c.AutoAck:
		return errors.New("consumers cannot requeue with automatic acknowledgements")
	case c.Queue == "" && c.RunID == "":
		return errors.New("name the queue or give a run id to name it after")
	case len(c.QueueName()) > 255:
		return fmt.Errorf("queue name %q: at most 255 bytes", c.QueueName())
	}
	return CheckURL(c.URL)
}
