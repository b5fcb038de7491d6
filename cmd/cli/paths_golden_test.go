package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

var updatePaths = flag.Bool("update-paths", false, "rewrite testdata/paths.golden from this run")

// TestRunScenarioAndSuiteWriteTheSameResults holds the three ways into a
// run — run <transport>, run --scenario and suite — to the result files
// they wrote before they shared one typed run request: what was asked,
// the transport's options, labels and the names of the latencies. What
// was measured (counts, latencies, times) is left out: it differs from
// run to run.
func TestRunScenarioAndSuiteWriteTheSameResults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an embedded REST target and Kafka broker")
	}
	amqpURL := queueTestBroker(t)
	dir := t.TempDir()
	tpl, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "templates", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	orderFile := writeFile(t, t.TempDir(), "order.json", string(tpl))
	suiteFile := writeFile(t, dir, "pair.yaml", `name: pair
phases:
  same-load:
    rate: 200
  saturation:
    concurrency: 4
scenarios:
  - order-payment-rest
  - order-placed-event
  - order-inventory-queue-rpc
`)
	load := []string{"--rate", "200", "--duration", "300ms", "--warmup", "0"}
	runs := []struct {
		name string
		args []string
	}{
		{"run rest", append([]string{"run", "rest", "--payload-file", orderFile, "--http2", "--label", "flags", "--out", filepath.Join(dir, "run-rest.json")}, load...)},
		{"run event", append([]string{"run", "event", "--subscribers", "2", "--partitions", "3", "--payload-size", "300", "--out", filepath.Join(dir, "run-event.json")}, load...)},
		{"scenario rest", append([]string{"run", "--scenario", "order-payment-rest", "--out", filepath.Join(dir, "scenario-rest.json")}, load...)},
		{"scenario event", append([]string{"run", "--scenario", "order-placed-event", "--acks", "leader", "--out", filepath.Join(dir, "scenario-event.json")}, load...)},
		{"run queue", []string{"run", "queue", "--amqp-url", amqpURL, "--rate", "0", "--inflight", "10", "--producers", "2", "--requests", "100", "--warmup", "0", "--out", filepath.Join(dir, "run-queue.json")}},
		{"scenario queue", append([]string{"run", "--scenario", "order-inventory-queue", "--prefetch", "50", "--out", filepath.Join(dir, "scenario-queue.json")}, load...)},
		{"suite", []string{"suite", suiteFile, "--duration", "300ms", "--warmup", "0", "--saturation", "closed", "--quiet", "--out", filepath.Join(dir, "suite")}},
	}
	for _, r := range runs {
		if code, _, errOut := run(t, r.args...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", r.name, code, errOut)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	suiteFiles, _ := filepath.Glob(filepath.Join(dir, "suite", "*.json"))
	files = append(files, suiteFiles...)
	sort.Strings(files)
	var b strings.Builder
	for _, p := range files {
		res, err := results.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString("== " + filepath.ToSlash(rel) + "\n" + askedOf(t, res) + "\n")
	}
	golden := filepath.Join("testdata", "paths.golden")
	if *updatePaths {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-paths to write it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("the result files differ from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

var runIDPattern = regexp.MustCompile(`\d{8}T\d{6}-[0-9a-f]{6}`)

// askedOf is the part of a result that says what was asked and how it is
// named, as indented JSON, with the run id masked.
func askedOf(t *testing.T, r *results.Result) string {
	t.Helper()
	var names []string
	for k := range r.Latency {
		names = append(names, k)
	}
	sort.Strings(names)
	if f, ok := r.Options["payload_file"].(string); ok {
		r.Options["payload_file"] = filepath.Base(f)
	}
	var subs []string
	for _, s := range r.Subscribers {
		subs = append(subs, s.Group)
	}
	v := map[string]any{
		"transport":   r.Transport,
		"label":       r.Label,
		"scenario":    r.Scenario,
		"phase":       r.Phase,
		"load":        r.Load,
		"target_kind": r.Target.Kind,
		"options":     r.Options,
		"latencies":   names,
		"subscribers": subs,
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return runIDPattern.ReplaceAllString(string(data), "<run-id>")
}
