// Package nats is the NATS transport: request-reply, core publish/subscribe
// and JetStream over one NATS server.
//
// The three modes are the three shapes a team weighs when its services talk
// over NATS: a synchronous call through the server (request), fire-and-forget
// fan-out that may drop what a slow subscriber cannot take (publish), and a
// persisted stream whose consumers acknowledge each message (jetstream).
// Publishers are the load engine's clients; responders, subscribers and
// stream consumers stand on the far side, like the queue transport's
// consumers.
//
// Every message starts with a header (see Header) holding its producer, its
// sequence number and its intended send time, so that the run accounts for
// every message exactly and measures end-to-end latency from the intended
// send, coordinated omission corrected.
//
// Without a URL the server is embedded: nats-server runs in this process on
// 127.0.0.1 with JetStream on a temporary store, so nothing needs installing.
package nats

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/commsbench/commsbench/targets/messages"
)

// Modes of a run.
const (
	// ModeRequest sends each message as a request to a queue group of
	// responders and waits for the reply.
	ModeRequest = "request"
	// ModePublish publishes on core NATS (at most once) to independent
	// subscriptions or one queue group.
	ModePublish = "publish"
	// ModeJetStream publishes to a stream, waits for the server's PubAck and
	// consumes through a durable consumer with explicit acknowledgements.
	ModeJetStream = "jetstream"
)

// JetStream storage and consumer kinds.
const (
	StorageFile   = "file"
	StorageMemory = "memory"
	ConsumerPull  = "pull"
	ConsumerPush  = "push"
)

// Defaults.
const (
	DefaultDrainTimeout   = 10 * time.Second
	DefaultDialTimeout    = 3 * time.Second
	DefaultRequestTimeout = 5 * time.Second
	DefaultAckWait        = 5 * time.Second
	// DefaultEchoSubject is the subject 'commsbench serve nats' answers on.
	DefaultEchoSubject = "commsbench.echo"
	// responderGroup is the queue group of responders and of a shared
	// subscription.
	responderGroup = "commsbench"
	// maxMembers bounds responders, subscribers, consumers and publishing
	// connections: each has its own connection.
	maxMembers = 1000
)

// Config is a NATS run's transport settings.
type Config struct {
	// URL is the server's URL (a comma-separated list is allowed), with
	// credentials if any; never printed as is. Empty starts the embedded
	// server.
	URL  string
	Mode string
	// Subject is what requests and publishes go to; empty names it after
	// the run (DefaultEchoSubject for request mode with Consumers 0).
	Subject string
	// Publishers are the publishing (or requesting) connections; messages
	// are dealt over them.
	Publishers int
	// Consumers are the responders (request) or the members of the durable
	// consumer (jetstream); 0 in request mode means the responders run
	// elsewhere, such as 'commsbench serve nats'.
	Consumers int
	// Subscribers are the subscriptions of publish mode, each on its own
	// connection; with QueueGroup they share the messages, otherwise each
	// receives every message. 0 measures publishing alone: the server
	// discards every message.
	Subscribers int
	QueueGroup  bool
	// Storage, Replicas and Consumer (pull or push) shape the stream and
	// its durable consumer.
	Storage  string
	Replicas int
	Consumer string
	// AckWait is how long the server waits for a consumer's ack before it
	// delivers the message again.
	AckWait time.Duration
	// DrainTimeout bounds the wait, after the load, for what was sent to
	// arrive.
	DrainTimeout time.Duration
	// DialTimeout bounds connecting and each set-up call.
	DialTimeout time.Duration
	// RequestTimeout bounds a request when the engine sets no timeout.
	RequestTimeout time.Duration
	// PayloadBytes is each message's size, header included (at least
	// HeaderSize); Payload, when set, follows the header instead of random
	// bytes, and PayloadBytes is then HeaderSize plus its length.
	PayloadBytes int
	Payload      []byte
	// RunID names the run's subject, stream and consumer.
	RunID string
	// OpenLoop deals messages to publishers in turn; in closed loop each
	// worker stays with one publisher.
	OpenLoop bool
	// KeepStream leaves the run's stream on an external server.
	KeepStream bool
	// BrokerFaults: the run's faults reach the server (broker-down,
	// network): the run dials it through a network proxy and its clients
	// reconnect (faults.go).
	BrokerFaults bool
	// OnBrokerLost, if set, is called once when a publishing connection
	// breaks during the run.
	OnBrokerLost func(error)
	// Encoding is messages.Raw (random bytes, the default) or a typed
	// encoding: each message then carries, after its header, an order of
	// Items lines, which the receivers decode and validate (typed.go).
	Encoding messages.Encoding
	Items    int
}

// withDefaults fills the zero values that have a default.
func (c Config) withDefaults() Config {
	if c.Payload != nil {
		c.PayloadBytes = HeaderSize + len(c.Payload)
	}
	if c.Mode == "" {
		c.Mode = ModeRequest
	}
	if c.Publishers == 0 {
		c.Publishers = 1
	}
	if c.Storage == "" {
		c.Storage = StorageFile
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Consumer == "" {
		c.Consumer = ConsumerPull
	}
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Subject == "" {
		if c.Mode == ModeRequest && c.Consumers == 0 {
			c.Subject = DefaultEchoSubject
		} else {
			c.Subject = "commsbench." + c.RunID + "." + c.Mode
		}
	}
	if c.Encoding.Typed() && c.Items == 0 {
		c.Items = messages.DefaultItems
	}
	return c
}

// stream and durable name the run's JetStream objects.
func (c Config) stream() string  { return "COMMSBENCH_" + c.RunID }
func (c Config) durable() string { return "commsbench-" + c.RunID }

// Validate reports settings that cannot make a run.
func (c Config) Validate() error {
	switch {
	case c.Mode != ModeRequest && c.Mode != ModePublish && c.Mode != ModeJetStream:
		return fmt.Errorf("mode %q: choose %s, %s or %s", c.Mode, ModeRequest, ModePublish, ModeJetStream)
	case c.Publishers < 1 || c.Publishers > maxMembers:
		return fmt.Errorf("publishers %d: between 1 and %d", c.Publishers, maxMembers)
	case c.Consumers < 0 || c.Consumers > maxMembers:
		return fmt.Errorf("consumers %d: between 0 and %d", c.Consumers, maxMembers)
	case c.Subscribers < 0 || c.Subscribers > maxMembers:
		return fmt.Errorf("subscribers %d: between 0 and %d", c.Subscribers, maxMembers)
	case c.Mode == ModeJetStream && c.Consumers < 1:
		return errors.New("jetstream mode needs at least one consumer")
	case c.Storage != StorageFile && c.Storage != StorageMemory:
		return fmt.Errorf("storage %q: choose %s or %s", c.Storage, StorageFile, StorageMemory)
	case c.Consumer != ConsumerPull && c.Consumer != ConsumerPush:
		return fmt.Errorf("consumer %q: choose %s or %s", c.Consumer, ConsumerPull, ConsumerPush)
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("replicas %d: between 1 and 5", c.Replicas)
	case c.DrainTimeout < 0:
		return fmt.Errorf("drain timeout %v: must not be negative", c.DrainTimeout)
	case c.RunID == "":
		return errors.New("give a run id to name the subject, stream and consumer after")
	}
	if err := checkSubject(c.Subject); err != nil {
		return err
	}
	if c.URL != "" {
		return CheckURL(c.URL)
	}
	return nil
}

// checkSubject refuses a subject NATS would refuse, or one with wildcards
// that a publish cannot use.
func checkSubject(s string) error {
	if s == "" || len(s) > 255 {
		return fmt.Errorf("subject %q: between 1 and 255 bytes", s)
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" {
			return fmt.Errorf("subject %q: tokens are separated by single dots, none empty", s)
		}
		if tok == "*" || tok == ">" {
			return fmt.Errorf("subject %q: a publish subject has no wildcards", s)
		}
	}
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return fmt.Errorf("subject %q: no white space", s)
		}
	}
	return nil
}
