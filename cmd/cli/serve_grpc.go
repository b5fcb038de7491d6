package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	grpctarget "github.com/commsbench/commsbench/targets/grpc"
)

const defaultGRPCServeAddr = "127.0.0.1:9090"

func newCmdServeGRPC(f *Factory) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "grpc",
		Short: "Serve the gRPC echo target (commsbench.echo.v1.Echo, health, reflection)",
		Long: `Serve the gRPC echo target without TLS: service commsbench.echo.v1.Echo
(unary Echo and bidirectional EchoStream, see targets/grpc/echopb/echo.proto),
the standard health service (grpc.health.v1.Health) and server reflection,
so that grpcurl and similar tools can talk to it too.`,
		Example: `  commsbench serve grpc --addr 127.0.0.1:9090
  commsbench run grpc --target 127.0.0.1:9090 --grpc-mode stream`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := grpctarget.Listen(addr)
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			fmt.Fprintf(f.IO.Out, "grpc echo target listening on %s (%s: Echo, EchoStream; health, reflection); Ctrl-C stops it\n", srv.Addr(), grpctarget.ServiceName)
			return serveUntilDone(cmd.Context(), srv.Serve, srv.Shutdown)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultGRPCServeAddr, "address to listen on (port 0 picks a free one)")
	return cmd
}
