package results_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

func mustRules(t *testing.T, s string) []results.RegressionRule {
	t.Helper()
	r, err := results.ParseMaxRegression(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustThresholds(t *testing.T, s string) *results.ThresholdSet {
	t.Helper()
	set, err := results.ParseThresholds([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// withOps sets every run's throughput to ops (plus a little noise).
func withOps(rs []*results.Result, ops float64) []*results.Result {
	for i, r := range rs {
		r.Throughput.OpsPerS = ops + float64(i%3)
	}
	return rs
}

func TestCheckRegressions(t *testing.T) {
	tests := []struct {
		name      string
		base, cur []*results.Result
		rules     string
		pass      bool
		reason    string // part of the first row's reason
	}{
		// Latency up 50% in every run, 5 a side: significant and over 10%.
		{"significant large regression fails", runs(t, "ci", 5, time.Millisecond, 1), runs(t, "ci", 5, 1500*time.Microsecond, 50), "p99=10%", false, "significant regression"},
		// The same shift is allowed when the limit is larger than it.
		{"significant but within the limit passes", runs(t, "ci", 5, time.Millisecond, 1), runs(t, "ci", 5, 1500*time.Microsecond, 50), "p99=80%", true, "within the limit"},
		// Same distribution, 4 a side: whatever the medians, not significant.
		{"noise passes", runs(t, "ci", 4, time.Millisecond, 1), runs(t, "ci", 4, time.Millisecond, 300), "p99=0%", true, ""},
		// One run a side: a plain comparison decides, and says so.
		{"untested regression fails", runs(t, "ci", 1, time.Millisecond, 1), runs(t, "ci", 1, 1500*time.Microsecond, 50), "p99=10%", false, "not significance-tested: n=1+1"},
		// Throughput must not fall: -40% fails a 5% rule...
		{"throughput drop fails", withOps(runs(t, "ci", 5, time.Millisecond, 1), 10000), withOps(runs(t, "ci", 5, time.Millisecond, 1), 6000), "ops_per_s=5%", false, "significant regression"},
		// ...but +40% is an improvement, not a regression.
		{"throughput rise passes", withOps(runs(t, "ci", 5, time.Millisecond, 1), 6000), withOps(runs(t, "ci", 5, time.Millisecond, 1), 10000), "ops_per_s=5%", true, "within the limit"},
		// Latency down is an improvement.
		{"latency drop passes", runs(t, "ci", 5, 1500*time.Microsecond, 50), runs(t, "ci", 5, time.Millisecond, 1), "p99=10%", true, "within the limit"},
		// An absolute allowance: +500µs on a 1.1ms p99 is over 100µs.
		{"absolute latency allowance", runs(t, "ci", 5, time.Millisecond, 1), runs(t, "ci", 5, 1500*time.Microsecond, 50), "p99=100us", false, "significant regression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := results.Check(tt.base, tt.cur, results.CheckOptions{Regressions: mustRules(t, tt.rules)})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Passed != tt.pass {
				t.Errorf("passed = %v, want %v: %+v", rep.Passed, tt.pass, rep.Rows[0])
			}
			if !strings.Contains(rep.Rows[0].Reason, tt.reason) {
				t.Errorf("reason %q, want %q", rep.Rows[0].Reason, tt.reason)
			}
		})
	}
}

func TestCheckUntestedSaysSo(t *testing.T) {
	rep, err := results.Check(runs(t, "ci", 2, time.Millisecond, 1), runs(t, "ci", 2, time.Millisecond, 9), results.CheckOptions{Regressions: mustRules(t, "p99=50%")})
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(rep.Notes, "\n"); !strings.Contains(notes, "not significance-tested: fewer than 4 runs a side (n=2+2)") {
		t.Errorf("no note that nothing was tested:\n%s", notes)
	}
}

func TestCheckThresholds(t *testing.T) {
	cur := append(runs(t, "ci", 3, time.Millisecond, 1), runs(t, "h2", 3, 10*time.Millisecond, 7)...)
	rep, err := results.Check(nil, cur, results.CheckOptions{Thresholds: mustThresholds(t, `
rest:
  p99: "< 5ms"
  error_rate: "< 0.1%"
rest/h2:
  ops_per_s: "> 1000"
`)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rep.Rows {
		got[r.Group+" "+r.Metric] = r.Status
	}
	want := map[string]string{
		"rest/ci p99":        results.StatusPass, // ~1.2ms
		"rest/ci error_rate": results.StatusPass,
		"rest/h2 p99":        results.StatusFail, // ~12ms
		"rest/h2 error_rate": results.StatusPass,
		"rest/h2 ops_per_s":  results.StatusPass, // 2000
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(rep.Rows) != len(want) || rep.Passed || rep.Failed != 1 {
		t.Errorf("%d rows, passed %v, failed %d; want %d rows and 1 failure", len(rep.Rows), rep.Passed, rep.Failed, len(want))
	}
}

// TestCheckSetupErrors: rules that cannot apply are an error, never a pass.
func TestCheckSetupErrors(t *testing.T) {
	base, cur := runs(t, "ci", 2, time.Millisecond, 1), runs(t, "ci", 2, time.Millisecond, 2)
	tests := []struct {
		name      string
		base, cur []*results.Result
		o         results.CheckOptions
		msg       string
	}{
		{"threshold for a transport nobody ran", nil, cur, results.CheckOptions{Thresholds: mustThresholds(t, `grpc: {p99: "< 1ms"}`)}, `thresholds for "grpc" match no current result (current groups: rest/ci)`},
		{"misspelled transport", nil, cur, results.CheckOptions{Thresholds: mustThresholds(t, `rset: {p99: "< 1ms"}`)}, `"rset" match no current result`},
		{"label nobody used", nil, cur, results.CheckOptions{Thresholds: mustThresholds(t, `rest/main: {p99: "< 1ms"}`)}, `"rest/main" match no current result`},
		{"latency the runs lack", nil, cur, results.CheckOptions{Thresholds: mustThresholds(t, `rest: {publish.p99: "< 1ms"}`)}, `rest result has no "publish" latency`},
		{"labels differ between sides", base, runs(t, "pr", 2, time.Millisecond, 2), results.CheckOptions{Regressions: mustRules(t, "p99=10%")}, "no group of the current results matches a group of the baseline (baseline: rest/ci; current: rest/pr)"},
		{"no rule at all", base, cur, results.CheckOptions{}, "no rule to check"},
		{"regressions without baseline", nil, cur, results.CheckOptions{Regressions: mustRules(t, "p99=10%")}, "need baseline results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := results.Check(tt.base, tt.cur, tt.o)
			if !errors.Is(err, results.ErrCheckSetup) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want ErrCheckSetup saying %q", err, tt.msg)
			}
		})
	}
}

func TestCheckMissingCurrentGroupFails(t *testing.T) {
	base := append(runs(t, "ci", 1, time.Millisecond, 1), runs(t, "h2", 1, time.Millisecond, 2)...)
	rep, err := results.Check(base, runs(t, "ci", 1, time.Millisecond, 3), results.CheckOptions{Regressions: mustRules(t, "p99=10%")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed {
		t.Fatal("a baseline group with no current run passed")
	}
	for _, r := range rep.Rows {
		if r.Group == "rest/h2" && (r.Status != results.StatusFail || r.Reason != "no current run of this group") {
			t.Errorf("rest/h2: %s %q", r.Status, r.Reason)
		}
	}
}
