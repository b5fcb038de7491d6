package bench

import (
	"context"
	"sync"
	"time"

	"github.com/commsbench/commsbench/results"
)

// backlogSampler samples the backlog of a workload whose far side holds
// what was sent until it is received (a Backlogger), every backlogEvery
// from the start of the measured period until after the workload's Finish
// (a queue drains there). It is the run's only sampler: the most seen in
// each second of the measured period goes into the result's timeline, so
// that a reader, and the max-rate search, can see whether the receivers
// kept up; in a run with faults each sample also goes to the fault run,
// for the backlog's peak per phase and when it was empty again.
type backlogSampler struct {
	bl        Backlogger
	faults    *faultRun // nil without faults
	mu        sync.Mutex
	perSecond []int64 // -1: none sampled
	cancel    context.CancelFunc
	done      chan struct{}
}

// startBacklog samples w's backlog from origin until stop; nil when w
// has none. The sampling outlives ctx's cancellation: a cancelled run's
// Finish still drains, and stop ends it.
func startBacklog(ctx context.Context, w Workload, origin time.Time, fr *faultRun) *backlogSampler {
	bl, ok := w.(Backlogger)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &backlogSampler{bl: bl, faults: fr, cancel: cancel, done: make(chan struct{})}
	go s.run(ctx, origin)
	return s
}

func (s *backlogSampler) run(ctx context.Context, origin time.Time) {
	defer close(s.done)
	t := time.NewTicker(backlogEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			off := time.Since(origin)
			n, ok := s.bl.Backlog()
			if !ok || off < 0 {
				continue
			}
			s.observe(off, n)
		}
	}
}

// observe records one sample, taken at off from the start of the
// measured period.
func (s *backlogSampler) observe(off time.Duration, n int64) {
	sec := int(off / time.Second)
	s.mu.Lock()
	for len(s.perSecond) <= sec {
		s.perSecond = append(s.perSecond, -1)
	}
	s.perSecond[sec] = max(s.perSecond[sec], n)
	s.mu.Unlock()
	if s.faults != nil {
		s.faults.observe(off, n)
	}
}

// stop ends the sampling; it may be called more than once.
func (s *backlogSampler) stop() {
	if s == nil {
		return
	}
	s.cancel()
	<-s.done
}

// record puts the samples into r's timeline.
func (s *backlogSampler) record(r *results.Result) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range r.Timeline {
		if sec := int(r.Timeline[i].TS); sec < len(s.perSecond) && s.perSecond[sec] >= 0 {
			v := s.perSecond[sec]
			r.Timeline[i].Backlog = &v
		}
	}
}
