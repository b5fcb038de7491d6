package bench

// Bounds of a run, the one place they are written: the command line,
// scenario files and the engine's own validation use them.
const (
	// MaxRate is the highest open-loop rate: above it no transport here
	// keeps up, and closed loop finds the ceiling better.
	MaxRate = 10_000_000
	// MaxConcurrency bounds workers (closed loop) or operations in flight
	// (open loop): beyond it a run measures the scheduler, not a service.
	MaxConcurrency = 100_000
	// MaxPayloadBytes bounds a payload, random or from a file.
	MaxPayloadBytes = 16 << 20
)
