package results

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// DefaultGroupBy returns the keys runs are grouped by when none are given:
// runs of one transport with one label are repeated samples of one thing.
func DefaultGroupBy() []string { return []string{"transport", "label"} }

// groupKeys are the fields runs can be grouped by, with how to read each.
func groupKeyValue(r *Result, key string) (string, bool) {
	switch key {
	case "transport":
		return r.Transport, true
	case "label":
		return r.Label, true
	case "scenario":
		return r.Scenario, true
	case "phase":
		return r.Phase, true
	case "load.mode", "mode":
		return r.Load.Mode, true
	case "load.rate", "rate":
		return strconv.FormatFloat(r.Load.Rate, 'f', -1, 64), true
	case "load.concurrency", "concurrency":
		return strconv.Itoa(r.Load.Concurrency), true
	case "load.connections", "connections":
		return strconv.Itoa(r.Load.Connections), true
	case "load.payload_bytes", "payload_bytes":
		return strconv.Itoa(r.Load.PayloadBytes), true
	case "target.kind":
		return r.Target.Kind, true
	case "env.hostname", "hostname":
		return r.Env.Hostname, true
	}
	return "", false
}

const groupKeyHelp = "transport, label, scenario, phase, load.mode, load.rate, load.concurrency, load.connections, load.payload_bytes, target.kind, env.hostname"

// ParseGroupBy reads a comma-separated list of grouping keys.
func ParseGroupBy(s string) ([]string, error) {
	var keys []string
	probe := &Result{}
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if _, ok := groupKeyValue(probe, k); !ok {
			return nil, fmt.Errorf("unknown grouping key %q (want some of %s)", k, groupKeyHelp)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no grouping key in %q (want some of %s)", s, groupKeyHelp)
	}
	return keys, nil
}

// GroupName names the group of r under keys: transport and label as they
// are ("rest/ci"), other keys as key=value ("rest/ci/mode=open").
func GroupName(r *Result, keys []string) string {
	var parts []string
	for _, k := range keys {
		v, _ := groupKeyValue(r, k)
		switch {
		case v == "":
			continue
		case k == "transport" || k == "label" || k == "scenario" || k == "phase":
			parts = append(parts, v)
		default:
			short := k[strings.LastIndexByte(k, '.')+1:]
			parts = append(parts, short+"="+v)
		}
	}
	if len(parts) == 0 {
		return "(all)"
	}
	return strings.Join(parts, "/")
}

// runGroup is the runs of one side that share a group name.
type runGroup struct {
	name string
	runs []*Result
}

// groupRuns splits rs into groups, in order of first appearance.
func groupRuns(rs []*Result, keys []string) []*runGroup {
	var out []*runGroup
	index := map[string]*runGroup{}
	for _, r := range rs {
		name := GroupName(r, keys)
		g := index[name]
		if g == nil {
			g = &runGroup{name: name}
			index[name] = g
			out = append(out, g)
		}
		g.runs = append(g.runs, r)
	}
	return out
}

// groupWarnings says when the runs of a group differ in what was asked of
// them (they are then not repeated samples of one thing).
func groupWarnings(g *runGroup, side string) []string {
	var out []string
	loads := map[string]bool{}
	for _, r := range g.runs {
		loads[loadSignature(r)] = true
	}
	if len(loads) > 1 {
		var ls []string
		for l := range loads {
			ls = append(ls, l)
		}
		sort.Strings(ls)
		where := ""
		if side != "" {
			where = " of " + side
		}
		out = append(out, fmt.Sprintf("the runs of %s%s were asked for different loads (%s); they are compared as samples of one thing — group them apart with --group-by", g.name, where, strings.Join(ls, "; ")))
	}
	return out
}

// loadSignature is what was asked of the load generator, leaving out how
// long: runs with equal signatures are samples of one thing.
func loadSignature(r *Result) string {
	l := r.Load
	s := l.Mode
	if l.Mode == OpenLoop {
		s += fmt.Sprintf(" %s ops/s", FormatRate(l.Rate))
	} else {
		s += fmt.Sprintf(" %d workers", l.Concurrency)
	}
	if l.Connections > 0 {
		s += fmt.Sprintf(" %d conns", l.Connections)
	}
	s += fmt.Sprintf(" %s payload", FormatBytes(float64(l.PayloadBytes)))
	if o := optionsSignature(r.Options); o != "" {
		s += " " + o
	}
	return s
}

// perRunOption says whether an option names a run's own resources (a queue
// or a topic made for it, the file a payload came from) rather than the load.
func perRunOption(k string) bool {
	switch k {
	case "queue", "topic", "payload_file":
		return true
	}
	return false
}

// optionsSignature prints the transport options that shape the load, sorted.
func optionsSignature(opts map[string]any) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		if !perRunOption(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, opts[k])
	}
	return strings.Join(parts, " ")
}

// sideLoads lists the distinct loads the runs of g asked for.
func sideLoads(g *runGroup) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range g.runs {
		if s := loadSignature(r); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// loadChange is a group whose baseline and other side asked for
// different loads: a difference between them would be the load's, not the
// code's.
type loadChange struct {
	group     string
	base, cur []string
}

// loads names both sides' loads: "base: open 500 ops/s …; head: …".
func (lc loadChange) loads(baseName, curName string) string {
	return fmt.Sprintf("%s: %s; %s: %s", baseName, strings.Join(lc.base, " | "), curName, strings.Join(lc.cur, " | "))
}

// note is the sentence compare and check print beside their tables.
func (lc loadChange) note(baseName, curName string) string {
	return fmt.Sprintf("%s: %s and %s asked for different loads (%s), so a difference may be the load's, not the code's", lc.group, baseName, curName, lc.loads(baseName, curName))
}

// loadChanges lists the groups on both sides whose loads differ, by name.
func loadChanges(base, cur map[string]*runGroup) []loadChange {
	names := make([]string, 0, len(base))
	for n := range base {
		if cur[n] != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []loadChange
	for _, n := range names {
		b, c := sideLoads(base[n]), sideLoads(cur[n])
		if strings.Join(b, ";") != strings.Join(c, ";") {
			out = append(out, loadChange{group: n, base: b, cur: c})
		}
	}
	return out
}
