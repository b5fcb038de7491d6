package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

// Result files from real runs, shared with the results package's golden tests.
const (
	testBase = "../../results/testdata/base"
	testHead = "../../results/testdata/head"
)

// badInputs writes the broken inputs every reading command must refuse
// clearly, and returns their paths by name.
func badInputs(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	real, err := os.ReadFile(filepath.Join(testBase, "rest-ci-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"truncated.json":  real[:len(real)/2],
		"schema2.json":    []byte(strings.Replace(string(real), `"schema": 1`, `"schema": 2`, 1)),
		"not-result.json": []byte(`{"name": "some other tool", "values": [1, 2, 3]}`),
	}
	paths := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	paths["empty"] = empty
	paths["missing"] = filepath.Join(dir, "no-such-file.json")
	return paths
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	f, out, errOut := testFactory(args...)
	code = Main(context.Background(), f)
	return code, out.String(), errOut.String()
}

func TestCompareAndCheckBadInputs(t *testing.T) {
	bad := badInputs(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string // must appear in stderr
	}{
		{"compare truncated JSON", []string{"compare", bad["truncated.json"]}, ExitFailure, "not a commsbench result: invalid JSON"},
		{"compare wrong schema", []string{"compare", bad["schema2.json"]}, ExitFailure, "schema version 2, this commsbench reads version 1"},
		{"compare not a result", []string{"compare", bad["not-result.json"]}, ExitFailure, `no "schema" and "tool"`},
		{"compare empty directory", []string{"compare", bad["empty"]}, ExitFailure, "the directory holds no result file"},
		{"compare missing file", []string{"compare", bad["missing"]}, ExitFailure, "no-such-file.json does not exist"},
		{"compare nothing", []string{"compare"}, ExitUsage, "name at least one result file"},
		{"compare misspelled latency", []string{"compare", testBase, "--metric", "publsh"}, ExitUsage, `--metric "publsh": choose a latency`},
		{"compare latency no run has", []string{"compare", filepath.Join(testBase, "rest-ci-1.json"), "--metric", "publish"}, ExitUsage, "no run has a publish latency"},
		{"compare misspelled percentile", []string{"compare", testBase, "--percentiles", "p50,p99x"}, ExitUsage, `--percentiles: "p99x" is not a latency figure`},
		{"compare unknown format", []string{"compare", testBase, "--format", "xml"}, ExitUsage, `--format "xml"`},
		{"compare baseline out of range", []string{"compare", testBase, testHead, "--baseline", "3"}, ExitUsage, "--baseline 3: choose a side from 1 to 2"},
		{"compare unknown group key", []string{"compare", testBase, "--group-by", "transport,lable"}, ExitUsage, `unknown grouping key "lable"`},
		{"compare bad alpha", []string{"compare", testBase, "--alpha", "5"}, ExitUsage, "--alpha 5: must be between 0 and 1"},
		{"compare bad percentile source", []string{"compare", testBase, "--percentile-source", "mean"}, ExitUsage, `--percentile-source "mean"`},

		{"check truncated baseline", []string{"check", "--baseline", bad["truncated.json"], "--current", testHead}, ExitFailure, "--baseline: " + bad["truncated.json"]},
		{"check wrong schema", []string{"check", "--baseline", testBase, "--current", bad["schema2.json"]}, ExitFailure, "schema version 2"},
		{"check not a result", []string{"check", "--baseline", testBase, "--current", bad["not-result.json"]}, ExitFailure, "not a commsbench result"},
		{"check empty directory", []string{"check", "--baseline", bad["empty"], "--current", testHead}, ExitFailure, "holds no result file"},
		{"check misspelled metric", []string{"check", "--baseline", testBase, "--current", testHead, "--max-regression", "p99=10%,latncy=5%"}, ExitUsage, `unknown metric "latncy"`},
		{"check rule without unit", []string{"check", "--baseline", testBase, "--current", testHead, "--max-regression", "ops_per_s=5"}, ExitUsage, `"5" has no unit`},
		{"check without current", []string{"check", "--baseline", testBase}, ExitUsage, "--current: name the result file"},
		{"check without anything to check against", []string{"check", "--current", testHead}, ExitUsage, "nothing to check against"},
		{"check max-regression without baseline", []string{"check", "--current", testHead, "--thresholds", "x.yml", "--max-regression", "p99=5%"}, ExitUsage, "--max-regression needs --baseline"},
		{"check missing thresholds file", []string{"check", "--current", testHead, "--thresholds", bad["missing"]}, ExitFailure, "--thresholds: " + bad["missing"] + " does not exist"},
		{"check groups that never match", []string{"check", "--baseline", testBase, "--current", filepath.Join(testHead, "rest-ci-1.json"), "--group-by", "transport,load.payload_bytes"}, ExitUsage, "no group of the current results matches a group of the baseline"},
		{"check unknown format", []string{"check", "--baseline", testBase, "--current", testHead, "--format", "csv"}, ExitUsage, `--format "csv": choose text, markdown or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q does not say %q", stderr, tt.msg)
			}
		})
	}
}

func TestCheckThresholdFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		yaml string
		code int
		msg  string
	}{
		// k6 #1526: a misspelled metric must stop the gate, not pass it.
		{"misspelled metric", "rest:\n  p99_latency: \"< 5ms\"\n", ExitUsage, `line 2: rest: unknown metric "p99_latency"`},
		{"malformed limit", "rest:\n  p99: \"< 5 ms please\"\n", ExitUsage, "not a duration with a unit"},
		{"unquoted number", "rest:\n  ops_per_s: 1000\n", ExitUsage, `"1000" has no comparison`},
		{"transport nobody ran", "event:\n  p99: \"< 5ms\"\n", ExitUsage, `thresholds for "event" match no current result`},
		{"misspelled transport", "rset:\n  p99: \"< 5ms\"\n", ExitUsage, `thresholds for "rset" match no current result`},
		{"passing thresholds", "rest/ci:\n  p99: \"< 1s\"\n  error_rate: \"< 1%\"\n", ExitOK, ""},
		{"failing threshold", "rest:\n  p50: \"< 1us\"\n", ExitCheckFailed, "check failed: 2 of 2 checks failed"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "th"+string(rune('a'+i))+".yml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, "check", "--current", testHead, "--thresholds", path)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q does not say %q", stderr, tt.msg)
			}
			if tt.code == ExitOK || tt.code == ExitCheckFailed {
				if !strings.Contains(stdout, "threshold") {
					t.Errorf("no table of the rules on stdout:\n%s", stdout)
				}
			} else if stdout != "" {
				t.Errorf("a usage error printed a table:\n%s", stdout)
			}
		})
	}
}

func TestCheckExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string // must appear on stdout
		err  string // must appear on stderr
	}{
		// The same runs on both sides cannot regress.
		{"identical sides pass", []string{"check", "--baseline", testBase, "--current", testBase}, ExitOK, "PASS: all 12 checks passed", ""},
		// head/ sent 64 KiB where base/ sent 256 B: a change would be the
		// load's, so check refuses…
		{"unlike loads are refused", []string{"check", "--baseline", testBase, "--current", testHead, "--max-regression", "p50=10%"}, ExitUsage, "", "asked for different loads"},
		// …unless told, and then 64 KiB payloads raise the p50 significantly (p=0.029, 4 runs a side).
		{"a significant regression fails", []string{"check", "--baseline", testBase, "--current", testHead, "--max-regression", "p50=10%", "--group-by", "transport,label", "--allow-load-change"}, ExitCheckFailed, "significant regression (p=0.029)", ""},
		// Markdown for the job summary.
		{"markdown", []string{"check", "--baseline", testBase, "--current", testBase, "--format", "markdown"}, ExitOK, "### commsbench check: PASS", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stdout, tt.out) {
				t.Errorf("stdout does not say %q:\n%s", tt.out, stdout)
			}
			if !strings.Contains(stderr, tt.err) || (tt.err != "" && !strings.Contains(stderr, "--allow-load-change")) {
				t.Errorf("stderr does not say %q and name --allow-load-change:\n%s", tt.err, stderr)
			}
		})
	}
}

func TestCompareFormats(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"text", "~: no significant difference"},
		{"markdown", "| group | latency | base n |"},
		{"csv", "group,latency,side,baseline,n,ops_per_s"},
		{"json", `"percentile_source": "median"`},
		{"benchfmt", "BenchmarkRest/ci-2"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			code, stdout, stderr := run(t, "compare", testBase, testHead, "--format", tt.format)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, tt.want) {
				t.Errorf("output does not hold %q:\n%s", tt.want, stdout)
			}
		})
	}
}

func TestExportHGRM(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rest.hgrm")
	code, _, stderr := run(t, "export", filepath.Join(testBase, "rest-ci-1.json"), "--hgrm", out, "--unit", "us")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../results/testdata/golden/rest-ci-1-response-us.hgrm")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("export --hgrm differs from the golden .hgrm:\n%s", got)
	}
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"export", testBase}, ExitUsage, "choose what to export: --hgrm"},
		{[]string{"export", testBase, "--hgrm", "-", "--unit", "min"}, ExitUsage, `--unit "min"`},
		{[]string{"export", testBase, "--hgrm", "-", "--metric", "publish"}, ExitUsage, "has no such latency"},
		{[]string{"export", "--hgrm", "-"}, ExitUsage, "name the result file"},
	} {
		code, _, stderr := run(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, tt.code, tt.msg)
		}
	}
}

func TestMergeCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "total.json")
	a, b := filepath.Join(testBase, "rest-ci-1.json"), filepath.Join(testBase, "rest-ci-2.json")
	code, stdout, stderr := run(t, "merge", a, b, "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ra, _ := results.ReadFile(a)
	rb, _ := results.ReadFile(b)
	if m.Counts.Sent != ra.Counts.Sent+rb.Counts.Sent || m.Throughput.OpsPerS != ra.Throughput.OpsPerS+rb.Throughput.OpsPerS {
		t.Errorf("counts %+v ops/s %v: want the sums", m.Counts, m.Throughput.OpsPerS)
	}
	want, _ := results.Merge(ra.Latency[results.Response], rb.Latency[results.Response])
	if m.Latency[results.Response].P99 != want.P99 || m.Latency[results.Response].Count != want.Count {
		t.Errorf("merged p99 %d (n=%d), want %d (n=%d)", m.Latency[results.Response].P99, m.Latency[results.Response].Count, want.P99, want.Count)
	}
	if !strings.Contains(stdout, "merged from 2 results") {
		t.Errorf("the summary does not say the result is merged:\n%s", stdout)
	}
	// The http2 run has other transport options: not the same measurement.
	code, _, stderr = run(t, "merge", a, filepath.Join(testBase, "rest-h2-1.json"), "--out", out)
	if code != ExitUsage || !strings.Contains(stderr, "transport options") {
		t.Errorf("merging different options: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "merge", a, "--out", out)
	if code != ExitUsage || !strings.Contains(stderr, "at least two results") {
		t.Errorf("merging one file: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "merge", a, b)
	if code != ExitUsage || !strings.Contains(stderr, "--out") {
		t.Errorf("merge without --out: exit %d, stderr %q", code, stderr)
	}
}

func TestRunCountWritesOneFilePerRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load")
	}
	dir := filepath.Join(t.TempDir(), "runs")
	code, _, stderr := run(t, "run", "rest", "--rate", "200", "--duration", "300ms", "--warmup", "0", "--label", "ci x", "--count", "2", "--out", dir, "-q")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// A second invocation adds to the directory rather than overwriting it.
	code, _, stderr = run(t, "run", "rest", "--rate", "200", "--duration", "300ms", "--warmup", "0", "--label", "ci x", "--out", dir, "-q")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rs, err := results.LoadPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d results, want 3", len(rs))
	}
	ids := map[string]bool{}
	for _, r := range rs {
		ids[r.RunID] = true
		if r.Label != "ci x" || r.Counts.OK == 0 {
			t.Errorf("run %s: label %q ok %d", r.RunID, r.Label, r.Counts.OK)
		}
	}
	if len(ids) != 3 {
		t.Errorf("run ids %v: each repetition must be a run of its own", ids)
	}
	for _, name := range []string{"rest-ci_x-1.json", "rest-ci_x-2.json", "rest-ci_x-3.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "rest", "--count", "0"}, "--count 0: must be at least 1"},
		{[]string{"run", "rest", "--count", "3", "--out", "r.json"}, "with several runs --out names a directory"},
		{[]string{"run", "rest", "--count", "3", "--out", "-"}, "with several runs --out names a directory"},
	} {
		code, _, stderr := run(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, ExitUsage, tt.msg)
		}
	}
}
