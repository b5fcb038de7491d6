package event

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// shortListener fails its first accepts with an error, as the kernel does
// when the process has no descriptor left (EMFILE cannot be had in this
// test process without starving every other test of descriptors).
type shortListener struct {
	net.Listener
	fails int
	err   error
}

func (l *shortListener) Accept() (net.Conn, error) {
	if l.fails > 0 {
		l.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", l.err)}
	}
	return l.Listener.Accept()
}

func TestPatientListener(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantConn bool
	}{
		{"out of descriptors: waits, then accepts", syscall.EMFILE, true},
		{"system table full: waits, then accepts", syscall.ENFILE, true},
		{"any other error is returned", syscall.EINVAL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			pl := newPatientListener(&shortListener{Listener: ln, fails: 3, err: tt.err})
			defer pl.Close()
			go func() {
				if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
					defer c.Close()
					time.Sleep(time.Second)
				}
			}()
			c, err := pl.Accept()
			if tt.wantConn {
				if err != nil {
					t.Fatalf("Accept: %v, want a connection after the shortage passed", err)
				}
				c.Close()
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("Accept: %v, %v; want the error %v", c, err, tt.err)
			}
		})
	}
}

func TestPatientListenerClosesWhileWaiting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pl := newPatientListener(&shortListener{Listener: ln, fails: 1 << 30, err: syscall.EMFILE})
	done := make(chan error, 1)
	go func() { _, err := pl.Accept(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	pl.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Accept still waiting 2s after Close")
	}
}
