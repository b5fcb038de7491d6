package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The packages that live under targets/ without being transports.
var targetSupport = map[string]bool{
	"targets/transport":  true, // the descriptor type every transport exports
	"targets/registry":   true, // the one list of transports
	"targets/containers": true, // brokers started in Docker for a run
	"targets/messages":   true, // the typed messages every transport may encode
	"targets/tmpl":       true, // the template language of requests to a user's service
	"targets/correlate":  true, // matching a service's outputs with a run's inputs
}

// TestDependenciesPointOneWay holds the layering: results is a leaf, the
// engine knows no transport, transports know no command line and no other
// transport, only the registry lists them, and nothing but main imports
// the command line. A package in no layer fails: add its rule here.
func TestDependenciesPointOneWay(t *testing.T) {
	const mod = "github.com/commsbench/commsbench/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	transports := map[string]bool{}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, line := range lines {
		pkg, _, _ := strings.Cut(line, ":")
		if t, ok := transportOf(strings.TrimPrefix(pkg, mod)); ok {
			transports[t] = true
		}
	}
	if len(transports) == 0 {
		t.Fatal("go list found no transport under targets/")
	}
	for _, line := range lines {
		pkg, imports, _ := strings.Cut(line, ":")
		pkg = strings.TrimPrefix(pkg, mod)
		allowed, ok := layer(pkg, transports)
		if !ok {
			t.Errorf("%s is in no layer: say in this test what it may import", pkg)
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			if !allowed(dep) {
				t.Errorf("%s imports %s, which its layer must not", pkg, dep)
			}
		}
	}
}

// transportOf says which transport a package under targets/ belongs to.
func transportOf(pkg string) (string, bool) {
	rest, ok := strings.CutPrefix(pkg, "targets/")
	if !ok || targetSupport[pkg] {
		return "", false
	}
	name, _, _ := strings.Cut(rest, "/")
	return "targets/" + name, true
}

// layer returns what pkg may import of this module.
func layer(pkg string, transports map[string]bool) (func(dep string) bool, bool) {
	in := func(allowed ...string) func(string) bool {
		return func(dep string) bool {
			for _, a := range allowed {
				if dep == a {
					return true
				}
			}
			return false
		}
	}
	switch pkg {
	case "results", "bench/fault":
		return in(), true
	case "bench":
		return in("results", "bench/fault"), true
	case "report":
		return in("results"), true
	case "kube":
		// The only package that imports the Kubernetes client.
		return in("results"), true
	case "scenarios", "targets/transport", "targets/containers":
		return in("bench", "bench/fault", "results"), true
	case "targets/messages", "targets/tmpl", "targets/correlate":
		return in(), true
	case "targets/registry":
		return func(dep string) bool { return dep == "targets/transport" || transports[dep] }, true
	case "cmd/cli":
		return func(dep string) bool { return !strings.HasPrefix(dep, "cmd/") }, true
	case "cmd/commsbench":
		return in("cmd/cli"), true
	}
	if strings.HasPrefix(pkg, "scripts/") {
		return in(), true
	}
	if strings.HasPrefix(pkg, "examples/") {
		// A stand-in for a user's service: it knows nothing of commsbench.
		return func(dep string) bool { return strings.HasPrefix(dep, "examples/") }, true
	}
	if own, ok := transportOf(pkg); ok {
		// A transport: the engine, the schema, the descriptor type, the
		// messages and its own packages; never another transport.
		return func(dep string) bool {
			if d, isT := transportOf(dep); isT {
				return d == own
			}
			return in("bench", "bench/fault", "results", "targets/transport", "targets/messages", "targets/tmpl", "targets/correlate")(dep)
		}, true
	}
	return nil, false
}

func TestLayerRules(t *testing.T) {
	ts := map[string]bool{"targets/rest": true, "targets/queue": true}
	for _, c := range []struct {
		pkg, dep string
		ok       bool
	}{
		{"targets/rest", "bench", true},
		{"targets/rest", "targets/transport", true},
		{"targets/grpc", "targets/grpc/echopb", true}, // its own package
		{"targets/rest", "targets/queue", false},      // another transport
		{"targets/rest", "targets/containers", false}, // containers wrap transports, not the reverse
		{"targets/rest", "targets/messages", true},
		{"targets/messages", "bench", false}, // the messages know no engine
		{"targets/queue", "targets/correlate", true},
		{"targets/correlate", "targets/transport", false},
		{"examples/orders", "examples/orders/ordersv1", true},
		{"examples/orders", "targets/correlate", false}, // a user's service knows nothing of commsbench
		{"targets/rest", "cmd/cli", false},
		{"bench", "targets/rest", false},
		{"results", "bench", false},
		{"report", "targets/registry", false},
		{"targets/registry", "targets/queue", true},
		{"targets/registry", "targets/containers", false},
		{"cmd/cli", "cmd/commsbench", false},
	} {
		allowed, ok := layer(c.pkg, ts)
		if !ok {
			t.Errorf("%s: in no layer", c.pkg)
			continue
		}
		if got := allowed(c.dep); got != c.ok {
			t.Errorf("%s may import %s: %v, want %v", c.pkg, c.dep, got, c.ok)
		}
	}
	if _, ok := layer("newthing", ts); ok {
		t.Error("an unknown top-level package has a layer")
	}
}
