package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesPointOneWay holds the layering: results is a leaf, the
// engine knows no transport, transports know no command line, and nothing
// but main imports the command line.
func TestDependenciesPointOneWay(t *testing.T) {
	const mod = "github.com/commsbench/commsbench/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, mod+"...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	allowed := map[string][]string{
		"results":   {},
		"bench":     {"results"},
		"scenarios": {},
		"report":    {"results"},
		"targets/":  {"bench", "results", "targets/"},
		"scripts/":  {},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		pkg = strings.TrimPrefix(pkg, mod)
		var rule []string
		found := false
		for prefix, r := range allowed {
			if pkg == prefix || strings.HasSuffix(prefix, "/") && strings.HasPrefix(pkg, prefix) {
				rule, found = r, true
			}
		}
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			if strings.HasPrefix(dep, "cmd/") && pkg != "cmd/commsbench" {
				t.Errorf("%s imports %s: nothing but main may import the command line", pkg, dep)
				continue
			}
			if !found {
				continue // cmd/… may import everything
			}
			ok := false
			for _, a := range rule {
				if dep == a || strings.HasSuffix(a, "/") && strings.HasPrefix(dep, a) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s imports %s, which its layer must not", pkg, dep)
			}
		}
	}
}
