// Package messages holds the typed messages of the interactions commsbench
// measures (messages.proto: an order and its payment confirmation,
// credentials and their validation, an order-placed event, an inventory
// update), how each encoding puts them on the wire, and the small piece of
// work a receiver does with an order. Every transport may use it; it
// knows no transport.
package messages

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Encoding is how a run's messages travel.
type Encoding string

// The encodings.
const (
	// Raw is the echo: opaque bytes, sent back unchanged, never parsed.
	Raw Encoding = "raw"
	// JSON is encoding/json on the generated structs: field names as in
	// messages.proto (order_id), numbers as numbers. It is what a Go
	// service with its own JSON types would write, and it costs a half to
	// a third of protojson's time (BenchmarkEncode, BenchmarkDecode), so
	// JSON's cost is not overstated; the proto3 JSON mapping (protojson)
	// is benchmarked beside it.
	JSON Encoding = "json"
	// Protobuf is the protocol buffers binary format.
	Protobuf Encoding = "protobuf"
)

// Encodings lists the encodings in the order help gives them.
func Encodings() []Encoding { return []Encoding{Raw, JSON, Protobuf} }

// ParseEncoding reads an encoding's name.
func ParseEncoding(s string) (Encoding, error) {
	for _, e := range Encodings() {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("encoding %q: choose raw, json or protobuf", s)
}

// Typed says whether messages of this encoding are parsed (json,
// protobuf), as opposed to echoed.
func (e Encoding) Typed() bool { return e == JSON || e == Protobuf }

// ContentType is the HTTP media type of a body in this encoding.
func (e Encoding) ContentType() string {
	switch e {
	case JSON:
		return "application/json"
	case Protobuf:
		return "application/x-protobuf"
	}
	return "application/octet-stream"
}

// EncodingOfContentType is the encoding of an HTTP media type, ignoring
// its parameters (application/json; charset=utf-8).
func EncodingOfContentType(ct string) (Encoding, bool) {
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' || ct[i] == ' ' {
			ct = ct[:i]
			break
		}
	}
	switch ct {
	case "application/json":
		return JSON, true
	case "application/x-protobuf", "application/protobuf":
		return Protobuf, true
	}
	return "", false
}

// AppendMarshal appends m's encoding to b. Reusing b across operations
// keeps the buffer out of the figures, as a service reusing its buffers
// would.
func (e Encoding) AppendMarshal(b []byte, m proto.Message) ([]byte, error) {
	switch e {
	case JSON:
		out, err := json.Marshal(m)
		if len(b) == 0 {
			return out, err
		}
		return append(b, out...), err
	case Protobuf:
		return proto.MarshalOptions{}.MarshalAppend(b, m)
	}
	return nil, fmt.Errorf("messages: encoding %q does not carry typed messages", e)
}

// Marshal encodes m.
func (e Encoding) Marshal(m proto.Message) ([]byte, error) { return e.AppendMarshal(nil, m) }

// Unmarshal decodes b into m, which it resets first. Unknown fields are
// skipped, in both encodings.
func (e Encoding) Unmarshal(b []byte, m proto.Message) error {
	switch e {
	case JSON:
		proto.Reset(m)
		return json.Unmarshal(b, m)
	case Protobuf:
		return proto.Unmarshal(b, m)
	}
	return fmt.Errorf("messages: encoding %q does not carry typed messages", e)
}
