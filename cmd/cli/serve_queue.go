package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/targets/queue"
)

func newCmdServeQueue(f *Factory) *cobra.Command {
	q := &queueFlags{Queue: queue.DefaultEchoQueue}
	var connections int
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Consume a RabbitMQ queue as an echo target (acknowledge, and answer reply-to)",
		Long: `Consume a RabbitMQ queue until Ctrl-C, like an inventory service: each
consumer acknowledges each message after --work and, when the message has a
reply-to address, sends its body back there first.

It stands in for the consumers of 'commsbench run queue --mode rpc' when they
should run in another process or on another machine: point the run at the
same broker and queue with --consumers 0. The queue is declared if missing
and left in place when the target stops.`,
		Example: `  commsbench serve queue --consumers 4 --work 2ms
  commsbench run queue --mode rpc --consumers 0 --queue commsbench.echo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := q.resolve(cmd, f); err != nil {
				return err
			}
			switch {
			case q.Queue == "":
				return flagErrorf("--queue: name the queue to consume")
			case q.Consumers < 1 || q.Consumers > 1000:
				return flagErrorf("--consumers %d: between 1 and 1000", q.Consumers)
			case connections < 0 || (cmd.Flags().Changed("connections") && connections == 0):
				return flagErrorf("--connections %d: must be at least 1", connections)
			}
			echo, err := queue.StartEcho(queue.EchoConfig{
				URL:         q.URL,
				Queue:       q.Queue,
				QueueType:   q.QueueType,
				Persistent:  q.Persistent,
				Consumers:   q.Consumers,
				Connections: connections,
				Prefetch:    q.Prefetch,
				AutoAck:     q.AutoAck,
				Work:        q.Work,
			})
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			b := echo.Broker()
			fmt.Fprintf(f.IO.Out, "queue echo target consuming %q on %s (%s %s) with %d consumers; Ctrl-C stops it\n",
				echo.Queue(), b.Address, b.Product, b.Version, q.Consumers)
			werr := echo.Wait(cmd.Context())
			echo.Close()
			s := echo.Stats()
			fmt.Fprintf(f.IO.Out, "consumed %d messages, replied to %d\n", s.Consumed, s.Replied)
			if werr != nil {
				return &ExitError{Code: ExitFailure, Err: werr}
			}
			return nil
		},
	}
	q.addFlags(cmd, "queue to consume (declared if missing, left in place afterwards)")
	cmd.Flags().IntVar(&q.Consumers, "consumers", 1, "consumers, each on its own channel")
	cmd.Flags().IntVar(&connections, "connections", 0, "AMQP connections the consumers are dealt over (default one per consumer)")
	return cmd
}
