package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

// run rest --fault, and the same fault from a scenario's faults:, go the
// same way: the fault is applied to the embedded target, the result holds
// it and the run's resilience, and the summary shows the resilience table.
func TestRunWithAFault(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "down.yaml", "name: rest-down\ntransport: rest\nload: {rate: 200, duration: 3s, warmup: 200ms}\nfaults:\n  - down@1s+1s\n")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"flag", []string{"run", "rest", "--rate", "200", "--duration", "3s", "--warmup", "200ms", "--fault", "down@1s+1s"}},
		{"scenario", []string{"run", "--scenario", sc}},
		// A flag replaces the scenario's faults rather than adding to them.
		{"flag over scenario", []string{"run", "--scenario", sc, "--fault", "down@1s+1s"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".json")
			f, stdout, stderr := testFactory(append(c.args, "--out", out)...)
			if code := Main(context.Background(), f); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, want := range []string{"faults     down@1s+1s (applied 1.00–2.00s)", "recovered  ", "phase   span", "during  1.0–2.0s"} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, stdout)
				}
			}
			res, err := results.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			rs := res.Resilience
			if len(res.Faults) != 1 || rs == nil {
				t.Fatalf("faults %+v, resilience %+v", res.Faults, rs)
			}
			if rs.During.Errors < 160 || rs.Before.Errors != 0 || rs.After.Errors != 0 {
				t.Errorf("errors before %d, during %d, after %d; want about 200 during only", rs.Before.Errors, rs.During.Errors, rs.After.Errors)
			}
		})
	}
}
