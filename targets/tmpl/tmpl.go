// Package tmpl is the small template language of request bodies, gRPC
// request data and headers sent to a user's own service: literal text with
// placeholders that take a value per operation, so that every request can
// carry its own id, sequence number or time.
//
// A placeholder is a name between double braces, with arguments for some:
//
//	{{seq}}         the operation's sequence number (0, 1, 2, … over the
//	                whole run, unique across the shards of a sharded run)
//	{{uuid}}        an id unique to the operation within the run, in the
//	                form of a UUID (version 4 layout, derived from the run
//	                id and the sequence number, so a rerun with the same
//	                run id repeats it)
//	{{run}}         the run id
//	{{worker}}      the index of the worker sending the operation
//	{{now}}         when the operation was due, RFC 3339 in UTC with
//	                nanoseconds (the intended send time, not the moment the
//	                bytes left)
//	{{unix_ms}}     the same instant in milliseconds since 1970
//	{{unix_ns}}     the same instant in nanoseconds since 1970
//	{{rand A B}}    an integer from A to B inclusive, drawn per operation
//	{{pick x y …}}  one of the words, drawn per operation
//	{{lbrace}}      two literal opening braces
//
// Spaces inside the braces are allowed ("{{ seq }}"). The draws of rand and
// pick are a function of the run id, the sequence number and the
// placeholder's place in the template: reproducible, and different between
// placeholders. Every value is made of characters that need no escaping
// inside a JSON string or number, so templates of JSON stay JSON.
//
// Parse reports a mistake with its line and column, before any load starts.
package tmpl

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"time"
)

// Values are what placeholders read for one operation.
type Values struct {
	Seq    int64
	Run    string
	Worker int
	// Time is the operation's intended send time.
	Time time.Time
}

// Template is a parsed template. It is immutable and safe for use by many
// workers at once.
type Template struct {
	parts []part
	// literal is the whole text when there is no placeholder.
	literal []byte
	static  bool
}

type kind int

const (
	kLiteral kind = iota
	kSeq
	kUUID
	kRun
	kWorker
	kNow
	kUnixMs
	kUnixNs
	kRand
	kPick
)

type part struct {
	kind   kind
	text   []byte   // kLiteral
	lo, hi int64    // kRand
	words  []string // kPick
	salt   uint64   // kRand, kPick: the placeholder's place
}

// Names lists the placeholders, for help texts.
func Names() []string {
	return []string{"seq", "uuid", "run", "worker", "now", "unix_ms", "unix_ns", "rand A B", "pick x y …", "lbrace"}
}

// Error is a mistake in a template, with where it is.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("template line %d, column %d: %s (placeholders: {{%s}})",
		e.Line, e.Col, e.Msg, strings.Join(Names(), "}}, {{"))
}

// Parse parses src.
func Parse(src string) (*Template, error) {
	t := &Template{}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			t.parts = append(t.parts, part{kind: kLiteral, text: lit})
			lit = nil
		}
	}
	for i := 0; i < len(src); {
		open := strings.Index(src[i:], "{{")
		if open < 0 {
			// A closing pair outside a placeholder is literal text: JSON
			// has "}}" often.
			lit = append(lit, src[i:]...)
			break
		}
		lit = append(lit, src[i:i+open]...)
		start := i + open
		end := strings.Index(src[start+2:], "}}")
		if end < 0 {
			return nil, errAt(src, start, "a placeholder opened with {{ is not closed with }}")
		}
		body := src[start+2 : start+2+end]
		p, err := parsePlaceholder(body, uint64(len(t.parts)+1))
		if err != nil {
			return nil, errAt(src, start, err.Error())
		}
		if p.kind == kLiteral {
			lit = append(lit, p.text...)
		} else {
			flush()
			t.parts = append(t.parts, p)
		}
		i = start + 2 + end + 2
	}
	flush()
	switch {
	case len(t.parts) == 0:
		t.static, t.literal = true, []byte{}
	case len(t.parts) == 1 && t.parts[0].kind == kLiteral:
		t.static, t.literal = true, t.parts[0].text
	}
	return t, nil
}

// ParseFile parses the template in the file at path.
func ParseFile(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// MustParse parses src and panics on a mistake; for templates written in
// code.
func MustParse(src string) *Template {
	t, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return t
}

func parsePlaceholder(body string, salt uint64) (part, error) {
	fields := strings.Fields(body)
	if len(fields) == 0 {
		return part{}, fmt.Errorf("an empty placeholder {{}}")
	}
	name, args := fields[0], fields[1:]
	noArgs := func(k kind) (part, error) {
		if len(args) > 0 {
			return part{}, fmt.Errorf("{{%s}} takes no arguments, got %q", name, strings.Join(args, " "))
		}
		return part{kind: k}, nil
	}
	switch name {
	case "seq":
		return noArgs(kSeq)
	case "uuid":
		return noArgs(kUUID)
	case "run":
		return noArgs(kRun)
	case "worker":
		return noArgs(kWorker)
	case "now":
		return noArgs(kNow)
	case "unix_ms":
		return noArgs(kUnixMs)
	case "unix_ns":
		return noArgs(kUnixNs)
	case "lbrace":
		if len(args) > 0 {
			return part{}, fmt.Errorf("{{lbrace}} takes no arguments")
		}
		return part{kind: kLiteral, text: []byte("{{")}, nil
	case "rand":
		if len(args) != 2 {
			return part{}, fmt.Errorf("{{rand A B}} takes two integers, got %d arguments", len(args))
		}
		lo, err1 := strconv.ParseInt(args[0], 10, 64)
		hi, err2 := strconv.ParseInt(args[1], 10, 64)
		if err1 != nil || err2 != nil {
			return part{}, fmt.Errorf("{{rand A B}} takes two integers, got %q and %q", args[0], args[1])
		}
		if lo > hi {
			return part{}, fmt.Errorf("{{rand %d %d}}: the first bound is above the second", lo, hi)
		}
		if hi-lo < 0 { // the span overflows int64
			return part{}, fmt.Errorf("{{rand %d %d}}: the span is too large", lo, hi)
		}
		return part{kind: kRand, lo: lo, hi: hi, salt: salt}, nil
	case "pick":
		if len(args) == 0 {
			return part{}, fmt.Errorf("{{pick x y …}} takes at least one word")
		}
		return part{kind: kPick, words: args, salt: salt}, nil
	}
	return part{}, fmt.Errorf("unknown placeholder {{%s}}", name)
}

func errAt(src string, off int, msg string) error {
	line := 1 + strings.Count(src[:off], "\n")
	col := off - strings.LastIndex(src[:off], "\n")
	return &Error{Line: line, Col: col, Msg: msg}
}

// Static says the template has no placeholder: every operation sends the
// same bytes.
func (t *Template) Static() bool { return t.static }

// Append appends the template's text for v to dst.
func (t *Template) Append(dst []byte, v Values) []byte {
	if t.static {
		return append(dst, t.literal...)
	}
	for i := range t.parts {
		p := &t.parts[i]
		switch p.kind {
		case kLiteral:
			dst = append(dst, p.text...)
		case kSeq:
			dst = strconv.AppendInt(dst, v.Seq, 10)
		case kUUID:
			dst = appendUUID(dst, v.Run, v.Seq)
		case kRun:
			dst = append(dst, v.Run...)
		case kWorker:
			dst = strconv.AppendInt(dst, int64(v.Worker), 10)
		case kNow:
			dst = v.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
		case kUnixMs:
			dst = strconv.AppendInt(dst, v.Time.UnixMilli(), 10)
		case kUnixNs:
			dst = strconv.AppendInt(dst, v.Time.UnixNano(), 10)
		case kRand:
			span := uint64(p.hi-p.lo) + 1 // at most 2^63: Parse refused more
			dst = strconv.AppendInt(dst, p.lo+int64(draw(v.Run, v.Seq, p.salt)%span), 10)
		case kPick:
			dst = append(dst, p.words[draw(v.Run, v.Seq, p.salt)%uint64(len(p.words))]...)
		}
	}
	return dst
}

// Execute returns the template's text for v.
func (t *Template) Execute(v Values) []byte {
	if t.static {
		return t.literal
	}
	return t.Append(nil, v)
}

// String returns the template's text for v.
func (t *Template) String(v Values) string { return string(t.Execute(v)) }

// draw is a reproducible 64-bit value for (run, seq, salt): splitmix64
// over their mix.
func draw(run string, seq int64, salt uint64) uint64 {
	x := runHash(run) ^ uint64(seq)*0x9e3779b97f4a7c15 ^ salt*0xbf58476d1ce4e5b9
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func runHash(run string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(run))
	return h.Sum64()
}

// appendUUID writes an id unique per (run, seq): the run's hash in the first
// half, the sequence number in the second, with the version 4 and variant
// bits set (which touch only the run's half and the top two bits of seq).
func appendUUID(dst []byte, run string, seq int64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], runHash(run))
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[c>>4], hexd[c&0x0f])
	}
	return dst
}
