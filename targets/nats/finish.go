package nats

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/commsbench/commsbench/results"
)

// Finish drains, stops the far side and adds the accounting, the
// end-to-end latencies, the per-subscriber figures (publish mode) and the
// consumed rate to r.
func (w *Workload) Finish(ctx context.Context, r *results.Result) error {
	cfg := w.cfg
	if cfg.Mode == ModePublish {
		// A flush that comes back proves that the server has every message
		// published before it: from then on a message not received was lost.
		for _, p := range w.pubs {
			p.mu.Lock()
			err := p.nc.FlushTimeout(cfg.DialTimeout)
			p.mu.Unlock()
			if err == nil {
				p.log.flushedAll()
			}
		}
	}
	drainStart := time.Now()
	settled := w.drain(ctx)
	drained := time.Since(drainStart)
	w.stopMembers()

	acct := w.ledger.count()
	d := acct.Measured
	for _, recv := range w.ledger.receivers {
		d.Invalid += recv.invalid.Load()
	}
	r.Counts.Delivery = &d
	if us, ok := w.clocks.PerOpUS(); ok {
		r.SetClientCodecPerOpUS(us)
	}

	// The consumption window is never shorter than the measured period, so
	// that receivers that lagged into the drain show their true pace.
	e2e := results.NewHistogram()
	first, last := int64(math.MaxInt64), int64(0)
	for _, recv := range w.ledger.receivers {
		recv.mu.Lock()
		e2e.Merge(recv.e2e)
		if recv.span[1] > 0 {
			first, last = min(first, recv.span[0]), max(last, recv.span[1])
		}
		recv.mu.Unlock()
	}
	if len(w.ledger.receivers) > 0 {
		r.Latency[results.EndToEnd] = results.MustLatency(e2e)
	}
	window := r.DurationS
	if last > first {
		window = max(window, float64(last-first)/1e9)
	}
	if cfg.Mode == ModePublish {
		for i, recv := range w.ledger.receivers {
			rc := acct.perReceiver[i]
			recv.mu.Lock()
			s := results.Subscriber{
				Group:      recv.name,
				Members:    recv.members,
				Received:   rc.measured.Received,
				Lost:       rc.measured.Lost,
				Duplicates: rc.measured.Duplicates,
				OutOfOrder: rc.measured.OutOfOrder,
				Invalid:    recv.invalid.Load(),
				EndToEnd:   results.MustLatency(recv.e2e),
			}
			recv.mu.Unlock()
			if window > 0 {
				s.ConsumedPerS = float64(s.Received) / window
			}
			r.Subscribers = append(r.Subscribers, s)
		}
	}
	if r.DurationS > 0 {
		published := acct.PublishedMeasured
		if cfg.Mode == ModeJetStream {
			published = d.Confirmed
		}
		r.Throughput.PublishedPerS = float64(published) / r.DurationS
		r.Throughput.ConsumedPerS = float64(d.Received) / window
		r.Throughput.ConsumedBytesPerS = r.Throughput.ConsumedPerS * float64(messageSize(cfg.PayloadBytes))
	}
	if slow := w.slowConsumers(); slow > 0 {
		if r.Errors == nil {
			r.Errors = map[string]int64{}
		}
		r.Errors[ClassSlowConsumer] += slow
	}
	r.Notes = append(r.Notes, w.notes(acct, settled, ctx.Err() != nil, drained)...)
	if r.Resilience != nil {
		r.Resilience.Findings = append(r.Resilience.Findings, w.brokerFindings()...)
	}
	return w.RunError()
}

// slowConsumers counts the slow-consumer events of the run: the client
// library's reports of messages it dropped, and the embedded server's
// count of clients it cut off for not reading.
func (w *Workload) slowConsumers() int64 {
	n := w.slowEvents.Load()
	if w.server != nil {
		n += w.server.SlowConsumers() - w.slowBefore
	}
	return n
}

// drain waits until every receiver has what it can still get, the drain
// timeout passes, the run is interrupted or the server is gone. Core NATS
// never delivers again, so in publish mode a second without any delivery
// also ends it.
func (w *Workload) drain(ctx context.Context) bool {
	js := w.cfg.Mode == ModeJetStream
	deadline := time.Now().Add(w.cfg.DrainTimeout)
	quietFrom := time.Now()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, m := range w.members {
			if m.sub != nil {
				if n, err := m.sub.Dropped(); err == nil {
					m.recv.dropped.Store(int64(n))
				}
			}
		}
		if w.ledger.settled(js) {
			return true
		}
		if ctx.Err() != nil || w.RunError() != nil || !time.Now().Before(deadline) {
			return false
		}
		if w.cfg.Mode == ModePublish && time.Since(w.lastDelivery(quietFrom)) > publishQuiet {
			return false
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}

// lastDelivery is when any receiver last got a message, or since if later.
func (w *Workload) lastDelivery(since time.Time) time.Time {
	last := since.UnixNano()
	for _, r := range w.ledger.receivers {
		last = max(last, r.lastAnyNS.Load())
	}
	return time.Unix(0, last)
}

// notes says in plain words what a reader must know beside the numbers.
func (w *Workload) notes(a accounting, settled, interrupted bool, drained time.Duration) []string {
	cfg := w.cfg
	var n []string
	if w.server != nil {
		n = append(n, EmbeddedNote)
	}
	if err := w.RunError(); err != nil {
		n = append(n, fmt.Sprintf("%v; the counts cover what was known when it broke", err))
	} else if !settled && interrupted {
		n = append(n, "the run was interrupted before everything arrived: what had not arrived counts as lost (the server vouched for it) or outstanding")
	} else if !settled && cfg.Mode == ModePublish {
		n = append(n, fmt.Sprintf("not every subscriber got every message (the drain ended after %.1fs): core NATS delivers at most once, and what a subscriber missed is counted as lost", drained.Seconds()))
	} else if !settled {
		n = append(n, fmt.Sprintf("the drain ended after %.1fs before every message arrived (--drain-timeout %v): what had not arrived is counted as lost (the server vouched for it) or outstanding", drained.Seconds(), cfg.DrainTimeout))
	}
	switch cfg.Mode {
	case ModePublish:
		n = append(n, "publish latency is the time to hand a message to the client library (core NATS has no acknowledgement); a message counts as confirmed once a flush after it came back, which proves the server had it")
		if cfg.Subscribers == 0 {
			n = append(n, "nobody subscribed: the server discarded every message, so the run measured publishing alone (confirmed counts what a flush proved the server took)")
		}
		if slow := w.slowConsumers(); slow > 0 {
			n = append(n, fmt.Sprintf("%d slow-consumer events: subscribers did not keep up and messages were dropped (%s in errors); lower the rate or add --queue-group subscribers", slow, ClassSlowConsumer))
		}
	case ModeRequest:
		if cfg.Consumers == 0 {
			n = append(n, fmt.Sprintf("the responders on %q ran outside this run: received counts nothing, and there is no end-to-end latency", cfg.Subject))
		} else {
			n = append(n, "out of order is not counted in request mode: concurrent requests have no order to keep")
		}
	case ModeJetStream:
		replicas := "1 replica"
		if cfg.Replicas > 1 {
			replicas = fmt.Sprintf("%d replicas", cfg.Replicas)
		}
		n = append(n, fmt.Sprintf("publish latency runs until the stream's PubAck; the stream kept messages in %s storage with %s", cfg.Storage, replicas))
	}
	if lost := w.membersLost.Load(); lost > 0 {
		n = append(n, fmt.Sprintf("the server closed %d receiving connections during the run (a slow consumer cut off, or the server gone): what they missed is counted as lost", lost))
	}
	if cfg.PayloadBytes < HeaderSize {
		n = append(n, fmt.Sprintf("each message carries a %d-byte header, so messages were %d bytes, not %d", HeaderSize, HeaderSize, cfg.PayloadBytes))
	}
	if wu := a.Warmup; wu.Lost+wu.Duplicates+wu.Outstanding > 0 {
		n = append(n, fmt.Sprintf("warm-up messages (not in the counts): %d published, %d received, %d lost, %d duplicates, %d outstanding", a.PublishedWarmup, wu.Received, wu.Lost, wu.Duplicates, wu.Outstanding))
	}
	if a.Foreign > 0 {
		n = append(n, fmt.Sprintf("%d messages on the subject were not this run's (another run sharing it?); they were not counted", a.Foreign))
	}
	return n
}

// stopMembers stops every responder, subscriber and consumer.
func (w *Workload) stopMembers() {
	w.stopOnce.Do(func() {
		for _, m := range w.members {
			m.stop()
		}
	})
}

// Close stops the far side, deletes the run's stream (unless kept on an
// external server), closes the connections and stops the embedded server,
// each step bounded in time.
func (w *Workload) Close() error {
	w.closed.Store(true)
	w.stopMembers()
	var err error
	if w.streamMade && (w.server != nil || !w.cfg.KeepStream) {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.DialTimeout)
		if derr := w.pubs[0].js.DeleteStream(ctx, w.cfg.stream()); derr != nil {
			err = fmt.Errorf("nats: could not delete the stream %s (%v); delete it with 'nats stream rm %s'", w.cfg.stream(), w.red.err(derr), w.cfg.stream())
		}
		cancel()
	}
	var wg sync.WaitGroup
	for _, m := range w.members {
		wg.Go(m.nc.Close)
	}
	for _, p := range w.pubs {
		wg.Go(p.nc.Close)
	}
	wg.Wait()
	if w.proxy != nil {
		w.proxy.Close()
	}
	if w.server != nil {
		if cerr := w.server.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("nats: remove the embedded server's store: %w", cerr)
		}
	}
	return err
}
