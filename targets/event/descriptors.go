package event

import "github.com/commsbench/commsbench/bench"

var _ bench.DescriptorNeeder = (*Workload)(nil)

// Descriptors is the sockets the run holds at the peak, counted the way
// kafka-go opens them: each producer's transport keeps a connection for
// metadata and one for produce requests per broker; each group member
// keeps one to the group coordinator and one for heartbeats, and its
// group one per partition it reads; the admin client keeps two. With the
// embedded broker both ends are in this process, plus its listener.
func (w *Workload) Descriptors() int {
	brokers := max(len(w.cfg.Brokers), 1)
	n := 2 + 2*w.cfg.Producers*brokers
	for i := range w.cfg.Subscribers {
		n += 2*w.cfg.ConsumersOf(i) + w.cfg.Partitions
	}
	if len(w.cfg.Brokers) == 0 {
		return 2*n + 1
	}
	return n
}
