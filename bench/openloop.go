package bench

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// The open loop. Operations are due on a fixed schedule (ConstantPacer);
// this shard's k-th operation is the schedule's Shard.Seq(k)-th. Workers
// take due operations themselves from one shared cursor: an operation is
// released once its due time has passed, and a worker that finds a
// released operation claims it with one atomic step, with no hand-over
// and no wake-up. Only a worker that found nothing due parks, and the
// pacer, sleeping precisely until the next due time, wakes it then.
//
// So an overloaded run, or one whose workers are always busy, costs no
// wake-up per operation, and an idle one costs one per operation, as it
// must. An operation's intended time is always its due time, computed
// from its index, never read from a clock: a worker that fell behind
// catches up and its operations carry their lateness in their latency.

// schedule is the state an open-loop run's pacer and workers share.
type schedule struct {
	r     *run
	pacer ConstantPacer
	shard Shard
	// total is this shard's operations in the run, warm-up included: those
	// due before the planned end and, with a request count, before the
	// last measured one. last is that bound as a global index.
	total, last int64

	cursor   atomic.Int64 // the next operation to claim
	released atomic.Int64 // operations [0, released) are due
	idle     atomic.Int64 // workers parked
	// wake holds a token per parked worker to wake; over is closed when no
	// operation will be released any more.
	wake chan struct{}
	over chan struct{}
}

func newSchedule(r *run) *schedule {
	p := ConstantPacer{PerSecond: r.o.Rate}
	s := &schedule{
		r: r, pacer: p, shard: r.o.Shard,
		last: math.MaxInt64,
		wake: make(chan struct{}, r.o.Concurrency),
		over: make(chan struct{}),
	}
	if r.o.Requests > 0 {
		s.last = p.Index(r.measureOff) + r.o.Requests
	}
	end := s.last
	if r.endOff > 0 {
		end = min(end, p.Index(r.endOff))
	}
	s.total = s.shard.Within(0, end)
	return s
}

// due is when the k-th operation of this shard is due, from the origin.
func (s *schedule) due(k int64) time.Duration {
	return s.pacer.Due(s.shard.Seq(k))
}

// dueBy is how many of this shard's operations are due at now.
func (s *schedule) dueBy(now time.Duration) int64 {
	n := s.shard.Within(0, s.pacer.Index(now+1))
	n = min(n, s.total)
	// Index and Due round differently: never release one not yet due.
	for n > 0 && s.due(n-1) > now {
		n--
	}
	return n
}

// release makes the operations due at now claimable.
func (s *schedule) release(now time.Duration) {
	n := s.dueBy(now)
	for {
		old := s.released.Load()
		if n <= old || s.released.CompareAndSwap(old, n) {
			return
		}
	}
}

// claim takes the next released operation, if there is one.
func (s *schedule) claim() (int64, bool) {
	for {
		c := s.cursor.Load()
		if c >= s.released.Load() {
			return 0, false
		}
		if s.cursor.CompareAndSwap(c, c+1) {
			return c, true
		}
	}
}

// wait is what a worker does when it found nothing to claim: release what
// became due since, else park until the pacer wakes it. It returns false
// once no operation will ever be claimable again.
func (s *schedule) wait() bool {
	s.release(s.r.now())
	switch c := s.cursor.Load(); {
	case c >= s.total:
		return false
	case c < s.released.Load():
		return true
	}
	s.idle.Add(1)
	defer s.idle.Add(-1)
	// The pacer releases, then counts the parked workers; a worker counts
	// itself, then looks at what is released: one of the two sees the other.
	if s.cursor.Load() < s.released.Load() {
		return true
	}
	select {
	case <-s.wake:
		return true
	case <-s.over:
		return s.cursor.Load() < s.released.Load()
	}
}

// stop ends the schedule: nothing more can be claimed, parked workers
// leave. It returns the first operation that was never claimed.
func (s *schedule) stop() int64 {
	var c int64
	for {
		c = s.cursor.Load()
		if c >= s.total || s.cursor.CompareAndSwap(c, s.total) {
			break
		}
	}
	close(s.over)
	return c
}

// openLoop runs the pacer on this goroutine and the workers beside it.
func (r *run) openLoop(wg *sync.WaitGroup, col *collector, colDone chan struct{}) error {
	var s *schedule
	spawned := 0
	var pending []Client // clients made before the schedule existed
	spawn := func() error {
		c, err := r.w.NewClient(r.ctx, spawned)
		if err != nil {
			return fmt.Errorf("worker %d: %w", spawned, err)
		}
		if s == nil {
			pending = append(pending, c)
		} else {
			wg.Add(1)
			go s.worker(spawned, c, wg)
		}
		spawned++
		return nil
	}
	// Make enough clients for ~2 ms of operations before the clock starts,
	// so that making clients does not delay the first sends.
	initial := min(r.o.Concurrency, int(math.Ceil(r.o.Rate*0.002))+1)
	for range initial {
		if err := spawn(); err != nil {
			for _, c := range pending {
				closeClient(c)
			}
			go col.run(colDone)
			return err
		}
	}
	if !r.setSchedule() {
		for _, c := range pending {
			closeClient(c)
		}
		go col.run(colDone)
		return nil
	}
	go col.run(colDone)
	s = newSchedule(r)
	for i, c := range pending {
		wg.Add(1)
		go s.worker(i, c, wg)
	}
	return s.pace(spawn, &spawned, col)
}

// pace releases operations as they fall due, wakes parked workers, starts
// workers up to the in-flight bound when every one is busy, and ends the
// run: when every operation was claimed, when the run is cancelled, or
// endGrace after the planned end, counting what was due and never sent.
func (s *schedule) pace(spawn func() error, spawned *int, col *collector) error {
	r := s.r
	sl := newPreciseSleeper()
	defer sl.release()
	cutoff := time.Duration(math.MaxInt64)
	if r.endOff > 0 {
		cutoff = r.endOff + endGrace
	}
	for {
		if r.ctx.Err() != nil {
			s.stop()
			return nil
		}
		now := r.now()
		if now >= cutoff {
			// The run ends at its planned end even when the target fell
			// behind: what was due before it and not sent within endGrace
			// is counted as unsent, never sent late.
			first := s.stop()
			if first < s.total {
				r.unsent.Store(r.dueUnsent(s.pacer, s.shard.Seq(first), s.last))
			}
			return nil
		}
		s.release(now)
		rel, cur := s.released.Load(), s.cursor.Load()
		if cur >= s.total {
			s.stop()
			return nil
		}
		avail := rel - cur
		busy := false
		if avail > 0 {
			idle := s.idle.Load()
			for range min(avail, idle) {
				select {
				case s.wake <- struct{}{}:
				default:
				}
			}
			if avail > idle {
				// Every worker is busy and operations are due.
				busy = true
				if n := min(avail-idle, int64(r.o.Concurrency-*spawned)); n > 0 {
					for range n {
						if err := spawn(); err != nil {
							s.stop()
							return err
						}
					}
				} else {
					col.inFlightBound.Store(true)
				}
			}
		}
		// Sleep until the next operation is due. While every worker is
		// busy with due operations none needs waking, and a worker that
		// runs out releases what became due itself: the pacer only looks
		// in now and then to start workers and to end the run.
		d := time.Millisecond // everything is released: wait for the last claims
		if rel < s.total {
			d = min(20*time.Millisecond, s.due(rel)-now)
		}
		if busy {
			d = max(d, time.Millisecond)
		}
		d = min(d, cutoff-now)
		if d > 0 {
			sl.sleep(d)
		}
	}
}

// endGrace is how late after the planned end an operation that was due
// before it may still be sent: enough for a wake-up that overshot (tens of
// microseconds), so that a target that kept up never shows an unsent
// operation, and short enough that an overloaded run ends on time.
const endGrace = 50 * time.Millisecond

// dueUnsent counts this shard's measured operations from the i-th on that
// were due before the planned end, and before last when a request count
// bounds the run.
func (r *run) dueUnsent(p ConstantPacer, i, last int64) int64 {
	from := max(i, p.Index(r.measureStart.Sub(r.start)))
	return r.o.Shard.Within(from, min(p.Index(r.end.Sub(r.start)), last))
}

// worker does released operations until the schedule ends.
func (s *schedule) worker(id int, c Client, wg *sync.WaitGroup) {
	defer wg.Done()
	defer closeClient(c)
	r := s.r
	rec := r.newRecorder()
	defer rec.close()
	// last is the previous operation's end: when the next operation was
	// already due then, it is sent now, and that reading serves as its
	// send time without another read of the clock.
	last := time.Duration(-1)
	for {
		k, ok := s.claim()
		if !ok {
			if !s.wait() {
				return
			}
			last = -1
			continue
		}
		due := s.due(k)
		sent := last
		if sent < due {
			sent = r.now()
		}
		op := Op{Seq: s.shard.Seq(k), Intended: r.start.Add(due), Warmup: due < r.measureOff, Worker: id}
		_, last = r.do(c, op, due, sent, false, rec)
	}
}
