package cli

import (
	"github.com/spf13/cobra"
)

const defaultServeAddr = "127.0.0.1:8080"

// NewCmdServe is "commsbench serve <transport>": an echo target standalone.
func NewCmdServe(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve <rest|grpc|queue|event> [flags]",
		Short: "Run an echo target standalone until Ctrl-C",
		Long: `Run one transport's echo target on its own, for example on another machine
or in another process than the load generator, and point 'commsbench run
--target' at it. The first line printed is the address it listens on.`,
		Example: `  commsbench serve rest --addr 127.0.0.1:8080
  commsbench run rest --target 127.0.0.1:8080`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return flagErrorf("name a transport: commsbench serve %s", transportListForErrors)
			}
			return flagErrorf("unknown transport %q: choose %s", args[0], transportListForErrors)
		},
	}
	cmd.AddCommand(
		newCmdServeREST(f),
		newCmdServeGRPC(f),
		newCmdServeQueue(f),
		newCmdServeEvent(f),
	)
	return cmd
}
