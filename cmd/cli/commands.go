package cli

import "github.com/spf13/cobra"

// addCommands adds the commands beyond run, serve and version. Each command
// lives in a file of its own; this list is the one place that names them.
func addCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(NewCmdCompare(f))
	root.AddCommand(NewCmdCheck(f))
	root.AddCommand(NewCmdExport(f))
	root.AddCommand(NewCmdMerge(f))
	root.AddCommand(NewCmdBrokers(f))
	root.AddCommand(NewCmdScenarios(f), NewCmdSuite(f), NewCmdReport(f))
	root.AddCommand(NewCmdKube(f))
	strictCompletion(root)
}
