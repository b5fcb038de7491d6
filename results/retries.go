package results

import "fmt"

// Retries. A run whose callers may try an operation again after a failure
// that a retry can cure (--retries) records how often they did. Latency
// still runs from the intended time of the first attempt, so a call that
// succeeded on its third attempt shows the whole wait, backoff included.
// Files without these fields were runs without retries.

// Retries is the retry policy of a run and what it did.
type Retries struct {
	// Max is the most retries of one operation (attempts = Max + 1);
	// BackoffS the wait before the first retry, doubled before each next
	// one.
	Max      int     `json:"max"`
	BackoffS float64 `json:"backoff_s"`
	RetryCounts
}

// RetryCounts count the attempts of measured operations.
type RetryCounts struct {
	// Attempts counts every attempt, the first ones included: with no
	// retry it equals the operations sent.
	Attempts int64 `json:"attempts"`
	// Retried counts the operations that took more than one attempt;
	// SucceededAfterRetry those of them that succeeded in the end.
	Retried             int64 `json:"retried"`
	SucceededAfterRetry int64 `json:"succeeded_after_retry"`
}

// Add adds o's counts to c.
func (c *RetryCounts) Add(o RetryCounts) {
	c.Attempts += o.Attempts
	c.Retried += o.Retried
	c.SucceededAfterRetry += o.SucceededAfterRetry
}

// RetryLine says in one line what the retries did: "up to 3 retries
// (backoff 10ms, doubling): 5230 attempts; 230 operations retried, 180
// of them succeeded".
func (r *Result) RetryLine() string {
	rt := r.Retries
	if rt == nil {
		return ""
	}
	return fmt.Sprintf("up to %s (backoff %s, doubling): %d attempts; %d operations retried, %d of them succeeded",
		plural(int64(rt.Max), "retry", "retries"), FormatNS(rt.BackoffS*1e9), rt.Attempts, rt.Retried, rt.SucceededAfterRetry)
}

// mergeRetries adds up the retries of results measured together; nil
// when none retried, the policy of the first that did.
func mergeRetries(rs []*Result) *Retries {
	var out *Retries
	for _, r := range rs {
		if r.Retries == nil {
			continue
		}
		if out == nil {
			out = &Retries{Max: r.Retries.Max, BackoffS: r.Retries.BackoffS}
		}
		out.Add(r.Retries.RetryCounts)
	}
	return out
}
