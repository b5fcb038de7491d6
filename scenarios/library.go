package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// builtinFiles are the built-in scenarios and suites, and their payload
// templates. The same files sit beside this package on disk.
//
//go:embed *.yaml templates
var builtinFiles embed.FS

// builtinPrefix marks built-in files in error messages and listings.
const builtinPrefix = "builtin:"

// Library finds scenario and suite files: built-in ones by name, others by
// path on disk.
type Library struct {
	builtin fs.FS
	// transports are the names a scenario may give as its transport.
	transports []string
	// readFile reads a file on disk.
	readFile func(string) ([]byte, error)
}

// Builtin returns the library of the built-in files and the disk, whose
// scenarios may name the given transports (any, when none is given).
func Builtin(transports ...string) *Library {
	return &Library{builtin: builtinFiles, readFile: os.ReadFile, transports: transports}
}

// NewLibrary returns a library over the given built-in files (tests use
// fstest.MapFS) and the disk, whose scenarios may name the given
// transports (any, when none is given).
func NewLibrary(builtin fs.FS, transports ...string) *Library {
	return &Library{builtin: builtin, readFile: os.ReadFile, transports: transports}
}

// Entry is one built-in file, for listings.
type Entry struct {
	Name        string
	Suite       bool
	Transport   string
	Description string
	// Scenarios are a suite's scenario names.
	Scenarios []string
}

// List returns the built-in scenarios and suites, by name.
func (l *Library) List() ([]Entry, error) {
	names, err := fs.Glob(l.builtin, "*.yaml")
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, n := range names {
		doc, err := l.open(location{builtin: true, path: n})
		if err != nil {
			return nil, err
		}
		e := Entry{Name: strings.TrimSuffix(n, ".yaml")}
		if doc.Suite != nil {
			e.Suite, e.Description = true, doc.Suite.Description
			for _, s := range doc.Suite.Scenarios {
				e.Scenarios = append(e.Scenarios, s.Name)
			}
		} else {
			e.Transport, e.Description = doc.Scenario.Transport, doc.Scenario.Description
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// location is a file: in the built-in set, or on disk.
type location struct {
	builtin bool
	path    string // slash path in the built-in set, or an OS path
}

func (loc location) String() string {
	if loc.builtin {
		return builtinPrefix + loc.path
	}
	return loc.path
}

// rel is the file named by name relative to loc's directory.
func (loc location) rel(name string) location {
	if loc.builtin {
		return location{builtin: true, path: path.Join(path.Dir(loc.path), name)}
	}
	if filepath.IsAbs(name) {
		return location{path: name}
	}
	return location{path: filepath.Join(filepath.Dir(loc.path), filepath.FromSlash(name))}
}

func (l *Library) read(loc location) ([]byte, error) {
	if loc.builtin {
		if !fs.ValidPath(loc.path) {
			return nil, fmt.Errorf("%s: not a file of the built-in set", loc.path)
		}
		data, err := fs.ReadFile(l.builtin, loc.path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such built-in file", loc.path)
		}
		return data, err
	}
	data, err := l.readFile(loc.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file", loc.path)
	}
	return data, err
}

// find turns NAME|FILE into a location. A reference that looks like a
// path (a separator, or a .yaml/.yml suffix) is a file; otherwise a
// built-in name wins, then a file of that name.
func (l *Library) find(ref string) (location, error) {
	if ref == "" {
		return location{}, errors.New("no scenario named: give a built-in name (commsbench scenarios list) or a file")
	}
	if looksLikePath(ref) {
		return location{path: ref}, nil
	}
	if _, err := fs.Stat(l.builtin, ref+".yaml"); err == nil {
		return location{builtin: true, path: ref + ".yaml"}, nil
	}
	if _, err := l.readFile(ref); err == nil {
		return location{path: ref}, nil
	}
	var names []string
	if entries, err := l.List(); err == nil {
		for _, e := range entries {
			names = append(names, e.Name)
		}
	}
	return location{}, fmt.Errorf("no built-in scenario or suite named %q and no such file; built-in: %s", ref, strings.Join(names, ", "))
}

func looksLikePath(ref string) bool {
	return strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml")
}

// fileReader reads what a file at loc refers to.
type fileReader struct {
	l   *Library
	loc location
	// inSuite is set while reading a suite's scenario entry, which must
	// not be a suite itself.
	inSuite bool
}

func (r fileReader) nested() bool { return r.inSuite }

// template reads a payload template relative to the file. A file on disk
// may also name a built-in template (templates/order.json …), so that a
// copy of a built-in scenario keeps working.
func (r fileReader) template(name string) ([]byte, error) {
	data, err := r.l.read(r.loc.rel(name))
	if err != nil && !r.loc.builtin && !filepath.IsAbs(name) && fs.ValidPath(name) {
		if b, berr := fs.ReadFile(r.l.builtin, name); berr == nil {
			return b, nil
		}
	}
	return data, err
}

func (r fileReader) scenario(ref string) (*Scenario, error) {
	loc := location{builtin: true, path: ref + ".yaml"}
	if looksLikePath(ref) {
		loc = r.loc.rel(ref)
	} else if _, err := fs.Stat(r.l.builtin, loc.path); err != nil {
		return nil, fmt.Errorf("no built-in scenario named %q (write a file path such as ./%s.yaml for a file beside the suite)", ref, ref)
	}
	data, err := r.l.read(loc)
	if err != nil {
		return nil, err
	}
	doc, err := parse(loc.String(), data, fileReader{l: r.l, loc: loc, inSuite: true}, r.l.transports)
	if err != nil {
		return nil, err
	}
	if doc.Suite != nil {
		return nil, fmt.Errorf("%s is a suite: a suite lists scenarios, not other suites", loc)
	}
	return doc.Scenario, nil
}

func (l *Library) open(loc location) (*Document, error) {
	data, err := l.read(loc)
	if err != nil {
		return nil, err
	}
	return parse(loc.String(), data, fileReader{l: l, loc: loc}, l.transports)
}

// Open reads a scenario or suite by built-in name or file path.
func (l *Library) Open(ref string) (*Document, error) {
	loc, err := l.find(ref)
	if err != nil {
		return nil, err
	}
	return l.open(loc)
}

// Scenario reads one scenario by built-in name or file path.
func (l *Library) Scenario(ref string) (*Scenario, error) {
	doc, err := l.Open(ref)
	if err != nil {
		return nil, err
	}
	if doc.Suite != nil {
		return nil, fmt.Errorf("%s is a suite of %d scenarios: run it with 'commsbench suite %s'", ref, len(doc.Suite.Scenarios), ref)
	}
	return doc.Scenario, nil
}

// Suite reads a suite by built-in name or file path. A scenario file makes
// a suite of that one scenario.
func (l *Library) Suite(ref string) (*Suite, error) {
	doc, err := l.Open(ref)
	if err != nil {
		return nil, err
	}
	if doc.Suite != nil {
		return doc.Suite, nil
	}
	sc := doc.Scenario
	return &Suite{Name: sc.Name, Description: sc.Description, Scenarios: []*Scenario{sc}, Pos: sc.Pos}, nil
}

// Source returns the text of a scenario or suite file, for showing it,
// and the name it is known by.
func (l *Library) Source(ref string) (string, []byte, error) {
	loc, err := l.find(ref)
	if err != nil {
		return "", nil, err
	}
	data, err := l.read(loc)
	return loc.String(), data, err
}

// Parse reads a scenario or suite from data without touching any file:
// templates and a suite's scenario references are not read. It is the
// loader's core, exposed for tools and fuzzing.
func Parse(file string, data []byte) (*Document, error) {
	return parse(file, data, nil, nil)
}
