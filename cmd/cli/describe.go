package cli

import (
	"github.com/commsbench/commsbench/report"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/registry"
)

// describeRows names each row's mechanism as its transport does.
func describeRows(rows []report.Row) {
	report.Describe(rows, describeResult)
}

// describeResult is how the report names a result of the transport t.
func describeResult(t string, r *results.Result) report.Mechanism {
	tr, ok := registry.Lookup(t)
	if !ok || tr.Describe == nil {
		return report.Mechanism{}
	}
	m := tr.Describe(r)
	return report.Mechanism{Name: m.Name, Prose: m.Prose, Kind: report.Kind(m.Kind)}
}
