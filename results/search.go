package results

import (
	"fmt"
	"io"
	"strings"
)

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

// SearchFound says in one line what a search found: the rate and the
// latency at it, or that no rate was sustained, and why it stopped.
func (s *Search) SearchFound() string {
	name := strings.ReplaceAll(s.Latency, "_", " ")
	if s.FoundOpsPerS <= 0 {
		return "no rate asked was sustained (" + s.Stopped + ")"
	}
	line := fmt.Sprintf("%s ops/s sustained", FormatRate(s.FoundOpsPerS))
	if s.P99NS > 0 {
		line += fmt.Sprintf(", %s p99 %s there", name, FormatNS(float64(s.P99NS)))
	}
	return line + " (" + s.Stopped + ")"
}

// StepLine describes one step: asked, achieved, p99, backlog and verdict.
func (st SearchStep) StepLine() string {
	line := fmt.Sprintf("%s ops/s asked, %s achieved", FormatRate(st.AskedOpsPerS), FormatRate(st.AchievedOpsPerS))
	if st.P99NS > 0 {
		line += ", p99 " + FormatNS(float64(st.P99NS))
	}
	if st.BacklogFirst != nil && st.BacklogLast != nil {
		line += fmt.Sprintf(", backlog %d→%d", *st.BacklogFirst, *st.BacklogLast)
	}
	if st.Sustained {
		return line + ": sustained"
	}
	return line + ": not sustained: " + st.Why
}

func writeSearchText(w io.Writer, r *Result) {
	s := r.Search
	if s == nil {
		return
	}
	fmt.Fprintf(w, "\n  max sustainable rate: %s\n", s.SearchFound())
	for i, st := range s.Steps {
		fmt.Fprintf(w, "    step %d: %s\n", i+1, st.StepLine())
	}
}

func writeSearchMarkdown(w io.Writer, r *Result) {
	s := r.Search
	if s == nil {
		return
	}
	fmt.Fprintf(w, "\n**max sustainable rate:** %s\n\n| step | asked ops/s | achieved ops/s | p99 | backlog | sustained |\n|---:|---:|---:|---:|---|---|\n", escapeMD(s.SearchFound()))
	for i, st := range s.Steps {
		p99, backlog, verdict := "-", "-", "yes"
		if st.P99NS > 0 {
			p99 = FormatNS(float64(st.P99NS))
		}
		if st.BacklogFirst != nil && st.BacklogLast != nil {
			backlog = fmt.Sprintf("%d→%d", *st.BacklogFirst, *st.BacklogLast)
		}
		if !st.Sustained {
			verdict = "no: " + st.Why
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s |\n", i+1, FormatRate(st.AskedOpsPerS), FormatRate(st.AchievedOpsPerS), p99, backlog, escapeMD(verdict))
	}
}
