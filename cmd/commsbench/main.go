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
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// After the first Ctrl-C (or SIGTERM) the run stops cleanly and still
	// reports what it measured; a second one kills at once. The cause
	// names the signal, whose number makes the exit code.
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		signal.Stop(sigs)
		n, _ := s.(syscall.Signal)
		cancel(cli.Signalled{Name: s.String(), Number: int(n)})
	}()
	return cli.Main(ctx, cli.System())
}
