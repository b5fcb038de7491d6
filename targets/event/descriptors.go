package event

import "github.com/commsbench/commsbench/bench"

var _ bench.DescriptorNeeder = (*Workload)(nil)

// Descriptors is the sockets the run holds at the peak, fitted to what
// kafka-go opened against the embedded broker (33 sockets with one
// producer, one group of one reader and 6 partitions; 101 with 4
// producers and 3 groups of 2 readers): about three per producer and
// broker, three per group member plus one per partition its group reads,
// four for the admin client. With the embedded broker both ends are in
// this process, plus its listener.
func (w *Workload) Descriptors() int {
	brokers := max(len(w.cfg.Brokers), 1)
	n := 4 + 3*w.cfg.Producers*brokers
	for i := range w.cfg.Subscribers {
		n += 3*w.cfg.ConsumersOf(i) + w.cfg.Partitions
	}
	if len(w.cfg.Brokers) == 0 {
		return 2*n + 1
	}
	return n
}
