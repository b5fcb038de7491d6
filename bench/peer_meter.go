package bench

import (
	"fmt"
	"sync"
	"time"

	"github.com/commsbench/commsbench/results"
)

// peerMeter counts the CPU time of the target's process over the measured
// period, read from /proc before and after it, as the engine counts its
// own with getrusage.
type peerMeter struct {
	peer Peer
	note string // why there is no figure, when there is none

	mu         sync.Mutex
	begin, end time.Duration
	started    bool
	stopped    bool
}

// newPeerMeter finds the process listening on address.
func newPeerMeter(address string) *peerMeter {
	p, err := FindPeer(address)
	switch {
	case err != nil:
		return &peerMeter{note: err.Error()}
	case p.Self:
		return &peerMeter{note: results.PeerInProcess}
	}
	return &peerMeter{peer: p}
}

func (m *peerMeter) measurable() bool { return m != nil && m.note == "" }

// start reads the peer's CPU as measuring starts.
func (m *peerMeter) start() {
	if !m.measurable() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.peer.CPU()
	if err != nil {
		m.note = err.Error()
		return
	}
	m.begin, m.started = v, true
}

// stop reads it again as the measured period ends.
func (m *peerMeter) stop() {
	if !m.measurable() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started {
		return
	}
	v, err := m.peer.CPU()
	if err != nil {
		m.note = err.Error()
		return
	}
	m.end, m.stopped = v, true
}

// record writes the peer's figure, or why there is none, into res.
func (m *peerMeter) record(res *results.Resources, ops int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.note != "" || !m.stopped {
		res.PeerNote = m.note
		if res.PeerNote == "" {
			res.PeerNote = "not measured: the measured period never started"
		}
		return
	}
	res.PeerProcess = fmt.Sprintf("%s (pid %d)", m.peer.Name, m.peer.PID)
	s := (m.end - m.begin).Seconds()
	res.PeerCPUS = &s
	if ops > 0 {
		us := s * 1e6 / float64(ops)
		res.PeerCPUPerOpUS = &us
	}
}
