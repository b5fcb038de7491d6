package rest

import (
	"sort"
	"strconv"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/tmpl"
)

// Endpoints are the requests a run sends to a user's own endpoints: one
// kind, or a weighted mix of kinds.
type Endpoints struct {
	// Base is the target's scheme and authority ("http://host:port"), ""
	// for the embedded target.
	Base string
	// Run is the run id, a template value.
	Run   string
	Kinds []*Kind

	explicitTarget bool
	// cumulative[i] is the sum of the weights of kinds 0…i.
	cumulative []uint64
	total      uint64
}

// Kind is one kind of request, compiled.
type Kind struct {
	Name     string
	Weight   int
	Method   string
	PathText string
	BodyFile string

	path       *tmpl.Template
	body       *tmpl.Template // nil: no body
	inlineBody bool
	headers    []header
	hostSet    bool
	expect     statusSet
	check      responseCheck

	stats *kindStats
}

// prepare sums the weights and makes the counters.
func (e *Endpoints) prepare() {
	e.cumulative = make([]uint64, len(e.Kinds))
	var sum uint64
	for i, k := range e.Kinds {
		sum += uint64(k.Weight)
		e.cumulative[i] = sum
		k.stats = &kindStats{statuses: map[int]int64{}, classes: map[string]int64{}}
		if len(e.Kinds) > 1 {
			k.stats.hist = results.NewHistogram()
		}
	}
	e.total = sum
}

// fresh returns a copy with counters of its own, for one run.
func (e *Endpoints) fresh() *Endpoints {
	c := *e
	c.Kinds = make([]*Kind, len(e.Kinds))
	for i, k := range e.Kinds {
		kc := *k
		c.Kinds[i] = &kc
	}
	c.prepare()
	return &c
}

// pick chooses the kind of operation seq: a reproducible draw weighted by
// the kinds' weights, so every shard and rerun sends the same mix.
func (e *Endpoints) pick(seq int64) *Kind {
	if len(e.Kinds) == 1 {
		return e.Kinds[0]
	}
	x := splitmix(uint64(seq)^0x6d69785f6b696e64) % e.total
	i := sort.Search(len(e.cumulative), func(i int) bool { return e.cumulative[i] > x })
	return e.Kinds[i]
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// kindStats count one kind's measured operations.
type kindStats struct {
	mu       sync.Mutex
	sent     int64
	ok       int64
	errors   int64
	statuses map[int]int64
	classes  map[string]int64
	hist     *hdrhistogram.Histogram // a mix only: one latency per kind
}

// record counts one measured operation: its answer's status (0 for none),
// its error and its latency from the intended send time.
func (s *kindStats) record(status int, err error, latency time.Duration) {
	s.mu.Lock()
	s.sent++
	if status > 0 {
		s.statuses[status]++
	}
	if err != nil {
		s.errors++
		s.classes[bench.Classify(err)]++
	} else {
		s.ok++
		if s.hist != nil {
			results.RecordClamped(s.hist, int64(latency))
		}
	}
	s.mu.Unlock()
}

// report is the kinds' figures for the result.
func (e *Endpoints) report() []results.RequestKind {
	out := make([]results.RequestKind, 0, len(e.Kinds))
	for _, k := range e.Kinds {
		s := k.stats
		s.mu.Lock()
		rk := results.RequestKind{
			Name:   k.Name,
			Method: k.Method,
			Path:   k.PathText,
			Weight: k.Weight,
			Sent:   s.sent,
			OK:     s.ok,
			Errors: s.errors,
		}
		if len(s.statuses) > 0 {
			rk.Statuses = make(map[string]int64, len(s.statuses))
			for code, n := range s.statuses {
				rk.Statuses[strconv.Itoa(code)] = n
			}
		}
		if len(s.classes) > 0 {
			rk.ErrorClasses = make(map[string]int64, len(s.classes))
			for c, n := range s.classes {
				rk.ErrorClasses[c] = n
			}
		}
		if s.hist != nil {
			rk.Response = results.MustLatency(s.hist)
		}
		s.mu.Unlock()
		out = append(out, rk)
	}
	return out
}
