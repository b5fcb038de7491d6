package scenarios

import (
	"io/fs"
	"strings"
	"testing"
)

// FuzzParse feeds the loader arbitrary bytes: it must never panic or hang,
// and whatever it accepts must hold the invariants the runner relies on.
func FuzzParse(f *testing.F) {
	_ = fs.WalkDir(builtinFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".yaml") {
			data, _ := fs.ReadFile(builtinFiles, p)
			f.Add(data)
		}
		return nil
	})
	for _, s := range []string{
		"name: a\ntransport: rest\nload: {rate: -1}\n",
		"name: a\ntransport: queue\noptions: {mode: rpc, prefetch: 5}\npayload: {size: 4KiB}\n",
		"name: s\nphases: {same-load: {rate: 10}, saturation: {concurrency: 2}}\nscenarios:\n  - {name: a, transport: rest}\n",
		"name: a\ntransport: rest\nfaults: [down@1s+1s, \"slow@0s+1s,delay=1ms\"]\n",
		"name: a\ntransport: rest\nfaults: [down@1s+2s, down@2s+1s]\n",
		"name: a\ntransport: rest\noptions:\n  header: [\"A: b\"]\n  mix: [{weight: 3, path: /x}, {w: &y [1, [2, *y]]}]\n",
		"a: &x [*x]\n",
		"name: *a\n",
		"name: a\ntransport: rest\n<<: {load: {rate: 1}}\n",
		"\xff\xfe",
		"{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if (doc.Scenario == nil) == (doc.Suite == nil) {
			t.Fatalf("document is neither or both a scenario and a suite: %+v", doc)
		}
		check := func(s *Scenario) {
			if !validName.MatchString(s.Name) || !validName.MatchString(s.Transport) {
				t.Fatalf("accepted scenario %q with transport %q", s.Name, s.Transport)
			}
			l := s.Load
			if (l.Rate != nil && *l.Rate < 0) || l.Concurrency < 0 || l.Duration < 0 || (l.Warmup != nil && *l.Warmup < 0) || l.Requests < 0 || l.Timeout < 0 {
				t.Fatalf("accepted bad load %+v", l)
			}
			if s.Payload.Size < 0 || s.Payload.Size > MaxPayloadBytes {
				t.Fatalf("accepted payload size %d", s.Payload.Size)
			}
			for _, o := range s.Options {
				if o.Name == "" || strings.HasPrefix(o.Name, "-") {
					t.Fatalf("accepted option %+v", o)
				}
			}
		}
		if doc.Scenario != nil {
			check(doc.Scenario)
			return
		}
		if !validName.MatchString(doc.Suite.Name) || doc.Suite.SameLoad.Rate < 0 || doc.Suite.Saturation.Concurrency < 0 {
			t.Fatalf("accepted suite %+v", doc.Suite)
		}
		for _, s := range doc.Suite.Scenarios {
			check(s)
		}
	})
}
