package grpctarget

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/commsbench/commsbench/targets/grpc/echopb"
)

// funcService is an echo service whose methods a test supplies; a nil
// method answers Unimplemented.
type funcService struct {
	echopb.UnimplementedEchoServer
	unary  func(context.Context, *echopb.EchoRequest) (*echopb.EchoResponse, error)
	stream func(grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error
}

func (s funcService) Echo(ctx context.Context, req *echopb.EchoRequest) (*echopb.EchoResponse, error) {
	if s.unary == nil {
		return s.UnimplementedEchoServer.Echo(ctx, req)
	}
	return s.unary(ctx, req)
}

func (s funcService) EchoStream(st grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
	if s.stream == nil {
		return s.UnimplementedEchoServer.EchoStream(st)
	}
	return s.stream(st)
}

// startTarget serves svc on a free loopback port until the test ends and
// returns its address.
func startTarget(t testing.TB, svc echopb.EchoServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ln, svc)
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return srv.Addr()
}

// connectTo makes a workload's connections to addr without the pre-flight
// echo, so that a test can see what one operation does against a target
// that breaks the contract.
func connectTo(t testing.TB, addr string, cfg Config) *Workload {
	t.Helper()
	cfg.Target = addr
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.address = addr
	if err := w.connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return w
}

// opCtx is an operation's context with a timeout.
func opCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
