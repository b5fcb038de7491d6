package cli

import "github.com/spf13/cobra"

// newCmdServeQueue is replaced by the queue transport's serve command when it lands.
func newCmdServeQueue(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "queue",
		Short:  "The queue transport (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return &ExitError{Code: ExitFailure, Err: errNotBuilt("queue")}
		},
	}
}
