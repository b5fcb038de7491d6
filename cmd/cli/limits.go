package cli

import "github.com/commsbench/commsbench/bench"

// skipLimitCheckEnv, set to any value, skips the up-front check of file
// descriptors against the process's limit. It exists for the tests that
// reproduce a run running out of descriptors; a user never needs it.
const skipLimitCheckEnv = "COMMSBENCH_SKIP_LIMIT_CHECK"

// withLimitCheck applies the environment's say on the engine's limit check.
func withLimitCheck(f *Factory, o bench.Options) bench.Options {
	o.SkipLimitCheck = f.Getenv(skipLimitCheckEnv) != ""
	return o
}
