package grpctarget

import "github.com/commsbench/commsbench/bench"

var _ bench.DescriptorNeeder = (*Workload)(nil)

// Descriptors is the sockets the run holds at the peak: one per client
// connection, both of their ends when the target is embedded in this
// process, and its listener.
func (w *Workload) Descriptors() int {
	if w.cfg.Target != "" {
		return w.cfg.Connections
	}
	return 2*w.cfg.Connections + 1
}
