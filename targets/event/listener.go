package event

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// patientListener keeps accepting through the errors that pass: kfake's
// accept loop returns on any error, so a moment without file descriptors
// (EMFILE) would otherwise stop the embedded broker from taking any new
// connection for the rest of the run, silently. net/http's server waits
// and retries in the same case; so does this, quietly — the clients' own
// errors count and class the shortage.
type patientListener struct {
	net.Listener
	closeOnce sync.Once
	closed    chan struct{}
}

// Bounds of the wait between accepts that failed for lack of resources.
const (
	acceptRetryMin = 5 * time.Millisecond
	acceptRetryMax = time.Second
)

func newPatientListener(ln net.Listener) *patientListener {
	return &patientListener{Listener: ln, closed: make(chan struct{})}
}

func (l *patientListener) Accept() (net.Conn, error) {
	var wait time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil || !passing(err) {
			return c, err
		}
		wait = min(max(2*wait, acceptRetryMin), acceptRetryMax)
		select {
		case <-time.After(wait):
		case <-l.closed:
			return nil, net.ErrClosed
		}
	}
}

func (l *patientListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// passing says whether an accept error is a shortage that may pass.
func passing(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
