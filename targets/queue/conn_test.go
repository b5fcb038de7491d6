package queue

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestBatchingConnKeepsEveryByteInOrder(t *testing.T) {
	// Like the client library: many goroutines, each write made under one
	// lock, so the order of writes is the order of the lock.
	raw, peer := tcpPair(t)
	c := newBatchingConn(raw, 5*time.Second)
	defer c.Close()
	var (
		mu   sync.Mutex
		sent bytes.Buffer
		wg   sync.WaitGroup
	)
	// The peer reads all along, as a broker does.
	var (
		gotMu sync.Mutex
		got   bytes.Buffer
	)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := peer.Read(buf)
			gotMu.Lock()
			got.Write(buf[:n])
			gotMu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				frame := []byte(fmt.Sprintf("<g%d:%d:%s>", g, i, bytes.Repeat([]byte{'x'}, (g*131+i*17)%3000)))
				mu.Lock()
				sent.Write(frame)
				_, err := c.Write(frame)
				// The caller may reuse its buffer at once.
				for k := range frame {
					frame[k] = 0
				}
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	want := sent.Bytes()
	deadline := time.Now().Add(10 * time.Second)
	for {
		gotMu.Lock()
		n := got.Len()
		same := n >= len(want) && bytes.Equal(got.Bytes(), want)
		gotMu.Unlock()
		switch {
		case same:
			return
		case n >= len(want) || time.Now().After(deadline):
			t.Fatalf("the %d bytes on the wire differ from the %d written, in content or order", n, len(want))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBatchingConnGivesUpOnAPeerThatStopsReading(t *testing.T) {
	// A broker that blocks publishers stops reading its socket: writes fill
	// the buffers and then must fail within the bound instead of hanging.
	raw, _ := tcpPair(t)
	c := newBatchingConn(raw, 200*time.Millisecond)
	defer c.Close()
	chunk := make([]byte, 64<<10)
	start := time.Now()
	var err error
	for time.Since(start) < 10*time.Second {
		if _, err = c.Write(chunk); err != nil {
			break
		}
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write error %v, want a timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v to give up", d)
	}
}

func TestBatchingConnClose(t *testing.T) {
	raw, peer := tcpPair(t)
	c := newBatchingConn(raw, time.Second)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after close: %v, want net.ErrClosed", err)
	}
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		t.Error("the writer goroutine did not end after Close")
	}
}
