package cli

import "github.com/spf13/cobra"

// newCmdServeGRPC is replaced by the grpc transport's serve command when it lands.
func newCmdServeGRPC(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "grpc",
		Short:  "The grpc transport (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return &ExitError{Code: ExitFailure, Err: errNotBuilt("grpc")}
		},
	}
}
