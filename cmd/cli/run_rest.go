package cli

import (
	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/rest"
)

// restMaxAutoConnections caps the default connection pool in open loop.
const restMaxAutoConnections = 100

func newCmdRunREST(f *Factory) *cobra.Command {
	o := newRunOptions()
	var http2 bool
	cmd := &cobra.Command{
		Use:   "rest",
		Short: "Drive POST /echo requests at a REST (HTTP) echo target",
		Long: `Drive POST /echo requests at a REST echo target over HTTP/1.1 keep-alive
connections (or HTTP/2 without TLS with --http2). Each request carries
--payload-size random bytes; the response must echo them byte for byte.

A target of your own can stand in for the embedded one: it must answer
POST /echo with status 200 and the request body.`,
		Example: `  commsbench run rest --rate 2000 --duration 20s
  commsbench run rest --rate 0 --concurrency 64 --connections 64
  commsbench run rest --target 127.0.0.1:8080 --http2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			conns := o.Connections
			if conns == 0 {
				conns = min(o.Concurrency, restMaxAutoConnections)
			}
			cfg := rest.Config{Target: o.Target, HTTP2: http2, Connections: conns, PayloadBytes: int(o.Payload), Payload: o.PayloadContent}
			return executeRun(cmd.Context(), f, o, runSpec{
				Transport:   "rest",
				Connections: conns,
				NewWorkload: func(string) (bench.Workload, error) { return rest.NewWorkload(cfg), nil },
				Options:     map[string]any{"http2": http2},
				SmallHeap:   true,
			})
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&http2, "http2", false, "speak HTTP/2 without TLS (h2c) instead of HTTP/1.1")
	return cmd
}
