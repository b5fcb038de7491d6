// Command commsbench measures how microservices talk to each other: REST,
// gRPC, a RabbitMQ queue and a Kafka event stream, side by side.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/commsbench/commsbench/cmd/cli"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first Ctrl-C the run stops cleanly and still reports what it
	// measured; a second one kills at once.
	go func() { <-ctx.Done(); stop() }()
	return cli.Main(ctx, cli.System())
}
