package report

import (
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

// cell is one scenario of the 2×2: its saturation throughput and its
// CPU per operation at the same load.
func cell(transport, name, enc string, opsPerS, cpuUS float64) Row {
	opts := map[string]any{"encoding": enc}
	return Row{
		Scenario:   transport + "-" + enc,
		Transport:  transport,
		Mech:       Mechanism{Name: name + " · " + enc, Prose: name + " · " + enc, Kind: Sync},
		SameLoad:   &results.Result{Options: opts, Resources: &results.Resources{CPUPerOpUS: cpuUS}},
		Saturation: &results.Result{Options: opts, Throughput: results.Throughput{OpsPerS: opsPerS}},
	}
}

func TestTwoByTwoSentences(t *testing.T) {
	rows := []Row{
		cell("a", "Alpha", "json", 1000, 100),
		cell("a", "Alpha", "protobuf", 2000, 50),
		cell("b", "Beta", "protobuf", 2200, 50),
		cell("b", "Beta", "json", 1100, 100),
		{Scenario: "queued", Transport: "q", Mech: Mechanism{Name: "q", Kind: Oneway}, SameLoad: &results.Result{Options: map[string]any{"encoding": "json"}}},
	}
	got := strings.Join(Sentences(rows), "\n")
	for _, want := range []string{
		"From Alpha with JSON to Beta with protobuf, the throughput at saturation changed 2.20×.",
		"protobuf instead of JSON changed it 2.00× over Alpha and 2.00× over Beta (2.00× on average)",
		"Beta instead of Alpha changed it 1.10× with JSON and 1.10× with protobuf (1.10× on average)",
		"the CPU time per operation at the same load changed 0.50×",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sentences lack %q:\n%s", want, got)
		}
	}
	// Without both encodings of two transports there is no 2×2 to speak of.
	for _, rs := range [][]Row{rows[:3], {rows[0], rows[1], rows[4]}, nil} {
		if _, ok := findTwoByTwo(rs); ok {
			t.Errorf("a 2×2 found in %d rows", len(rs))
		}
	}
}
