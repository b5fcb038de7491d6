package messages

import "fmt"

// DefaultItems is the lines of an order when a run does not say.
const DefaultItems = 3

// Usage of the options every transport that carries typed messages gives.
const (
	EncodingUsage = "raw: echo random bytes (--payload-size); json or protobuf: send a typed order (--items lines) that the target decodes, validates and confirms"
	ItemsUsage    = "line items of each order with --encoding json or protobuf; more items make a larger message"
)

// Settings are a run's message settings: a transport binds Encoding and
// Items to its --encoding and --items options and calls Resolve.
type Settings struct {
	Encoding string
	Items    int

	// Enc is the parsed encoding; RequestBytes and ReplyBytes the encoded
	// sizes of an order and its confirmation (at a five-digit order id:
	// the id's length varies by a few bytes over a run). Resolve sets them.
	Enc                      Encoding
	RequestBytes, ReplyBytes int
}

// NewSettings are the defaults: the raw echo, orders of DefaultItems.
func NewSettings() Settings { return Settings{Encoding: string(Raw), Items: DefaultItems} }

// Resolve checks the settings and measures the messages' sizes. templated
// says the run sends a payload file or template, which only the raw echo
// can. Errors name the option to fix.
func (s *Settings) Resolve(templated bool) error {
	enc, err := ParseEncoding(s.Encoding)
	if err != nil {
		return fmt.Errorf("--encoding: %w", err)
	}
	s.Enc = enc
	if !enc.Typed() {
		return nil
	}
	switch {
	case s.Items < 1 || s.Items > MaxItems:
		return fmt.Errorf("--items %d: give between 1 and %d lines per order", s.Items, MaxItems)
	case templated:
		return fmt.Errorf("--encoding %s sends typed orders; a payload file or template is sent as it is only with --encoding raw", enc)
	}
	order := NewOrder(10000, s.Items)
	conf, err := ConfirmPayment(order)
	if err != nil {
		return err
	}
	req, err := enc.Marshal(order)
	if err != nil {
		return err
	}
	reply, err := enc.Marshal(conf)
	if err != nil {
		return err
	}
	s.RequestBytes, s.ReplyBytes = len(req), len(reply)
	return nil
}

// Record adds the settings to a result's options; reply says whether
// the interaction has a reply (not a one-way message). A raw run adds
// nothing: results without an encoding are echoes, as before encodings
// existed.
func (s *Settings) Record(options map[string]any, reply bool) {
	if !s.Enc.Typed() {
		return
	}
	options["encoding"] = string(s.Enc)
	options["items"] = s.Items
	options["request_bytes"] = s.RequestBytes
	if reply {
		options["reply_bytes"] = s.ReplyBytes
	}
	options["payload"] = "order"
}

// EncodingOf reads the encoding a result's options record; results
// without one are raw echoes.
func EncodingOf(options map[string]any) Encoding {
	if e, ok := options["encoding"].(string); ok && e != "" {
		return Encoding(e)
	}
	return Raw
}

// NameSuffix is what a report adds to a mechanism's name for a result's
// encoding: " · json", " · protobuf", or nothing for an echo.
func NameSuffix(options map[string]any) string {
	if enc := EncodingOf(options); enc.Typed() {
		return " · " + string(enc)
	}
	return ""
}
