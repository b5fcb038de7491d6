package grpctarget

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/grpc/echopb"
	"github.com/commsbench/commsbench/targets/messages"
)

func mustEncode(t *testing.T, enc messages.Encoding, o *messages.Order) []byte {
	t.Helper()
	b, err := enc.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOrdersService sends the embedded target's orders service bytes as
// they are, in both content-types, and checks each answer.
func TestOrdersService(t *testing.T) {
	addr := startTarget(t, EchoService{})
	w := connectTo(t, addr, Config{})
	invalid := messages.NewOrder(1, 3)
	invalid.Items[0].Quantity = -2
	tests := []struct {
		name     string
		subtype  string // content-subtype of the call
		body     []byte
		wantCode codes.Code
		want     string // in the status message
	}{
		{"protobuf", "proto", mustEncode(t, messages.Protobuf, messages.NewOrder(1, 3)), codes.OK, ""},
		{"json", "json", mustEncode(t, messages.JSON, messages.NewOrder(1, 3)), codes.OK, ""},
		{"malformed protobuf", "proto", []byte{0x0a, 0xff, 0xff}, codes.InvalidArgument, "malformed protobuf order"},
		{"malformed json", "json", []byte(`{"order_id":`), codes.InvalidArgument, "malformed json order"},
		{"protobuf sent as json", "json", mustEncode(t, messages.Protobuf, messages.NewOrder(1, 3)), codes.InvalidArgument, "malformed json order"},
		{"invalid order", "json", mustEncode(t, messages.JSON, invalid), codes.InvalidArgument, "item 0: quantity -2 is not positive"},
		{"empty order", "proto", nil, codes.InvalidArgument, "order_id is missing"},
		{"other content-type", "xml", []byte("<order/>"), codes.InvalidArgument, "takes application/grpc+proto or application/grpc+json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, out := frame(tt.body), new(frame)
			err := w.conns[0].Invoke(opCtx(t, 5*time.Second), messages.Orders_PlaceOrder_FullMethodName, &in, out,
				grpc.ForceCodecV2(newFrameCodec()), grpc.CallContentSubtype(tt.subtype))
			if status.Code(err) != tt.wantCode || !strings.Contains(status.Convert(err).Message(), tt.want) {
				t.Fatalf("error %v; want %s saying %q", err, tt.wantCode, tt.want)
			}
			if tt.wantCode != codes.OK {
				return
			}
			enc := messages.Protobuf
			if tt.subtype == "json" {
				enc = messages.JSON
			}
			reply := new(messages.PaymentConfirmation)
			if err := enc.Unmarshal(*out, reply); err != nil {
				t.Fatalf("reply %q: %v", *out, err)
			}
			if err := messages.CheckConfirmation(messages.NewOrder(1, 3), reply); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestTypedRuns(t *testing.T) {
	for _, enc := range []messages.Encoding{messages.Protobuf, messages.JSON} {
		t.Run(string(enc), func(t *testing.T) {
			w, err := NewWorkload(Config{Encoding: enc, Items: 4, Connections: 2})
			if err != nil {
				t.Fatal(err)
			}
			res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: 4, Requests: 300, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts.OK != 300 || res.Counts.Errors != 0 {
				t.Errorf("counts %+v errors %v; want every order confirmed", res.Counts, res.Errors)
			}
			if res.Resources == nil || res.Resources.ClientCodecPerOpUS <= 0 {
				t.Errorf("resources %+v: want the client's encode and decode time", res.Resources)
			}
		})
	}
}

// stockOrders is an orders service built the ordinary way, on the
// generated code and gRPC's own codec: protobuf only.
type stockOrders struct {
	messages.UnimplementedOrdersServer
	reply func(*messages.Order) (*messages.PaymentConfirmation, error)
}

func (s stockOrders) PlaceOrder(_ context.Context, o *messages.Order) (*messages.PaymentConfirmation, error) {
	return s.reply(o)
}

// serve serves register's services on a free port until the test ends.
func serve(t *testing.T, register func(*grpc.Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	register(srv)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func TestAStockProtobufServiceServesProtobufRuns(t *testing.T) {
	addr := serve(t, func(s *grpc.Server) {
		messages.RegisterOrdersServer(s, stockOrders{reply: messages.ConfirmPayment})
	})
	w, err := NewWorkload(Config{Target: addr, Encoding: messages.Protobuf, Items: 2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: 2, Requests: 50})
	if err != nil || res.Counts.OK != 50 {
		t.Fatalf("err %v counts %+v errors %v; want 50 confirmed", err, res.Counts, res.Errors)
	}
}

// TestInvalidMessagesAreCountedNotFatal: the real service behind a
// handler that cuts every second order after the first in half.
func TestInvalidMessagesAreCountedNotFatal(t *testing.T) {
	var n atomic.Int32
	desc := ordersServiceDesc
	desc.Methods = []grpc.MethodDesc{{
		MethodName: "PlaceOrder",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in frame
			if err := dec(&in); err != nil {
				return nil, err
			}
			if n.Add(1)%2 == 0 {
				in = in[:len(in)/2]
			}
			return ordersService{}.placeOrder(ctx, in)
		},
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(ordersServerOptions()...)
	srv.RegisterService(&desc, ordersService{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	for _, enc := range []messages.Encoding{messages.Protobuf, messages.JSON} {
		t.Run(string(enc), func(t *testing.T) {
			n.Store(0)
			w, err := NewWorkload(Config{Target: ln.Addr().String(), Encoding: enc, Items: 3})
			if err != nil {
				t.Fatal(err)
			}
			res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: 1, Requests: 20})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors[messages.ClassInvalidMessage] != 10 || res.Counts.OK != 10 {
				t.Errorf("errors %v ok %d; want 10 invalid_message and 10 confirmed", res.Errors, res.Counts.OK)
			}
		})
	}
}

// TestMismatchedTargetsFailAtPreflight: one line saying what the target
// expects.
func TestMismatchedTargetsFailAtPreflight(t *testing.T) {
	stock := serve(t, func(s *grpc.Server) {
		messages.RegisterOrdersServer(s, stockOrders{reply: messages.ConfirmPayment})
	})
	echoOnly := serve(t, func(s *grpc.Server) { echopb.RegisterEchoServer(s, EchoService{}) })
	otherOrder := serve(t, func(s *grpc.Server) {
		messages.RegisterOrdersServer(s, stockOrders{reply: func(o *messages.Order) (*messages.PaymentConfirmation, error) {
			return &messages.PaymentConfirmation{OrderId: "ord-0"}, nil
		}})
	})
	tests := []struct {
		name, addr string
		enc        messages.Encoding
		want       string
	}{
		{"protobuf-only target, json run", stock, messages.JSON, "did not take a valid json order"},
		{"protobuf-only target, json run says what it may expect", stock, messages.JSON, "it may expect --encoding protobuf"},
		{"echo target, protobuf run", echoOnly, messages.Protobuf, "does not implement commsbench.messages.v1.Orders/PlaceOrder (targets/messages/messages.proto): an echo target wants --encoding raw"},
		{"a confirmation of another order", otherOrder, messages.Protobuf, "did not answer the order with its protobuf PaymentConfirmation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWorkload(Config{Target: tt.addr, Encoding: tt.enc, Items: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = bench.Run(context.Background(), w, bench.Options{Concurrency: 1, Requests: 5})
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %v; want one line saying %q", err, tt.want)
			}
		})
	}
	if _, err := NewWorkload(Config{Encoding: messages.JSON, Mode: ModeStream}); err == nil || !strings.Contains(err.Error(), "only with --encoding raw") {
		t.Errorf("stream mode with a typed encoding: %v", err)
	}
}
