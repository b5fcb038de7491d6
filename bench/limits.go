package bench

import (
	"fmt"
	"os"
)

// DescriptorNeeder is implemented by workloads that can say, before they
// start, how many file descriptors (sockets, mostly) they will hold at the
// peak: both ends of every connection to an embedded target, every broker
// connection. Run checks that number against the process's limit before
// anything is opened, so that a run that cannot fit refuses at once with
// the fix instead of failing thousands of operations for a reason no
// figure shows.
type DescriptorNeeder interface {
	Descriptors() int
}

// descriptorMargin is what the process itself holds besides the
// workload's sockets: standard streams, the runtime's poller, listeners,
// the result and profile files, a broker client's spare connections.
const descriptorMargin = 64

// LimitError says that a run needs more of a resource than the process
// may have. Commands turn it into a failure before any load is driven.
type LimitError struct {
	// Resource is what ran short, such as "file descriptors".
	Resource string
	// Need is what the run needs; Soft and Hard are the process's limits.
	Need, Soft, Hard uint64
	// Fix says what the user can do.
	Fix string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("this run needs about %d %s but the process may open %d (hard limit %d): %s", e.Need, e.Resource, e.Soft, e.Hard, e.Fix)
}

// CheckDescriptors makes sure the process may hold need more file
// descriptors than it holds now, plus a margin. When the soft limit is too
// low and the hard limit suffices, it raises the soft limit; otherwise it
// returns a *LimitError naming the limit, the need and the fix. On systems
// without RLIMIT_NOFILE it does nothing.
func CheckDescriptors(need int) error {
	soft, hard, ok := nofile()
	if !ok || need <= 0 {
		return nil
	}
	want := uint64(need) + uint64(openDescriptors()) + descriptorMargin
	if want <= soft {
		return nil
	}
	if want <= hard {
		if err := setNofile(want, hard); err == nil {
			return nil
		}
	}
	return &LimitError{
		Resource: "file descriptors",
		Need:     want,
		Soft:     soft,
		Hard:     hard,
		Fix: fmt.Sprintf("raise the limit in the shell that runs commsbench ('ulimit -n %d'; above the hard limit that takes root or a limits.conf entry), or use fewer --connections",
			roundUp(want)),
	}
}

// roundUp rounds a descriptor count up to a figure a person would type.
func roundUp(n uint64) uint64 {
	const step = 1024
	return (n + step - 1) / step * step
}

// openDescriptors counts the descriptors the process holds now, where the
// system says (Linux's /proc/self/fd); 0 elsewhere, where the margin covers them.
func openDescriptors() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(entries)
}
