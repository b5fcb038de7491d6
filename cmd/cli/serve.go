package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/targets/registry"
	"github.com/commsbench/commsbench/targets/transport"
)

// NewCmdServe is "commsbench serve <transport>": a transport's target
// standalone, one subcommand per transport of the registry that has one.
func NewCmdServe(f *Factory) *cobra.Command {
	var names []string
	for _, t := range registry.All() {
		if t.Serve != nil {
			names = append(names, t.Name)
		}
	}
	cmd := &cobra.Command{
		Use:   "serve <" + strings.Join(names, "|") + "> [flags]",
		Short: "Run an echo target standalone until Ctrl-C",
		Long: `Run one transport's echo target on its own, for example on another machine
or in another process than the load generator, and point 'commsbench run
--target' at it. The first line printed is the address it listens on.`,
		Example: `  commsbench serve rest --addr 127.0.0.1:8080
  commsbench run rest --target 127.0.0.1:8080`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
			if len(args) == 0 {
				return flagErrorf("name a transport: commsbench serve %s", list)
			}
			return flagErrorf("unknown transport %q: choose %s", args[0], list)
		},
	}
	for _, t := range registry.All() {
		if t.Serve != nil {
			cmd.AddCommand(newCmdServeTransport(f, t))
		}
	}
	return cmd
}

func newCmdServeTransport(f *Factory, t transport.Transport) *cobra.Command {
	cfg := t.Serve.NewConfig()
	cmd := &cobra.Command{
		Use:     t.Name,
		Short:   t.Serve.Help.Short,
		Long:    t.Serve.Help.Long,
		Example: t.Serve.Help.Example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := cfg.Serve(cmd.Context(), transport.Env{Getenv: f.Getenv}, f.IO.Out)
			switch {
			case err == nil:
				return nil
			case transport.IsUsage(err):
				return &FlagError{err: err}
			}
			return &ExitError{Code: ExitFailure, Err: err}
		},
	}
	for _, o := range cfg.Options() {
		addOptionFlag(cmd.Flags(), o)
	}
	return cmd
}
