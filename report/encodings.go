package report

import (
	"fmt"
	"math"
	"strings"
)

// The 2×2 of protocol and encoding: when the rows hold two synchronous
// transports, each with a JSON and a protobuf scenario (the interaction
// suite does), the report says how much of the difference between them
// came from the encoding and how much from the protocol. Typed results
// name their encoding in their options ("encoding": "json"); this
// package names neither transport nor encoding library.

// twoByTwo is the four rows: a and b are the first transport with JSON
// and protobuf, c and d the second with protobuf and JSON.
type twoByTwo struct {
	first, second string // the transports' mechanism names, without the encoding
	a, b, c, d    Row
}

// encodingOf reads a row's encoding from its results' options.
func encodingOf(r Row) string {
	if res := r.any(); res != nil {
		if e, ok := res.Options["encoding"].(string); ok {
			return e
		}
	}
	return ""
}

// findTwoByTwo finds the 2×2 among the rows, in their order: the first
// two synchronous transports that ran with both encodings.
func findTwoByTwo(rows []Row) (twoByTwo, bool) {
	cells := map[string]map[string]Row{}
	var order []string
	for _, r := range rows {
		enc := encodingOf(r)
		if r.Kind() != Sync || !r.Ran() || (enc != "json" && enc != "protobuf") {
			continue
		}
		if cells[r.Transport] == nil {
			cells[r.Transport] = map[string]Row{}
			order = append(order, r.Transport)
		}
		if _, dup := cells[r.Transport][enc]; !dup {
			cells[r.Transport][enc] = r
		}
	}
	var both []string
	for _, t := range order {
		if len(cells[t]) == 2 {
			both = append(both, t)
		}
	}
	if len(both) < 2 {
		return twoByTwo{}, false
	}
	f, s := cells[both[0]], cells[both[1]]
	bare := func(r Row) string { return strings.TrimSuffix(r.Mechanism(), " · "+encodingOf(r)) }
	return twoByTwo{first: bare(f["json"]), second: bare(s["json"]), a: f["json"], b: f["protobuf"], c: s["protobuf"], d: s["json"]}, true
}

// factor prints cur/base as "1.35×".
func factor(cur, base float64) string { return fmt.Sprintf("%.2f×", cur/base) }

// sentences says, for the saturation throughput and the CPU per
// operation, the change from the first transport with JSON to the second
// with protobuf, then the encoding's part (protobuf against JSON, with
// the transport held) and the protocol's part (second against first,
// with the encoding held).
func (q twoByTwo) sentences() []string {
	var out []string
	for _, m := range []struct {
		what string
		get  func(Row) (float64, bool)
	}{
		{"throughput at saturation", Row.MaxOpsPerS},
		{"CPU time per operation at the same load", Row.CPUPerOpUS},
	} {
		a, okA := m.get(q.a)
		b, okB := m.get(q.b)
		c, okC := m.get(q.c)
		d, okD := m.get(q.d)
		if !okA || !okB || !okC || !okD {
			continue
		}
		enc := math.Sqrt(b / a * c / d)
		proto := math.Sqrt(d / a * c / b)
		out = append(out, fmt.Sprintf(
			"From %s with JSON to %s with protobuf, the %s changed %s. With the protocol held, protobuf instead of JSON changed it %s over %s and %s over %s (%.2f× on average); with the encoding held, %s instead of %s changed it %s with JSON and %s with protobuf (%.2f× on average). Single runs: 'commsbench compare' over repeated runs says which differences are significant.",
			q.first, q.second, m.what, factor(c, a),
			factor(b, a), q.first, factor(c, d), q.second, enc,
			q.second, q.first, factor(d, a), factor(c, b), proto))
	}
	return out
}
