package results_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/commsbench/commsbench/results"
)

// The result files under testdata/base and testdata/head come from real
// runs of "commsbench run rest" (see testdata/README.md); head/ sent 64 KiB
// payloads where base/ sent 256 bytes.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./results -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./results -update refreshes it after a deliberate change)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func loadTestdata(t *testing.T, path string) []*results.Result {
	t.Helper()
	rs, err := results.LoadPath(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func testdataSides(t *testing.T) []results.Side {
	return []results.Side{
		{Name: "base", Results: loadTestdata(t, "base")},
		{Name: "head", Results: loadTestdata(t, "head")},
	}
}

func TestCompareGolden(t *testing.T) {
	sides := testdataSides(t)
	tests := []struct {
		file   string
		format string
		sides  []results.Side
		o      results.CompareOptions
	}{
		{"compare.txt", results.FormatText, sides, results.CompareOptions{}},
		{"compare.md", results.FormatMarkdown, sides, results.CompareOptions{}},
		{"compare.csv", results.FormatCSV, sides, results.CompareOptions{}},
		{"compare.json", results.FormatJSON, sides, results.CompareOptions{}},
		// The merged-histogram figures and another latency.
		{"compare-merged-service.txt", results.FormatText, sides, results.CompareOptions{PercentileSource: results.PercentileMerged, Latency: results.Service, Percentiles: []string{"p50", "p90", "p99"}}},
		// The publish latency, which only the queue runs have.
		{"compare-publish.txt", results.FormatText, sides, results.CompareOptions{Latency: results.Publish}},
		// One run a side: the footnote that nothing was tested.
		{"compare-single.txt", results.FormatText, []results.Side{
			{Name: "rest-ci-1", Results: loadTestdata(t, "base/rest-ci-1.json")},
			{Name: "rest-ci-1 (head)", Results: loadTestdata(t, "head/rest-ci-1.json")},
		}, results.CompareOptions{}},
		// One side alone: a table without deltas.
		{"compare-one-side.md", results.FormatMarkdown, sides[:1], results.CompareOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := results.Compare(tt.sides, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := results.WriteComparison(&buf, c, tt.format); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, buf.Bytes())
		})
	}
}

func TestCheckGolden(t *testing.T) {
	th, err := os.ReadFile(filepath.Join("testdata", "thresholds.yml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := results.ParseThresholds(th)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := results.ParseMaxRegression(results.DefaultMaxRegression + ",p50=10%")
	if err != nil {
		t.Fatal(err)
	}
	// head/ sent 64 KiB where base/ sent 256 B: a load change check refuses
	// unless allowed, and then notes.
	rep, err := results.Check(loadTestdata(t, "base"), loadTestdata(t, "head"), results.CheckOptions{Regressions: rules, Thresholds: set, AllowLoadChange: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed {
		t.Error("the 64 KiB payload runs passed; their p50 rose significantly and the h2 p99 over its threshold")
	}
	for _, format := range []struct{ file, format string }{
		{"check.txt", results.FormatText},
		{"check.md", results.FormatMarkdown},
		{"check.json", results.FormatJSON},
	} {
		t.Run(format.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := results.WriteCheck(&buf, rep, format.format); err != nil {
				t.Fatal(err)
			}
			golden(t, format.file, buf.Bytes())
		})
	}
}

func TestHGRMGolden(t *testing.T) {
	r := loadTestdata(t, "base/rest-ci-1.json")[0]
	for _, unit := range []string{results.HGRMMillis, results.HGRMMicros} {
		var buf bytes.Buffer
		if err := results.WriteHGRM(&buf, r.Latency[results.Response], unit); err != nil {
			t.Fatal(err)
		}
		golden(t, "rest-ci-1-response-"+unit+".hgrm", buf.Bytes())
	}
}

func TestBenchfmtGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := results.WriteBenchfmt(&buf, testdataSides(t), results.BenchfmtOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.benchfmt", buf.Bytes())
}

// TestBenchfmtReadsWithXPerf reads the benchfmt output back with the
// parser benchstat itself uses: every run is one result with every unit.
func TestBenchfmtReadsWithXPerf(t *testing.T) {
	sides := testdataSides(t)
	var buf bytes.Buffer
	if err := results.WriteBenchfmt(&buf, sides, results.BenchfmtOptions{}); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(&buf, "runs.txt")
	n := 0
	perSide := map[string]int{}
	better := map[string]int{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt cannot read a line: %v", rec)
		case *benchfmt.UnitMetadata:
			if rec.Key == "better" {
				better[rec.OrigUnit] = map[string]int{"higher": 1, "lower": -1}[rec.Value]
			}
		case *benchfmt.Result:
			n++
			perSide[string(rec.GetConfig("side"))]++
			units := map[string]float64{}
			for _, v := range rec.Values {
				units[v.OrigUnit] = v.OrigValue
				if v.OrigUnit == "" {
					units[v.Unit] = v.Value
				}
			}
			for _, u := range []string{"ns/op", "p50-ns", "p99-ns", "p99.9-ns", "max-ns", "ops/s", "errors/op"} {
				if _, ok := units[u]; !ok {
					t.Errorf("%s: no %s value (has %v)", rec.Name, u, units)
				}
			}
			if base := string(rec.Name.Base()); base != "Rest" && base != "Grpc" && base != "Queue" {
				t.Errorf("benchmark name %q, want the transport (Rest, Grpc, Queue) as base name", rec.Name.Full())
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(sides[0].Results)+len(sides[1].Results) || perSide["base"] != len(sides[0].Results) || perSide["head"] != len(sides[1].Results) {
		t.Errorf("%d results (per side %v), want one per run", n, perSide)
	}
	if better["ops/s"] != 1 || better["p99-ns"] != -1 {
		t.Errorf("unit directions %v: ops/s must be higher-is-better, latency lower", better)
	}
}

// TestWrittenByThisVersionGolden reads result files written after unsent
// became a gate and empty latencies lost their figures (testdata/v1.1):
// an overloaded run and a run that measured nothing. Their summaries show
// unsent beside errors and n/a for nothing, and check fails both.
func TestWrittenByThisVersionGolden(t *testing.T) {
	rs := loadTestdata(t, "v1.1")
	var buf bytes.Buffer
	for _, r := range rs {
		if err := results.WriteSummary(&buf, r, results.FormatText); err != nil {
			t.Fatal(err)
		}
		buf.WriteString("\n")
	}
	golden(t, "v1.1-summaries.txt", buf.Bytes())

	set := mustThresholds(t, `
rest/overload:
  unsent: "== 0"
  failed_rate: "< 1%"
  error_rate: "< 1%"
rest/empty:
  p99: "< 5ms"
  ops_per_s: ">= 0"
`)
	rep, err := results.Check(nil, rs, results.CheckOptions{Thresholds: set})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := results.WriteCheck(&buf, rep, results.FormatText); err != nil {
		t.Fatal(err)
	}
	golden(t, "v1.1-check.txt", buf.Bytes())
	if rep.Failed != 4 {
		t.Errorf("%d rules failed, want 4: every rule but the error rate of the overloaded run (its sent operations all succeeded)", rep.Failed)
	}
}
