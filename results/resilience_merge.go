package results

import (
	"fmt"
	"slices"
)

// Merging the resilience of results measured at the same time (shards of
// one run, or generators driven side by side): counts add up, histograms
// merge, the window spans every result's (shards' windows aligned by the
// wall clock), and the recovery is read again from the merged timeline,
// as the engine reads it from one run's.

// mergeResilience sets out's faults and resilience from rs, whose merged
// timeline out already holds; offsets are the shards' whole seconds after
// the earliest one (nil: results not aligned by the wall clock). It says
// in a note why it did not, when the results' faults differ.
func mergeResilience(out *Result, rs []*Result, offsets []float64) {
	with := 0
	for _, r := range rs {
		if r.Resilience != nil {
			with++
		}
	}
	if with == 0 {
		return
	}
	specs := func(r *Result) []string {
		var s []string
		for _, f := range r.Faults {
			s = append(s, f.Spec)
		}
		return s
	}
	for _, r := range rs[1:] {
		if with < len(rs) || !slices.Equal(specs(r), specs(rs[0])) {
			out.Notes = append(out.Notes, "the merged results did not all run with the same faults, so their before, during and after figures are not merged: read them in each result")
			return
		}
	}
	shift := func(i int) float64 {
		if offsets == nil {
			return 0
		}
		return offsets[i]
	}
	res := &Resilience{}
	phases := func(rs *Resilience) []*Phase { return []*Phase{&rs.Before, &rs.During, &rs.After} }
	lat := make([]map[string][]*Latency, 3)
	for i := range lat {
		lat[i] = map[string][]*Latency{}
	}
	sampled := false
	for i, r := range rs {
		rr, off := r.Resilience, shift(i)
		if i == 0 {
			res.WindowStartS, res.WindowEndS = rr.WindowStartS+off, rr.WindowEndS+off
			out.Faults = slices.Clone(r.Faults)
		}
		res.WindowStartS = min(res.WindowStartS, rr.WindowStartS+off)
		res.WindowEndS = max(res.WindowEndS, rr.WindowEndS+off)
		for j, f := range r.Faults {
			g := &out.Faults[j]
			g.InjectedS = min(g.InjectedS, f.InjectedS+off)
			if f.RestoredS > 0 {
				g.RestoredS = max(g.RestoredS, f.RestoredS+off)
			}
			if g.Error == "" && f.Error != "" {
				g.Error = f.Error
			}
		}
		for k, p := range phases(rr) {
			q := phases(res)[k]
			q.OK += p.OK
			q.Errors += p.Errors
			for c, n := range p.ErrorClasses {
				if q.ErrorClasses == nil {
					q.ErrorClasses = map[string]int64{}
				}
				q.ErrorClasses[c] += n
			}
			for name, l := range p.Latency {
				lat[k][name] = append(lat[k][name], l)
			}
			if p.BacklogPeak != nil {
				// Each result's backlog is its own queue's: the sum of
				// their peaks bounds the combined one from above.
				b := *p.BacklogPeak
				if q.BacklogPeak != nil {
					b += *q.BacklogPeak
				}
				q.BacklogPeak = &b
			}
			if p.Retries != nil {
				if q.Retries == nil {
					q.Retries = &RetryCounts{}
				}
				q.Retries.Add(*p.Retries)
			}
		}
		res.Lost += rr.Lost
		res.Duplicates += rr.Duplicates
		sampled = sampled || anyBacklog(r)
	}
	// The combined backlog is empty when every result's is.
	empty := mergedEmpty(rs, offsets)
	for k := range lat {
		q := phases(res)[k]
		for name, ls := range lat[k] {
			if len(ls) != len(rs) {
				continue // not every result measured it: no merged figure
			}
			m, err := Merge(ls...)
			if err != nil {
				continue
			}
			if q.Latency == nil {
				q.Latency = map[string]*Latency{}
			}
			q.Latency[name] = m
		}
		bounds := []float64{0, res.WindowStartS, res.WindowEndS, max(out.DurationS, res.WindowEndS)}
		q.DurationS = bounds[k+1] - bounds[k]
	}
	res.SetRecovery(out.Timeline, empty, sampled)
	out.Resilience = res
	out.Notes = append(out.Notes, fmt.Sprintf("the resilience figures of the %d merged results are their sums and merged histograms; the recovery is read from the merged timeline, whose per-second p99 is the highest of the results' (an upper bound), and the backlog peaks are the sums of the results' own", len(rs)))
}

// anyBacklog says whether r sampled a backlog.
func anyBacklog(r *Result) bool {
	for _, p := range []Phase{r.Resilience.Before, r.Resilience.During, r.Resilience.After} {
		if p.BacklogPeak != nil {
			return true
		}
	}
	return false
}

// mergedEmpty is when the combined backlog was first empty after the
// window: the latest of the results' own moments, aligned; nil when a
// result that sampled a backlog never saw it empty.
func mergedEmpty(rs []*Result, offsets []float64) *float64 {
	var at *float64
	for i, r := range rs {
		if !anyBacklog(r) {
			continue
		}
		e := r.Resilience.BacklogEmptyS
		if e == nil {
			return nil
		}
		v := *e
		if offsets != nil {
			v += offsets[i]
		}
		if at == nil || v > *at {
			at = &v
		}
	}
	return at
}
