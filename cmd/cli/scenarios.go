package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/commsbench/commsbench/targets/registry"

	"github.com/spf13/cobra"
)

// NewCmdScenarios is "commsbench scenarios list|show".
func NewCmdScenarios(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios <list|show>",
		Short: "List the built-in scenarios and suites, or show one as YAML",
		Long: `Scenarios are YAML files: a transport (` + registry.List() + `), its
options (the names of its run flags: mode, partitions, subscribers, prefetch,
…), a payload (size, or a template file whose size the messages take) and a
load (rate or concurrency, duration, warmup). A suite lists scenarios, its two
phases and defaults. The built-in ones are in the binary; 'scenarios show'
prints one to start a file of your own from.

Run one with 'commsbench run --scenario NAME|FILE', a suite with
'commsbench suite NAME|FILE'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return flagErrorf("choose a subcommand: commsbench scenarios list, or commsbench scenarios show NAME")
		},
	}
	cmd.AddCommand(newCmdScenariosList(f), newCmdScenariosShow(f))
	return cmd
}

func newCmdScenariosList(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios and suites",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entries, err := library().List()
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tTRANSPORT\tDESCRIPTION")
			for _, e := range entries {
				kind, transport := "scenario", e.Transport
				if e.Suite {
					kind, transport = "suite", fmt.Sprintf("%d scenarios", len(e.Scenarios))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, kind, transport, firstSentence(e.Description))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Out, "\nShow one with 'commsbench scenarios show NAME'; run it with 'commsbench run --scenario NAME' or 'commsbench suite NAME'.")
			return nil
		},
	}
}

// firstSentence keeps a description short for a listing.
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	if r := []rune(s); len(r) > 110 {
		s = string(r[:109]) + "…"
	}
	return s
}

func newCmdScenariosShow(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print a scenario or suite file as YAML",
		Example: `  commsbench scenarios show order-placed-event
  commsbench scenarios show microservices > my-suite.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return flagErrorf("name one scenario or suite: commsbench scenarios show NAME|FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			lib := library()
			name, data, err := lib.Source(args[0])
			if err != nil {
				// No such scenario: the argument is wrong, as for run --scenario.
				return &FlagError{err: err}
			}
			// Show only what loads: a broken file says where it is broken.
			if _, err := lib.Open(args[0]); err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			fmt.Fprintf(f.IO.Out, "# %s\n", name)
			_, err = f.IO.Out.Write(data)
			return err
		},
	}
}
