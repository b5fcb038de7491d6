package bench

import (
	"testing"
	"time"
)

// The backlog is empty again at the first empty sample after its largest
// value after the window: a broker that was away empties the backlog for a
// moment before what was sent during the window reaches it.
func TestBacklogEmptyAfterThePeak(t *testing.T) {
	fr := &faultRun{emptyAt: -1}
	fr.startedAt.Store(int64(time.Second))
	fr.endedAt.Store(int64(2 * time.Second))
	for i, n := range []int64{5, 0, 0, 900, 400, 0, 3, 0} {
		fr.observe(2*time.Second+time.Duration(i)*100*time.Millisecond, n)
	}
	if !fr.emptySeen || fr.emptyAt != 2500*time.Millisecond {
		t.Errorf("empty at %v (%v), want 2.5s, after the peak of 900", fr.emptyAt, fr.emptySeen)
	}
}
