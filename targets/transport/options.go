package transport

import (
	"errors"
	"strconv"
	"time"

	"github.com/commsbench/commsbench/results"
)

// Option is one named setting of a transport: a flag on the command line
// and a key under options: in a scenario.
type Option struct {
	Name  string
	Usage string
	Value Value
	// Hidden options are accepted but not shown in help.
	Hidden bool
}

// Value is a setting's value: it parses the text a user wrote and prints
// it back. Its methods are those of a pflag.Value, so the command line can
// register it as a flag as it is.
type Value interface {
	String() string
	Set(string) error
	Type() string
	// Changed says whether Set was called: the user (a flag, a scenario)
	// gave the value, as opposed to the default.
	Changed() bool
}

// Find returns the option named name, or nil.
func Find(opts []Option, name string) *Option {
	for i := range opts {
		if opts[i].Name == name {
			return &opts[i]
		}
	}
	return nil
}

// Changed says whether the option named name was given.
func Changed(opts []Option, name string) bool {
	o := Find(opts, name)
	return o != nil && o.Value.Changed()
}

// set records that a value was given.
type set struct{ changed bool }

func (s *set) Changed() bool { return s.changed }

type stringValue struct {
	set
	p *string
}

// String binds a text setting.
func String(p *string) Value { return &stringValue{p: p} }

func (v *stringValue) String() string { return *v.p }
func (v *stringValue) Type() string   { return "string" }
func (v *stringValue) Set(s string) error {
	*v.p, v.changed = s, true
	return nil
}

type intValue struct {
	set
	p *int
}

// Int binds a whole-number setting.
func Int(p *int) Value { return &intValue{p: p} }

func (v *intValue) String() string { return strconv.Itoa(*v.p) }
func (v *intValue) Type() string   { return "int" }
func (v *intValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err != nil {
		return errors.New("not a whole number")
	}
	*v.p, v.changed = int(n), true
	return nil
}

type boolValue struct {
	set
	p *bool
}

// Bool binds an on/off setting. As a flag it may be given without a value.
func Bool(p *bool) Value { return &boolValue{p: p} }

func (v *boolValue) String() string { return strconv.FormatBool(*v.p) }
func (v *boolValue) Type() string   { return "bool" }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("not true or false")
	}
	*v.p, v.changed = b, true
	return nil
}

// IsBoolFlag lets the command line take the flag without a value.
func (v *boolValue) IsBoolFlag() bool { return true }

type durationValue struct {
	set
	p *time.Duration
}

// Duration binds a duration setting, written as 5ms, 2s or 1m30s.
func Duration(p *time.Duration) Value { return &durationValue{p: p} }

func (v *durationValue) String() string { return v.p.String() }
func (v *durationValue) Type() string   { return "duration" }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration (such as 500ms, 5s or 1m)")
	}
	*v.p, v.changed = d, true
	return nil
}

type bytesValue struct {
	set
	p *int64
}

// Bytes binds a size in bytes, written as 256, 4KiB or 1MiB.
func Bytes(p *int64) Value { return &bytesValue{p: p} }

func (v *bytesValue) String() string { return strconv.FormatInt(*v.p, 10) }
func (v *bytesValue) Type() string   { return "bytes" }
func (v *bytesValue) Set(s string) error {
	n, err := results.ParseBytes(s)
	if err != nil {
		return err
	}
	*v.p, v.changed = n, true
	return nil
}
