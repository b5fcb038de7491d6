package cli

import "github.com/spf13/cobra"

// newCmdRunQueue is replaced by the queue transport's run command when it lands.
func newCmdRunQueue(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "queue",
		Short:  "The queue transport (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return &ExitError{Code: ExitFailure, Err: errNotBuilt("queue")}
		},
	}
}
