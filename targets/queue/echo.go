package queue

import (
	"context"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/targets/messages"
)

// EchoConfig is a standalone echo target: consumers on a named queue that
// acknowledge each message after Work and send its body back to its
// reply-to address, if it has one.
type EchoConfig struct {
	URL         string
	Queue       string
	QueueType   string
	Persistent  bool
	Consumers   int
	Connections int
	Prefetch    int
	AutoAck     bool
	Work        time.Duration
	DialTimeout time.Duration
	// Encoding, when typed, makes the consumers decode and validate each
	// order and reply with its confirmation instead of the echo
	// (typed.go); an invalid order is rejected and refused.
	Encoding messages.Encoding
}

// Echo is a running echo target.
type Echo struct {
	cfg       EchoConfig
	red       redactor
	broker    Broker
	conns     []*amqp.Connection
	consumers []*consumer
	lost      chan error
	lostOnce  sync.Once
}

// EchoStats is what an echo target did.
type EchoStats struct {
	Consumed, Replied, Invalid int64
}

// StartEcho connects, declares the queue (it stays after the target stops,
// for runs still publishing to it) and starts consuming.
func StartEcho(cfg EchoConfig) (*Echo, error) {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.Queue == "" {
		cfg.Queue = DefaultEchoQueue
	}
	if cfg.QueueType == "" {
		cfg.QueueType = QueueClassic
	}
	if cfg.Consumers < 1 {
		cfg.Consumers = 1
	}
	if cfg.Connections < 1 {
		cfg.Connections = cfg.Consumers
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if err := CheckURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	e := &Echo{cfg: cfg, red: newRedactor(cfg.URL), lost: make(chan error, 1)}
	if err := e.start(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Echo) start() error {
	cfg := e.cfg
	for i := range cfg.Connections {
		c, err := dial(cfg.URL, cfg.DialTimeout, fmt.Sprintf("commsbench echo %s #%d", cfg.Queue, i))
		if err != nil {
			if i == 0 {
				return unreachable(cfg.URL, err)
			}
			return fmt.Errorf("queue: connection %d of %d: %w", i+1, cfg.Connections, err)
		}
		e.conns = append(e.conns, c)
		closes := c.NotifyClose(make(chan *amqp.Error, 1))
		go func() {
			if err, ok := <-closes; ok && err != nil {
				e.lostOnce.Do(func() {
					e.lost <- fmt.Errorf("queue: lost the connection to the broker at %s: %w", e.broker.Address, e.red.err(err))
				})
			}
		}()
	}
	e.broker = brokerInfo(e.conns[0], cfg.URL)
	if cfg.QueueType == QueueQuorum && !versionAtLeast(e.broker.Version, 3, 8) {
		return fmt.Errorf("queue: quorum queues need RabbitMQ 3.8 or later; the broker at %s is %s", e.broker.Address, e.broker.Version)
	}
	conn := e.conns[0]
	err := boundedCall(conn, cfg.DialTimeout, func() error {
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		defer ch.Close()
		_, err = ch.QueueDeclare(cfg.Queue, cfg.Persistent || cfg.QueueType == QueueQuorum, false, false, false, queueArgs(cfg.QueueType))
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: declare %q: %w; a queue of that name with other settings may exist: choose another --queue or delete it", cfg.Queue, e.red.err(err))
	}
	spec := &consumerSpec{queue: cfg.Queue, prefetch: cfg.Prefetch, autoAck: cfg.AutoAck, work: cfg.Work, enc: cfg.Encoding}
	for j := range cfg.Consumers {
		c, err := startConsumer(e.conns[j%len(e.conns)], spec, fmt.Sprintf("commsbench-echo-%d", j), cfg.DialTimeout)
		if err != nil {
			return fmt.Errorf("queue: consumer %d: %w", j, e.red.err(err))
		}
		e.consumers = append(e.consumers, c)
	}
	return nil
}

// Broker describes the broker the target consumes from.
func (e *Echo) Broker() Broker { return e.broker }

// Queue is the queue the target consumes.
func (e *Echo) Queue() string { return e.cfg.Queue }

// Wait returns when ctx is done (nil) or the broker connection broke.
func (e *Echo) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-e.lost:
		return err
	}
}

// Stats counts what the consumers did so far.
func (e *Echo) Stats() EchoStats {
	var s EchoStats
	for _, c := range e.consumers {
		s.Consumed += c.consumed.Load()
		s.Replied += c.replied.Load()
		s.Invalid += c.invalid.Load()
	}
	return s
}

// Close stops the consumers and closes the connections, within a few seconds.
func (e *Echo) Close() {
	var wg sync.WaitGroup
	for j, c := range e.consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stop(e.conns[j%len(e.conns)], 2*time.Second)
		}()
	}
	wg.Wait()
	for _, c := range e.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !c.IsClosed() {
				_ = c.CloseDeadline(time.Now().Add(2 * time.Second))
			}
		}()
	}
	wg.Wait()
}
