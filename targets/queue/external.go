package queue

import (
	"crypto/rand"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/targets/correlate"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// ExternalInput addresses a request-reply run to a consumer of your own
// (--mode rpc --consumers 0 with --exchange or --routing-key): the body is
// the payload as it is, without the accounting header, and each reply is
// matched with its request by its correlation id, which is the request's
// correlate.ID token. The reply's body is the consumer's own: it is not
// checked against the request.
type ExternalInput struct {
	Exchange, RoutingKey string
	Headers              []correlate.Header
}

// publishTo is where requests go: the run's queue, or the external input.
func (w *Workload) publishTo() (exchange, key string) {
	if e := w.cfg.External; e != nil {
		return e.Exchange, e.RoutingKey
	}
	return "", w.queue
}

// externalBody is a request's body for an external consumer.
func (w *Workload) externalBody() []byte {
	if w.cfg.Payload != nil {
		return w.cfg.Payload
	}
	b := make([]byte, w.cfg.PayloadBytes)
	_, _ = rand.Read(b)
	return b
}

// externalHeaders is a request's headers for an external consumer.
func (w *Workload) externalHeaders(id correlate.ID) amqp.Table {
	t := amqp.Table{}
	for _, h := range w.cfg.External.Headers {
		t[h.Name] = h.Value
	}
	correlate.InjectTrace(id, correlate.AMQPHeaders(t))
	return t
}

// externalReply reads which request a reply answers from its correlation id.
func (w *Workload) externalReply(r rpcReply) (Header, error) {
	id, err := correlate.ParseToken(r.corr)
	if err != nil {
		return Header{}, err
	}
	return Header{Run: id.Run, Producer: id.Producer, Seq: id.Seq, Warmup: id.Warmup, Reply: true}, nil
}

// checkExternal makes sure requests have somewhere to go: the exchange, or
// on the default exchange the queue the routing key names.
func (w *Workload) checkExternal(ch *amqp.Channel) error {
	e := w.cfg.External
	if e.Exchange != "" {
		if err := ch.ExchangeDeclarePassive(e.Exchange, "direct", false, false, false, false, nil); err != nil {
			return fmt.Errorf("queue: the exchange %q is not on the broker (%v): start the consumer that declares it, or check --exchange", e.Exchange, w.red.err(err))
		}
		return nil
	}
	if _, err := ch.QueueDeclarePassive(e.RoutingKey, false, false, false, false, nil); err != nil {
		return fmt.Errorf("queue: the queue %q (--routing-key) is not on the broker (%v): start its consumer first", e.RoutingKey, w.red.err(err))
	}
	return nil
}

// external reads --exchange, --routing-key and --header for a
// request-reply run to a consumer of the user's: nil when none is given.
func (c *runConfig) external() (*ExternalInput, error) {
	p := c.pipe
	if !transport.Changed(c.opts, "exchange") && !transport.Changed(c.opts, "routing-key") && !transport.Changed(c.opts, "header") {
		return nil, nil
	}
	switch {
	case transport.Changed(c.opts, "correlate"):
		return nil, transport.Usagef("--correlate applies to a pipeline (--result-queue); request-reply matches replies by their correlation id")
	case c.Mode != ModeRPC || c.broker.Consumers != 0:
		return nil, transport.Usagef("--exchange, --routing-key and --header address a consumer of your own: give --mode rpc --consumers 0, or --result-queue for a pipeline through your service")
	case p.Exchange == "" && p.RoutingKey == "":
		return nil, transport.Usagef("--header: name your consumer's input with --routing-key QUEUE (or --exchange NAME)")
	case len(p.RoutingKey) > 255 || len(p.Exchange) > 255:
		return nil, transport.Usagef("--routing-key, --exchange: at most 255 bytes each")
	case transport.Changed(c.opts, "encoding") && c.Messages.Encoding != string(messages.Raw):
		return nil, transport.Usagef("--encoding %s: your consumer gets your own messages; give them with --payload-file", c.Messages.Encoding)
	case transport.Changed(c.opts, "queue"):
		return nil, transport.Usagef("--queue and --routing-key both name the input: give one")
	}
	return &ExternalInput{Exchange: p.Exchange, RoutingKey: p.RoutingKey, Headers: p.Headers.List}, nil
}

// recordExternal adds an external input to a result's options.
func recordExternal(o map[string]any, e *ExternalInput) {
	if e == nil {
		return
	}
	names := make([]string, len(e.Headers))
	for i, h := range e.Headers {
		names[i] = h.Name
	}
	o["exchange"], o["routing_key"], o["header_names"] = e.Exchange, e.RoutingKey, names
}
