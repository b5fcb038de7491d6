package bench

import (
	"context"
	"testing"
	"time"
)

// BenchmarkRecord is the cost of recording one measured open-loop
// operation: the worker's append, the hand-over, and the collector's four
// histogram values (response, service, send delay, and the second's
// timeline histogram). ns/op is per operation; ns/value divides it by the
// four values recorded. The two halves run on different goroutines, so on
// two cores ns/op is the slower half's cost, not the sum.
func BenchmarkRecord(b *testing.B) {
	r := newRun(context.Background(), nil, Options{Concurrency: 1, Requests: 1})
	r.setSchedule()
	col := newCollector(r)
	done := make(chan struct{})
	go col.run(done)
	rec := r.newRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		v := int64(i%5000)*1000 + 20_000
		rec.add(sample{done: int64(i), response: v, service: v - 500, delay: 500})
	}
	rec.flush()
	close(r.batches)
	<-done
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/4, "ns/value")
	if got := col.response.TotalCount(); got != int64(b.N) {
		b.Fatalf("recorded %d, want %d", got, b.N)
	}
}

// TestCollectorMergesEveryWorkersSamples: samples from many workers, handed
// over in batches, all end up in the histograms and the timeline.
func TestCollectorMergesEveryWorkersSamples(t *testing.T) {
	r := newRun(context.Background(), nil, Options{Concurrency: 1, Requests: 1})
	r.setSchedule()
	col := newCollector(r)
	done := make(chan struct{})
	go col.run(done)
	const workers, each = 16, 1000
	finished := make(chan struct{})
	for w := range workers {
		go func() {
			rec := r.newRecorder()
			for i := range each {
				s := sample{done: int64(i) * int64(time.Millisecond), response: int64(w*each + i + 1), service: 1, delay: 0}
				if i%100 == 0 {
					s.class = "x"
				}
				rec.add(s)
			}
			rec.flush()
			finished <- struct{}{}
		}()
	}
	for range workers {
		<-finished
	}
	close(r.batches)
	<-done
	if col.ok != workers*each*99/100 || col.errs != workers*each/100 || col.classes["x"] != col.errs {
		t.Errorf("ok %d errs %d classes %v", col.ok, col.errs, col.classes)
	}
	if col.response.TotalCount() != col.ok || col.delay.TotalCount() != workers*each {
		t.Errorf("response holds %d (want %d), send delay %d (want %d)", col.response.TotalCount(), col.ok, col.delay.TotalCount(), workers*each)
	}
	if col.response.Max() < workers*each-1 {
		t.Errorf("max %d: the last worker's samples are missing", col.response.Max())
	}
	var sum int64
	for _, p := range col.timeline {
		sum += p.Ops + p.Errors
	}
	if sum != workers*each {
		t.Errorf("timeline holds %d operations, want %d", sum, workers*each)
	}
}
