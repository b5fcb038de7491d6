package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// strictCompletion makes cobra's completion command refuse a shell it does
// not know (a usage error, exit 2) instead of printing its help and
// exiting 0, as a parent command does with an argument it has no
// subcommand for.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, s := range c.Commands() {
			shells = append(shells, s.Name())
		}
		list := strings.Join(shells[:len(shells)-1], ", ") + " or " + shells[len(shells)-1]
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return flagErrorf("name a shell: commsbench completion <%s>", strings.Join(shells, "|"))
			}
			return flagErrorf("unknown shell %q: choose %s", args[0], list)
		}
	}
}
