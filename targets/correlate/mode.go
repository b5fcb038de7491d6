package correlate

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/propagation"
)

// Kind is where a message carries its ID.
type Kind int

// Kinds of correlation.
const (
	// Trace: the traceparent header (the default).
	Trace Kind = iota
	// Plain: a plain header named by the user, with the ID's Token.
	Plain
	// Key: the Kafka record key, with the ID's Token.
	Key
)

// Mode is how a run correlates: a Kind and, for Header, the header's name.
type Mode struct {
	Kind   Kind
	Header string
}

// Usage describes the values ParseMode takes, for help texts.
const Usage = "how outputs are matched with inputs: traceparent (a W3C trace context header that OpenTelemetry-instrumented services propagate), header:NAME (a header the service copies to its output) or key (the record key, event only)"

// ParseMode reads --correlate: "traceparent", "header:NAME" or "key".
// An empty value is the default, traceparent.
func ParseMode(s string) (Mode, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || s == TraceParent:
		return Mode{Kind: Trace}, nil
	case s == "key":
		return Mode{Kind: Key}, nil
	}
	if name, ok := strings.CutPrefix(s, "header:"); ok {
		name = strings.TrimSpace(name)
		if err := checkHeaderName(name); err != nil {
			return Mode{}, fmt.Errorf("%q: %w", s, err)
		}
		if strings.EqualFold(name, TraceParent) {
			return Mode{Kind: Trace}, nil
		}
		return Mode{Kind: Plain, Header: name}, nil
	}
	return Mode{}, fmt.Errorf("%q: choose traceparent, header:NAME or key", s)
}

// checkHeaderName accepts printable ASCII without blanks or colons, at
// most 255 bytes (an AMQP short string).
func checkHeaderName(name string) error {
	if name == "" {
		return errors.New("the header name is empty")
	}
	if len(name) > 255 {
		return fmt.Errorf("a header name has at most 255 bytes")
	}
	for i := range len(name) {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return fmt.Errorf("header name %q: printable ASCII without blanks or colons", name)
		}
	}
	return nil
}

// String is the mode as ParseMode reads it.
func (m Mode) String() string {
	switch m.Kind {
	case Plain:
		return "header:" + m.Header
	case Key:
		return "key"
	}
	return TraceParent
}

// Inject writes id into c as the mode says. For Key it writes nothing:
// the caller sets the key to id.Token().
func (m Mode) Inject(id ID, c propagation.TextMapCarrier) {
	switch m.Kind {
	case Trace:
		InjectTrace(id, c)
	case Plain:
		c.Set(m.Header, id.Token())
	}
}

// Extract reads the ID of an output: from its headers c, or its key.
func (m Mode) Extract(c propagation.TextMapCarrier, key []byte) (ID, error) {
	switch m.Kind {
	case Plain:
		id, err := ParseToken(c.Get(m.Header))
		if err != nil {
			return ID{}, fmt.Errorf("header %s: %w", m.Header, err)
		}
		return id, nil
	case Key:
		id, err := ParseToken(string(key))
		if err != nil {
			return ID{}, fmt.Errorf("record key: %w", err)
		}
		return id, nil
	}
	return ExtractTrace(c)
}
