package event

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Retention of the embedded broker. kfake keeps every event in memory
// until something deletes it, so a long run would grow without bound. A
// bound in bytes (kfake's retention.bytes) would do, but it deletes the
// oldest events whether or not every group has read them, and a group that
// falls behind would lose events to the broker, not to the system under
// test. So the broker deletes, every retentionInterval, what every
// consumer group reading a topic has committed, and no more:
//
//   - a partition of a topic that consumer groups read is cut at the lowest
//     offset those groups committed on it; while one of them has not
//     committed on the partition yet, nothing of it is deleted. A group
//     that fell behind, or stopped, holds the log for itself however long.
//   - a partition of a topic no group reads is cut to about the bytes bound
//     (BrokerConfig.RetentionPerPartition), so that producing alone cannot
//     fill the memory either.
//
// Memory is freed a whole segment at a time, so the topics are made with
// small segments (segmentBytes).
//
// The broker learns of groups and topics from the requests it serves
// (JoinGroup and OffsetCommit name a group, CreateTopics and Produce a
// topic), so that this works the same for a run's own broker and for one
// served on its own to other processes. Until a group has joined, the
// broker cannot know it will read a topic: what is produced before then is
// under the bytes bound (a run's groups join before its measured events).

// retainer is what the broker knows of groups and topics, and the trimming.
type retainer struct {
	c     *kfake.Cluster
	bound int64 // bytes per partition of a topic no group reads

	mu     sync.Mutex
	groups map[string]struct{}
	topics map[string]struct{}
}

func newRetainer(c *kfake.Cluster, bound int64) *retainer {
	r := &retainer{c: c, bound: bound, groups: map[string]struct{}{}, topics: map[string]struct{}{}}
	// Observers only: returning "not handled" lets kfake serve the request
	// as usual, and keeps the function for the next one.
	watch := func(req kmsg.Request) (kmsg.Response, error, bool) {
		r.observe(req)
		return nil, nil, false
	}
	for _, k := range []kmsg.Key{kmsg.JoinGroup, kmsg.OffsetCommit, kmsg.CreateTopics, kmsg.Produce} {
		c.ControlKey(int16(k), watch)
	}
	return r
}

// observe notes the groups and topics a request names.
func (r *retainer) observe(req kmsg.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch q := req.(type) {
	case *kmsg.JoinGroupRequest:
		r.groups[q.Group] = struct{}{}
	case *kmsg.OffsetCommitRequest:
		r.groups[q.Group] = struct{}{}
		for _, t := range q.Topics {
			r.noteTopic(t.Topic)
		}
	case *kmsg.CreateTopicsRequest:
		for _, t := range q.Topics {
			r.noteTopic(t.Topic)
		}
	case *kmsg.ProduceRequest:
		for _, t := range q.Topics {
			r.noteTopic(t.Topic)
		}
	}
}

func (r *retainer) noteTopic(t string) {
	if t != "" {
		r.topics[t] = struct{}{}
	}
}

func (r *retainer) snapshot() (groups, topics []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for g := range r.groups {
		groups = append(groups, g)
	}
	for t := range r.topics {
		topics = append(topics, t)
	}
	return groups, topics
}

func (r *retainer) forget(groups, topics []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range groups {
		delete(r.groups, g)
	}
	for _, t := range topics {
		delete(r.topics, t)
	}
}

// floors are, per topic that groups read, the lowest committed offset of
// each partition over those groups; -1 where a group has not committed.
type floors map[string]map[int32]int64

// floorsOf collects the groups' committed offsets.
func (r *retainer) floorsOf(groups []string) (f floors, gone []string) {
	f = floors{}
	for _, g := range groups {
		gi := r.c.GroupInfo(g)
		if gi == nil {
			gone = append(gone, g)
			continue
		}
		read := map[string]bool{}
		for t := range gi.Commits {
			read[t] = true
		}
		for _, m := range gi.Members {
			for _, t := range m.SubscribedTopics {
				read[t] = true
			}
		}
		for t := range read {
			parts := r.c.PartitionInfos(t)
			if f[t] == nil {
				f[t] = make(map[int32]int64, len(parts))
				for _, p := range parts {
					f[t][p.Partition] = p.HighWatermark
				}
			}
			for _, p := range parts {
				off := int64(-1)
				if c, ok := gi.Commits[t][p.Partition]; ok {
					off = c.Offset
				}
				if cur, ok := f[t][p.Partition]; ok {
					f[t][p.Partition] = min(cur, off)
				}
			}
		}
	}
	return f, gone
}

// trim applies retention once.
func (r *retainer) trim() {
	groups, topics := r.snapshot()
	f, goneGroups := r.floorsOf(groups)
	var goneTopics []string
	for _, t := range topics {
		parts := r.c.PartitionInfos(t)
		if len(parts) == 0 {
			goneTopics = append(goneTopics, t)
			continue
		}
		for _, p := range parts {
			to := r.cut(f, t, p)
			if to > p.LogStartOffset && to <= p.HighWatermark {
				// An error here is a topic deleted meanwhile: nothing to keep.
				_ = r.c.DeleteRecords(t, p.Partition, to)
			}
		}
	}
	r.forget(goneGroups, goneTopics)
}

// cut is the offset below which partition p of topic t may go: the groups'
// floor if groups read t, else what keeps about the bytes bound.
func (r *retainer) cut(f floors, t string, p *kfake.PartitionInfo) int64 {
	if tf, read := f[t]; read {
		floor, ok := tf[p.Partition]
		if !ok {
			return -1
		}
		return floor
	}
	n := p.HighWatermark - p.LogStartOffset
	if r.bound <= 0 || p.NumBytes <= r.bound || n <= 0 {
		return -1
	}
	keep := int64(float64(n) * float64(r.bound) / float64(p.NumBytes))
	return p.HighWatermark - keep
}
