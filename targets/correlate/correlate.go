// Package correlate ties what a user's asynchronous service emits to what
// a run sent it, without the service knowing anything of commsbench.
//
// Each message a run sends carries an ID: the run's tag, the producer and
// its sequence number. By default the ID rides in a W3C trace context
// header, traceparent, as the trace id: a service instrumented with
// OpenTelemetry continues the trace in what it emits, so the output
// carries the same trace id (with a span id of its own) and the run reads
// the ID back. Alternatives are a plain header that the service copies
// from its input to its output, or (Kafka only) the record key.
//
// The trace id's 128 bits, most significant first (big-endian bytes):
//
//	bits 127–96  bytes 0–3   run tag, random per run and never zero
//	bits 95–92   byte 4 high layout marker, 0xC
//	bits 91–88   byte 4 low  flags: bit 0 warm-up
//	bits 87–64   bytes 5–7   producer id (24 bits)
//	bits 63–0    bytes 8–15  sequence number of the producer, from 0
//
// The span id of the sent message is bytes 0–3 and 12–15 of the trace id
// (never zero); the service replaces it with its own and the run does not
// read it. A plain header and a record key carry the same 128 bits as 32
// lowercase hexadecimal digits, the trace id's own text form.
package correlate

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TraceParent is the W3C trace context header.
const TraceParent = "traceparent"

// marker is the layout marker in the high nibble of byte 4.
const marker = 0xC0

// flagWarmup marks a message sent during warm-up.
const flagWarmup = 1 << 0

// MaxProducer is the largest producer id the trace id holds.
const MaxProducer = 1<<24 - 1

// ID identifies one message of a run.
type ID struct {
	Run      uint32
	Producer uint32
	Seq      uint64
	Warmup   bool
}

// TraceID encodes id as a trace id (see the package comment).
func (id ID) TraceID() trace.TraceID {
	var t trace.TraceID
	binary.BigEndian.PutUint32(t[0:], id.Run)
	binary.BigEndian.PutUint32(t[4:], id.Producer&MaxProducer)
	t[4] = marker
	if id.Warmup {
		t[4] |= flagWarmup
	}
	binary.BigEndian.PutUint64(t[8:], id.Seq)
	return t
}

// Token is the ID as a plain header's value or a record key: the trace
// id in 32 lowercase hexadecimal digits.
func (id ID) Token() string {
	t := id.TraceID()
	return hex.EncodeToString(t[:])
}

// Errors of reading an ID. Every one makes an output uncorrelated.
var (
	// ErrMissing: the output has no header (or key) to correlate by.
	ErrMissing = errors.New("no correlation header")
	// ErrMalformed: the header is there but does not parse.
	ErrMalformed = errors.New("malformed correlation header")
	// ErrForeign: the header parses but was not made by commsbench (a
	// trace started elsewhere).
	ErrForeign = errors.New("correlation header not made by commsbench")
)

// FromTraceID reads an ID from a trace id.
func FromTraceID(t trace.TraceID) (ID, error) {
	if !t.IsValid() {
		return ID{}, fmt.Errorf("%w: all-zero trace id", ErrMalformed)
	}
	if t[4]&0xF0 != marker || binary.BigEndian.Uint32(t[0:]) == 0 {
		return ID{}, ErrForeign
	}
	return ID{
		Run:      binary.BigEndian.Uint32(t[0:]),
		Producer: binary.BigEndian.Uint32(t[4:]) & MaxProducer,
		Seq:      binary.BigEndian.Uint64(t[8:]),
		Warmup:   t[4]&flagWarmup != 0,
	}, nil
}

// ParseToken reads an ID from its Token form. Surrounding blanks are
// tolerated; upper-case digits are not, as in traceparent.
func ParseToken(s string) (ID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ID{}, ErrMissing
	}
	if len(s) != 32 {
		return ID{}, fmt.Errorf("%w: %d characters, want 32 hexadecimal digits", ErrMalformed, len(s))
	}
	var t trace.TraceID
	for i := range len(s) {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ID{}, fmt.Errorf("%w: %q is not a lowercase hexadecimal digit", ErrMalformed, c)
		}
	}
	if _, err := hex.Decode(t[:], []byte(s)); err != nil {
		return ID{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return FromTraceID(t)
}

// spanID is the span id of a sent message: never zero, since the run tag is not.
func (id ID) spanID() trace.SpanID {
	t := id.TraceID()
	var s trace.SpanID
	copy(s[:4], t[0:4])
	copy(s[4:], t[12:16])
	return s
}

// InjectTrace writes id as a traceparent header into c, through the
// OpenTelemetry trace context propagator.
func InjectTrace(id ID, c propagation.TextMapCarrier) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: id.TraceID(), SpanID: id.spanID(), TraceFlags: trace.FlagsSampled})
	propagation.TraceContext{}.Inject(trace.ContextWithRemoteSpanContext(context.Background(), sc), c)
}

// ExtractTrace reads an ID from the traceparent header in c.
func ExtractTrace(c propagation.TextMapCarrier) (ID, error) {
	raw := c.Get(TraceParent)
	if raw == "" {
		return ID{}, fmt.Errorf("%w (%s)", ErrMissing, TraceParent)
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c))
	if !sc.IsValid() {
		return ID{}, fmt.Errorf("%w: %s %q", ErrMalformed, TraceParent, clip(raw))
	}
	return FromTraceID(sc.TraceID())
}

// clip shortens what goes into an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
