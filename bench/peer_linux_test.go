package bench

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFindPeerOfRealServers finds the local RabbitMQ (beam.smp) and NATS
// server by their ports and reads a CPU time that does not go backwards.
// A server that is not running skips its case, except under CI=true.
func TestFindPeerOfRealServers(t *testing.T) {
	for _, tc := range []struct {
		name, address, process string
	}{
		// RabbitMQ runs in the Erlang VM; the address as a queue run gives it.
		{"rabbitmq", "amqp://guest:guest@127.0.0.1:5672/", "beam.smp"},
		// The NATS server, as host:port.
		{"nats", "127.0.0.1:4222", "nats-server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := strings.TrimPrefix(tc.address, "amqp://guest:guest@")
			host = strings.TrimSuffix(host, "/")
			if c, err := net.DialTimeout("tcp", host, time.Second); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s does not answer at %s: %v", tc.name, host, err)
				}
				t.Skipf("%s does not answer at %s: %v", tc.name, host, err)
			} else {
				c.Close()
			}
			p, err := FindPeer(tc.address)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tc.process || p.Self || p.PID <= 0 {
				t.Errorf("peer %+v, want %s in another process", p, tc.process)
			}
			a, err := p.CPU()
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			b, err := p.CPU()
			if err != nil || b < a || a <= 0 {
				t.Errorf("CPU %v then %v (%v): want a positive time that does not go backwards", a, b, err)
			}
		})
	}
}

// TestFindPeerSelfAndNotMeasured: a listener of this process is itself;
// a remote host, a port nobody listens on and a bad address are not
// measured, and say why.
func TestFindPeerSelfAndNotMeasured(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	p, err := FindPeer("http://" + addr)
	if err != nil || !p.Self || p.PID != os.Getpid() {
		t.Errorf("own listener: %+v, %v; want this process", p, err)
	}
	ln.Close()
	for _, tc := range []struct{ address, want string }{
		{"10.1.2.3:5672", "not this machine"},
		{addr, "no process on this machine listens"},
		{"amqp://broker", "names no port"},
		{"127.0.0.1", "not host:port"},
	} {
		if _, err := FindPeer(tc.address); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "not measured: ") {
			t.Errorf("FindPeer(%q) = %v, want not measured: …%s…", tc.address, err, tc.want)
		}
	}
}
