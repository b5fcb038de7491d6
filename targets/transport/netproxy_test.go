package transport

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
)

// echoServer echoes every connection on a free loopback port.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a byte through addr and waits for it back.
func roundTrip(addr string) (time.Duration, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := c.Write([]byte{1}); err != nil {
		return 0, err
	}
	var b [1]byte
	_, err = io.ReadFull(c, b[:])
	return time.Since(start), err
}

// A broker-down cuts the open connections and refuses new ones; its end
// takes connections again on the same address.
func TestNetProxyCutAndRestore(t *testing.T) {
	p, err := StartNetProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	open, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	undo, err := p.InjectBroker(fault.MustParse("broker-down@0s+1s"))
	if err != nil {
		t.Fatal(err)
	}
	_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil {
		t.Error("a connection open when the path was cut still reads")
	}
	if _, err := roundTrip(p.Addr()); err == nil {
		t.Error("a new connection got through the cut path")
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(p.Addr()); err != nil {
		t.Errorf("after the window, on the same address: %v", err)
	}
}

// A network fault adds its toxics for the window and takes them away.
func TestNetProxyToxics(t *testing.T) {
	p, err := StartNetProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	undo, err := p.Inject(fault.MustParse("network@0s+1s,latency=80ms,bandwidth=1000"))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := roundTrip(p.Addr()); err != nil || d < 75*time.Millisecond {
		t.Errorf("round trip with 80 ms of latency: %v, %v", d, err)
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if d, err := roundTrip(p.Addr()); err != nil {
		t.Errorf("round trip after the window: %v, %v", d, err)
	}
	undo, err = p.Inject(fault.MustParse("network@0s+1s,reset=10ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer undo()
	if _, err := roundTrip(p.Addr()); err == nil {
		t.Error("a connection through the reset toxic answered")
	}
}
