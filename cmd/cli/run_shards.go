package cli

import "context"

// executeShards is run --shards N: the local fan-out.
func executeShards(_ context.Context, _ *Factory, _ *runRequest) error {
	return flagErrorf("--shards: the local fan-out is not built yet; start each --shard I/N yourself")
}
