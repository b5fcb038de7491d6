package event

import (
	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/correlate"
	"github.com/commsbench/commsbench/targets/transport"
)

// pipelineOptions are the settings of a run through a user's service.
type pipelineOptions struct {
	ResultTopic string
	Correlate   string
	Headers     correlate.Headers

	cfg PipelineConfig
}

func (p *pipelineOptions) options() []transport.Option {
	return []transport.Option{
		{Name: "result-topic", Usage: "pipeline: the output topic of the service under test; the run produces to its input (--topic), reads this topic in a consumer group of its own and matches each output with its input (--correlate)", Value: transport.String(&p.ResultTopic)},
		{Name: "correlate", Usage: "pipeline: " + correlate.Usage, Value: transport.String(&p.Correlate)},
		{Name: "header", Usage: "pipeline: a record header NAME:VALUE on every event (repeatable); only its name is recorded", Value: &p.Headers},
	}
}

func (c *runConfig) pipeline() bool { return c.pipe.ResultTopic != "" }

// resolvePipeline checks the settings of a pipeline run.
func (c *runConfig) resolvePipeline(env transport.Env, run *transport.Run) error {
	switch {
	case run.Target != "":
		return transport.Usagef("--target does not apply to the event transport: name Kafka brokers with --brokers host:port")
	case run.Connections != 0:
		return transport.Usagef("--connections does not apply to the event transport")
	case len(run.Faults) > 0:
		return transport.Usagef("--fault applies to the run's own consumer groups; in a pipeline the consumers are the service's")
	}
	for _, n := range []string{"subscribers", "consumers", "partitions", "replication-factor", "producers", "key", "keep-topic", "encoding", "items", "compression", "batch-timeout"} {
		if transport.Changed(c.opts, n) {
			return transport.Usagef("--%s does not apply to a pipeline: the service's topics are as the service made them, and the run reads --result-topic in one group of its own", n)
		}
	}
	brokers := ParseBrokers(c.brokers(env))
	p := &c.pipe
	switch {
	case len(brokers) == 0:
		return transport.Usagef("--result-topic: name the brokers the service uses with --brokers (start a local one with 'commsbench serve event')")
	case c.Topic == "":
		return transport.Usagef("--result-topic: name the service's input topic with --topic")
	case c.Topic == p.ResultTopic:
		return transport.Usagef("--topic and --result-topic are both %q: the service's output must be another topic", c.Topic)
	case !validTopic(c.Topic) || !validTopic(p.ResultTopic):
		return transport.Usagef("--topic %q, --result-topic %q: a Kafka topic name has 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-'", c.Topic, p.ResultTopic)
	case c.DrainTimeout < 0:
		return transport.Usagef("--drain-timeout must not be negative (got %v)", c.DrainTimeout)
	case c.BatchSize < 1:
		return transport.Usagef("--batch-size must be at least 1 event (got %d)", c.BatchSize)
	}
	m, err := correlate.ParseMode(p.Correlate)
	if err != nil {
		return transport.Usagef("--correlate %v", err)
	}
	acks := Acks(c.Acks)
	if _, err := acks.required(); err != nil {
		return transport.Usagef("--acks: %v", err)
	}
	for _, b := range brokers {
		if err := (Config{Brokers: []string{b}, Partitions: 1, ReplicationFactor: 1, Subscribers: 1, Consumers: 1, Producers: 1, BatchSize: 1}).Validate(); err != nil {
			return transport.Usagef("%s", optionWording(err.Error()))
		}
	}
	p.cfg = PipelineConfig{
		Brokers: brokers, Topic: c.Topic, ResultTopic: p.ResultTopic, Correlate: m, Headers: p.Headers.List,
		Acks: acks, BatchSize: c.BatchSize, DrainTimeout: c.DrainTimeout, Payload: run.Payload, PayloadBytes: run.PayloadBytes,
	}
	return nil
}

// pipelineOnly refuses the pipeline's options in other runs.
func (c *runConfig) pipelineOnly() error {
	for _, n := range []string{"correlate", "header"} {
		if transport.Changed(c.opts, n) {
			return transport.Usagef("--%s applies to a pipeline through a service: give --result-topic", n)
		}
	}
	return nil
}

func (c *runConfig) recordPipeline(run transport.Run) map[string]any {
	p := c.pipe
	names := make([]string, len(p.Headers.List))
	for i, h := range p.Headers.List {
		names[i] = h.Name
	}
	size := run.PayloadBytes
	if run.Payload != nil {
		size = len(run.Payload)
	}
	return map[string]any{
		"mode":            "pipeline",
		"topic":           c.Topic,
		"result_topic":    p.ResultTopic,
		"correlate":       p.cfg.Correlate.String(),
		"header_names":    names,
		"acks":            c.Acks,
		"batch_size":      c.BatchSize,
		"drain_timeout_s": c.DrainTimeout.Seconds(),
		"message_bytes":   size,
	}
}

func (c *runConfig) pipelineWorkload(run transport.Run) (bench.Workload, error) {
	cfg := c.pipe.cfg
	cfg.RunID = run.ID
	return NewPipeline(cfg)
}
