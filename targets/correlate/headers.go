package correlate

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Header is one header a user asks every message to carry (--header K:V).
type Header struct{ Name, Value string }

// ParseHeader reads "NAME:VALUE". The name is trimmed and must be a valid
// header name; the value is taken as it is after the first colon, less
// leading blanks.
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Header{}, fmt.Errorf("%q: want NAME:VALUE", s)
	}
	name = strings.TrimSpace(name)
	if err := checkHeaderName(name); err != nil {
		return Header{}, fmt.Errorf("%q: %w", s, err)
	}
	return Header{Name: name, Value: strings.TrimLeft(value, " \t")}, nil
}

// Headers is a repeatable option of NAME:VALUE headers. It has the
// methods of a command-line flag value: each Set adds one header.
type Headers struct {
	List    []Header
	changed bool
}

// Set adds a header.
func (h *Headers) Set(s string) error {
	x, err := ParseHeader(s)
	if err != nil {
		return err
	}
	h.List, h.changed = append(h.List, x), true
	return nil
}

// String lists the headers as they were given.
func (h *Headers) String() string {
	parts := make([]string, len(h.List))
	for i, x := range h.List {
		parts[i] = x.Name + ":" + x.Value
	}
	return strings.Join(parts, ",")
}

// Type names the value in help.
func (h *Headers) Type() string { return "NAME:VALUE" }

// Changed says whether a header was given.
func (h *Headers) Changed() bool { return h.changed }

// Tally counts outputs that could not be correlated, by reason, and keeps
// the first such error as an example for the report. Safe for concurrent use.
type Tally struct {
	missing, malformed, foreign, other atomic.Int64
	once                               sync.Once
	example                            atomic.Value // string
}

// Add counts one uncorrelated output and why.
func (t *Tally) Add(err error) {
	switch {
	case errors.Is(err, ErrMissing):
		t.missing.Add(1)
	case errors.Is(err, ErrMalformed):
		t.malformed.Add(1)
	case errors.Is(err, ErrForeign):
		t.foreign.Add(1)
	default:
		t.other.Add(1)
	}
	t.once.Do(func() { t.example.Store(err.Error()) })
}

// Total is the number of uncorrelated outputs.
func (t *Tally) Total() int64 {
	return t.missing.Load() + t.malformed.Load() + t.foreign.Load() + t.other.Load()
}

// Note says in words what was uncorrelated and why, or "" when nothing was.
func (t *Tally) Note(what string) string {
	n := t.Total()
	if n == 0 {
		return ""
	}
	ex, _ := t.example.Load().(string)
	return fmt.Sprintf("%d %s could not be correlated with an input (uncorrelated: %d without the header, %d malformed, %d not made by commsbench, %d other); the first: %s",
		n, what, t.missing.Load(), t.malformed.Load(), t.foreign.Load(), t.other.Load(), ex)
}
