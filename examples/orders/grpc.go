package main

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/examples/orders/ordersv1"
)

// ordersServer is orders.v1.Orders.
type ordersServer struct {
	ordersv1.UnimplementedOrdersServer
	delay time.Duration
}

// PlaceOrder accepts a valid order; an invalid one is INVALID_ARGUMENT.
func (s *ordersServer) PlaceOrder(_ context.Context, req *ordersv1.PlaceOrderRequest) (*ordersv1.PlaceOrderResponse, error) {
	o := Order{CustomerID: req.GetCustomerId()}
	for _, it := range req.GetItems() {
		o.Items = append(o.Items, Item{SKU: it.GetSku(), Quantity: int(it.GetQuantity())})
	}
	if err := o.validate(); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	sleep(s.delay)
	return &ordersv1.PlaceOrderResponse{Id: newID(), Status: "accepted"}, nil
}

// newGRPCServer serves orders.v1.Orders, with server reflection so that
// clients need no .proto file.
func newGRPCServer(delay time.Duration) *grpc.Server {
	s := grpc.NewServer()
	ordersv1.RegisterOrdersServer(s, &ordersServer{delay: delay})
	reflection.Register(s)
	return s
}
