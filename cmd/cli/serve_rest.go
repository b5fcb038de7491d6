package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/targets/rest"
)

func newCmdServeREST(f *Factory) *cobra.Command {
	var addr string
	var h2c bool
	cmd := &cobra.Command{
		Use:   "rest",
		Short: "Serve the REST echo target (POST /echo, GET /healthz)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := rest.Listen(addr, h2c)
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			proto := "HTTP/1.1"
			if h2c {
				proto += " and h2c"
			}
			fmt.Fprintf(f.IO.Out, "rest echo target listening on %s (%s; POST /echo, GET /healthz); Ctrl-C stops it\n", srv.URL(), proto)
			return serveUntilDone(cmd.Context(), srv.Serve, srv.Shutdown)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultServeAddr, "address to listen on (port 0 picks a free one)")
	cmd.Flags().BoolVar(&h2c, "http2", false, "also speak HTTP/2 without TLS (h2c)")
	return cmd
}

// serveUntilDone serves until ctx is cancelled (Ctrl-C), then shuts down
// within five seconds.
func serveUntilDone(ctx context.Context, serve func() error, shutdown func(context.Context) error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		if err != nil {
			return &ExitError{Code: ExitFailure, Err: err}
		}
		return nil
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	<-errc
	return nil
}
