package queue

import (
	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/correlate"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// pipelineOptions are the settings of a run through a user's service.
type pipelineOptions struct {
	ResultQueue string
	Exchange    string
	RoutingKey  string
	Headers     correlate.Headers
	Correlate   string

	mode correlate.Mode
}

func (p *pipelineOptions) options() []transport.Option {
	return []transport.Option{
		{Name: "result-queue", Usage: "pipeline: the output queue of the service under test; the run publishes to its input (--routing-key or --exchange), reads this queue and matches each output with its input (--correlate)", Value: transport.String(&p.ResultQueue)},
		{Name: "exchange", Usage: "pipeline: the exchange the service's input is published to (default: the default exchange, where --routing-key names a queue)", Value: transport.String(&p.Exchange)},
		{Name: "routing-key", Usage: "pipeline: the routing key of every message (on the default exchange: the service's input queue)", Value: transport.String(&p.RoutingKey)},
		{Name: "header", Usage: "pipeline: a header NAME:VALUE on every message (repeatable); only its name is recorded", Value: &p.Headers},
		{Name: "correlate", Usage: "pipeline: " + correlate.Usage, Value: transport.String(&p.Correlate)},
	}
}

// pipeline says whether the run goes through a user's service.
func (c *runConfig) pipeline() bool {
	return c.pipe.ResultQueue != "" || c.Mode == ModePipeline
}

// resolvePipeline checks the settings of a pipeline run.
func (c *runConfig) resolvePipeline(env transport.Env, run *transport.Run) error {
	if run.Target != "" {
		return transport.Usagef("--target does not apply to the queue transport: name the broker with --amqp-url, the service's input with --routing-key or --exchange")
	}
	if err := c.broker.resolve(env, c.opts); err != nil {
		return err
	}
	p := &c.pipe
	switch {
	case p.ResultQueue == "":
		return transport.Usagef("--mode pipeline: name the service's output queue with --result-queue")
	case transport.Changed(c.opts, "mode") && c.Mode != ModePipeline:
		return transport.Usagef("--result-queue runs a pipeline through a service: leave out --mode %s (or give --mode pipeline)", c.Mode)
	case p.Exchange == "" && p.RoutingKey == "":
		return transport.Usagef("--result-queue: name the service's input with --routing-key QUEUE (on the default exchange) or --exchange NAME (and --routing-key)")
	case len(p.ResultQueue) > 255 || len(p.RoutingKey) > 255 || len(p.Exchange) > 255:
		return transport.Usagef("--result-queue, --routing-key, --exchange: at most 255 bytes each")
	case transport.Changed(c.opts, "queue"):
		return transport.Usagef("--queue names the run's own queue; in a pipeline the service's queues are --routing-key (its input) and --result-queue (its output)")
	case transport.Changed(c.opts, "consumers") || transport.Changed(c.opts, "work") || transport.Changed(c.opts, "auto-ack") || transport.Changed(c.opts, "keep-queue"):
		return transport.Usagef("--consumers, --work, --auto-ack and --keep-queue are about the run's own consumers; in a pipeline the service consumes its input and the run reads --result-queue")
	case len(run.Faults) > 0:
		return transport.Usagef("--fault applies to the run's own consumers; in a pipeline the consumers are the service's")
	case c.Producers < 1 || c.Producers > 1000:
		return transport.Usagef("--producers %d: between 1 and 1000", c.Producers)
	case c.InFlight < 0 || (transport.Changed(c.opts, "inflight") && c.InFlight == 0):
		return transport.Usagef("--inflight %d: must be at least 1", c.InFlight)
	case c.InFlight > 0 && !c.Confirm:
		return transport.Usagef("--inflight bounds messages awaiting their confirm: it needs --confirm")
	case c.DrainTimeout < 0:
		return transport.Usagef("--drain-timeout %v: must not be negative", c.DrainTimeout)
	case run.Connections > 0:
		return transport.Usagef("--connections does not apply to a pipeline: the producers share one connection and the results another")
	}
	m, err := correlate.ParseMode(p.Correlate)
	if err != nil {
		return transport.Usagef("--correlate %v", err)
	}
	if m.Kind == correlate.Key {
		return transport.Usagef("--correlate key: AMQP messages have no record key; choose traceparent or header:NAME")
	}
	p.mode = m
	if err := c.Messages.Resolve(run.Payload != nil); err != nil {
		return transport.Usagef("%v", err)
	}
	if c.Messages.Enc.Typed() {
		return transport.Usagef("--encoding %s: a pipeline sends the service your own messages; give them with --payload-file", c.Messages.Enc)
	}
	c.Mode = ModePipeline
	if !run.OpenLoop && c.InFlight > 0 && !run.ConcurrencyGiven {
		run.Concurrency = c.Producers * c.InFlight
	}
	return nil
}

// pipelineOnly refuses the pipeline's options in other modes.
func (c *runConfig) pipelineOnly() error {
	for _, n := range []string{"exchange", "routing-key", "header", "correlate"} {
		if transport.Changed(c.opts, n) {
			return transport.Usagef("--%s applies to a pipeline through a service: give --result-queue", n)
		}
	}
	return nil
}

func (c *runConfig) pipelineConfig(run transport.Run) PipelineConfig {
	b, p := c.broker, c.pipe
	rk := p.RoutingKey
	return PipelineConfig{
		URL: b.URL, Exchange: p.Exchange, RoutingKey: rk, ResultQueue: p.ResultQueue,
		Headers: p.Headers.List, Correlate: p.mode, Producers: c.Producers,
		Confirm: c.Confirm, InFlight: c.InFlight, Persistent: b.Persistent, Prefetch: b.Prefetch,
		DrainTimeout: c.DrainTimeout, Payload: run.Payload, PayloadBytes: run.PayloadBytes,
		RunID: run.ID, OpenLoop: run.OpenLoop, OnBrokerLost: run.Abort,
	}
}

func (c *runConfig) recordPipeline(run transport.Run) map[string]any {
	p := c.pipe
	names := make([]string, len(p.Headers.List))
	for i, h := range p.Headers.List {
		names[i] = h.Name
	}
	o := map[string]any{
		"mode":            ModePipeline,
		"exchange":        p.Exchange,
		"routing_key":     p.RoutingKey,
		"result_queue":    p.ResultQueue,
		"correlate":       p.mode.String(),
		"header_names":    names,
		"persistent":      c.broker.Persistent,
		"producers":       c.Producers,
		"prefetch":        c.broker.Prefetch,
		"confirm":         c.Confirm,
		"inflight":        c.InFlight,
		"drain_timeout_s": c.DrainTimeout.Seconds(),
		"message_bytes":   run.PayloadBytes,
	}
	if run.Payload != nil {
		o["message_bytes"] = len(run.Payload)
	}
	o["encoding"] = string(messages.Raw)
	return o
}

func (c *runConfig) pipelineWorkload(run transport.Run) (bench.Workload, error) {
	return NewPipeline(c.pipelineConfig(run))
}
