package results

// Search is the record of a max-sustainable-rate search (run --find-max,
// and the suite's saturation phase): the open-loop rates it asked, what
// each achieved, and the rate found. The result that carries it is the
// measurement at the rate found (or, when no rate was sustained, at the
// first one asked), so its load, latencies and counts are those of that
// step. Absent from every other result, and from files written before
// the search existed.
type Search struct {
	// FoundOpsPerS is the highest rate asked that was sustained; 0 when
	// none was.
	FoundOpsPerS float64 `json:"found_ops_per_s"`
	// Latency names the latency judged against MaxP99NS and reported as
	// P99NS (the result's main latency).
	Latency string `json:"latency"`
	// P99NS is that latency's p99 at the rate found (absent when none).
	P99NS int64 `json:"p99_ns,omitempty"`
	// MaxP99NS is the bound on the p99 the user gave (absent: none).
	MaxP99NS int64 `json:"max_p99_ns,omitempty"`
	// Stopped says why the search ended.
	Stopped string `json:"stopped"`
	// Steps are the measurements in the order they ran.
	Steps []SearchStep `json:"steps"`
}

// SearchStep is one measurement of a search, at one asked rate.
type SearchStep struct {
	AskedOpsPerS float64 `json:"asked_ops_per_s"`
	// AchievedOpsPerS is the operations that succeeded over the planned
	// measured period: the asked rate when every due operation was sent
	// and answered.
	AchievedOpsPerS float64 `json:"achieved_ops_per_s"`
	// P99NS is the p99 of the search's latency (absent when nothing
	// succeeded).
	P99NS  int64 `json:"p99_ns,omitempty"`
	Errors int64 `json:"errors,omitempty"`
	Unsent int64 `json:"unsent,omitempty"`
	// BacklogFirst and BacklogLast are the backlog (messages sent and not
	// yet received) in the first and last second of the measured period
	// that sampled it, for transports that have one.
	BacklogFirst *int64 `json:"backlog_first,omitempty"`
	BacklogLast  *int64 `json:"backlog_last,omitempty"`
	// Sustained says the step kept up; Why says why not.
	Sustained bool   `json:"sustained"`
	Why       string `json:"why,omitempty"`
}
