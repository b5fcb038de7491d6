package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func versionLine(f *Factory) string {
	c := f.Commit
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("commsbench %s (commit %s, %s %s/%s)", f.Version, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// NewCmdVersion prints the version, commit and Go version.
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(f.IO.Out, versionLine(f))
			return err
		},
	}
}
