package grpctarget

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	protov2 "google.golang.org/protobuf/proto"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// clientCodec is one worker's codec: gRPC's own protobuf codec, or JSON
// (sent as application/grpc+json, as gRPC's JSON codecs name it), with a
// clock around each call. gRPC calls it on the worker's goroutine, so the
// time it adds up is that worker's own.
type clientCodec struct {
	enc   messages.Encoding
	proto encoding.CodecV2
	spent time.Duration
}

func (c *clientCodec) Name() string {
	if c.enc == messages.JSON {
		return "json"
	}
	return proto.Name
}

func (c *clientCodec) Marshal(v any) (mem.BufferSlice, error) {
	start := time.Now()
	defer func() { c.spent += time.Since(start) }()
	if c.enc == messages.JSON {
		m, ok := v.(protov2.Message)
		if !ok {
			return nil, fmt.Errorf("grpc: json codec: %T is not a message", v)
		}
		b, err := messages.JSON.Marshal(m)
		return mem.BufferSlice{mem.SliceBuffer(b)}, err
	}
	return c.proto.Marshal(v)
}

func (c *clientCodec) Unmarshal(data mem.BufferSlice, v any) error {
	start := time.Now()
	defer func() { c.spent += time.Since(start) }()
	if c.enc == messages.JSON {
		m, ok := v.(protov2.Message)
		if !ok {
			return fmt.Errorf("grpc: json codec: %T is not a message", v)
		}
		return messages.JSON.Unmarshal(data.Materialize(), m)
	}
	return c.proto.Unmarshal(data, v)
}

// orderClient makes one PlaceOrder call per operation and checks that the
// reply confirms the order. The order is built once and only its id
// changes, as in a service that has its order at hand.
type orderClient struct {
	cc    *grpc.ClientConn
	order *messages.Order
	reply *messages.PaymentConfirmation
	codec *clientCodec
	opt   grpc.CallOption
	clock *messages.CodecClock
}

func (w *Workload) newOrderClient(cc *grpc.ClientConn, clock *messages.CodecClock) *orderClient {
	codec := &clientCodec{enc: w.cfg.Encoding, proto: encoding.GetCodecV2(proto.Name)}
	return &orderClient{
		cc:    cc,
		order: messages.NewOrder(0, w.cfg.Items),
		reply: new(messages.PaymentConfirmation),
		codec: codec,
		opt:   grpc.ForceCodecV2(codec),
		clock: clock,
	}
}

func (c *orderClient) Do(ctx context.Context, op bench.Op) error {
	messages.SetOrderID(c.order, op.Seq)
	c.codec.spent = 0
	err := c.cc.Invoke(ctx, messages.Orders_PlaceOrder_FullMethodName, c.order, c.reply, c.opt)
	if !op.Warmup {
		c.clock.Add(c.codec.spent)
	}
	if status.Code(err) == codes.InvalidArgument {
		return bench.WithClass(messages.ClassInvalidMessage, err)
	}
	if err != nil {
		return classify(err)
	}
	if err := messages.CheckConfirmation(c.order, c.reply); err != nil {
		return bench.WithClass(messages.ClassBadReply, fmt.Errorf("grpc: the reply to order %s: %w", c.order.OrderId, err))
	}
	return nil
}
