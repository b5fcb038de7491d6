//go:build !linux

package bench

import (
	"fmt"
	"time"
)

// FindPeer finds the process listening on address; only Linux's /proc
// tells, so elsewhere the peer's CPU is not measured.
func FindPeer(address string) (Peer, error) {
	return Peer{}, fmt.Errorf("%w: a broker's or receiver's CPU is read from /proc, on Linux only", errNotMeasured)
}

// CPU is not known outside Linux.
func (p Peer) CPU() (time.Duration, error) {
	return 0, fmt.Errorf("%w: /proc is Linux only", errNotMeasured)
}
