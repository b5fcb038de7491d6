package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/scenarios"
)

// TestProgressShowsNAForAP99NotYetMeasured: before an operation of the
// measured period finished there is no p99, and the live lines say n/a
// rather than 0.
func TestProgressShowsNAForAP99NotYetMeasured(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    bench.Progress
		want string
	}{
		// The first second: nothing has finished yet.
		{"nothing yet", bench.Progress{Elapsed: time.Second, Planned: 10 * time.Second}, "p99 n/a"},
		// Operations finished: their p99 is shown.
		{"measured", bench.Progress{Elapsed: time.Second, Planned: 10 * time.Second, Ops: 100, OpsPerS: 100, P99: 2 * time.Millisecond}, "p99 2.00ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var run, suite strings.Builder
			(&progressLine{liveLine: liveLine{w: &run}, label: "rest"}).update(tc.s)
			sp := &suiteProgress{liveLine: liveLine{w: &suite}, suite: &scenarios.Suite{Scenarios: []*scenarios.Scenario{{Name: "s"}}}}
			sp.callback(0, 0)(tc.s)
			for name, out := range map[string]string{"run": run.String(), "suite": suite.String()} {
				if !strings.Contains(out, tc.want) {
					t.Errorf("%s progress %q lacks %q", name, out, tc.want)
				}
			}
		})
	}
}
