package grpctarget

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/commsbench/commsbench/targets/grpc/echopb"
)

func TestServerHealthReflectionShutdown(t *testing.T) {
	srv, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// The standard health service reports the echo service as serving.
	for _, service := range []string{"", ServiceName} {
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health check %q: %v", service, err)
		}
		if resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, want SERVING", service, resp.Status)
		}
	}

	// Reflection lists the echo service, for tools without the .proto.
	rst, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rst.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	rresp, err := rst.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range rresp.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	if !slices.Contains(names, ServiceName) {
		t.Errorf("reflection lists %v, want %s among them", names, ServiceName)
	}
	_ = rst.CloseSend()

	// A stream left open does not keep Shutdown waiting past its context.
	st, err := echopb.NewEchoClient(cc).EchoStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&echopb.EchoRequest{Payload: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Recv(); err != nil || string(got.Payload) != "hi" {
		t.Fatalf("stream echo = %q, %v", got.GetPayload(), err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer scancel()
	start := time.Now()
	if err := srv.Shutdown(sctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("shutdown took %v with a 200ms context", took)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after Shutdown, want nil", err)
	}
	if _, err := st.Recv(); err == nil {
		t.Error("the stream still answers after Shutdown")
	}
}

func TestTargetAddress(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		// The common form.
		{"127.0.0.1:9090", "127.0.0.1:9090", true},
		// Surrounding space from a copied command line.
		{" localhost:9090 ", "localhost:9090", true},
		// A bare port means loopback, never all interfaces.
		{":9090", "127.0.0.1:9090", true},
		// IPv6 loopback.
		{"[::1]:9090", "[::1]:9090", true},
		// gRPC's own target URIs pass through.
		{"dns:///localhost:9090", "dns:///localhost:9090", true},
		{"unix:///tmp/echo.sock", "unix:///tmp/echo.sock", true},
		// URLs of other schemes are a mistake.
		{"http://127.0.0.1:9090", "", false},
		{"grpc://127.0.0.1:9090", "", false},
		// No port.
		{"127.0.0.1", "", false},
		{"127.0.0.1:", "", false},
	}
	for _, tt := range tests {
		got, err := TargetAddress(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("TargetAddress(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
