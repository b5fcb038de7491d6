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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first Ctrl-C the run stops cleanly; a second one kills at once.
	go func() { <-ctx.Done(); stop() }()
	os.Exit(cli.Main(ctx, cli.System()))
}
