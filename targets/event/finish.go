package event

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/commsbench/commsbench/results"
)

// closeTimeout bounds each step of Close: closing the readers, deleting
// the topic and groups.
const closeTimeout = 5 * time.Second

// Finish drains and adds the event figures to r: the engine's response
// latency becomes the publish latency; end-to-end latency, the delivery
// accounting and each group's figures are added.
func (w *Workload) Finish(ctx context.Context, r *results.Result) error {
	// The load has stopped; let every producer's last events be answered.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultRequestTimeout)
	flushErr := errors.Join(w.flush(fctx)...)
	cancel()

	hwm, hwmErr := w.endOffsets()
	drainStart := time.Now()
	caughtUp := hwmErr == nil && w.drain(ctx, hwm)
	drainS := time.Since(drainStart).Seconds()
	if err := w.haltMembers(); err != nil {
		return err
	}

	d := &results.Delivery{}
	var ackedSets []*seqSet
	for _, p := range w.producers {
		d.Acked += p.ackedN.Load()
		ackedSets = append(ackedSets, &p.acked)
	}
	all := results.NewHistogram()
	var consumedPerS float64
	for _, s := range w.subs {
		t := s.tally
		h := s.latency()
		all.Merge(h)
		sub := results.Subscriber{
			Group:        t.name,
			Members:      len(s.members),
			Received:     t.received.Load(),
			Lost:         t.lost(ackedSets),
			Duplicates:   t.duplicates.Load(),
			OutOfOrder:   t.outOfOrder.Load(),
			EndToEnd:     results.MustLatency(h),
			ConsumedPerS: t.consumedPerS(),
			Invalid:      s.invalid(),
		}
		if hwmErr == nil {
			sub.LagAtEnd = t.lag(hwm)
			// The lag is the newest events of the log, after the warm-up
			// and the join probes: the acked events the group missed are
			// still to be read up to it, and lost beyond it.
			unread := min(sub.LagAtEnd, sub.Lost)
			sub.Lost -= unread
			sub.Unread = &unread
			d.Unread = addCount(d.Unread, unread)
		}
		consumedPerS += sub.ConsumedPerS
		d.Received += sub.Received
		d.Lost += sub.Lost
		d.Duplicates += sub.Duplicates
		d.OutOfOrder += sub.OutOfOrder
		d.Invalid += sub.Invalid
		r.Subscribers = append(r.Subscribers, sub)
	}
	d.Outstanding = max(0, r.Counts.Sent-w.deliveredAnywhere(ackedSets))
	r.Counts.Delivery = d
	r.Latency[results.EndToEnd] = results.MustLatency(all)
	r.Throughput.PublishedPerS = r.Throughput.OpsPerS
	r.Throughput.ConsumedPerS = consumedPerS
	r.Throughput.ConsumedBytesPerS = consumedPerS * float64(w.cfg.PayloadBytes)
	r.GroupJoinS = w.joinS
	w.addPhaseLatencies(r)
	if r.Resilience != nil {
		r.Resilience.Findings = append(r.Resilience.Findings, w.brokerFindings()...)
	}
	if us, ok := w.clocks.PerOpUS(); ok {
		r.SetClientCodecPerOpUS(us)
	}

	if w.broker != nil {
		r.Notes = append(r.Notes, EmbeddedNote)
	}
	if hwmErr != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("the drain could not learn where the partitions end (%v): lag_at_end is unknown", hwmErr))
	} else if !caughtUp && ctx.Err() == nil {
		var lag int64
		for _, s := range r.Subscribers {
			lag += s.LagAtEnd
		}
		r.Notes = append(r.Notes, fmt.Sprintf("the drain timeout (%v) passed before every group caught up: %d events were left to read (lag_at_end); the acked events among them are unread (late, not lost: %d over all groups), and lost counts only acked events a group will never read", w.cfg.DrainTimeout, lag, *d.Unread))
	} else if drainS >= 0.1 {
		r.Notes = append(r.Notes, fmt.Sprintf("the groups caught up %.2fs after the load stopped", drainS))
	}
	if w.broker != nil && d.Lost > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the embedded broker keeps at most %s of the topic (%s per partition): a group that falls further behind loses the oldest events, counted as lost", results.FormatBytes(float64(w.cfg.EmbeddedRetention)), results.FormatBytes(float64(w.cfg.EmbeddedRetention/int64(w.partitions)))))
	}
	if w.cfg.Acks == AcksNone {
		r.Notes = append(r.Notes, "--acks none: the broker acknowledges nothing, so publish latency ends when an event is written to a connection and acked counts written events; with no answer to wait for, kafka-go may send a partition's next batch over another connection before the broker read the previous one, which shows as out_of_order")
	}
	var foreign int64
	for _, s := range w.subs {
		foreign += s.tally.foreign.Load()
	}
	if foreign > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d events on the topic did not come from this run and were ignored", foreign))
	}
	if flushErr != nil {
		return flushErr
	}
	return nil
}

// addCount adds n to a count that may not exist yet.
func addCount(c *int64, n int64) *int64 {
	sum := n
	if c != nil {
		sum += *c
	}
	return &sum
}

// deliveredAnywhere counts the measured events that were acked or that any
// group received.
func (w *Workload) deliveredAnywhere(acked []*seqSet) int64 {
	var n int64
	for p, a := range acked {
		sets := []*seqSet{a}
		for _, s := range w.subs {
			sets = append(sets, &s.tally.recv[p])
		}
		n += unionCount(sets...)
	}
	return n
}

func (w *Workload) flush(ctx context.Context) []error {
	var errs []error
	for _, p := range w.producers {
		if err := p.flush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// endOffsets returns, per partition, one past its last offset.
func (w *Workload) endOffsets() ([]int64, error) {
	n := w.partitions
	reqs := make([]kafka.OffsetRequest, n)
	for p := range reqs {
		reqs[p] = kafka.LastOffsetOf(p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultRequestTimeout)
	defer cancel()
	res, err := w.admin.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{w.topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("list offsets of %q: %w", w.topic, err)
	}
	hwm := make([]int64, n)
	for _, po := range res.Topics[w.topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of %q partition %d: %w", w.topic, po.Partition, po.Error)
		}
		if po.Partition >= 0 && po.Partition < n {
			hwm[po.Partition] = po.LastOffset
		}
	}
	return hwm, nil
}

// drain waits until every group has read up to hwm, or the drain timeout
// passes, or ctx ends (an interrupted run does not drain).
func (w *Workload) drain(ctx context.Context, hwm []int64) bool {
	deadline := time.Now().Add(w.cfg.DrainTimeout)
	for {
		done := true
		for _, s := range w.subs {
			done = done && s.tally.lag(hwm) == 0
		}
		if done {
			return true
		}
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// haltMembers stops the members' loops, so that their figures can be read.
func (w *Workload) haltMembers() error {
	if w.membersDown || w.stopMembers == nil {
		return nil
	}
	w.membersDown = true
	w.stopMembers()
	deadline := time.After(closeTimeout)
	for _, s := range w.subs {
		if !s.stopped(deadline) {
			return fmt.Errorf("event: group %s did not stop within %v", s.tally.name, closeTimeout)
		}
	}
	return nil
}

// Close stops the groups and producers, deletes the topic and the groups'
// offsets (unless KeepTopic, or the topic was there before the run), and
// stops the embedded broker. Each step is bounded in time.
func (w *Workload) Close() error {
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	if err := w.haltMembers(); err != nil {
		errs = append(errs, err)
	}
	var wg sync.WaitGroup
	for _, s := range w.subs {
		s.close(&wg)
	}
	if !waitTimeout(&wg, closeTimeout) {
		errs = append(errs, fmt.Errorf("event: consumers did not close within %v", closeTimeout))
	}
	for _, p := range w.producers {
		p.close()
	}
	if w.admin != nil && !w.cfg.KeepTopic {
		if err := w.cleanUp(); err != nil {
			errs = append(errs, err)
		}
	}
	if w.adminTr != nil {
		w.adminTr.CloseIdleConnections()
	}
	if w.broker != nil {
		w.broker.Close()
	}
	return errors.Join(errs...)
}

// cleanUp deletes the run's topic, if the run created it, and on a real
// cluster the groups' committed offsets, which would stay otherwise.
func (w *Workload) cleanUp() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if w.createdTopic {
		res, err := w.admin.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{w.topic}})
		if err == nil {
			err = res.Errors[w.topic]
		}
		if err != nil {
			return fmt.Errorf("event: delete topic %q: %w (delete it by hand, or pass --keep-topic to keep topics on purpose)", w.topic, err)
		}
	}
	if len(w.subs) == 0 || w.broker != nil {
		return nil
	}
	ids := make([]string, len(w.subs))
	for i, s := range w.subs {
		ids[i] = s.groupID
	}
	_, _ = w.admin.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: ids})
	return nil
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
