package queue

import "github.com/commsbench/commsbench/bench"

var _ bench.DescriptorNeeder = (*Workload)(nil)

// Descriptors is the sockets the run holds at the peak: its AMQP
// connections, and the one Close may open to delete the queue.
func (w *Workload) Descriptors() int {
	return w.cfg.Connections + 1
}
