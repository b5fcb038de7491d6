package transport

import "strings"

// Repeatable is a Value that takes many values: each Set adds one. On the
// command line its flag may be given again; in a scenario its option may be
// a list, each entry set in turn (an entry written as a mapping arrives as
// that mapping in JSON, for the value to decode into its own typed form).
type Repeatable interface {
	Value
	// Values returns the values set so far, in order.
	Values() []string
}

type listValue struct {
	set
	p *[]string
}

// List binds a repeatable text setting, such as --header K:V given once
// per header.
func List(p *[]string) Value { return &listValue{p: p} }

func (v *listValue) String() string {
	if len(*v.p) == 0 {
		return ""
	}
	return "[" + strings.Join(*v.p, ", ") + "]"
}

func (v *listValue) Type() string     { return "list" }
func (v *listValue) Values() []string { return append([]string(nil), *v.p...) }
func (v *listValue) Set(s string) error {
	*v.p, v.changed = append(*v.p, s), true
	return nil
}
