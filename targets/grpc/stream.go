package grpctarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/grpc/echopb"
)

// watchdogPeriod is how often a stream checks for a send blocked past its
// operation's end.
const watchdogPeriod = 100 * time.Millisecond

// sharedStream is one connection's EchoStream, shared by the workers on
// that connection. The target answers in the order it was sent to, so a
// FIFO of waiters matches responses to operations: a sender enqueues its
// waiter and sends under one lock, and a receiver goroutine hands each
// response to the oldest waiter.
//
// A stream that breaks (the target went away, a send blocked past its
// operation's timeout) fails every waiter on it; the next operation opens a
// new stream.
type sharedStream struct {
	ctx     context.Context // the workload's: ends every stream at Close
	cc      *grpc.ClientConn
	content payloadContent

	mu  sync.Mutex // serialises opening and sending
	cur *streamGen // the open stream; nil before the first operation

	active atomic.Pointer[streamGen] // cur, for the watchdog, which must not wait for mu
	wg     sync.WaitGroup            // receivers and the watchdog
}

func newSharedStream(ctx context.Context, cc *grpc.ClientConn, content payloadContent) *sharedStream {
	s := &sharedStream{ctx: ctx, cc: cc, content: content}
	s.wg.Add(1)
	go s.watch()
	return s
}

// wait returns when the receivers and the watchdog have stopped, after the
// workload's context was cancelled.
func (s *sharedStream) wait() { s.wg.Wait() }

// streamGen is one opened stream and the operations waiting on it.
type streamGen struct {
	stream grpc.ClientStream
	ctx    context.Context
	cancel context.CancelCauseFunc
	// sending is the context of the operation being sent, nil when none
	// is: a send blocked by flow control does not see that context, so the
	// watchdog resets the stream when it ends.
	sendMu  sync.Mutex
	sending context.Context
	broken  atomic.Bool

	qmu   sync.Mutex
	queue ring
	err   error // why the stream broke; set once
}

// waiter is one operation in flight on a stream. A worker reuses its
// waiter from one operation to the next unless it gave up on it (timeout),
// in which case the receiver completes it into the void.
type waiter struct {
	payload []byte
	req     *echopb.EchoRequest
	done    chan error
}

func newWaiter(content payloadContent) *waiter {
	p := content.make()
	return &waiter{payload: p, req: &echopb.EchoRequest{Payload: p}, done: make(chan error, 1)}
}

// streamClient is a worker's handle on its connection's stream.
type streamClient struct {
	s     *sharedStream
	spare *waiter
}

func (c *streamClient) Do(ctx context.Context, op bench.Op) error {
	w := c.spare
	if w == nil {
		w = newWaiter(c.s.content)
	}
	c.spare = nil
	c.s.content.stamp(w.payload, op.Seq)
	if err := c.s.send(ctx, w); err != nil {
		c.spare = w
		return err
	}
	select {
	case err := <-w.done:
		c.spare = w
		return err
	case <-ctx.Done():
		// The echo may still come; the receiver completes w into its
		// buffered channel and nobody reads it.
		return ctx.Err()
	}
}

// send enqueues w and sends its request. A nil error means w is enqueued
// and will be completed by the receiver, even if sending failed.
func (s *sharedStream) send(ctx context.Context, w *waiter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.cur
	if g == nil || g.broken.Load() {
		var err error
		if g, err = s.open(ctx); err != nil {
			return err
		}
	}
	if err := g.push(w); err != nil {
		return err
	}
	g.setSending(ctx)
	err := g.stream.SendMsg(w.req)
	g.clearSending()
	if err != nil {
		// The stream is gone; its receiver learns why from RecvMsg and
		// fails every waiter, w included. The next send opens a new one.
		s.cur = nil
	}
	return nil
}

// open opens a new stream. Its lifetime is the workload's, but opening it
// is bounded by the operation's context.
func (s *sharedStream) open(ctx context.Context) (*streamGen, error) {
	gctx, cancel := context.WithCancelCause(s.ctx)
	stop := context.AfterFunc(ctx, func() { cancel(ctx.Err()) })
	st, err := s.cc.NewStream(gctx, &echopb.Echo_ServiceDesc.Streams[0], echopb.Echo_EchoStream_FullMethodName)
	if !stop() {
		// The operation's context ended while opening: the stream is cancelled.
		cancel(nil)
		return nil, classify(status.FromContextError(ctx.Err()).Err())
	}
	if err != nil {
		cancel(nil)
		return nil, classify(err)
	}
	g := &streamGen{stream: st, ctx: gctx, cancel: cancel}
	s.cur = g
	s.active.Store(g)
	s.wg.Add(1)
	go s.receive(g)
	return g, nil
}

// receive hands each response to the oldest waiter until the stream ends.
func (s *sharedStream) receive(g *streamGen) {
	defer s.wg.Done()
	resp := new(echopb.EchoResponse)
	for {
		if err := g.stream.RecvMsg(resp); err != nil {
			s.fail(g, err)
			return
		}
		w := g.pop()
		if w == nil {
			s.fail(g, fmt.Errorf("%w: the target sent a response that no request was waiting for", bench.ErrEchoMismatch))
			return
		}
		w.done <- checkEcho(w.payload, resp.Payload)
	}
}

// fail ends g: every waiter gets the error, and the next send opens a new
// stream.
func (s *sharedStream) fail(g *streamGen, err error) {
	if cause := context.Cause(g.ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause // the watchdog's timeout, or the operation that was opening it
	}
	switch {
	case errors.Is(err, io.EOF):
		err = bench.WithClass(bench.ClassEOF, errors.New("grpc: the target ended the stream while operations waited for their echo"))
	case errors.Is(err, bench.ErrEchoMismatch), bench.Classify(err) == bench.ClassTimeout:
	default:
		err = classify(err)
	}
	g.broken.Store(true)
	g.cancel(nil)
	s.active.CompareAndSwap(g, nil)
	g.qmu.Lock()
	g.err = err
	pending := g.queue.drain()
	g.qmu.Unlock()
	for _, w := range pending {
		w.done <- err
	}
}

func (g *streamGen) setSending(ctx context.Context) {
	g.sendMu.Lock()
	g.sending = ctx
	g.sendMu.Unlock()
}

// clearSending says that no send is in progress.
func (g *streamGen) clearSending() {
	g.sendMu.Lock()
	g.sending = nil
	g.sendMu.Unlock()
}

// sendAbandoned says whether a send is in progress for an operation whose
// context has ended.
func (g *streamGen) sendAbandoned() bool {
	g.sendMu.Lock()
	defer g.sendMu.Unlock()
	return g.sending != nil && g.sending.Err() != nil
}

func (g *streamGen) push(w *waiter) error {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	if g.err != nil {
		return g.err
	}
	g.queue.push(w)
	return nil
}

func (g *streamGen) pop() *waiter {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	return g.queue.pop()
}

// watch resets a stream whose send stays blocked after its operation's
// context ended (a target that stopped reading), so that no operation
// outlives its timeout and no worker hangs.
func (s *sharedStream) watch() {
	defer s.wg.Done()
	t := time.NewTicker(watchdogPeriod)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if g := s.active.Load(); g != nil && g.sendAbandoned() {
				g.cancel(bench.WithClass(bench.ClassTimeout, errors.New("grpc: a send on the stream blocked past its operation's timeout (the target stopped reading); the stream was reset")))
			}
		}
	}
}

// ring is a FIFO of waiters that reuses its storage.
type ring struct {
	buf  []*waiter
	head int
	n    int
}

func (r *ring) push(w *waiter) {
	if r.n == len(r.buf) {
		grown := make([]*waiter, max(16, 2*len(r.buf)))
		for i := range r.n {
			grown[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = grown, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = w
	r.n++
}

func (r *ring) pop() *waiter {
	if r.n == 0 {
		return nil
	}
	w := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return w
}

func (r *ring) drain() []*waiter {
	out := make([]*waiter, 0, r.n)
	for w := r.pop(); w != nil; w = r.pop() {
		out = append(out, w)
	}
	return out
}
