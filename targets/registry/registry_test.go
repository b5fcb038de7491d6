package registry_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/targets/registry"
)

// elsewhere are the places outside a transport's package where a string
// equal to its name is not that transport: the words name something else.
var elsewhere = map[string]string{
	"targets/containers/broker.go":   "the kinds of broker container, named as 'brokers up queue|event' takes them",
	"report/table.go":                `the report's interaction kinds ("event": every subscribing group receives it later)`,
	"targets/transport/transport.go": "the same interaction kinds, as a transport's descriptor gives them",
	"results/group.go":               `option keys under which a run records its own resources ("queue": the queue's name), not transports`,
}

// TestTransportNamesAppearOnce holds the registry to being the one place
// that knows the transports: outside its own package, no code spells a
// transport's name.
func TestTransportNamesAppearOnce(t *testing.T) {
	names := map[string]bool{}
	for _, n := range registry.Names() {
		names[n] = true
	}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || strings.HasSuffix(rel, ".pb.go") {
			return nil
		}
		if _, ok := elsewhere[rel]; ok {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), rel, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !names[s] {
				return true
			}
			if strings.HasPrefix(rel, "targets/"+s+"/") {
				return true // the transport's own package names itself
			}
			t.Errorf("%s spells the transport name %q: derive it from the registry", rel, s)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEveryTransportPackageIsRegistered: a package under targets/ that is
// not support is a transport, and the registry lists it under its
// directory's name.
func TestEveryTransportPackageIsRegistered(t *testing.T) {
	support := map[string]bool{"transport": true, "registry": true, "containers": true, "messages": true, "tmpl": true, "correlate": true}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || support[e.Name()] {
			continue
		}
		if _, ok := registry.Lookup(e.Name()); !ok {
			t.Errorf("targets/%s is not in the registry: add one line to registry.All", e.Name())
		}
	}
}

// TestDescriptorsAreComplete: every transport says what the commands need.
func TestDescriptorsAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, tr := range registry.All() {
		switch {
		case tr.Name == "" || seen[tr.Name]:
			t.Errorf("transport %q: empty or repeated name", tr.Name)
		case tr.Run.Short == "" || tr.Run.Long == "":
			t.Errorf("%s: no run help", tr.Name)
		case tr.NewConfig == nil || tr.Describe == nil:
			t.Errorf("%s: no config or no report description", tr.Name)
		}
		seen[tr.Name] = true
		if tr.NewConfig == nil {
			continue
		}
		opts := tr.NewConfig().Options()
		names := map[string]bool{}
		for _, o := range opts {
			if o.Name == "" || names[o.Name] || o.Usage == "" || o.Value == nil {
				t.Errorf("%s: option %q is unnamed, repeated, unexplained or unbound", tr.Name, o.Name)
			}
			names[o.Name] = true
		}
		if m := tr.Describe(nil); m.Name == "" || m.Kind == "" {
			t.Errorf("%s: Describe(nil) = %+v: a row with no result still needs a name and a kind", tr.Name, m)
		}
	}
}
