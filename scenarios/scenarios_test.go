package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
)

// TestBuiltinsLoadAndValidate opens every built-in file: each scenario
// parses, validates, reads its template and is named after its file; the
// default suite holds every built-in scenario.
func TestBuiltinsLoadAndValidate(t *testing.T) {
	lib := Builtin()
	entries, err := lib.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"interaction", "microservices", "order-inventory-queue", "order-inventory-queue-rpc", "order-payment-rest", "order-placed-event", "order-placed-nats", "user-auth-grpc", "user-auth-nats"}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("built-in files %v, want %v", got, want)
	}
	var scenarioNames []string
	for _, e := range entries {
		doc, err := lib.Open(e.Name)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if e.Description == "" {
			t.Errorf("%s: no description", e.Name)
		}
		if doc.Suite != nil {
			continue
		}
		sc := doc.Scenario
		scenarioNames = append(scenarioNames, sc.Name)
		if sc.Name != e.Name {
			t.Errorf("file %s.yaml holds scenario %q: name and file must agree", e.Name, sc.Name)
		}
		if !slices.Contains(testTransports, sc.Transport) {
			t.Errorf("%s: transport %q", sc.Name, sc.Transport)
		}
		if sc.Payload.Template == "" || len(sc.Payload.Content) == 0 {
			t.Errorf("%s: built-in scenarios carry a template payload so messages look real", sc.Name)
		}
		if sc.Load.Rate == nil || *sc.Load.Rate <= 0 || sc.Load.Duration <= 0 {
			t.Errorf("%s: load %+v: want an open-loop rate and a duration", sc.Name, sc.Load)
		}
	}
	suite, err := lib.Suite("microservices")
	if err != nil {
		t.Fatal(err)
	}
	var inSuite []string
	for _, s := range suite.Scenarios {
		inSuite = append(inSuite, s.Name)
	}
	for _, n := range scenarioNames {
		if !strings.Contains(","+strings.Join(inSuite, ",")+",", ","+n+",") {
			t.Errorf("built-in scenario %s is not in the microservices suite %v", n, inSuite)
		}
	}
	// The saturation phase searches from the same-load rate with each
	// run's own bound on operations in flight: no workers.
	if suite.SameLoad.Rate <= 0 || suite.SameLoad.Duration <= 0 || suite.Saturation.Duration <= 0 {
		t.Errorf("microservices phases %+v %+v: want a rate and durations", suite.SameLoad, suite.Saturation)
	}
}

// TestOrderPaymentTemplateSize checks the seed's "JSON order of ~500 B".
func TestOrderPaymentTemplateSize(t *testing.T) {
	sc, err := Builtin().Scenario("order-payment-rest")
	if err != nil {
		t.Fatal(err)
	}
	if n := sc.Payload.Bytes(); n < 400 || n > 600 {
		t.Errorf("order payload %d bytes, want about 500", n)
	}
}

// TestBadFiles: each bad file's error names the file, the line and the key.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // substring of the error
	}{
		// A misspelled key is an error, never ignored.
		{"unknown top-level key", "name: a\ntransport: rest\ndurration: 5s\n", "bad.yaml:3: durration: unknown key"},
		// A misspelled key inside load names its dotted path.
		{"unknown load key", "name: a\ntransport: rest\nload:\n  rate: 10\n  rat: 5\n", "bad.yaml:5: load.rat: unknown key; known keys here: concurrency, duration, rate, requests, timeout, warmup"},
		// Text where a number belongs.
		{"wrong type rate", "name: a\ntransport: rest\nload:\n  rate: fast\n", `bad.yaml:4: load.rate: must be a number, not the text "fast"`},
		// A quoted number is text: no silent conversion.
		{"quoted number", "name: a\ntransport: rest\nload:\n  concurrency: \"8\"\n", "bad.yaml:4: load.concurrency: must be a whole number"},
		// Negative rate.
		{"negative rate", "name: a\ntransport: rest\nload:\n  rate: -5\n", "bad.yaml:4: load.rate: -5 is negative"},
		// Unknown transport.
		{"unknown transport", "name: a\ntransport: soap\n", `bad.yaml:2: transport: unknown transport "soap": choose rest, grpc, queue, event or nats`},
		// Missing transport.
		{"missing transport", "name: a\n", "bad.yaml:1: transport: missing"},
		// Bad duration text.
		{"bad duration", "name: a\ntransport: rest\nload:\n  duration: 5 seconds\n", `bad.yaml:4: load.duration: must be a duration such as 5s`},
		// Zero duration.
		{"zero duration", "name: a\ntransport: rest\nload:\n  duration: 0s\n", "bad.yaml:4: load.duration: must be positive"},
		// Negative warm-up.
		{"negative warmup", "name: a\ntransport: rest\nload:\n  warmup: -1s\n", "bad.yaml:4: load.warmup: must not be negative"},
		// A key given twice.
		{"duplicate key", "name: a\ntransport: rest\nname: b\n", "bad.yaml:3: name: given twice (first on line 1)"},
		// Options are single values.
		{"option mapping", "name: a\ntransport: queue\noptions:\n  mode: {rpc: oneway}\n", "bad.yaml:4: options.mode: must be a single value (text, number, true/false or duration) or a list of them, not a mapping"},
		{"empty option list", "name: a\ntransport: rest\noptions:\n  header: []\n", "bad.yaml:4: options.header: an empty list"},
		{"option list of lists", "name: a\ntransport: rest\noptions:\n  header: [[a]]\n", "options.header[0]: must be a single value or a mapping"},
		{"option list entry with null", "name: a\ntransport: rest\noptions:\n  mix:\n    - {path: }\n", "options.mix[0].path: an empty value"},
		// Options are named without dashes.
		{"option dashes", "name: a\ntransport: queue\noptions:\n  --mode: rpc\n", "bad.yaml:4: options.--mode: write the flag's name without dashes (mode)"},
		// Payload size and template together.
		{"size and template", "name: a\ntransport: rest\npayload:\n  size: 10\n  template: x.json\n", "bad.yaml:4: payload: give size or template, not both"},
		// Payload too large.
		{"payload too large", "name: a\ntransport: rest\npayload:\n  size: 17MiB\n", "bad.yaml:4: payload.size: 17825792 bytes: at most 16MiB"},
		// Bad size text.
		{"bad size", "name: a\ntransport: rest\npayload:\n  size: lots\n", `bad.yaml:4: payload.size: must be a size in bytes such as 512, 4KiB or 1MiB, not "lots"`},
		// A name that cannot name a file.
		{"bad name", "name: Order Payment\ntransport: rest\n", `bad.yaml:1: name: "Order Payment": use lower-case letters`},
		// Not a mapping at all.
		{"list file", "- a\n- b\n", "bad.yaml:1: a scenario or suite file is a mapping"},
		// Two documents.
		{"two documents", "name: a\ntransport: rest\n---\nname: b\ntransport: rest\n", "bad.yaml:3: more than one YAML document"},
		// Empty file.
		{"empty", "", "bad.yaml: the file is empty"},
		// Broken YAML names its line.
		{"syntax error", "name: a\ntransport: [rest\n", "bad.yaml:1: not valid YAML: did not find expected ',' or ']'"},
		// Several problems are reported together.
		{"several errors", "name: a\ntransport: soap\nload:\n  rate: -1\n", "bad.yaml:4: load.rate: -1 is negative"},
		// Suite: a rate of 0 in the same-load phase.
		{"suite zero rate", "name: s\nphases:\n  same-load:\n    rate: 0\nscenarios:\n  - {name: a, transport: rest}\n", "bad.yaml:4: phases.same-load.rate: 0: the same-load phase is open loop"},
		// Suite: concurrency in the same-load phase.
		{"suite phase key", "name: s\nphases:\n  same-load:\n    concurrency: 4\nscenarios:\n  - {name: a, transport: rest}\n", "bad.yaml:4: phases.same-load.concurrency: unknown key"},
		// Suite: an entry written in place is checked like a file.
		{"suite inline entry", "name: s\nscenarios:\n  - name: a\n    transport: rest\n    load: {rate: -3}\n", "bad.yaml:5: scenarios[0].load.rate: -3 is negative"},
		// Suite: two entries with one name.
		{"suite duplicate scenario", "name: s\nscenarios:\n  - {name: a, transport: rest}\n  - {name: a, transport: grpc}\n", `bad.yaml:4: scenarios[1]: scenario "a" is already in the suite`},
		// A fault that does not parse names its item and shows the grammar.
		{"bad fault", "name: a\ntransport: rest\nfaults:\n  - down@1s+1s\n  - down@5s\n", "bad.yaml:5: faults[1]: fault \"down@5s\": no +DURATION after the start; write a fault as KIND@START+DURATION"},
		// Faults are a list, even of one.
		{"fault not a list", "name: a\ntransport: rest\nfaults: down@1s+1s\n", "bad.yaml:3: faults: the text \"down@1s+1s\": write a list of faults"},
		// Two faults of one kind at once.
		{"faults overlap", "name: a\ntransport: rest\nfaults: [down@1s+2s, down@2s+1s]\n", "bad.yaml:3: faults: faults down@1s+2s and down@2s+1s overlap"},
		// Suite: an empty list.
		{"suite empty", "name: s\nscenarios: []\n", "bad.yaml:2: scenarios: must be a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("bad.yaml", []byte(tt.yaml), nil, testTransports)
			if err == nil {
				t.Fatalf("no error for\n%s", tt.yaml)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

// TestSeveralErrorsReported: one pass reports every problem it finds.
func TestSeveralErrorsReported(t *testing.T) {
	_, err := parse("bad.yaml", []byte("name: a\ntransport: soap\nload:\n  rate: -1\n  warmup: x\n"), nil, testTransports)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"bad.yaml:2: transport", "bad.yaml:4: load.rate", "bad.yaml:5: load.warmup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestDiskFiles: a suite on disk refers to a built-in scenario by name and
// to a file beside it by path; templates are read relative to their file;
// the suite's defaults fill what scenarios leave unset and no more.
func TestDiskFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("payloads/msg.json", `{"hello":"world"}`)
	write("mine.yaml", "name: mine\ntransport: grpc\npayload:\n  template: payloads/msg.json\nload:\n  timeout: 2s\n")
	suitePath := write("suite.yaml", `name: my-suite
phases:
  same-load: {rate: 500, duration: 2s}
  saturation: {concurrency: 4}
  resilience: {rate: 300, duration: 9s, fault: down@3s+3s}
defaults:
  payload: {size: 2KiB}
  load: {timeout: 9s}
scenarios:
  - order-payment-rest
  - ./mine.yaml
  - name: inline
    transport: rest
`)
	suite, err := Builtin().Suite(suitePath)
	if err != nil {
		t.Fatal(err)
	}
	if suite.SameLoad.Rate != 500 || suite.SameLoad.Duration != 2*time.Second || suite.Saturation.Concurrency != 4 {
		t.Errorf("phases %+v %+v", suite.SameLoad, suite.Saturation)
	}
	if r := suite.Resilience; r == nil || r.Rate != 300 || r.Duration != 9*time.Second || len(r.Faults) != 1 || r.Faults[0].String() != "down@3s+3s" {
		t.Errorf("resilience phase %+v", r)
	}
	if len(suite.Scenarios) != 3 {
		t.Fatalf("%d scenarios, want 3", len(suite.Scenarios))
	}
	builtin, mine, inline := suite.Scenarios[0], suite.Scenarios[1], suite.Scenarios[2]
	if builtin.Name != "order-payment-rest" || builtin.Payload.Template == "" {
		t.Errorf("built-in entry %+v: its own template must stay", builtin.Payload)
	}
	if mine.Payload.Bytes() != int64(len(`{"hello":"world"}`)) || mine.Load.Timeout != 2*time.Second {
		t.Errorf("file entry: payload %d bytes, timeout %v; want its own template and timeout", mine.Payload.Bytes(), mine.Load.Timeout)
	}
	if inline.Payload.Bytes() != 2048 || inline.Load.Timeout != 9*time.Second {
		t.Errorf("inline entry: payload %d bytes, timeout %v; want the suite's defaults", inline.Payload.Bytes(), inline.Load.Timeout)
	}
	if !strings.HasSuffix(inline.Pos.String(), "suite.yaml:12") {
		t.Errorf("inline entry at %s, want suite.yaml:12", inline.Pos)
	}

	// A scenario file opened as a suite is a suite of one.
	one, err := Builtin().Suite(filepath.Join(dir, "mine.yaml"))
	if err != nil || len(one.Scenarios) != 1 || one.Name != "mine" {
		t.Errorf("scenario as suite: %+v, %v", one, err)
	}
	// A suite is not a scenario.
	if _, err := Builtin().Scenario(suitePath); err == nil || !strings.Contains(err.Error(), "is a suite of 3 scenarios") {
		t.Errorf("suite as scenario: %v", err)
	}
}

// TestReferenceErrors: missing files and names say where they were looked for.
func TestReferenceErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	tests := []struct {
		name, text, ref, want string
	}{
		// A template that is not there names the key and line.
		{"missing template", "name: a\ntransport: rest\npayload:\n  template: nope.json\n", p, "s.yaml:4: payload.template: " + filepath.Join(dir, "nope.json") + ": no such file"},
		// A suite entry that is neither built-in nor a file.
		{"unknown entry", "name: s\nscenarios:\n  - no-such-scenario\n", p, `s.yaml:3: scenarios[0]: no built-in scenario named "no-such-scenario"`},
		// A suite that lists itself does not loop.
		{"suite in suite", "name: s\nscenarios:\n  - ./s.yaml\n", p, "a suite lists scenarios, not other suites"},
		// An unknown name lists the built-in ones.
		{"unknown name", "", "no-such", `no built-in scenario or suite named "no-such" and no such file; built-in: interaction, microservices, order-inventory-queue`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.text != "" {
				if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Builtin().Open(tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestBuiltinErrorsNameTheFile: a broken built-in file (here a stand-in
// set) is named with the builtin: prefix.
func TestBuiltinErrorsNameTheFile(t *testing.T) {
	lib := NewLibrary(fstest.MapFS{"x.yaml": {Data: []byte("name: x\ntransport: rest\nload: {rate: -1}\n")}})
	_, err := lib.Open("x")
	if err == nil || !strings.Contains(err.Error(), "builtin:x.yaml:3: load.rate") {
		t.Errorf("error %v", err)
	}
}

// TestOptionsKeepOrderAndPositions: options come back as written, with lines.
func TestOptionsKeepOrderAndPositions(t *testing.T) {
	doc, err := Parse("s.yaml", []byte("name: a\ntransport: queue\noptions:\n  mode: rpc\n  prefetch: 50\n  persistent: true\n  drain-timeout: 3s\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range doc.Scenario.Options {
		got = append(got, o.Pos.String()+" "+o.Name+"="+o.Value)
	}
	want := "s.yaml:4 mode=rpc,s.yaml:5 prefetch=50,s.yaml:6 persistent=true,s.yaml:7 drain-timeout=3s"
	if strings.Join(got, ",") != want {
		t.Errorf("options %v\nwant %s", got, want)
	}
	if v, ok := doc.Scenario.Option("prefetch"); !ok || v != "50" {
		t.Errorf("Option(prefetch) = %q, %v", v, ok)
	}
}

func TestFaultsAreParsed(t *testing.T) {
	doc, err := Parse("s.yaml", []byte("name: a\ntransport: queue\nfaults:\n  - down@5s+5s\n  - slow@11s+2s,delay=20ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []fault.Fault{
		{Kind: fault.Down, Start: 5 * time.Second, Duration: 5 * time.Second},
		{Kind: fault.Slow, Start: 11 * time.Second, Duration: 2 * time.Second, Delay: 20 * time.Millisecond},
	}
	if !slices.Equal(doc.Scenario.Faults, want) {
		t.Errorf("faults %+v, want %+v", doc.Scenario.Faults, want)
	}
}

// TestCopiedBuiltinKeepsItsTemplate: a built-in scenario saved to a file
// elsewhere ('commsbench scenarios show NAME > mine.yaml') still finds the
// built-in template it names.
func TestCopiedBuiltinKeepsItsTemplate(t *testing.T) {
	_, data, err := Builtin().Source("order-placed-event")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := Builtin().Scenario(p)
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := Builtin().Scenario("order-placed-event")
	if sc.Payload.Bytes() == 0 || sc.Payload.Bytes() != builtin.Payload.Bytes() {
		t.Errorf("copy's payload %d bytes, built-in's %d", sc.Payload.Bytes(), builtin.Payload.Bytes())
	}
}

// testTransports are the transport names the decoding tests take, as the
// command gives the registry's.
var testTransports = []string{"rest", "grpc", "queue", "event", "nats"}

// TestInteractionSuiteSendsOneOrderEverywhere: the interaction suite
// sends the same typed order (same items) over every transport, in both
// encodings, and carries no payload of its own.
func TestInteractionSuiteSendsOneOrderEverywhere(t *testing.T) {
	suite, err := Builtin().Suite("interaction")
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]bool{}
	for _, sc := range suite.Scenarios {
		opts := map[string]string{}
		for _, o := range sc.Options {
			opts[o.Name] = o.Value
		}
		if opts["items"] != "3" || sc.Payload.Template != "" {
			t.Errorf("%s: items %q, payload %+v; want the 3-item order and no template", sc.Name, opts["items"], sc.Payload)
		}
		cells[sc.Transport+"+"+opts["encoding"]] = true
	}
	for _, tr := range []string{"rest", "grpc", "nats", "queue", "event"} {
		for _, enc := range []string{"json", "protobuf"} {
			if !cells[tr+"+"+enc] {
				t.Errorf("the interaction suite does not send the order over %s as %s", tr, enc)
			}
		}
	}
}

func TestListOptions(t *testing.T) {
	doc, err := Parse("s.yaml", []byte(`name: a
transport: rest
options:
  header: ["Authorization: Bearer x", "X-Id: {{uuid}}"]
  mix:
    - {weight: 3, method: GET, path: "/orders/{{rand 1 100}}"}
    - weight: 1
      method: POST
      body_file: order.json
      expect_status: 201
      expect_json: [data.status=created]
  method: GET
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := doc.Scenario.Options
	if len(opts) != 3 || !opts[0].IsList || !opts[1].IsList || opts[2].IsList {
		t.Fatalf("options %+v", opts)
	}
	if got := strings.Join(opts[0].List, "|"); got != "Authorization: Bearer x|X-Id: {{uuid}}" {
		t.Errorf("header list %q", got)
	}
	want := []string{
		`{"method":"GET","path":"/orders/{{rand 1 100}}","weight":"3"}`,
		`{"body_file":"order.json","expect_json":["data.status=created"],"expect_status":"201","method":"POST","weight":"1"}`,
	}
	if strings.Join(opts[1].List, "\n") != strings.Join(want, "\n") {
		t.Errorf("mix entries\n%s\nwant\n%s", strings.Join(opts[1].List, "\n"), strings.Join(want, "\n"))
	}
	if opts[1].Pos.Line != 5 {
		t.Errorf("mix at line %d", opts[1].Pos.Line)
	}
}
