package grpctarget

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/grpc/echopb"
)

// countingEcho is the real echo service, counting the streams it served.
type countingEcho struct {
	EchoService
	streams *atomic.Int64
}

func (s countingEcho) EchoStream(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
	s.streams.Add(1)
	return s.EchoService.EchoStream(st)
}

func TestEcho(t *testing.T) {
	tests := []struct {
		name        string
		mode        string
		connections int
		workers     int
		payload     int
	}{
		// One call at a time, the default payload.
		{"unary one worker", ModeUnary, 1, 1, 256},
		// Workers spread over connections share nothing but the conns.
		{"unary spread", ModeUnary, 3, 8, 256},
		// A payload shorter than the 8-byte stamp is stamped in part.
		{"unary tiny payload", ModeUnary, 1, 2, 3},
		// An empty payload is a valid echo too.
		{"unary empty payload", ModeUnary, 1, 2, 0},
		// A payload beyond gRPC's default 4 MiB message limit.
		{"unary 5MiB", ModeUnary, 1, 1, 5 << 20},
		// One stream, shared by several workers: FIFO matching.
		{"stream shared", ModeStream, 1, 8, 256},
		// Streams on several connections.
		{"stream spread", ModeStream, 2, 6, 1024},
		// An empty payload on a stream.
		{"stream empty payload", ModeStream, 1, 3, 0},
		// Big messages on a shared stream exercise flow control.
		{"stream 1MiB", ModeStream, 1, 3, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var streams atomic.Int64
			addr := startTarget(t, countingEcho{streams: &streams})
			w, err := NewWorkload(Config{Target: addr, Mode: tt.mode, Connections: tt.connections, PayloadBytes: tt.payload})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ctx := opCtx(t, 10*time.Second)
			if _, err := w.Start(ctx); err != nil {
				t.Fatal(err)
			}
			ops := 40
			if tt.payload >= 1<<20 {
				ops = 3
			}
			var wg sync.WaitGroup
			errs := make(chan error, tt.workers*ops)
			var seq atomic.Int64
			for i := range tt.workers {
				c, err := w.NewClient(ctx, i)
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					for range ops {
						errs <- c.Do(ctx, bench.Op{Seq: seq.Add(1), Worker: i})
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
			}
			if want := int64(0); tt.mode == ModeUnary && streams.Load() != want {
				t.Errorf("unary mode opened %d streams", streams.Load())
			}
			if want := int64(tt.connections); tt.mode == ModeStream && streams.Load() != want {
				t.Errorf("stream mode opened %d streams, want one per connection (%d)", streams.Load(), want)
			}
		})
	}
}

func TestEchoMismatch(t *testing.T) {
	flip := func(p []byte) []byte {
		q := append([]byte(nil), p...)
		if len(q) > 0 {
			q[len(q)-1] ^= 0xff
		}
		return q
	}
	tests := []struct {
		name    string
		mode    string
		workers int
		svc     funcService
	}{
		// One byte of the echo differs.
		{"unary flipped byte", ModeUnary, 1, funcService{unary: func(_ context.Context, r *echopb.EchoRequest) (*echopb.EchoResponse, error) {
			return &echopb.EchoResponse{Payload: flip(r.Payload)}, nil
		}}},
		// The echo is cut short.
		{"unary truncated", ModeUnary, 1, funcService{unary: func(_ context.Context, r *echopb.EchoRequest) (*echopb.EchoResponse, error) {
			return &echopb.EchoResponse{Payload: r.Payload[:len(r.Payload)/2]}, nil
		}}},
		// The target answers with a payload it keeps (a cache, say): the
		// sequence stamp catches it from the second call on.
		{"unary stale answer", ModeUnary, 1, staleUnary()},
		// One byte of a streamed echo differs.
		{"stream flipped byte", ModeStream, 1, funcService{stream: func(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
			for {
				r, err := st.Recv()
				if err != nil {
					return nil
				}
				if err := st.Send(&echopb.EchoResponse{Payload: flip(r.Payload)}); err != nil {
					return err
				}
			}
		}}},
		// Answers come back in the wrong order: FIFO matching sees it.
		{"stream reordered", ModeStream, 2, funcService{stream: func(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
			for {
				a, err := st.Recv()
				if err != nil {
					return nil
				}
				b, err := st.Recv()
				if err != nil {
					return nil
				}
				_ = st.Send(&echopb.EchoResponse{Payload: b.Payload})
				_ = st.Send(&echopb.EchoResponse{Payload: a.Payload})
			}
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := connectTo(t, startTarget(t, tt.svc), Config{Mode: tt.mode, PayloadBytes: 64})
			var wg sync.WaitGroup
			var mismatches atomic.Int64
			for i := range tt.workers {
				c := w.newClient(i)
				wg.Go(func() {
					for seq := range int64(3) {
						err := c.Do(opCtx(t, 5*time.Second), bench.Op{Seq: seq*10 + int64(i)})
						switch {
						case err == nil:
						case errors.Is(err, bench.ErrEchoMismatch) && bench.Classify(err) == bench.ClassEchoMismatch:
							mismatches.Add(1)
						default:
							t.Errorf("Do: %v (class %s), want an echo mismatch", err, bench.Classify(err))
						}
					}
				})
			}
			wg.Wait()
			if mismatches.Load() == 0 {
				t.Fatal("no echo mismatch detected")
			}
		})
	}
}

// staleUnary answers every call with the first payload it saw.
func staleUnary() funcService {
	var mu sync.Mutex
	var first []byte
	return funcService{unary: func(_ context.Context, r *echopb.EchoRequest) (*echopb.EchoResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = append([]byte(nil), r.Payload...)
		}
		return &echopb.EchoResponse{Payload: first}, nil
	}}
}

func TestStatusClass(t *testing.T) {
	tests := []struct {
		code codes.Code
		want string
	}{
		// A target that is there but cannot serve.
		{codes.Unavailable, "grpc_unavailable"},
		// The target's own deadline is a timeout like ours.
		{codes.DeadlineExceeded, bench.ClassTimeout},
		// Too big a message, or a rate limit.
		{codes.ResourceExhausted, "grpc_resource_exhausted"},
		// A crashing handler.
		{codes.Internal, "grpc_internal"},
		// A handler's plain error.
		{codes.Unknown, "grpc_unknown"},
		{codes.PermissionDenied, "grpc_permission_denied"},
		{codes.Unimplemented, "grpc_unimplemented"},
	}
	for _, mode := range []string{ModeUnary, ModeStream} {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.code.String(), func(t *testing.T) {
				svc := funcService{
					unary: func(context.Context, *echopb.EchoRequest) (*echopb.EchoResponse, error) {
						return nil, status.Error(tt.code, "refused by test")
					},
					stream: func(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
						if _, err := st.Recv(); err != nil {
							return err
						}
						return status.Error(tt.code, "refused by test")
					},
				}
				w := connectTo(t, startTarget(t, svc), Config{Mode: mode, PayloadBytes: 16})
				err := w.newClient(0).Do(opCtx(t, 5*time.Second), bench.Op{Seq: 1})
				if got := bench.Classify(err); got != tt.want {
					t.Fatalf("class of %v = %q, want %q", err, got, tt.want)
				}
				if status.Code(err) != tt.code {
					t.Errorf("status code of %v = %v, want %v kept in the chain", err, status.Code(err), tt.code)
				}
			})
		}
	}
}

func TestStatusClassNames(t *testing.T) {
	// Every code has a distinct class; only deadline and cancellation share
	// the engine's classes.
	seen := map[string]codes.Code{}
	for c := codes.Canceled; c <= codes.Unauthenticated; c++ {
		class := statusClass(c)
		if prev, dup := seen[class]; dup {
			t.Errorf("%v and %v share class %q", prev, c, class)
		}
		seen[class] = c
		if c != codes.DeadlineExceeded && c != codes.Canceled && !strings.HasPrefix(class, "grpc_") {
			t.Errorf("class of %v = %q, want a grpc_ prefix", c, class)
		}
	}
	if got := statusClass(codes.Code(99)); got != "grpc_code_99" {
		t.Errorf("unknown code: class %q, want grpc_code_99", got)
	}
}

func TestStartFailsFast(t *testing.T) {
	closedPort := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	// silent accepts TCP connections (the kernel does) but never speaks.
	silent := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return ln.Addr().String()
	}
	// notGRPC answers like an HTTP/1.1 server that does not know HTTP/2.
	notGRPC := func(t *testing.T) string {
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
				_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
				c.Close()
			}
		}()
		return ln.Addr().String()
	}
	unimplemented := func(t *testing.T) string { return startTarget(t, funcService{}) }
	unaryOnly := func(t *testing.T) string { return startTarget(t, funcService{unary: EchoService{}.Echo}) }
	garbage := func(t *testing.T) string {
		return startTarget(t, funcService{unary: func(context.Context, *echopb.EchoRequest) (*echopb.EchoResponse, error) {
			return &echopb.EchoResponse{Payload: []byte("garbage")}, nil
		}})
	}
	literal := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }

	tests := []struct {
		name   string
		target func(*testing.T) string
		mode   string
		want   []string
	}{
		// Nothing listens: refused at once.
		{"closed port", closedPort, ModeUnary, []string{"cannot reach", "commsbench serve grpc", "drop --target"}},
		// Something listens but never answers the HTTP/2 handshake: the dial timeout bounds it.
		{"silent listener", silent, ModeStream, []string{"cannot reach", "commsbench serve grpc"}},
		// An HTTP/1.1 server.
		{"not grpc", notGRPC, ModeUnary, []string{"cannot reach", "commsbench serve grpc"}},
		// A gRPC server without the echo service.
		{"unimplemented", unimplemented, ModeUnary, []string{"does not implement", "commsbench.echo.v1.Echo/Echo", "echo.proto"}},
		// A service with the unary call only, asked to stream.
		{"unary only", unaryOnly, ModeStream, []string{"does not implement", "EchoStream", "--grpc-mode unary"}},
		// A service that answers with other bytes.
		{"garbage echo", garbage, ModeUnary, []string{"does not honour the echo contract"}},
		// A URL where host:port belongs.
		{"http url", literal("http://127.0.0.1:1"), ModeUnary, []string{"give host:port"}},
		// No port.
		{"no port", literal("localhost"), ModeUnary, []string{"not host:port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWorkload(Config{Target: tt.target(t), Mode: tt.mode, PayloadBytes: 32, DialTimeout: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			start := time.Now()
			_, err = w.Start(context.Background())
			took := time.Since(start)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			msg := err.Error()
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			if took > 2*time.Second {
				t.Errorf("Start took %v to fail; the dial timeout is 500ms", took)
			}
		})
	}
}

func TestNewWorkloadRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		// A mode the workload does not know.
		{"mode", Config{Mode: "duplex"}, `mode "duplex"`},
		// More than a message may carry.
		{"payload", Config{PayloadBytes: 17 << 20}, "16 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWorkload(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewWorkload(%+v) = %v, want an error with %q", tt.cfg, err, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		mode string
		opts bench.Options
		// wantOK is the number of measured operations expected, within tolerance.
		wantOK    int64
		tolerance float64
	}{
		// Closed loop bounded by a request count: exactly that many.
		{"unary closed", ModeUnary, bench.Options{Concurrency: 4, Requests: 300, Warmup: 50 * time.Millisecond}, 300, 0},
		{"stream closed", ModeStream, bench.Options{Concurrency: 4, Requests: 300, Warmup: 50 * time.Millisecond}, 300, 0},
		// Open loop: 400/s for half a second is 200 operations.
		{"unary open", ModeUnary, bench.Options{Rate: 400, Concurrency: 50, Duration: 500 * time.Millisecond}, 200, 0.05},
		{"stream open", ModeStream, bench.Options{Rate: 400, Concurrency: 50, Duration: 500 * time.Millisecond}, 200, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWorkload(Config{Mode: tt.mode, Connections: 2, PayloadBytes: 128})
			if err != nil {
				t.Fatal(err)
			}
			tt.opts.Timeout = 5 * time.Second
			tt.opts.PayloadBytes = 128
			res, err := bench.Run(context.Background(), w, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Target.Kind != "embedded" || !strings.HasPrefix(res.Target.Address, "127.0.0.1:") {
				t.Errorf("target = %+v, want an embedded one on 127.0.0.1", res.Target)
			}
			c := res.Counts
			if c.Errors != 0 || c.Sent != c.OK {
				t.Fatalf("counts %+v, errors %v: want every operation ok", c, res.Errors)
			}
			lo := float64(tt.wantOK) * (1 - tt.tolerance)
			hi := float64(tt.wantOK) * (1 + tt.tolerance)
			if float64(c.OK) < lo || float64(c.OK) > hi {
				t.Errorf("ok = %d, want %d (±%.0f%%)", c.OK, tt.wantOK, 100*tt.tolerance)
			}
			if l := res.Latency["response"]; l == nil || l.Count != c.OK || l.P50 <= 0 {
				t.Errorf("response latency %+v does not hold the %d operations", l, c.OK)
			}
		})
	}
}
