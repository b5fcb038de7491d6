package scenarios

import (
	"encoding/json"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// maxListDepth bounds how deeply an option's list entries may nest.
const maxListDepth = 4

// optionList reads an option written as a list: each entry a single value,
// or a mapping (such as one request of a mix) passed on as JSON whose
// values are text, lists or mappings.
func (d *decoder) optionList(v *yaml.Node, key string) ([]string, bool) {
	if len(v.Content) == 0 {
		d.fail(v, key, "an empty list: give at least one entry, or leave the option out")
		return nil, false
	}
	list := make([]string, 0, len(v.Content))
	ok := true
	for i, n := range v.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		n = resolve(n)
		switch {
		case n == nil || n.ShortTag() == "!!null":
			d.fail(v, k, "an empty entry")
			ok = false
		case n.Kind == yaml.ScalarNode:
			list = append(list, n.Value)
		case n.Kind == yaml.MappingNode:
			val, err := d.jsonValue(n, k, 0)
			if err != nil {
				ok = false
				continue
			}
			b, _ := json.Marshal(val)
			list = append(list, string(b))
		default:
			d.fail(n, k, "must be a single value or a mapping, not %s", describe(n))
			ok = false
		}
	}
	return list, ok
}

// errBadEntry marks an entry already reported.
var errBadEntry = fmt.Errorf("bad entry")

// jsonValue turns a node into values json.Marshal writes: scalars as their
// text, sequences as arrays, mappings as objects.
func (d *decoder) jsonValue(n *yaml.Node, key string, depth int) (any, error) {
	n = resolve(n)
	if n == nil {
		d.fail(nil, key, "nothing")
		return nil, errBadEntry
	}
	if depth > maxListDepth {
		d.fail(n, key, "nested too deeply")
		return nil, errBadEntry
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			d.fail(n, key, "an empty value")
			return nil, errBadEntry
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := d.jsonValue(c, fmt.Sprintf("%s[%d]", key, i), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Value == "" {
				d.fail(k, key, "keys must be names")
				return nil, errBadEntry
			}
			if _, dup := out[k.Value]; dup {
				d.fail(k, joinKey(key, k.Value), "given twice")
				return nil, errBadEntry
			}
			v, err := d.jsonValue(n.Content[i+1], joinKey(key, k.Value), depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	d.fail(n, key, "must be a value, a list or a mapping, not %s", describe(n))
	return nil, errBadEntry
}
