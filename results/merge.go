package results

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// MergeResults combines results of one scenario measured at the same time
// by several load generators into one result, as if one generator had
// done all of it: counts and errors add up, latency histograms merge
// losslessly, throughput and asked rates sum, the timeline adds per
// second. Results of different transports, load modes, payload sizes or
// transport options are refused: they are not parts of one measurement.
//
// Shards of one run (run --shard I/N) must all be of that run, each once,
// with the same load; their timelines are aligned by the wall clock, and
// a merge that lacks shards is partial and names them. One shard alone is
// such a partial merge.
func MergeResults(rs []*Result) (*Result, error) {
	parts, err := sharded(rs)
	if err != nil {
		return nil, err
	}
	if len(rs) < 2 && parts == nil {
		return nil, errors.New("merge needs at least two results")
	}
	first := rs[0]
	for i, r := range rs[1:] {
		if err := mergeable(first, r); err != nil {
			return nil, fmt.Errorf("result %d cannot be merged with result 1: %w", i+2, err)
		}
	}

	out := &Result{
		Schema:    SchemaVersion,
		Tool:      first.Tool,
		Transport: first.Transport,
		Label:     mergedLabel(rs),
		Scenario:  first.Scenario,
		Phase:     first.Phase,
		StartedAt: first.StartedAt,
		Load:      first.Load,
		Target:    first.Target,
		Env:       first.Env,
		Options:   first.Options,
		Errors:    map[string]int64{},
		Latency:   map[string]*Latency{},
	}
	out.Load.Rate, out.Load.Concurrency, out.Load.Connections, out.Load.Requests = 0, 0, 0, 0
	hosts := map[string]bool{}
	var hostList []string
	var codecUS float64 // the runs' codec microseconds, summed
	for _, r := range rs {
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		out.DurationS = max(out.DurationS, r.DurationS)
		out.Partial = out.Partial || r.Partial
		out.GroupJoinS = max(out.GroupJoinS, r.GroupJoinS)
		out.Load.Rate += r.Load.Rate
		out.Load.Concurrency += r.Load.Concurrency
		out.Load.Connections += r.Load.Connections
		out.Load.Requests += r.Load.Requests

		out.Counts.Sent += r.Counts.Sent
		out.Counts.OK += r.Counts.OK
		out.Counts.Errors += r.Counts.Errors
		out.Counts.Unsent += r.Counts.Unsent
		if r.Counts.Delivery != nil {
			if out.Counts.Delivery == nil {
				out.Counts.Delivery = &Delivery{}
				if r.Counts.Delivery.Unread != nil {
					out.Counts.Delivery.Unread = new(int64)
				}
			}
			addDelivery(out.Counts.Delivery, r.Counts.Delivery)
		}
		for k, v := range r.Errors {
			out.Errors[k] += v
		}
		for k, v := range r.FirstErrors {
			if out.FirstErrors == nil {
				out.FirstErrors = map[string]string{}
			}
			if out.FirstErrors[k] == "" {
				out.FirstErrors[k] = v
			}
		}
		out.Unreachable = addUnreachable(out.Unreachable, r.Unreachable)
		t := &out.Throughput
		t.RequestedOpsPerS += r.Throughput.RequestedOpsPerS
		t.OpsPerS += r.Throughput.OpsPerS
		t.BytesPerS += r.Throughput.BytesPerS
		t.PublishedPerS += r.Throughput.PublishedPerS
		t.ConsumedPerS += r.Throughput.ConsumedPerS
		t.ConsumedBytesPerS += r.Throughput.ConsumedBytesPerS
		if r.Resources != nil {
			if out.Resources == nil {
				out.Resources = &Resources{}
			}
			codecUS += r.Resources.ClientCodecPerOpUS * float64(r.Counts.Sent)
			out.Resources.CPUUserS += r.Resources.CPUUserS
			out.Resources.CPUSystemS += r.Resources.CPUSystemS
			out.Resources.MaxRSSBytes = max(out.Resources.MaxRSSBytes, r.Resources.MaxRSSBytes)
		}
		for _, n := range r.Notes {
			if !containsString(out.Notes, n) {
				out.Notes = append(out.Notes, n)
			}
		}
		h := r.Env.Hostname
		if h == "" {
			h = "(unknown host)"
		}
		if !hosts[h] {
			hosts[h] = true
			hostList = append(hostList, h)
		}
	}
	if out.Resources != nil && out.Counts.Sent > 0 {
		out.Resources.CPUPerOpUS = (out.Resources.CPUUserS + out.Resources.CPUSystemS) * 1e6 / float64(out.Counts.Sent)
		// Each run's codec time per operation, weighted by its operations.
		out.Resources.ClientCodecPerOpUS = codecUS / float64(out.Counts.Sent)
	}
	for _, kind := range first.LatencyNames() {
		var ls []*Latency
		for _, r := range rs {
			ls = append(ls, r.Latency[kind])
		}
		m, err := Merge(ls...)
		if err != nil {
			return nil, fmt.Errorf("merge %s latency: %w", kind, err)
		}
		out.Latency[kind] = m
	}
	subs, err := mergeSubscribers(rs)
	if err != nil {
		return nil, err
	}
	out.Subscribers = subs
	if out.Requests, err = mergeRequests(rs); err != nil {
		return nil, err
	}
	out.Timeline = mergeTimelines(rs, parts)
	var offsets []float64
	if parts != nil {
		offsets = parts.offsets
	}
	mergeResilience(out, rs, offsets)
	out.Retries = mergeRetries(rs)
	out.Notes = append(out.Notes,
		fmt.Sprintf("merged from %d results measured at the same time (hosts: %s); counts, throughput and histograms are their sums", len(rs), strings.Join(hostList, ", ")),
		"timeline p50_ns and p99_ns of a merged result are the highest of the merged results' values for that second (an upper bound), not percentiles of the combined operations")
	if parts != nil {
		out.Options = shardOptions(first)
		parts.finish(out, len(rs))
	}
	return out, nil
}

// mergeable says why b is not part of the same measurement as a.
func mergeable(a, b *Result) error {
	switch {
	case a.Transport != b.Transport:
		return fmt.Errorf("transport %q differs from %q; merge only results of one transport", b.Transport, a.Transport)
	case a.Load.Mode != b.Load.Mode:
		return fmt.Errorf("load mode %q differs from %q; merge only results of one load mode", b.Load.Mode, a.Load.Mode)
	case a.Load.PayloadBytes != b.Load.PayloadBytes:
		return fmt.Errorf("payload size %d bytes differs from %d; merge only results of one scenario", b.Load.PayloadBytes, a.Load.PayloadBytes)
	case a.Scenario != b.Scenario || a.Phase != b.Phase:
		return fmt.Errorf("scenario %q/%q differs from %q/%q", b.Scenario, b.Phase, a.Scenario, a.Phase)
	case optionsDiffer(a, b):
		return fmt.Errorf("transport options %v differ from %v; merge only results run with the same options", b.Options, a.Options)
	}
	an, bn := strings.Join(a.LatencyNames(), ","), strings.Join(b.LatencyNames(), ",")
	if an != bn {
		return fmt.Errorf("latencies %s differ from %s", bn, an)
	}
	return nil
}

// mergedLabel is the common label, or the distinct labels joined by "+".
func mergedLabel(rs []*Result) string {
	var labels []string
	for _, r := range rs {
		if !containsString(labels, r.Label) {
			labels = append(labels, r.Label)
		}
	}
	return strings.Join(labels, "+")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func addDelivery(sum, d *Delivery) {
	sum.Confirmed += d.Confirmed
	sum.Acked += d.Acked
	sum.Nacked += d.Nacked
	sum.Returned += d.Returned
	sum.Received += d.Received
	sum.Duplicates += d.Duplicates
	sum.Redelivered += d.Redelivered
	sum.Lost += d.Lost
	// A sum of unread messages is known only when every part counted them.
	if sum.Unread != nil && d.Unread != nil {
		*sum.Unread += *d.Unread
	} else {
		sum.Unread = nil
	}
	sum.Outstanding += d.Outstanding
	sum.OutOfOrder += d.OutOfOrder
	sum.Invalid += d.Invalid
	sum.Uncorrelated += d.Uncorrelated
}

// mergeSubscribers merges consumer groups of the same name.
func mergeSubscribers(rs []*Result) ([]Subscriber, error) {
	var out []Subscriber
	index := map[string]int{}
	e2e := map[string][]*Latency{}
	for _, r := range rs {
		for _, s := range r.Subscribers {
			i, ok := index[s.Group]
			if !ok {
				i = len(out)
				index[s.Group] = i
				out = append(out, Subscriber{Group: s.Group})
			}
			m := &out[i]
			m.Members += s.Members
			m.Received += s.Received
			m.Lost += s.Lost
			m.Duplicates += s.Duplicates
			m.OutOfOrder += s.OutOfOrder
			m.LagAtEnd += s.LagAtEnd
			m.ConsumedPerS += s.ConsumedPerS
			if s.EndToEnd != nil {
				e2e[s.Group] = append(e2e[s.Group], s.EndToEnd)
			}
		}
	}
	for i := range out {
		if ls := e2e[out[i].Group]; len(ls) > 0 {
			l, err := Merge(ls...)
			if err != nil {
				return nil, fmt.Errorf("merge end-to-end latency of group %s: %w", out[i].Group, err)
			}
			out[i].EndToEnd = l
		}
	}
	return out, nil
}

// mergeTimelines adds the points of each second; percentiles cannot be
// combined from points, so the highest is kept as an upper bound.
// Shards' seconds are first aligned by the wall clock.
func mergeTimelines(rs []*Result, parts *shardParts) []TimelinePoint {
	byT := map[float64]*TimelinePoint{}
	for i, r := range rs {
		tl := r.Timeline
		if parts != nil {
			tl = shiftTimeline(tl, parts.offsets[i])
		}
		for _, p := range tl {
			q := byT[p.TS]
			if q == nil {
				q = &TimelinePoint{TS: p.TS}
				byT[p.TS] = q
			}
			q.Ops += p.Ops
			q.Errors += p.Errors
			q.P50NS = max(q.P50NS, p.P50NS)
			q.P99NS = max(q.P99NS, p.P99NS)
			for class, n := range p.ErrorClasses {
				if q.ErrorClasses == nil {
					q.ErrorClasses = map[string]int64{}
				}
				q.ErrorClasses[class] += n
			}
			if p.Backlog != nil {
				// Each result's backlog is its own queue's, so the sum of the
				// highest values is an upper bound of the combined one.
				b := *p.Backlog
				if q.Backlog != nil {
					b += *q.Backlog
				}
				q.Backlog = &b
			}
		}
	}
	out := make([]TimelinePoint, 0, len(byT))
	for _, p := range byT {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}

// ShardRunID is the id shard index of count of run id gives its workload,
// which names the shard's queue or topic: its own, so that its consumers
// account for its own producers' messages exactly.
func ShardRunID(id string, index, count int) string {
	return fmt.Sprintf("%s-s%dof%d", id, index, count)
}
