package scenarios

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"

	yaml "go.yaml.in/yaml/v3"
)

// maxErrors bounds how many problems one file reports at once.
const maxErrors = 10

// Document is one parsed file: a scenario or a suite.
type Document struct {
	Scenario *Scenario
	Suite    *Suite
}

// reader reads the files a scenario or suite refers to.
type reader interface {
	// template reads a payload template named relative to the file.
	template(name string) ([]byte, error)
	// scenario reads a suite's scenario entry: a built-in name or a file
	// relative to the suite's file.
	scenario(ref string) (*Scenario, error)
	// nested says the file is being read as a suite's entry.
	nested() bool
}

// decoder turns YAML nodes into scenarios and suites, collecting errors
// with the file, line and key of each.
type decoder struct {
	file string
	r    reader
	// transports are the names a scenario's transport: may take; with
	// none, any is taken and the command checks it.
	transports []string
	errs       []error
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{Pos: Pos{File: d.file, Line: line}, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line} }

func (d *decoder) err() error { return errors.Join(d.errs...) }

// parse reads one scenario or suite file. file names it in errors; r reads
// the files it refers to (nil: none are read).
func parse(file string, data []byte, r reader, transports []string) (*Document, error) {
	d := &decoder{file: file, r: r, transports: transports}
	root, err := d.document(data)
	if err != nil {
		return nil, err
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Pos: d.pos(root), Msg: "a scenario or suite file is a mapping of keys (name, transport, load … or name, scenarios …)"}
	}
	var doc Document
	if hasKey(root, "scenarios") {
		doc.Suite = d.suite(root)
	} else {
		doc.Scenario = d.scenario(root, "")
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return &doc, nil
}

// document parses data into its single YAML document's root node.
func (d *decoder) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Error{Pos: Pos{File: d.file}, Msg: "the file is empty"}
		}
		line := yamlErrorLine(err)
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", line))
		return nil, &Error{Pos: Pos{File: d.file, Line: line}, Msg: "not valid YAML: " + msg}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		line := 0
		if err == nil {
			line = extra.Line
		}
		return nil, &Error{Pos: Pos{File: d.file, Line: line}, Msg: "more than one YAML document (---): a file holds one scenario or one suite"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{Pos: Pos{File: d.file}, Msg: "the file is empty"}
	}
	return resolve(doc.Content[0]), nil
}

// yamlErrorLine finds "line N" in a YAML syntax error.
func yamlErrorLine(err error) int {
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 0
	}
	s = s[i+len("line "):]
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(s[:j])
	return n
}

// resolve follows aliases (YAML *anchors).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// fields walks a mapping. Each known key's handler gets the value node;
// an unknown or repeated key is an error naming the keys that are known.
func (d *decoder) fields(m *yaml.Node, path string, handlers map[string]func(v *yaml.Node, key string)) {
	if m.Kind != yaml.MappingNode {
		d.fail(m, path, "must be a mapping of keys, not %s", describe(m))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolve(m.Content[i+1])
		key := joinKey(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "keys must be plain words")
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.fail(k, key, "given twice (first on line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		h, ok := handlers[k.Value]
		if !ok {
			d.fail(k, key, "unknown key; known keys here: %s", knownKeys(handlers))
			continue
		}
		if v == nil {
			d.fail(k, key, "has no value")
			continue
		}
		h(v, key)
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func knownKeys(handlers map[string]func(*yaml.Node, string)) string {
	keys := make([]string, 0, len(handlers))
	for k := range handlers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// describe names what a node is, for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "empty"
		case "!!str":
			return fmt.Sprintf("the text %q", truncate(n.Value, 40))
		case "!!bool":
			return "a true/false value"
		case "!!int", "!!float":
			return "the number " + n.Value
		}
		return n.Value
	}
	return "that"
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// str reads a text value.
func (d *decoder) str(v *yaml.Node, key string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.fail(v, key, "must be text, not %s", describe(v))
		return "", false
	}
	return v.Value, true
}

// number reads a number (int or float).
func (d *decoder) number(v *yaml.Node, key string) (float64, bool) {
	var f float64
	if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") || v.Decode(&f) != nil {
		d.fail(v, key, "must be a number, not %s", describe(v))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(v, key, "must be a finite number, not %s", v.Value)
		return 0, false
	}
	return f, true
}

// integer reads a whole number.
func (d *decoder) integer(v *yaml.Node, key string) (int64, bool) {
	var i int64
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || v.Decode(&i) != nil {
		d.fail(v, key, "must be a whole number, not %s", describe(v))
		return 0, false
	}
	return i, true
}

// duration reads a duration written as Go writes them ("5s", "1m30s",
// "250ms"); a bare 0 is allowed.
// positiveDuration reads a duration that must be above zero; example is
// shown in the error.
func (d *decoder) positiveDuration(v *yaml.Node, key, example string) (time.Duration, bool) {
	dur, ok := d.duration(v, key)
	if ok && dur <= 0 {
		d.fail(v, key, "must be positive, such as %s", example)
		return 0, false
	}
	return dur, ok
}

// warmupDuration reads a warm-up: zero (none) or more.
func (d *decoder) warmupDuration(v *yaml.Node, key string) (time.Duration, bool) {
	dur, ok := d.duration(v, key)
	if ok && dur < 0 {
		d.fail(v, key, "must not be negative (0 for none)")
		return 0, false
	}
	return dur, ok
}

func (d *decoder) duration(v *yaml.Node, key string) (time.Duration, bool) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" && v.Value == "0" {
		return 0, true
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.fail(v, key, "must be a duration such as 5s, 500ms or 1m, not %s", describe(v))
		return 0, false
	}
	dur, err := time.ParseDuration(v.Value)
	if err != nil {
		d.fail(v, key, "must be a duration such as 5s, 500ms or 1m, not %q", v.Value)
		return 0, false
	}
	return dur, true
}

// scenario reads a scenario mapping; path prefixes its keys (for a
// scenario written inside a suite).
func (d *decoder) scenario(m *yaml.Node, path string) *Scenario {
	s := &Scenario{Pos: d.pos(m)}
	d.fields(m, path, map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, key string) {
			if name, ok := d.str(v, key); ok {
				if !validName.MatchString(name) {
					d.fail(v, key, "%q: use lower-case letters, digits, '.', '-' and '_' (at most 64), as it names result files", name)
				}
				s.Name = name
			}
		},
		"description": func(v *yaml.Node, key string) {
			s.Description, _ = d.str(v, key)
			s.Description = strings.TrimSpace(s.Description)
		},
		"transport": func(v *yaml.Node, key string) {
			if t, ok := d.str(v, key); ok {
				switch {
				case len(d.transports) > 0 && !slices.Contains(d.transports, t):
					d.fail(v, key, "unknown transport %q: choose %s", t, orList(d.transports))
				case !validName.MatchString(t):
					d.fail(v, key, "%q is not the name of a transport", t)
				}
				s.Transport = t
			}
		},
		"options": func(v *yaml.Node, key string) { s.Options = d.options(v, key) },
		"payload": func(v *yaml.Node, key string) { s.Payload = d.payload(v, key) },
		"load":    func(v *yaml.Node, key string) { s.Load = d.load(v, key) },
		"faults":  func(v *yaml.Node, key string) { s.Faults = d.faults(v, key) },
	})
	if m.Kind == yaml.MappingNode {
		if s.Name == "" && !hasKey(m, "name") {
			d.fail(m, joinKey(path, "name"), "missing: every scenario has a name")
		}
		if s.Transport == "" && !hasKey(m, "transport") {
			d.fail(m, joinKey(path, "transport"), "missing: name the transport%s", choices(d.transports))
		}
	}
	return s
}

// faults reads a list of fault specs (see package fault).
func (d *decoder) faults(v *yaml.Node, key string) []fault.Fault {
	if v.Kind != yaml.SequenceNode {
		d.fail(v, key, "%s: write a list of faults, such as [down@5s+5s]", describe(v))
		return nil
	}
	var fs []fault.Fault
	for i, n := range v.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		spec, ok := d.str(resolve(n), k)
		if !ok {
			continue
		}
		f, err := fault.Parse(spec)
		if err != nil {
			d.fail(n, k, "%v", err)
			continue
		}
		fs = append(fs, f)
	}
	if err := fault.Check(fs, 0); err != nil {
		d.fail(v, key, "%v", err)
	}
	return fs
}

// options reads the transport's settings: run flag names to single values.
func (d *decoder) options(m *yaml.Node, path string) []Option {
	var opts []Option
	if m.Kind != yaml.MappingNode {
		d.fail(m, path, "must be a mapping of the transport's run flags to values (mode: rpc, prefetch: 50 …), not %s", describe(m))
		return nil
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolve(m.Content[i+1])
		key := joinKey(path, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode || k.Value == "":
			d.fail(k, path, "keys must be run flag names such as mode or prefetch")
			continue
		case strings.HasPrefix(k.Value, "-"):
			d.fail(k, key, "write the flag's name without dashes (%s)", strings.TrimLeft(k.Value, "-"))
			continue
		case seen[k.Value] > 0:
			d.fail(k, key, "given twice (first on line %d)", seen[k.Value])
			continue
		case v != nil && v.Kind == yaml.SequenceNode:
			seen[k.Value] = k.Line
			if list, ok := d.optionList(v, key); ok {
				opts = append(opts, Option{Name: k.Value, List: list, IsList: true, Pos: d.pos(k)})
			}
			continue
		case v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null":
			what := "nothing"
			if v != nil {
				what = describe(v)
			}
			d.fail(k, key, "must be a single value (text, number, true/false or duration) or a list of them, not %s", what)
			continue
		}
		seen[k.Value] = k.Line
		opts = append(opts, Option{Name: k.Value, Value: v.Value, Pos: d.pos(k)})
	}
	return opts
}

// payload reads a size or a template.
func (d *decoder) payload(m *yaml.Node, path string) Payload {
	p := Payload{Pos: d.pos(m)}
	d.fields(m, path, map[string]func(*yaml.Node, string){
		"size": func(v *yaml.Node, key string) {
			n, err := parseSize(v)
			switch {
			case err != nil:
				d.fail(v, key, "%v", err)
			case n <= 0:
				d.fail(v, key, "must be at least 1 byte")
			case n > MaxPayloadBytes:
				d.fail(v, key, "%d bytes: at most 16MiB", n)
			default:
				p.Size = n
			}
		},
		"template": func(v *yaml.Node, key string) {
			name, ok := d.str(v, key)
			if !ok {
				return
			}
			if name == "" {
				d.fail(v, key, "names no file")
				return
			}
			p.Template = name
			if d.r == nil {
				return
			}
			data, err := d.r.template(name)
			switch {
			case err != nil:
				d.fail(v, key, "%v", err)
			case len(data) == 0:
				d.fail(v, key, "%s is empty", name)
			case len(data) > MaxPayloadBytes:
				d.fail(v, key, "%s is %d bytes: at most 16MiB", name, len(data))
			default:
				p.Content = data
			}
		},
	})
	if m.Kind == yaml.MappingNode {
		switch {
		case hasKey(m, "size") && hasKey(m, "template"):
			d.fail(m, path, "give size or template, not both (a template's size is its own)")
		case !hasKey(m, "size") && !hasKey(m, "template"):
			d.fail(m, path, "give size (bytes, such as 512 or 4KiB) or template (a file whose bytes are the payload)")
		}
	}
	return p
}

// parseSize reads a byte count: a whole number, or text such as "4KiB".
func parseSize(v *yaml.Node) (int64, error) {
	const hint = "must be a size in bytes such as 512, 4KiB or 1MiB"
	if v.Kind != yaml.ScalarNode {
		return 0, fmt.Errorf("%s, not %s", hint, describe(v))
	}
	switch v.ShortTag() {
	case "!!int":
		var n int64
		if err := v.Decode(&n); err != nil {
			return 0, fmt.Errorf("%s, not %s", hint, v.Value)
		}
		return n, nil
	case "!!str":
		return parseByteText(v.Value)
	}
	return 0, fmt.Errorf("%s, not %s", hint, describe(v))
}

func parseByteText(s string) (int64, error) {
	n, err := results.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("must be a size in bytes such as 512, 4KiB or 1MiB, not %q", s)
	}
	return n, nil
}

// choices lists the transports for a message, or nothing when any is taken.
func choices(transports []string) string {
	if len(transports) == 0 {
		return ""
	}
	return ": " + orList(transports)
}

// load reads the load settings.
func (d *decoder) load(m *yaml.Node, path string) Load {
	var l Load
	d.fields(m, path, map[string]func(*yaml.Node, string){
		"rate": func(v *yaml.Node, key string) {
			f, ok := d.number(v, key)
			switch {
			case !ok:
			case f < 0:
				d.fail(v, key, "%v is negative: give operations per second, or 0 for closed loop", v.Value)
			case f > 10_000_000:
				d.fail(v, key, "%v: above 10M operations per second no transport here keeps up; use 0 (closed loop) to find the ceiling", v.Value)
			default:
				l.Rate = &f
			}
		},
		"concurrency": func(v *yaml.Node, key string) {
			n, ok := d.integer(v, key)
			switch {
			case !ok:
			case n < 1:
				d.fail(v, key, "%d: must be at least 1", n)
			case n > 100_000:
				d.fail(v, key, "%d: at most 100000", n)
			default:
				l.Concurrency = int(n)
			}
		},
		"duration": func(v *yaml.Node, key string) {
			if dur, ok := d.positiveDuration(v, key, "10s"); ok {
				l.Duration = dur
			}
		},
		"warmup": func(v *yaml.Node, key string) {
			if dur, ok := d.warmupDuration(v, key); ok {
				l.Warmup = &dur
			}
		},
		"requests": func(v *yaml.Node, key string) {
			n, ok := d.integer(v, key)
			switch {
			case !ok:
			case n < 1:
				d.fail(v, key, "%d: must be a positive number of operations", n)
			default:
				l.Requests = n
			}
		},
		"timeout": func(v *yaml.Node, key string) {
			if dur, ok := d.positiveDuration(v, key, "5s"); ok {
				l.Timeout = dur
			}
		},
	})
	return l
}

// suite reads a suite mapping.
func (d *decoder) suite(m *yaml.Node) *Suite {
	s := &Suite{Pos: d.pos(m)}
	var defaults Defaults
	var entries *yaml.Node
	d.fields(m, "", map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, key string) {
			if name, ok := d.str(v, key); ok {
				if !validName.MatchString(name) {
					d.fail(v, key, "%q: use lower-case letters, digits, '.', '-' and '_' (at most 64)", name)
				}
				s.Name = name
			}
		},
		"description": func(v *yaml.Node, key string) {
			s.Description, _ = d.str(v, key)
			s.Description = strings.TrimSpace(s.Description)
		},
		"phases":    func(v *yaml.Node, key string) { d.phases(v, key, s) },
		"defaults":  func(v *yaml.Node, key string) { defaults = d.defaults(v, key) },
		"payload":   func(v *yaml.Node, key string) { s.Payload = d.payload(v, key) },
		"scenarios": func(v *yaml.Node, key string) { entries = v; _ = key },
	})
	if s.Name == "" && !hasKey(m, "name") {
		d.fail(m, "name", "missing: every suite has a name")
	}
	if entries == nil {
		return s
	}
	if d.r != nil && d.r.nested() {
		d.fail(m, "scenarios", "this file is a suite, and a suite lists scenarios, not other suites")
		return s
	}
	if entries.Kind != yaml.SequenceNode || len(entries.Content) == 0 {
		d.fail(entries, "scenarios", "must be a list of scenario names, files or scenarios written in place, not %s", describe(entries))
		return s
	}
	names := map[string]int{}
	for i, e := range entries.Content {
		e = resolve(e)
		key := fmt.Sprintf("scenarios[%d]", i)
		var sc *Scenario
		switch {
		case e.Kind == yaml.MappingNode:
			sc = d.scenario(e, key)
		case e.Kind == yaml.ScalarNode && e.ShortTag() == "!!str" && e.Value != "":
			if d.r == nil {
				continue
			}
			var err error
			if sc, err = d.r.scenario(e.Value); err != nil {
				d.fail(e, key, "%v", err)
				continue
			}
		default:
			d.fail(e, key, "must be a scenario name, a file or a scenario written in place, not %s", describe(e))
			continue
		}
		if line, dup := names[sc.Name]; dup && sc.Name != "" {
			d.fail(e, key, "scenario %q is already in the suite (line %d): names must differ, they name the result files", sc.Name, line)
			continue
		}
		names[sc.Name] = e.Line
		defaults.apply(sc)
		s.Scenarios = append(s.Scenarios, sc)
	}
	s.applyPayload()
	return s
}

// phases reads the suite's two phases.
func (d *decoder) phases(m *yaml.Node, path string, s *Suite) {
	d.fields(m, path, map[string]func(*yaml.Node, string){
		"same-load":  func(v *yaml.Node, key string) { s.SameLoad = d.phase(v, key, "rate") },
		"saturation": func(v *yaml.Node, key string) { s.Saturation = d.phase(v, key, "concurrency") },
		"resilience": func(v *yaml.Node, key string) { p := d.phase(v, key, "rate"); s.Resilience = &p },
	})
}

// phase reads one phase: its load key (rate or concurrency), duration and
// warm-up.
func (d *decoder) phase(m *yaml.Node, path, loadKey string) Phase {
	var p Phase
	handlers := map[string]func(*yaml.Node, string){
		"duration": func(v *yaml.Node, key string) {
			if dur, ok := d.positiveDuration(v, key, "5s"); ok {
				p.Duration = dur
			}
		},
		"warmup": func(v *yaml.Node, key string) {
			if dur, ok := d.warmupDuration(v, key); ok {
				p.Warmup = &dur
			}
		},
	}
	if loadKey == "rate" {
		handlers["rate"] = func(v *yaml.Node, key string) {
			f, ok := d.number(v, key)
			switch {
			case !ok:
			case f <= 0:
				d.fail(v, key, "%v: the same-load phase is open loop, give a positive rate in operations per second", v.Value)
			case f > 10_000_000:
				d.fail(v, key, "%v: at most 10M operations per second", v.Value)
			default:
				p.Rate = f
			}
		}
	} else {
		handlers["concurrency"] = func(v *yaml.Node, key string) {
			n, ok := d.integer(v, key)
			switch {
			case !ok:
			case n < 1 || n > 100_000:
				d.fail(v, key, "%d: give 1 to 100000 workers", n)
			default:
				p.Concurrency = int(n)
			}
		}
	}
	if strings.HasSuffix(path, "resilience") {
		handlers["fault"] = func(v *yaml.Node, key string) {
			spec, ok := d.str(v, key)
			if !ok {
				return
			}
			f, err := fault.Parse(spec)
			if err != nil {
				d.fail(v, key, "%v", err)
				return
			}
			p.Faults = []fault.Fault{f}
		}
	}
	d.fields(m, path, handlers)
	return p
}

// defaults reads what a suite gives its scenarios.
func (d *decoder) defaults(m *yaml.Node, path string) Defaults {
	var def Defaults
	d.fields(m, path, map[string]func(*yaml.Node, string){
		"payload": func(v *yaml.Node, key string) { def.Payload = d.payload(v, key) },
		"load":    func(v *yaml.Node, key string) { def.Load = d.load(v, key) },
	})
	return def
}
