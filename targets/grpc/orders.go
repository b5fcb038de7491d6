package grpctarget

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// OrdersServiceName is the full name of the orders service.
var OrdersServiceName = messages.Orders_ServiceDesc.ServiceName

// The orders service decodes each order itself instead of letting gRPC's
// codec do it, for two reasons: one target then takes both encodings,
// told apart by the call's content-type (application/grpc+json or
// application/grpc[+proto]) as gRPC's JSON codec sends it, without
// registering a codec in gRPC's process-wide table; and a malformed order
// is answered INVALID_ARGUMENT, where a codec's failure is INTERNAL.

// frame is a message's bytes as they came or will go.
type frame []byte

// frameCodec is the server's codec: frames pass as they are, every other
// message (the echo service, health, reflection) goes through gRPC's
// protobuf codec.
type frameCodec struct{ proto encoding.CodecV2 }

func newFrameCodec() frameCodec { return frameCodec{proto: encoding.GetCodecV2(proto.Name)} }

func (c frameCodec) Name() string { return proto.Name }

func (c frameCodec) Marshal(v any) (mem.BufferSlice, error) {
	if f, ok := v.(*frame); ok {
		return mem.BufferSlice{mem.SliceBuffer(*f)}, nil
	}
	return c.proto.Marshal(v)
}

func (c frameCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if f, ok := v.(*frame); ok {
		*f = data.Materialize()
		return nil
	}
	return c.proto.Unmarshal(data, v)
}

// ordersHandler is what the service description asks of the service.
type ordersHandler interface {
	placeOrder(ctx context.Context, in frame) (*frame, error)
}

// ordersService takes orders in either encoding.
type ordersService struct{}

// ordersServiceDesc describes the service of messages.proto to gRPC with
// a handler that takes the order's bytes.
var ordersServiceDesc = grpc.ServiceDesc{
	ServiceName: OrdersServiceName,
	HandlerType: (*ordersHandler)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "PlaceOrder",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			var in frame
			if err := dec(&in); err != nil {
				return nil, err
			}
			if interceptor == nil {
				return srv.(ordersHandler).placeOrder(ctx, in)
			}
			// The server's interceptor (a slow fault's delay) runs for
			// orders as for echoes.
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + OrdersServiceName + "/PlaceOrder"}
			return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
				return srv.(ordersHandler).placeOrder(ctx, req.(frame))
			})
		},
	}},
	Metadata: "targets/messages/messages.proto",
}

// callEncoding is the encoding a call's content-type names.
func callEncoding(ctx context.Context) (messages.Encoding, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	ct := "application/grpc"
	if v := md.Get("content-type"); len(v) > 0 {
		ct = v[0]
	}
	switch sub, _ := strings.CutPrefix(ct, "application/grpc"); strings.TrimPrefix(sub, "+") {
	case "", "proto":
		return messages.Protobuf, nil
	case "json":
		return messages.JSON, nil
	}
	return "", status.Errorf(codes.InvalidArgument, "content-type %q: this target takes application/grpc+proto or application/grpc+json", ct)
}

// placeOrder is the payment service's side: decode the order, validate
// it, confirm its payment and encode the confirmation in the call's
// encoding.
func (ordersService) placeOrder(ctx context.Context, in frame) (*frame, error) {
	enc, err := callEncoding(ctx)
	if err != nil {
		return nil, err
	}
	order := new(messages.Order)
	if err := enc.Unmarshal(in, order); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "malformed %s order: %v", enc, err)
	}
	conf, err := messages.ConfirmPayment(order)
	if errors.Is(err, messages.ErrInvalid) {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	out, err := enc.Marshal(conf)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode the confirmation: %v", err)
	}
	f := frame(out)
	return &f, nil
}

// ordersPreflightError says in one line what the first order's failure
// tells of the target, or nil when it tells nothing particular to
// orders (an unreachable target, say).
func ordersPreflightError(addr string, enc messages.Encoding, err error) error {
	method := OrdersServiceName + "/PlaceOrder"
	if bench.Classify(err) == messages.ClassBadReply {
		return fmt.Errorf("grpc: the target at %s did not answer the order with its %s PaymentConfirmation: %v", addr, enc, err)
	}
	switch status.Code(err) {
	case codes.Unimplemented:
		return fmt.Errorf("grpc: the target at %s does not implement %s (targets/messages/messages.proto): an echo target wants --encoding raw", addr, method)
	case codes.Internal, codes.InvalidArgument, codes.Unknown:
		other := messages.Protobuf
		if enc == messages.Protobuf {
			other = messages.JSON
		}
		return fmt.Errorf("grpc: the target at %s did not take a valid %s order (%s); it may expect --encoding %s", addr, enc, statusMessage(err), other)
	}
	return nil
}

// ordersServerOptions are what the orders service needs of the server: its
// codec, which passes orders to it as bytes.
func ordersServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.ForceServerCodecV2(newFrameCodec())}
}

// registerOrders adds the orders service to srv and to its health.
func registerOrders(srv *grpc.Server, hs *health.Server) {
	srv.RegisterService(&ordersServiceDesc, ordersService{})
	hs.SetServingStatus(OrdersServiceName, healthpb.HealthCheckResponse_SERVING)
}
