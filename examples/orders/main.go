// Command orders is a small order service that stands in for a team's own
// service in commsbench's examples. It knows nothing of commsbench:
//
//   - REST: POST /orders takes a JSON order and answers 201 with
//     {"id": ..., "status": "accepted"}, or 400 when the order is invalid;
//   - gRPC: orders.v1.Orders/PlaceOrder does the same (server reflection on);
//   - Kafka: with --brokers, it reads OrderPlaced events (JSON orders) from
//     --in-topic and writes InventoryReserved events to --out-topic,
//     continuing each event's W3C trace context (traceparent) as an
//     OpenTelemetry-instrumented service does.
//
// --extra-delay adds a wait to every order, to simulate a regression.
//
//	go run ./examples/orders --brokers 127.0.0.1:9092
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "orders:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "REST listen address (empty: no REST)")
	grpcAddr := fs.String("grpc-addr", "127.0.0.1:9090", "gRPC listen address (empty: no gRPC)")
	brokers := fs.String("brokers", "", "Kafka bootstrap brokers, host:port[,host:port…] (empty: no Kafka loop)")
	in := fs.String("in-topic", "orders.placed", "topic of OrderPlaced events")
	out := fs.String("out-topic", "inventory.reserved", "topic of InventoryReserved events")
	group := fs.String("group", "inventory", "consumer group of the Kafka loop")
	partitions := fs.Int("partitions", 3, "partitions of the topics, when the service creates them")
	delay := fs.Duration("extra-delay", 0, "extra time spent on every order (simulates a regression)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *delay < 0 || *partitions < 1 {
		return errors.New("--extra-delay must not be negative and --partitions must be at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 3)
	if *httpAddr != "" {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: restHandler(*delay), ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- srv.Serve(ln) }()
		defer srv.Close()
		log.Printf("orders: REST on http://%s/orders", ln.Addr())
	}
	if *grpcAddr != "" {
		ln, err := net.Listen("tcp", *grpcAddr)
		if err != nil {
			return err
		}
		s := newGRPCServer(*delay)
		go func() { errc <- s.Serve(ln) }()
		defer s.Stop()
		log.Printf("orders: gRPC orders.v1.Orders on %s", ln.Addr())
	}
	if *brokers != "" {
		cfg := eventsConfig{Brokers: strings.Split(*brokers, ","), In: *in, Out: *out, Group: *group, Delay: *delay, Partitions: *partitions}
		var st eventStats
		ready := make(chan struct{})
		go func() { errc <- runEvents(ctx, cfg, &st, ready) }()
		select {
		case <-ready:
			log.Printf("orders: Kafka %s -> %s (group %s) on %s", *in, *out, *group, *brokers)
		case err := <-errc:
			return err
		}
		defer func() {
			log.Printf("orders: consumed %d events, emitted %d, skipped %d invalid", st.consumed.Load(), st.emitted.Load(), st.invalid.Load())
		}()
	}
	log.Printf("orders: ready (extra delay %v); Ctrl-C stops", *delay)
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) || err == nil {
			return nil
		}
		return err
	}
}
