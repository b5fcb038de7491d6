package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/scenarios"
	"github.com/commsbench/commsbench/targets/registry"
	"github.com/commsbench/commsbench/targets/transport"
)

// This file runs scenarios. A scenario names its transport, and its
// options are that transport's options: they fill the same typed settings
// as the run flags do (runInputs), then flags given on the command line
// override them, and the run request is built and checked once.

// scenarioTransport returns the transport a scenario names, or an error
// at its transport: key.
func scenarioTransport(sc *scenarios.Scenario) (transport.Transport, error) {
	t, ok := registry.Lookup(sc.Transport)
	if !ok {
		return t, &scenarios.Error{Pos: sc.Pos, Key: "transport", Msg: fmt.Sprintf("unknown transport %q: choose %s", sc.Transport, registry.List())}
	}
	return t, nil
}

// scenarioInputs returns the inputs of a run of sc, checked key by key.
// With fs set, the run's flags are made in it first, so that the scenario's
// values stand as their defaults and the flags parsed after override them.
func scenarioInputs(sc *scenarios.Scenario, fs *pflag.FlagSet) (*runInputs, error) {
	t, err := scenarioTransport(sc)
	if err != nil {
		return nil, err
	}
	in := newRunInputs(t)
	if fs != nil {
		in.addFlags(fs)
	}
	if err := in.applyScenario(sc); err != nil {
		return nil, err
	}
	return in, nil
}

// scenarioFlag finds --scenario in raw arguments and returns its value
// (the last one given) and the other arguments.
func scenarioFlag(args []string) (ref string, rest []string, found bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i:]...)
			return ref, rest, found, nil
		case a == "--scenario":
			if i+1 >= len(args) {
				return "", nil, true, flagErrorf("flag needs an argument: --scenario")
			}
			ref, found = args[i+1], true
			i++
		case strings.HasPrefix(a, "--scenario="):
			ref, found = strings.TrimPrefix(a, "--scenario="), true
		default:
			rest = append(rest, a)
		}
	}
	return ref, rest, found, nil
}

func hasHelpFlag(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			return true
		}
		if a == "--" {
			return false
		}
	}
	return false
}

// addScenarioFlag declares --scenario on "run", for its help. The run
// command parses its arguments itself (see runScenarioCommand), because a
// scenario's overrides are the flags of the transport it names.
func addScenarioFlag(cmd *cobra.Command) {
	cmd.Flags().String("scenario", "", "run a scenario: a built-in name (commsbench scenarios list) or a YAML file; flags after it override its values")
	cmd.Example += "\n  commsbench run --scenario order-payment-rest\n  commsbench run --scenario order-inventory-queue --rate 500 --duration 30s"
}

// runScenarioCommand is "run" without a transport: --scenario NAME|FILE
// runs a scenario, and anything else is the usage error it always was.
func runScenarioCommand(cmd *cobra.Command, f *Factory, args []string) error {
	if hasHelpFlag(args) {
		return cmd.Help()
	}
	ref, overrides, found, err := scenarioFlag(args)
	if err != nil {
		return err
	}
	if !found {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return flagErrorf("name a transport or a scenario: commsbench run %s [flags], or commsbench run --scenario NAME|FILE", registry.List())
		}
		return flagErrorf("unknown transport %q: choose %s, or run a scenario with --scenario NAME|FILE", args[0], registry.List())
	}
	sc, err := library().Scenario(ref)
	if err != nil {
		var se *scenarios.Error
		if errors.As(err, &se) {
			return &FlagError{err: err} // it names the file already
		}
		return flagErrorf("--scenario %s: %v", ref, err)
	}
	fs := pflag.NewFlagSet("run "+sc.Transport, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error is reported once, by Main
	in, err := scenarioInputs(sc, fs)
	if err != nil {
		return &FlagError{err: fmt.Errorf("scenario %s:\n%w", sc.Name, err)}
	}
	if err := fs.Parse(overrides); err != nil {
		return &FlagError{err: err}
	}
	if rest := fs.Args(); len(rest) > 0 {
		return flagErrorf("unexpected argument %q: a scenario names its transport, give only flags after it", rest[0])
	}
	in.overridden()
	req, err := in.request(f)
	if err != nil {
		return err
	}
	_, err = executeRun(cmd.Context(), f, req, nil)
	return err
}

// library is the scenario library, whose scenarios may name the
// registry's transports.
func library() *scenarios.Library { return scenarios.Builtin(registry.Names()...) }
