package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/commsbench/commsbench/targets/registry"

	"github.com/spf13/cobra"
)

// Main runs the command line in f.Args and returns the exit code.
func Main(ctx context.Context, f *Factory) int {
	root := NewCmdRoot(f)
	root.SetArgs(f.Args[1:])
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	err = asUsageError(err)
	var ee *ExitError
	if !(errors.As(err, &ee) && ee.Silent) {
		fmt.Fprintf(f.IO.ErrOut, "commsbench: %v\n", err)
		var fe *FlagError
		if errors.As(err, &fe) {
			fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", commandPath(root, f.Args[1:]))
		}
	}
	code := exitCode(err)
	if code == ExitInterrupted {
		code = interruptedCode(ctx)
	}
	return code
}

// commandPath names the deepest command the arguments reach, for the hint
// after a usage error.
func commandPath(root *cobra.Command, args []string) string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return root.Name()
	}
	return cmd.CommandPath()
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "commsbench",
		Short: "Measure how your microservices should talk: synchronous calls, queues or event streams",
		Long: `commsbench drives the same load through the mechanisms services use to talk to
each other — synchronous calls and asynchronous brokers — and measures each the
same way: latency from HdrHistograms (coordinated omission corrected in open
loop), throughput, errors and, for brokers, what was lost or duplicated.

Without --target or a broker address, each run starts an embedded echo target
on 127.0.0.1 (REST, gRPC and NATS in a process of their own), so a first run
needs nothing installed.

Transports ('commsbench run NAME --help' for each):
` + transportList(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       f.Version,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &FlagError{err: flagValueError(err)}
	})
	root.SetVersionTemplate(versionLine(f) + "\n")
	root.AddCommand(
		NewCmdRun(f),
		NewCmdServe(f),
		NewCmdVersion(f),
	)
	addCommands(root, f)
	return root
}

// transportList is one line per transport of the registry: its name and
// what a run of it does.
func transportList() string {
	var b strings.Builder
	for _, t := range registry.All() {
		fmt.Fprintf(&b, "  %-7s %s\n", t.Name, t.Run.Short)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
