package cli

import (
	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/bench"
	grpctarget "github.com/commsbench/commsbench/targets/grpc"
)

func newCmdRunGRPC(f *Factory) *cobra.Command {
	o := newRunOptions()
	var mode string
	cmd := &cobra.Command{
		Use:   "grpc",
		Short: "Drive Echo calls at a gRPC echo target, unary or streamed",
		Long: `Drive calls at a gRPC echo target (service commsbench.echo.v1.Echo, without
TLS). Each operation carries --payload-size random bytes, stamped with its
sequence number; the answer must echo them byte for byte.

--grpc-mode unary    one Echo call per operation (the default).
--grpc-mode stream   one bidirectional EchoStream per connection, shared by
                     the workers on that connection; each operation is one
                     message, and its echo is the next answer in order.

--connections N opens N client connections (each its own HTTP/2
connection) and spreads the workers over them; the default is one, as a
single gRPC client connection multiplexes all calls.

A target of your own can stand in for the embedded one: implement the
service in targets/grpc/echopb/echo.proto and pass --target host:port.
Errors are counted by gRPC status (grpc_unavailable, grpc_internal, ...);
a deadline counts as a timeout.`,
		Example: `  commsbench run grpc --rate 5000 --duration 30s
  commsbench run grpc --rate 0 --concurrency 64 --grpc-mode stream
  commsbench run grpc --rate 0 --concurrency 64 --connections 4
  commsbench serve grpc --addr 127.0.0.1:9090 &
  commsbench run grpc --target 127.0.0.1:9090 --out grpc.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			switch mode {
			case grpctarget.ModeUnary, grpctarget.ModeStream:
			default:
				return flagErrorf("--grpc-mode %q: choose unary or stream", mode)
			}
			if o.Target != "" {
				if _, err := grpctarget.TargetAddress(o.Target); err != nil {
					return flagErrorf("--target: %v", err)
				}
			}
			conns := o.Connections
			if conns == 0 {
				conns = 1
			}
			cfg := grpctarget.Config{Target: o.Target, Connections: conns, Mode: mode, PayloadBytes: int(o.Payload), Payload: o.PayloadContent}
			return executeRun(cmd.Context(), f, o, runSpec{
				Transport:   "grpc",
				Connections: conns,
				NewWorkload: func(string) (bench.Workload, error) { return grpctarget.NewWorkload(cfg) },
				Options:     map[string]any{"grpc_mode": mode},
				SmallHeap:   true,
			})
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&mode, "grpc-mode", grpctarget.ModeUnary, "unary: one Echo call per operation; stream: one bidirectional stream per connection, one message per operation")
	return cmd
}
