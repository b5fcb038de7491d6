package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/examples/orders/ordersv1"
)

const validOrder = `{"customer_id":"c-1","items":[{"sku":"A-1","quantity":2},{"sku":"B-7","quantity":1}]}`

func TestRESTOrders(t *testing.T) {
	srv := httptest.NewServer(restHandler(0))
	defer srv.Close()
	for _, c := range []struct {
		method, body string
		status       int
	}{
		{http.MethodPost, validOrder, http.StatusCreated},
		{http.MethodPost, `{"customer_id":"c-1","items":[]}`, http.StatusBadRequest},
		{http.MethodPost, `{"customer_id":"c-1","items":[{"sku":"A","quantity":0}]}`, http.StatusBadRequest},
		{http.MethodPost, `{"customer_id":"c-1","items":[{"sku":"A","quantity":1}],"extra":1}`, http.StatusBadRequest},
		{http.MethodPost, `not json`, http.StatusBadRequest},
		{http.MethodGet, ``, http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+"/orders", strings.NewReader(c.body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var a Accepted
		_ = json.NewDecoder(res.Body).Decode(&a)
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s %q: status %d, want %d", c.method, c.body, res.StatusCode, c.status)
		}
		if c.status == http.StatusCreated && (a.Status != "accepted" || !strings.HasPrefix(a.ID, "ord_")) {
			t.Errorf("accepted order answered %+v", a)
		}
	}
}

func TestGRPCPlaceOrderAndReflection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newGRPCServer(0)
	go func() { _ = s.Serve(ln) }()
	defer s.Stop()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := ordersv1.NewOrdersClient(conn)
	res, err := c.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{CustomerId: "c-1", Items: []*ordersv1.Item{{Sku: "A", Quantity: 1}}})
	if err != nil || res.GetStatus() != "accepted" || res.GetId() == "" {
		t.Fatalf("PlaceOrder: %v, %v", res, err)
	}
	if _, err := c.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{CustomerId: "c-1"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("order without items: %v", err)
	}
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	r, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range r.GetListServicesResponse().GetService() {
		found = found || s.GetName() == "orders.v1.Orders"
	}
	if !found {
		t.Errorf("reflection lists %v", r.GetListServicesResponse().GetService())
	}
}

// The Kafka loop turns each OrderPlaced into an InventoryReserved with the
// same key and trace id, skips invalid orders, and creates its topics.
func TestEventsContinueTheTrace(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addr := cluster.ListenAddrs()[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := eventsConfig{Brokers: []string{addr}, In: "orders.placed", Out: "inventory.reserved", Group: "inventory", Partitions: 1}
	var st eventStats
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- runEvents(ctx, cfg, &st, ready) }()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatal(err)
	}
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: cfg.In, BatchSize: 1}
	defer w.Close()
	if err := w.WriteMessages(ctx,
		kafka.Message{Key: []byte("bad"), Value: []byte(`{}`)},
		kafka.Message{Key: []byte("k1"), Value: []byte(validOrder), Headers: []kafka.Header{{Key: "traceparent", Value: []byte(tp)}}},
	); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: cfg.Out, Partition: 0, MaxBytes: 1 << 20})
	defer r.Close()
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	m, err := r.ReadMessage(rctx)
	if err != nil {
		t.Fatal(err)
	}
	var ev InventoryReserved
	if err := json.Unmarshal(m.Value, &ev); err != nil || ev.Event != "InventoryReserved" || ev.Units != 3 || ev.CustomerID != "c-1" {
		t.Errorf("output %s: %v", m.Value, err)
	}
	got := headerCarrier{&m.Headers}.Get("traceparent")
	if string(m.Key) != "k1" || len(got) != len(tp) || got[:36] != tp[:36] || got[36:52] == tp[36:52] {
		t.Errorf("key %q, traceparent %q: want the input's key and trace id with a span id of the service's own", m.Key, got)
	}
	for deadline := time.Now().Add(5 * time.Second); st.emitted.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if st.invalid.Load() != 1 || st.emitted.Load() != 1 {
		t.Errorf("stats: consumed %d, emitted %d, invalid %d", st.consumed.Load(), st.emitted.Load(), st.invalid.Load())
	}
}

func TestFlagsAreChecked(t *testing.T) {
	if err := run([]string{"--extra-delay", "-1s"}); err == nil {
		t.Error("a negative delay accepted")
	}
	if err := run([]string{"--bogus"}); err == nil {
		t.Error("an unknown flag accepted")
	}
}
