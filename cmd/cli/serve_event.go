package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/targets/event"
)

const defaultEventServeAddr = "127.0.0.1:9092"

func newCmdServeEvent(f *Factory) *cobra.Command {
	var addr string
	var retention byteSize = event.DefaultRetentionPerPartition
	cmd := &cobra.Command{
		Use:   "event",
		Short: "Serve the embedded Kafka-protocol broker (kfake, in memory)",
		Long: `Serve the embedded Kafka-protocol broker (kfake: one broker, everything in
memory) on its own, for 'commsbench run event --brokers ADDR' from another
process. Any Kafka client can use it. It keeps at most --retention bytes per
partition, deleting the oldest events beyond that, so memory stays bounded.

It measures a Kafka client and the protocol, not a production Kafka: nothing
is written to disk and nothing is replicated.`,
		Example: `  commsbench serve event --addr 127.0.0.1:9092
  commsbench run event --brokers 127.0.0.1:9092`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := event.StartBroker(event.BrokerConfig{Addr: addr, RetentionPerPartition: int64(retention)})
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			fmt.Fprintf(f.IO.Out, "event broker (%s) listening on %s\n", "kfake, embedded, in-memory", b.Addr())
			fmt.Fprintf(f.IO.Out, "  point 'commsbench run event --brokers %s' at it; Ctrl-C stops it\n", b.Addr())
			stopped := make(chan struct{})
			return serveUntilDone(cmd.Context(),
				func() error { <-stopped; return nil },
				func(context.Context) error { b.Close(); close(stopped); return nil })
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultEventServeAddr, "address to listen on and advertise to clients (port 0 picks a free one)")
	cmd.Flags().Var(&retention, "retention", "bytes kept per partition; older events are deleted (64MiB, 1GiB, …)")
	return cmd
}
