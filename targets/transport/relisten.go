package transport

import (
	"fmt"
	"net"
	"sync"
)

// Instance is one life of an embedded target's server, between being
// brought up and taken down.
type Instance interface {
	// Serve answers on ln until the instance is stopped; it returns nil
	// when stopped.
	Serve(ln net.Listener) error
	// Kill stops the instance at once: it stops listening and drops every
	// connection, requests in progress too.
	Kill()
}

// Relistener runs an embedded target that a run's down fault can take away
// and bring back on the same address: each life is a fresh Instance (a
// stopped HTTP or gRPC server cannot serve again), and Serve spans them.
type Relistener struct {
	addr    string
	newInst func() Instance

	mu  sync.Mutex
	cur Instance
	ln  net.Listener
	// up is made when the target goes down and closed when it is back;
	// nil while it serves.
	up   chan struct{}
	shut bool
}

// NewRelistener serves instances made by newInst, the first on ln.
func NewRelistener(ln net.Listener, newInst func() Instance) *Relistener {
	return &Relistener{addr: ln.Addr().String(), newInst: newInst, cur: newInst(), ln: ln}
}

// Addr is the address the target listens on, in every life.
func (r *Relistener) Addr() string { return r.addr }

// Serve answers until Shutdown, across Down and Up; it returns nil after a
// shutdown.
func (r *Relistener) Serve() error {
	for {
		r.mu.Lock()
		inst, ln, up, shut := r.cur, r.ln, r.up, r.shut
		r.mu.Unlock()
		switch {
		case shut:
			return nil
		case up != nil:
			<-up
			continue
		}
		if err := inst.Serve(ln); err != nil {
			return err
		}
	}
}

// Down takes the target away: callers see refused connections until Up.
func (r *Relistener) Down() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.up != nil || r.shut {
		return nil
	}
	r.up = make(chan struct{})
	r.cur.Kill()
	return nil
}

// Up brings the target back on the same address after Down.
func (r *Relistener) Up() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.up == nil || r.shut {
		return nil
	}
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		return fmt.Errorf("listen again on %s: %w", r.addr, err)
	}
	r.ln, r.cur = ln, r.newInst()
	close(r.up)
	r.up = nil
	return nil
}

// Shutdown marks the target as stopping for good and returns the instance
// to stop (gracefully, as the caller sees fit); Serve then returns.
func (r *Relistener) Shutdown() Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shut = true
	if r.up != nil {
		close(r.up)
		r.up = nil
	}
	return r.cur
}
