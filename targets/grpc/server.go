// Package grpctarget is the gRPC transport: an echo target and the client
// that drives load at it. The echo contract is targets/grpc/echopb/echo.proto:
// service commsbench.echo.v1.Echo answers a unary Echo and every message of
// a bidirectional EchoStream with the request's payload, in order, so that
// a user's own service can implement it and stand in for the embedded one.
// With a typed encoding the client calls the orders service of
// targets/messages/messages.proto instead (orders.go).
package grpctarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/targets/grpc/echopb"
	"github.com/commsbench/commsbench/targets/transport"
)

// MaxMessage is the largest message either side accepts: a 16 MiB payload
// plus its framing.
const MaxMessage = 16<<20 + 1024

// Flow-control windows of both ends, per stream and per connection. Fixed
// windows turn off gRPC's bandwidth-delay-product estimation, whose pings
// otherwise follow a lone caller's every exchange: with one worker, each
// unary call came with a PING and its ACK in each direction, 12 of its 149
// allocations (client and target together). 4 MiB per stream is ample for
// the loopback and LAN links measured here.
const (
	StreamWindow = 4 << 20
	ConnWindow   = 16 << 20
)

// ServiceName is the full name of the echo service.
const ServiceName = "commsbench.echo.v1.Echo"

// Server is the gRPC echo target. It also serves the standard health
// service (grpc.health.v1.Health) and server reflection, so that stock
// tools such as grpcurl can talk to it. It can be taken down and brought
// back on the same address, and slowed, for a run's faults.
type Server struct {
	*transport.Relistener
	svc   echopb.EchoServer
	delay atomic.Int64 // ns added to each call or stream message (a slow fault)
}

// Listen binds the echo target to addr ("127.0.0.1:0" picks a free port).
func Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("grpc: listen on %s: %w", addr, err)
	}
	return NewServer(ln, EchoService{}), nil
}

// NewServer serves svc on ln. Tests hand it services that break the echo
// contract on purpose.
func NewServer(ln net.Listener, svc echopb.EchoServer) *Server {
	s := &Server{svc: svc}
	s.Relistener = transport.NewRelistener(ln, s.newInstance)
	return s
}

// instance is one life of the target.
type instance struct {
	srv    *grpc.Server
	health *health.Server
}

func (i instance) Serve(ln net.Listener) error {
	if err := i.srv.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("grpc: serve: %w", err)
	}
	return nil
}

func (i instance) Kill() { i.srv.Stop() }

func (s *Server) newInstance() transport.Instance {
	srv := grpc.NewServer(append(ordersServerOptions(),
		grpc.MaxRecvMsgSize(MaxMessage),
		grpc.MaxSendMsgSize(MaxMessage),
		grpc.InitialWindowSize(StreamWindow),
		grpc.InitialConnWindowSize(ConnWindow),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := s.wait(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			return h(srv, slowStream{ServerStream: ss, s: s})
		}),
	)...)
	echopb.RegisterEchoServer(srv, s.svc)
	hs := health.NewServer()
	hs.SetServingStatus(ServiceName, healthpb.HealthCheckResponse_SERVING)
	registerOrders(srv, hs)
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	return instance{srv: srv, health: hs}
}

// wait is the delay of a slow fault, if one is applied.
func (s *Server) wait(ctx context.Context) error {
	d := time.Duration(s.delay.Load())
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

// slowStream delays each message it receives by the slow fault's delay.
type slowStream struct {
	grpc.ServerStream
	s *Server
}

func (ss slowStream) RecvMsg(m any) error {
	if err := ss.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return ss.s.wait(ss.Context())
}

// Up brings the target back on the same address after Down.
func (s *Server) Up() error {
	if err := s.Relistener.Up(); err != nil {
		return fmt.Errorf("grpc: %w", err)
	}
	return nil
}

// SetDelay makes every call, and every message of a stream, take d
// longer (0: none).
func (s *Server) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// Shutdown stops the target: health turns NOT_SERVING, new calls are
// refused and calls in progress may finish until ctx ends. Streams still
// open then are cut, which is what stopping an echo target means, so that
// is not an error.
func (s *Server) Shutdown(ctx context.Context) error {
	inst := s.Relistener.Shutdown().(instance)
	srv := inst.srv
	inst.health.Shutdown()
	done := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		srv.Stop()
		<-done
	}
	return nil
}

// EchoService implements the echo contract.
type EchoService struct {
	echopb.UnimplementedEchoServer
}

// Echo answers with the request's payload.
func (EchoService) Echo(_ context.Context, req *echopb.EchoRequest) (*echopb.EchoResponse, error) {
	return &echopb.EchoResponse{Payload: req.GetPayload()}, nil
}

// EchoStream answers each request with its payload, in order, until the
// client closes its side.
func (EchoService) EchoStream(stream grpc.BidiStreamingServer[echopb.EchoRequest, echopb.EchoResponse]) error {
	req := new(echopb.EchoRequest)
	for {
		if err := stream.RecvMsg(req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		// The response can share the request's payload: the next RecvMsg
		// unmarshals into a fresh slice and leaves this one alone.
		if err := stream.Send(&echopb.EchoResponse{Payload: req.Payload}); err != nil {
			return err
		}
	}
}
