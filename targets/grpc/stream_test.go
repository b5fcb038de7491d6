package grpctarget

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/grpc/echopb"
)

func TestStreamTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		payload int
		svc     funcService
	}{
		// The target reads every message but never answers: the operation's
		// context ends the wait.
		{"never answers", 64, funcService{stream: func(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
			for {
				if _, err := st.Recv(); err != nil {
					return nil
				}
			}
		}}},
		// The target stops reading: a send of twice the stream's window
		// blocks on flow control, and the watchdog resets the stream once
		// the operation's context ended.
		{"stops reading", 2 * StreamWindow, funcService{stream: func(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
			<-st.Context().Done()
			return nil
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := connectTo(t, startTarget(t, tt.svc), Config{Mode: ModeStream, PayloadBytes: tt.payload})
			c := w.newClient(0)
			// Op 0's context is cancelled without a deadline, as the
			// engine's per-worker watchdog does; op 1 has a deadline.
			for seq := range int64(2) {
				ctx := opCtx(t, 300*time.Millisecond)
				// The stream's own reset counts as a timeout too.
				want := []string{bench.ClassTimeout}
				if seq == 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(context.Background())
					time.AfterFunc(300*time.Millisecond, cancel)
					want = append(want, bench.ClassCanceled)
				}
				start := time.Now()
				err := c.Do(ctx, bench.Op{Seq: seq})
				took := time.Since(start)
				if got := bench.Classify(err); !slices.Contains(want, got) {
					t.Errorf("op %d: %v (class %q), want one of %q", seq, err, got, want)
				}
				if took > 300*time.Millisecond+3*watchdogPeriod+200*time.Millisecond {
					t.Errorf("op %d took %v, its context ended after 300ms", seq, took)
				}
			}
			start := time.Now()
			if err := w.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("close took %v", took)
			}
		})
	}
}

func TestStreamRecovers(t *testing.T) {
	// The first stream ends (status OK) after one echo; waiting operations
	// fail, and the next operation opens a new stream.
	var served atomic.Int64
	svc := funcService{stream: func(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
		n := served.Add(1)
		r, err := st.Recv()
		if err != nil {
			return nil
		}
		if err := st.Send(&echopb.EchoResponse{Payload: r.Payload}); err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
		return EchoService{}.EchoStream(st)
	}}
	w := connectTo(t, startTarget(t, svc), Config{Mode: ModeStream, PayloadBytes: 32})
	c := w.newClient(0)
	var failures int
	for seq := range int64(5) {
		err := c.Do(opCtx(t, 2*time.Second), bench.Op{Seq: seq})
		if err != nil {
			failures++
			if got := bench.Classify(err); got != bench.ClassEOF {
				t.Errorf("op %d: %v (class %q), want the stream's end (eof)", seq, err, got)
			}
		}
	}
	// Op 0 is echoed; op 1 may be sent before the end of the stream is
	// seen, and then fails; the rest go through a new stream.
	if failures > 1 {
		t.Errorf("%d operations failed, want at most 1", failures)
	}
}

func TestRing(t *testing.T) {
	var r ring
	ws := make([]*waiter, 100)
	for i := range ws {
		ws[i] = &waiter{}
	}
	// Interleave pushes and pops across several growths: order is kept.
	next := 0
	for i, w := range ws {
		r.push(w)
		if i%3 == 0 {
			if got := r.pop(); got != ws[next] {
				t.Fatalf("pop %d: wrong waiter", next)
			}
			next++
		}
	}
	for ; next < len(ws); next++ {
		if got := r.pop(); got != ws[next] {
			t.Fatalf("pop %d: wrong waiter", next)
		}
	}
	if r.pop() != nil {
		t.Fatal("pop of an empty ring returned a waiter")
	}
}
