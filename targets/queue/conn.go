package queue

import (
	"net"
	"sync"
	"time"
)

// batchingConn is the connection under the AMQP client library. The
// library writes (and flushes) every frame it sends while holding its
// connection lock, so with many workers publishing, each message costs a
// write system call of its own, and on loopback that call also runs the
// broker's side of TCP: it is the largest part of a publish's CPU time.
//
// batchingConn takes each write into a buffer and returns; one goroutine
// per connection sends what has gathered with a single system call, so
// messages published while a write is in progress leave together in the
// next one. An idle connection's write leaves at once (one goroutine
// wake-up later). The buffer is bounded: past maxPending bytes a write
// waits for the writer, which is the same backpressure a full socket gives.
// Every system call has a deadline (writeTimeout): a broker that stops
// reading fails the connection instead of holding the run.
type batchingConn struct {
	net.Conn
	timeout time.Duration

	mu      sync.Mutex
	cond    sync.Cond // signals space in pending, and the writer's exit
	pending []byte
	spare   []byte
	wake    chan struct{}
	err     error // sticky: the first write error, or net.ErrClosed
	done    chan struct{}
}

const maxPending = 1 << 20

func newBatchingConn(c net.Conn, timeout time.Duration) *batchingConn {
	b := &batchingConn{Conn: c, timeout: timeout, wake: make(chan struct{}, 1), done: make(chan struct{})}
	b.cond.L = &b.mu
	go b.writer()
	return b
}

// Write queues p for the writer. It returns an error only once the
// connection failed.
func (b *batchingConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	for b.err == nil && len(b.pending) >= maxPending {
		b.cond.Wait()
	}
	if err := b.err; err != nil {
		b.mu.Unlock()
		return 0, err
	}
	b.pending = append(b.pending, p...)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (b *batchingConn) writer() {
	defer close(b.done)
	for range b.wake {
		for {
			b.mu.Lock()
			if b.err != nil {
				b.mu.Unlock()
				return
			}
			if len(b.pending) == 0 {
				b.mu.Unlock()
				break
			}
			// Writes go on into the spare buffer while this one is sent;
			// the two swap roles each round and never alias.
			out := b.pending
			b.pending, b.spare = b.spare[:0], nil
			b.cond.Broadcast()
			b.mu.Unlock()
			err := b.Conn.SetWriteDeadline(time.Now().Add(b.timeout))
			if err == nil {
				_, err = b.Conn.Write(out)
			}
			b.mu.Lock()
			b.spare = out
			if err != nil && b.err == nil {
				b.err = err
			}
			b.mu.Unlock()
			if err != nil {
				// The reader then fails too, and the library shuts the
				// connection down.
				b.Conn.Close()
				b.cond.Broadcast()
				return
			}
		}
	}
}

// Close stops the writer and closes the connection.
func (b *batchingConn) Close() error {
	b.mu.Lock()
	if b.err == nil {
		b.err = net.ErrClosed
	}
	b.cond.Broadcast()
	b.mu.Unlock()
	err := b.Conn.Close()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return err
}
