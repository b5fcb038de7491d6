package grpctarget

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	rpbalpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// shopService is a gRPC service that knows nothing of commsbench's echo
// contract: shop.v1.Shop from testdata/shop/v1/shop.proto, compiled when
// the test runs and served with dynamic messages. GetItem answers
// NOT_FOUND for ids that are multiples of 10, and checks that the values
// of the templates arrived: the x-seq metadata equals the id, the name
// starts with "item-" and holds a UUID, the time is recent, the tenant is
// there.
type shopService struct {
	in, out protoreflect.MessageDescriptor

	calls, bad atomic.Int64
	mu         sync.Mutex
	ids        map[int64]int
	auth       map[string]bool
	why        []string
}

// reflectionKind says which server reflection a test server offers.
type reflectionKind int

const (
	reflectBoth reflectionKind = iota
	reflectV1alphaOnly
	reflectNone
)

// startShop serves the shop on a free loopback port until the test ends.
func startShop(t testing.TB, refl reflectionKind) (string, *shopService) {
	t.Helper()
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{"testdata"}})}
	linked, err := c.Compile(context.Background(), "shop/v1/shop.proto")
	if err != nil {
		t.Fatal(err)
	}
	files := new(protoregistry.Files)
	if err := register(files, linked[0]); err != nil {
		t.Fatal(err)
	}
	sd := linked[0].Services().ByName("Shop")
	get := sd.Methods().ByName("GetItem")
	shop := &shopService{in: get.Input(), out: get.Output(), ids: map[int64]int{}, auth: map[string]bool{}}

	srv := grpc.NewServer()
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: string(sd.FullName()),
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "GetItem",
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				req := dynamicpb.NewMessage(shop.in)
				if err := dec(req); err != nil {
					return nil, err
				}
				return shop.getItem(ctx, req)
			},
		}},
		Streams: []grpc.StreamDesc{{
			StreamName:    "WatchItems",
			ServerStreams: true,
			Handler:       func(any, grpc.ServerStream) error { return status.Error(codes.Unimplemented, "no") },
		}},
	}, shop)
	switch refl {
	case reflectBoth:
		opts := reflection.ServerOptions{Services: srv, DescriptorResolver: files}
		rpb.RegisterServerReflectionServer(srv, reflection.NewServerV1(opts))
		rpbalpha.RegisterServerReflectionServer(srv, reflection.NewServer(opts))
	case reflectV1alphaOnly:
		rpbalpha.RegisterServerReflectionServer(srv, reflection.NewServer(reflection.ServerOptions{Services: srv, DescriptorResolver: files}))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String(), shop
}

func (s *shopService) getItem(ctx context.Context, req *dynamicpb.Message) (*dynamicpb.Message, error) {
	s.calls.Add(1)
	fields := s.in.Fields()
	id := req.Get(fields.ByName("id")).Int()
	name := req.Get(fields.ByName("name")).String()
	md, _ := metadata.FromIncomingContext(ctx)
	first := func(k string) string {
		if v := md.Get(k); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var at time.Time
	if req.Has(fields.ByName("at")) {
		ts := req.Get(fields.ByName("at")).Message()
		at = time.Unix(ts.Get(ts.Descriptor().Fields().ByName("seconds")).Int(), ts.Get(ts.Descriptor().Fields().ByName("nanos")).Int())
	}
	var why string
	switch {
	case first("x-seq") != strconv.FormatInt(id, 10):
		why = "x-seq " + first("x-seq") + " for id " + strconv.FormatInt(id, 10)
	case !strings.HasPrefix(name, "item-") || len(name) != len("item-")+36:
		why = "name " + name
	case time.Since(at) > time.Minute || time.Since(at) < -time.Minute:
		why = "at " + at.String()
	case first("x-tenant") != "acme":
		why = "tenant " + first("x-tenant")
	}
	s.mu.Lock()
	s.ids[id]++
	s.auth[first("authorization")] = true
	if why != "" {
		s.bad.Add(1)
		s.why = append(s.why, why)
	}
	s.mu.Unlock()
	if id%10 == 0 {
		return nil, status.Errorf(codes.NotFound, "item %d not found", id)
	}
	out := dynamicpb.NewMessage(s.out)
	of := s.out.Fields()
	out.Set(of.ByName("id"), protoreflect.ValueOfInt64(id))
	out.Set(of.ByName("name"), protoreflect.ValueOfString(name))
	ts := out.Mutable(of.ByName("at")).Message()
	ts.Set(ts.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(at.Unix()))
	ts.Set(ts.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(int32(at.Nanosecond())))
	out.Set(of.ByName("tenant"), protoreflect.ValueOfString(first("x-tenant")))
	return out, nil
}
