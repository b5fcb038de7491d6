package containers

import (
	"context"
	"fmt"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// Workload is a transport's workload run against a broker in a container.
// It describes the target as that container (kind, image, the broker's
// version) and notes in the result where the broker ran; everything else is
// the transport's. The transports know nothing of containers.
//
// The container's life is the caller's — Start it before the runs, Remove
// it after — so that repeated runs (--count) share one broker.
type Workload struct {
	bench.Workload
	broker *Broker
}

// Wrap describes inner's target as broker's container.
func Wrap(inner bench.Workload, broker *Broker) *Workload {
	return &Workload{Workload: inner, broker: broker}
}

// Start is the transport's, with the target described as the container.
func (w *Workload) Start(ctx context.Context) (results.Target, error) {
	t, err := w.Workload.Start(ctx)
	if err != nil {
		return t, err
	}
	b := w.broker
	t.Kind = results.TargetContainer
	t.Image = b.Image
	if t.Broker == "" {
		t.Broker = b.Kind.BrokerName()
	}
	if t.BrokerVersion == "" {
		t.BrokerVersion = b.Version
	}
	if t.Address == "" {
		t.Address = b.Address()
	}
	return t, nil
}

// Finish is the transport's, and adds a note saying where the broker ran.
func (w *Workload) Finish(ctx context.Context, r *results.Result) error {
	err := w.Workload.Finish(ctx, r)
	r.Notes = append(r.Notes, fmt.Sprintf("The %s broker ran in a Docker container (%s) on the load generator's machine, sharing its CPUs.", w.broker.Kind.Title(), w.broker.Image))
	return err
}

// OperationLatency is the transport's name for its operation latency.
func (w *Workload) OperationLatency() string {
	if n, ok := w.Workload.(bench.OperationNamer); ok {
		return n.OperationLatency()
	}
	return ""
}

// Descriptors is the transport's, when it says.
func (w *Workload) Descriptors() int {
	if n, ok := w.Workload.(bench.DescriptorNeeder); ok {
		return n.Descriptors()
	}
	return 0
}
