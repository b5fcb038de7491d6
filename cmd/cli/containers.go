package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/containers"
	"github.com/commsbench/commsbench/targets/transport"
)

// containerFlags are --containers and --image of the run of a transport
// whose broker can start in a container (its descriptor's Container).
type containerFlags struct {
	On    bool
	Image string

	kind containers.Kind
	// kindErr says the descriptor names a broker no container starts.
	kindErr error
	// broker is the started broker, set by start.
	broker *containers.Broker
}

// options are the flags (and scenario keys) --containers and --image.
func (c *containerFlags) options(t transport.Transport) []transport.Option {
	kind, err := containers.ParseKind(t.Container)
	if err != nil {
		c.kindErr = fmt.Errorf("transport %s: --containers: %w", t.Name, err)
	}
	c.kind = kind
	return []transport.Option{
		{Name: "containers", Usage: fmt.Sprintf("start a real %s in a Docker container (testcontainers) for the run and remove it afterwards; needs a Docker engine", kind.Title()), Value: transport.Bool(&c.On)},
		{Name: "image", Usage: fmt.Sprintf("image of the --containers broker (default %s)", kind.DefaultImage()), Value: transport.String(&c.Image)},
	}
}

// validate checks --containers and --image against the option that names
// the broker (opts are the run's options); errors are usage errors.
func (c *containerFlags) validate(t transport.Transport, opts []transport.Option) error {
	if t.Container == "" {
		return nil
	}
	if c.kindErr != nil {
		return c.kindErr
	}
	addrFlag := ""
	if ci, ok := t.NewConfig().(transport.Containerized); ok {
		addrFlag = ci.BrokerOption()
	}
	changed := func(name string) bool { return transport.Changed(opts, name) }
	switch {
	case c.On && addrFlag != "" && changed(addrFlag):
		return flagErrorf("--containers starts a broker of its own: leave out --%s, or leave out --containers to use the broker --%s names", addrFlag, addrFlag)
	case changed("image") && !c.On:
		return flagErrorf("--image names the image of the broker --containers starts: add --containers")
	case c.On && changed("image"):
		if err := containers.CheckImage(c.kind, c.Image); err != nil {
			return flagErrorf("--image: %v", err)
		}
	}
	return nil
}

// start starts the broker, after the Docker check, and returns it with
// the function that removes it (call it when the command ends, also after
// an error or Ctrl-C).
func (c *containerFlags) start(ctx context.Context, f *Factory, t transport.Transport, quiet bool) (*containers.Broker, func(), error) {
	eng, err := checkDockerEngine(ctx, f, "--containers", dockerHint(c.kind, "--containers"), containers.EngineConfig{})
	if err != nil {
		return nil, nil, err
	}
	containers.SetLibraryLog(io.Discard)
	say := func(s string) {
		if !quiet {
			fmt.Fprintln(f.IO.ErrOut, s)
		}
	}
	b, err := containers.Start(ctx, eng, containers.Spec{
		Kind:     c.kind,
		Image:    c.Image,
		Labels:   map[string]string{containers.LabelRun: newRunID(f.Now())},
		Progress: say,
	})
	if err != nil {
		code := ExitFailure
		if ctx.Err() != nil {
			code = ExitInterrupted
		}
		return nil, nil, &ExitError{Code: code, Err: err}
	}
	c.broker = b
	remove := func() {
		if err := b.Remove(context.Background()); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "commsbench: %v\n", err)
			return
		}
		say(c.kind.Title() + " container removed")
	}
	return b, remove, nil
}

// wrap describes a run's target as the --containers broker.
func (c *containerFlags) wrap(w bench.Workload) bench.Workload {
	if c.broker == nil {
		return w
	}
	return containers.Wrap(w, c.broker)
}
