package containers

import (
	"context"
	"errors"
	"fmt"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// Workload runs a transport's workload against a broker it starts in a
// container: Start starts the container, then the transport's workload made
// for that broker; Close closes the transport's workload and removes the
// container. The transport's packages need to know nothing of containers.
type Workload struct {
	engine   *Engine
	spec     Spec
	newInner func(*Broker) (bench.Workload, error)
	// start is Start; tests replace it.
	start func(context.Context, *Engine, Spec) (*Broker, error)

	broker *Broker
	inner  bench.Workload
}

var _ bench.Workload = (*Workload)(nil)

// NewWorkload wraps the workload newInner makes for a started broker.
// engine is the one CheckEngine found.
func NewWorkload(engine *Engine, spec Spec, newInner func(*Broker) (bench.Workload, error)) *Workload {
	return &Workload{engine: engine, spec: spec, newInner: newInner, start: Start}
}

// Broker is the started broker, nil before Start succeeded.
func (w *Workload) Broker() *Broker { return w.broker }

// Start starts the container, then the transport's workload, and describes
// the target as a container: its image and the broker's version.
func (w *Workload) Start(ctx context.Context) (results.Target, error) {
	b, err := w.start(ctx, w.engine, w.spec)
	if err != nil {
		return results.Target{}, err
	}
	w.broker = b
	inner, err := w.newInner(b)
	if err != nil {
		return results.Target{}, err
	}
	w.inner = inner
	t, err := inner.Start(ctx)
	if err != nil {
		return t, err
	}
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

// NewClient is the transport's.
func (w *Workload) NewClient(ctx context.Context, worker int) (bench.Client, error) {
	if w.inner == nil {
		return nil, errors.New("containers: NewClient before Start")
	}
	return w.inner.NewClient(ctx, worker)
}

// Finish is the transport's, and adds a note saying where the broker ran.
func (w *Workload) Finish(ctx context.Context, r *results.Result) error {
	if w.inner == nil {
		return errors.New("containers: Finish before Start")
	}
	err := w.inner.Finish(ctx, r)
	r.Notes = append(r.Notes, fmt.Sprintf("The %s broker ran in a Docker container (%s) on the load generator's machine, sharing its CPUs.", w.broker.Kind.Title(), w.broker.Image))
	return err
}

// Close closes the transport's workload, then removes the container; both
// happen even when the run was interrupted or failed.
func (w *Workload) Close() error {
	var errs []error
	if w.inner != nil {
		errs = append(errs, w.inner.Close())
	}
	if w.broker != nil {
		errs = append(errs, w.broker.Remove(context.Background()))
		if w.spec.Progress != nil && errs[len(errs)-1] == nil {
			w.spec.progress("%s container removed", w.broker.Kind.Title())
		}
	}
	return errors.Join(errs...)
}
