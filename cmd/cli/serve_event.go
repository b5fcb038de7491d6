package cli

import "github.com/spf13/cobra"

// newCmdServeEvent is replaced by the event transport's serve command when it lands.
func newCmdServeEvent(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "event",
		Short:  "The event transport (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return &ExitError{Code: ExitFailure, Err: errNotBuilt("event")}
		},
	}
}
