package bench

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// Recording works in two halves. Each worker appends its samples to a
// buffer of its own and hands the buffer over, full or every 100 ms, to one
// collector goroutine that owns every histogram. The hot path takes no lock,
// memory stays flat however long the run and however many workers an open
// loop needs (a histogram at 3 significant digits over 1 ns–1 h is ~256 KB;
// one set per worker would cost hundreds of megabytes at 1000 in flight),
// and the collector can cut the per-second timeline as samples arrive.

const (
	batchSize     = 256
	flushInterval = int64(100 * time.Millisecond)
	// Timeline seconds are closed this long after they end: a worker hands
	// its samples over within flushInterval, so later ones do not exist.
	timelineLag = int64(500 * time.Millisecond)
)

// sample is one measured operation. Times are nanoseconds; done is counted
// from the start of the measured period.
type sample struct {
	done     int64
	response int64
	service  int64
	delay    int64 // -1 in closed loop
	class    string
	err      error // set with class: the first of each class is kept
	attempts int32 // 1, or more when the operation was retried
}

// recorder is a worker's half: a buffer it alone writes.
type recorder struct {
	r         *run
	buf       *[]sample
	lastFlush int64
	// watch bounds the worker's operations by Options.Timeout.
	watch watchdog
	// retryTimer times the waits before retries.
	retryTimer *time.Timer
}

func (r *run) newRecorder() *recorder {
	return &recorder{r: r, buf: r.pool.Get().(*[]sample), watch: watchdog{parent: r.opsCtx, timeout: r.o.Timeout, base: r.start}}
}

func (rec *recorder) add(s sample) {
	*rec.buf = append(*rec.buf, s)
	if len(*rec.buf) >= batchSize || s.done-rec.lastFlush >= flushInterval {
		rec.lastFlush = s.done
		rec.flush()
	}
}

// close hands over what is left and stops the watchdog's timer.
func (rec *recorder) close() {
	rec.flush()
	rec.watch.stop()
}

func (rec *recorder) flush() {
	if len(*rec.buf) == 0 {
		return
	}
	rec.r.batches <- *rec.buf
	rec.buf = rec.r.pool.Get().(*[]sample)
	*rec.buf = (*rec.buf)[:0]
}

// second is one second of the timeline while it is still open.
type second struct {
	ops, errs int64
	classes   map[string]int64 // made at the second's first error
	hist      *hdrhistogram.Histogram
}

// collector is the other half: it owns the histograms.
type collector struct {
	r                        *run
	response, service, delay *hdrhistogram.Histogram
	ok, errs                 int64
	classes                  map[string]int64
	firstErrors              map[string]string
	reach                    reachability
	lastDone                 int64
	open                     map[int64]*second
	cur                      *second // open[curSec], or nil once that second closed
	curSec                   int64
	closedUpTo               int64 // seconds below this are in timeline
	timeline                 []results.TimelinePoint
	spare                    []*hdrhistogram.Histogram
	inFlightBound            atomic.Bool
	lastTickOps              int64
	lastTick                 time.Time
	// With faults, every operation is also counted in the phase of the
	// faults' window it completed in.
	faults        *faultRun
	phases        [fault.Phases]phaseCount
	phaseResponse [fault.Phases]*hdrhistogram.Histogram
	// retries counts attempts, in runs with retries.
	retries results.RetryCounts
}

func newCollector(r *run) *collector {
	c := &collector{
		r:           r,
		response:    results.NewHistogram(),
		service:     results.NewHistogram(),
		delay:       results.NewHistogram(),
		classes:     map[string]int64{},
		firstErrors: map[string]string{},
		open:        map[int64]*second{},
		faults:      r.faults,
	}
	if c.faults != nil {
		for i := range c.phaseResponse {
			c.phaseResponse[i] = results.NewHistogram()
		}
	}
	return c
}

func (c *collector) run(done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	c.lastTick = time.Now()
	for {
		select {
		case b, ok := <-c.r.batches:
			if !ok {
				c.closeSeconds(1 << 62)
				return
			}
			for i := range b {
				c.record(&b[i])
			}
			b = b[:0]
			c.r.pool.Put(&b)
		case now := <-tick.C:
			c.closeSeconds(int64(now.Sub(c.r.measureStart)) - timelineLag)
			c.report(now)
		}
	}
}

func (c *collector) record(s *sample) {
	sec := max(s.done/int64(time.Second), 0)
	// Samples arrive mostly in time order: the last second is cached, so
	// the map is consulted once a second, not once a sample.
	o := c.cur
	if sec != c.curSec || o == nil {
		o = c.open[sec]
		if o == nil && sec >= c.closedUpTo {
			o = &second{hist: c.newSecondHist()}
			c.open[sec] = o
		}
		c.cur, c.curSec = o, sec
	}
	if s.delay >= 0 {
		_ = c.delay.RecordValue(clamp(s.delay))
	}
	if s.done > c.lastDone {
		c.lastDone = s.done
	}
	var ph *phaseCount
	if c.faults != nil {
		i := c.faults.phase(s.done-s.service, s.done)
		ph = &c.phases[i]
		if s.class == "" {
			_ = c.phaseResponse[i].RecordValue(clamp(s.response))
		}
	}
	if c.r.retrier != nil {
		rc := results.RetryCounts{Attempts: int64(s.attempts)}
		if s.attempts > 1 {
			rc.Retried = 1
			if s.class == "" {
				rc.SucceededAfterRetry = 1
			}
		}
		c.retries.Add(rc)
		if ph != nil {
			ph.retries.Add(rc)
		}
	}
	if s.class != "" {
		c.errs++
		if c.classes[s.class]++; c.classes[s.class] == 1 {
			c.firstErrors[s.class] = firstErrorText(s.class, s.err)
		}
		if o != nil {
			o.errs++
			if o.classes == nil {
				o.classes = map[string]int64{}
			}
			o.classes[s.class]++
		}
		if ph != nil {
			ph.errs++
			if ph.classes == nil {
				ph.classes = map[string]int64{}
			}
			ph.classes[s.class]++
		}
		if Unreached(s.class) {
			c.reach.failed(s.done)
		}
		return
	}
	c.ok++
	if ph != nil {
		ph.ok++
	}
	c.reach.ok(s.done)
	response := clamp(s.response)
	_ = c.response.RecordValue(response)
	_ = c.service.RecordValue(clamp(s.service))
	if o != nil {
		o.ops++
		_ = o.hist.RecordValue(response)
	}
}

// clamp keeps a value in the histograms' range: a sample outside it is
// recorded at the edge, never dropped (a dropped sample would flatter the tail).
func clamp(v int64) int64 {
	return min(max(v, 0), results.HistHighest)
}

// Per-second histograms keep two significant digits: they feed the timeline's
// p50 and p99, not the run's figures, and are four times smaller.
func (c *collector) newSecondHist() *hdrhistogram.Histogram {
	if n := len(c.spare); n > 0 {
		h := c.spare[n-1]
		c.spare = c.spare[:n-1]
		h.Reset()
		return h
	}
	return hdrhistogram.New(results.HistLowest, results.HistHighest, 2)
}

// closeSeconds moves every second that ended before the offset into the
// timeline, including empty seconds: a stall must show as a gap.
func (c *collector) closeSeconds(before int64) {
	last := before / int64(time.Second)
	if before >= 1<<62 {
		last = -1
		for s := range c.open {
			last = max(last, s+1)
		}
	}
	var keys []int64
	for s := range c.open {
		if s < last {
			keys = append(keys, s)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, s := range keys {
		for c.closedUpTo < s {
			c.timeline = append(c.timeline, results.TimelinePoint{TS: float64(c.closedUpTo)})
			c.closedUpTo++
		}
		o := c.open[s]
		p := results.TimelinePoint{TS: float64(s), Ops: o.ops, Errors: o.errs, ErrorClasses: o.classes}
		if o.hist.TotalCount() > 0 {
			p.P50NS = o.hist.ValueAtPercentile(50)
			p.P99NS = o.hist.ValueAtPercentile(99)
		}
		c.timeline = append(c.timeline, p)
		c.spare = append(c.spare, o.hist)
		delete(c.open, s)
		if c.cur == o {
			c.cur = nil
		}
		c.closedUpTo = s + 1
	}
}

func (c *collector) report(now time.Time) {
	if c.r.o.Progress == nil {
		return
	}
	ops := c.ok + c.errs
	rate := float64(ops-c.lastTickOps) / now.Sub(c.lastTick).Seconds()
	c.lastTickOps, c.lastTick = ops, now
	p := Progress{
		Elapsed:       now.Sub(c.r.measureStart),
		Planned:       c.r.o.Duration,
		PlannedOps:    c.r.o.Requests,
		Ops:           ops,
		Errors:        c.errs,
		OpsPerS:       rate,
		Warmup:        now.Before(c.r.measureStart),
		InFlightBound: c.inFlightBound.Load(),
	}
	if c.response.TotalCount() > 0 {
		p.P99 = time.Duration(c.response.ValueAtPercentile(99))
	}
	c.r.o.Progress(p)
}

// result builds the engine's part of the result.
func (c *collector) result(startedAt time.Time) *results.Result {
	o := c.r.o
	elapsed := time.Duration(c.lastDone)
	if c.r.ctx.Err() == nil && o.Requests == 0 && elapsed < o.Duration {
		// An idle tail still belongs to the measured period.
		elapsed = o.Duration
	}
	res := &results.Result{
		Schema:    results.SchemaVersion,
		StartedAt: startedAt.UTC().Truncate(time.Millisecond),
		DurationS: elapsed.Seconds(),
		Shard:     c.r.shardRecord(),
		Load: results.Load{
			Mode:         results.ClosedLoop,
			Rate:         o.Rate / float64(max(o.Shard.Count, 1)),
			Concurrency:  o.Concurrency,
			Connections:  o.Connections,
			PayloadBytes: o.PayloadBytes,
			WarmupS:      o.Warmup.Seconds(),
			DurationS:    o.Duration.Seconds(),
			Requests:     c.r.requestsShare(),
			TimeoutS:     o.Timeout.Seconds(),
		},
		Counts:      results.Counts{Sent: c.ok + c.errs, OK: c.ok, Errors: c.errs},
		Errors:      c.classes,
		Unreachable: c.reach.result(elapsed, c.r.backedOff.Load()),
		Latency:     map[string]*results.Latency{},
		Timeline:    c.timeline,
	}
	if res.Timeline == nil {
		res.Timeline = []results.TimelinePoint{}
	}
	if len(c.firstErrors) > 0 {
		res.FirstErrors = c.firstErrors
	}
	if c.r.retrier != nil {
		res.Retries = &results.Retries{Max: o.Retries, BackoffS: o.RetryBackoff.Seconds(), RetryCounts: c.retries}
	}
	if o.Rate > 0 {
		res.Load.Mode = results.OpenLoop
		res.Throughput.RequestedOpsPerS = res.Load.Rate
		res.Latency[results.SendDelay] = results.MustLatency(c.delay)
	}
	if s := elapsed.Seconds(); s > 0 {
		res.Throughput.OpsPerS = float64(c.ok) / s
		res.Throughput.BytesPerS = float64(c.ok) * float64(o.PayloadBytes) / s
	}
	op := operationLatency(c.r.w)
	res.Latency[op] = results.MustLatency(c.response)
	res.Latency[results.Service] = results.MustLatency(c.service)
	if n := c.r.unsent.Load(); n > 0 {
		res.Counts.Unsent = n
		res.Notes = append(res.Notes, fmt.Sprintf("%d operations due before the planned end were never sent: the target (or this machine) did not keep up with the asked rate, and the run ended on time rather than send them late", n))
	}
	if c.inFlightBound.Load() {
		res.Notes = append(res.Notes, fmt.Sprintf("the in-flight bound (--concurrency) was reached: some sends waited for a free worker, and their wait is in the %s latency", strings.ReplaceAll(op, "_", "-")))
	}
	return res
}
