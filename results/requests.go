package results

import (
	"fmt"
)

// RequestKind is the figures of one kind of request of a run that sent
// requests of its own to a user's endpoints (REST --mix, or one kind with
// --method, --path …): how many were sent, answered as expected or failed,
// by status and by error class, and, for a mix, their own response latency
// (from the intended send time, as the run's response latency).
// Results written before kinds were recorded have none.
type RequestKind struct {
	Name   string `json:"name"`
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Weight int    `json:"weight,omitempty"`
	Sent   int64  `json:"sent"`
	OK     int64  `json:"ok"`
	Errors int64  `json:"errors"`
	// Statuses counts the answers by HTTP status ("201": 90, "500": 10).
	Statuses     map[string]int64 `json:"statuses,omitempty"`
	ErrorClasses map[string]int64 `json:"error_classes,omitempty"`
	// Response is the latency of the kind's successful operations; absent
	// when the run had one kind only (the run's own latency is the kind's).
	Response *Latency `json:"response,omitempty"`
}

// validateRequests checks the kinds' histograms.
func (r *Result) validateRequests() error {
	for i, k := range r.Requests {
		if k.Sent < 0 || k.OK < 0 || k.Errors < 0 {
			return fmt.Errorf("requests[%d]: negative counts", i)
		}
		if k.Response == nil {
			continue
		}
		h, err := k.Response.Histogram()
		if err != nil {
			return fmt.Errorf("requests[%d].response: %v", i, err)
		}
		if h.TotalCount() != k.Response.Count {
			return fmt.Errorf("requests[%d].response: count %d but its histogram holds %d values", i, k.Response.Count, h.TotalCount())
		}
	}
	return nil
}

// mergeRequests sums the request kinds of results measured together, kind
// by kind (matched by name); kinds missing in some results are summed over
// those that have them.
func mergeRequests(rs []*Result) ([]RequestKind, error) {
	var out []RequestKind
	at := map[string]int{}
	lats := map[string][]*Latency{}
	for _, r := range rs {
		for _, k := range r.Requests {
			i, ok := at[k.Name]
			if !ok {
				i = len(out)
				at[k.Name] = i
				out = append(out, RequestKind{Name: k.Name, Method: k.Method, Path: k.Path, Weight: k.Weight})
			}
			o := &out[i]
			o.Sent += k.Sent
			o.OK += k.OK
			o.Errors += k.Errors
			o.Statuses = addCounts(o.Statuses, k.Statuses)
			o.ErrorClasses = addCounts(o.ErrorClasses, k.ErrorClasses)
			if k.Response != nil {
				lats[k.Name] = append(lats[k.Name], k.Response)
			}
		}
	}
	for i := range out {
		if ls := lats[out[i].Name]; len(ls) > 0 {
			m, err := Merge(ls...)
			if err != nil {
				return nil, fmt.Errorf("merge the latency of requests %q: %w", out[i].Name, err)
			}
			out[i].Response = m
		}
	}
	return out, nil
}

func addCounts(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int64, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}
