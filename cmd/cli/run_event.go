package cli

import "github.com/spf13/cobra"

// newCmdRunEvent is replaced by the event transport's run command when it lands.
func newCmdRunEvent(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "event",
		Short:  "The event transport (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return &ExitError{Code: ExitFailure, Err: errNotBuilt("event")}
		},
	}
}
