package correlate

import (
	"errors"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	kafka "github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
)

func TestRoundTripEveryMode(t *testing.T) {
	ids := []ID{
		{Run: 1, Producer: 0, Seq: 0},
		{Run: 0xdeadbeef, Producer: MaxProducer, Seq: 1<<64 - 1, Warmup: true},
		{Run: 42, Producer: 7, Seq: 123456789},
	}
	modes := []string{"", "traceparent", "header:x-correlation-id", "key"}
	for _, ms := range modes {
		m, err := ParseMode(ms)
		if err != nil {
			t.Fatalf("ParseMode(%q): %v", ms, err)
		}
		for _, id := range ids {
			for name, c := range map[string]propagation.TextMapCarrier{
				"amqp":  AMQPHeaders(amqp.Table{}),
				"kafka": KafkaHeaders{H: new([]kafka.Header)},
			} {
				m.Inject(id, c)
				var key []byte
				if m.Kind == Key {
					key = []byte(id.Token())
				}
				got, err := m.Extract(c, key)
				if err != nil || got != id {
					t.Errorf("%s over %s: %+v -> %+v, %v", m, name, id, got, err)
				}
			}
		}
	}
}

func TestTraceparentLayout(t *testing.T) {
	h := amqp.Table{}
	InjectTrace(ID{Run: 0x01020304, Producer: 5, Seq: 6, Warmup: true}, AMQPHeaders(h))
	want := "00-01020304c1000005" + "0000000000000006" + "-0102030400000006-01"
	if got := h[TraceParent]; got != want {
		t.Errorf("traceparent = %q, want %q", got, want)
	}
}

// A service that continues the trace keeps the trace id and changes the
// span id: the ID still reads.
func TestChildSpanKeepsTheID(t *testing.T) {
	id := ID{Run: 9, Producer: 1, Seq: 77}
	h := amqp.Table{}
	InjectTrace(id, AMQPHeaders(h))
	tp := h[TraceParent].(string)
	child := tp[:35] + "-1111111111111111-01"
	got, err := ExtractTrace(AMQPHeaders(amqp.Table{"Traceparent": []byte(child)}))
	if err != nil || got != id {
		t.Fatalf("child %q: %+v, %v", child, got, err)
	}
}

func TestExtractErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		h    amqp.Table
		want error
	}{
		{"none", amqp.Table{}, ErrMissing},
		{"garbage", amqp.Table{TraceParent: "nope"}, ErrMalformed},
		{"zero trace", amqp.Table{TraceParent: "00-00000000000000000000000000000000-0102030400000006-01"}, ErrMalformed},
		{"upper case", amqp.Table{TraceParent: "00-01020304C10000050000000000000006-0102030400000006-01"}, ErrMalformed},
		{"someone else's trace", amqp.Table{TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, ErrForeign},
		{"not text", amqp.Table{TraceParent: int32(5)}, ErrMissing},
	} {
		if _, err := ExtractTrace(AMQPHeaders(c.h)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	m, _ := ParseMode("header:id")
	if _, err := m.Extract(AMQPHeaders(amqp.Table{"id": "xyz"}), nil); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "header id") {
		t.Errorf("plain header: %v", err)
	}
	k, _ := ParseMode("key")
	if _, err := k.Extract(KafkaHeaders{}, nil); !errors.Is(err, ErrMissing) {
		t.Errorf("no key: %v", err)
	}
}

func TestParseModeErrors(t *testing.T) {
	for _, s := range []string{"header:", "header: ", "header:a b", "header:a:b", "keys", "trace", "HEADER:x"} {
		if _, err := ParseMode(s); err == nil {
			t.Errorf("ParseMode(%q) accepted", s)
		}
	}
	if m, _ := ParseMode("header:TraceParent"); m.Kind != Trace {
		t.Errorf("header:traceparent is the trace context")
	}
}

func TestParseHeader(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Header
		ok   bool
	}{
		{"x-tenant: acme", Header{"x-tenant", "acme"}, true},
		{"a:b:c", Header{"a", "b:c"}, true},
		{"empty:", Header{"empty", ""}, true},
		{"novalue", Header{}, false},
		{":v", Header{}, false},
		{"a b:v", Header{}, false},
	} {
		got, err := ParseHeader(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseHeader(%q) = %+v, %v", c.in, got, err)
		}
	}
	var hs Headers
	if hs.Changed() || hs.Set("a:1") != nil || hs.Set("b:2") != nil || !hs.Changed() || hs.String() != "a:1,b:2" {
		t.Errorf("Headers: %+v", hs)
	}
}

func TestTally(t *testing.T) {
	var tl Tally
	if tl.Note("outputs") != "" {
		t.Error("empty tally has a note")
	}
	_, e1 := ExtractTrace(AMQPHeaders(amqp.Table{}))
	_, e2 := ParseToken("zz")
	tl.Add(e1)
	tl.Add(e2)
	tl.Add(errors.New("odd"))
	if tl.Total() != 3 || !strings.Contains(tl.Note("outputs"), "1 without the header, 1 malformed") {
		t.Errorf("tally: %d %q", tl.Total(), tl.Note("outputs"))
	}
}

// FuzzParse: the parsers of what outputs carry and of the options never
// panic, and what they accept reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"00-01020304c10000050000000000000006-0102030400000006-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"01020304c10000050000000000000006", "", "header:x-id", "key", "traceparent", "a:b", "ff-" + strings.Repeat("f", 60),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := ExtractTrace(AMQPHeaders(amqp.Table{TraceParent: s})); err == nil {
			h := amqp.Table{}
			InjectTrace(id, AMQPHeaders(h))
			if back, err := ExtractTrace(AMQPHeaders(h)); err != nil || back != id {
				t.Fatalf("%q: %+v then %+v, %v", s, id, back, err)
			}
		}
		if id, err := ParseToken(s); err == nil {
			if back, err := ParseToken(id.Token()); err != nil || back != id {
				t.Fatalf("token %q: %+v then %+v, %v", s, id, back, err)
			}
		}
		if m, err := ParseMode(s); err == nil {
			if back, err := ParseMode(m.String()); err != nil || back != m {
				t.Fatalf("mode %q: %+v then %+v, %v", s, m, back, err)
			}
		}
		if h, err := ParseHeader(s); err == nil {
			if back, err := ParseHeader(h.Name + ":" + h.Value); err != nil || back.Name != h.Name {
				t.Fatalf("header %q: %+v then %+v, %v", s, h, back, err)
			}
		}
	})
}
