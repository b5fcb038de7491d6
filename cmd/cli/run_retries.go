package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/registry"
	"github.com/commsbench/commsbench/targets/transport"
)

// retryFlags are --retries and --retry-backoff: a caller that tries a
// failed call again, as a resilient service would (see bench/retry.go).
type retryFlags struct {
	Retries int
	Backoff time.Duration
}

// defaultRetryBackoff is the wait before the first retry.
const defaultRetryBackoff = 10 * time.Millisecond

func (r *retryFlags) addFlags(fl *pflag.FlagSet) {
	fl.IntVar(&r.Retries, "retries", 0, fmt.Sprintf("try a call again up to N times when it failed in a way a retry can cure (connection refused or cut,\nHTTP 502/503/504, gRPC UNAVAILABLE; at most %d); latency still counts from the first attempt's due time", bench.MaxRetries))
	fl.DurationVar(&r.Backoff, "retry-backoff", defaultRetryBackoff, "wait before the first retry, doubled before each next one (with --retries)")
}

// hideRetries hides the retry flags of a transport whose callers do not
// retry.
func hideRetries(t transport.Transport, fs *pflag.FlagSet) {
	if !t.Retries {
		_ = fs.MarkHidden("retries")
		_ = fs.MarkHidden("retry-backoff")
	}
}

// checkRetries refuses a retry policy the transport cannot apply, or out
// of bounds, as usage errors.
func checkRetries(t transport.Transport, r retryFlags, changed func(string) bool) error {
	switch {
	case (changed("retries") || changed("retry-backoff")) && !t.Retries && (r.Retries != 0 || changed("retry-backoff")):
		return flagErrorf("--retries: the %s transport's callers do not retry (its sends are confirmed or acknowledged by a broker); --retries applies to %s", t.Name, strings.Join(retryingTransports(), " and "))
	case r.Retries < 0 || r.Retries > bench.MaxRetries:
		return flagErrorf("--retries %d: give 0 (no retry) to %d", r.Retries, bench.MaxRetries)
	case r.Backoff < 0 || r.Backoff > bench.MaxRetryBackoff:
		return flagErrorf("--retry-backoff %s: give 0 to %s, such as 10ms", r.Backoff, bench.MaxRetryBackoff)
	case changed("retry-backoff") && r.Retries == 0:
		return flagErrorf("--retry-backoff without --retries: give --retries N too (no call is retried by default)")
	}
	return nil
}

// retryingTransports names the transports whose callers retry.
func retryingTransports() []string {
	var names []string
	for _, t := range registry.All() {
		if t.Retries {
			names = append(names, t.Name)
		}
	}
	return names
}
