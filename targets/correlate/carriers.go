package correlate

import (
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
	kafka "github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
)

// AMQPHeaders is a carrier over an AMQP message's headers table. Names
// are matched without regard to case, as HTTP-style propagators expect;
// values that are not text (or bytes) read as missing.
type AMQPHeaders amqp.Table

var _ propagation.TextMapCarrier = AMQPHeaders(nil)

// Get returns the value of key.
func (h AMQPHeaders) Get(key string) string {
	v, ok := h[key]
	if !ok {
		for k, x := range h {
			if strings.EqualFold(k, key) {
				v, ok = x, true
				break
			}
		}
	}
	if !ok {
		return ""
	}
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return ""
}

// Set sets key to value. The table must not be nil.
func (h AMQPHeaders) Set(key, value string) { h[key] = value }

// Keys lists the header names.
func (h AMQPHeaders) Keys() []string {
	ks := make([]string, 0, len(h))
	for k := range h {
		ks = append(ks, k)
	}
	return ks
}

// KafkaHeaders is a carrier over a Kafka record's headers. Get returns
// the first header of that name (without regard to case); Set replaces it.
type KafkaHeaders struct{ H *[]kafka.Header }

var _ propagation.TextMapCarrier = KafkaHeaders{}

// Get returns the value of key.
func (c KafkaHeaders) Get(key string) string {
	if c.H == nil {
		return ""
	}
	for _, h := range *c.H {
		if strings.EqualFold(h.Key, key) {
			return string(h.Value)
		}
	}
	return ""
}

// Set sets key to value.
func (c KafkaHeaders) Set(key, value string) {
	for i, h := range *c.H {
		if strings.EqualFold(h.Key, key) {
			(*c.H)[i].Value = []byte(value)
			return
		}
	}
	*c.H = append(*c.H, kafka.Header{Key: key, Value: []byte(value)})
}

// Keys lists the header names.
func (c KafkaHeaders) Keys() []string {
	if c.H == nil {
		return nil
	}
	ks := make([]string, 0, len(*c.H))
	for _, h := range *c.H {
		ks = append(ks, h.Key)
	}
	return ks
}
