package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/commsbench/commsbench/targets/containers"
	"github.com/commsbench/commsbench/targets/event"
	"github.com/commsbench/commsbench/targets/queue"
)

// This file holds "brokers up|down" and the --containers and --image flags
// of "run queue" and "run event": both start brokers in Docker containers,
// after the same bounded check that a Docker engine answers.

// dockerHint says what to do when no Docker engine answers, per command.
func dockerHint(kind containers.Kind, flag string) string {
	install := "To fix: install Docker (https://docs.docker.com/get-docker/) and start it, or set DOCKER_HOST to an engine that runs"
	switch {
	case flag == "--containers" && kind == containers.Queue:
		return install + ";\nor leave out --containers and name a RabbitMQ you already run: --amqp-url amqp://user:password@host:5672/"
	case flag == "--containers" && kind == containers.Event:
		return install + ";\nor leave out --containers: --brokers host:9092 names a Kafka you already run, and without it an embedded broker starts in-process"
	}
	return install + ";\nor use brokers you already run: 'run queue --amqp-url amqp://user:password@host:5672/', 'run event --brokers host:9092'"
}

// checkDockerEngine finds a Docker engine within containers.DefaultCheckTimeout.
// what names the command or flag that needs it; its error exits 1.
func checkDockerEngine(ctx context.Context, f *Factory, what, hint string, cfg containers.EngineConfig) (*containers.Engine, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = f.Getenv
	}
	eng, err := containers.CheckEngine(ctx, cfg)
	if err != nil {
		var ne *containers.NoEngineError
		if errors.As(err, &ne) {
			err = fmt.Errorf("%s: %w\n%s", what, err, hint)
		}
		code := ExitFailure
		if ctx.Err() != nil {
			code = ExitInterrupted
		}
		return nil, &ExitError{Code: code, Err: err}
	}
	return eng, nil
}

// brokersOptions are the flags of "brokers up" and "brokers down".
type brokersOptions struct {
	StateFile string
	Image     string
	Env       bool
	All       bool
}

// NewCmdBrokers is "commsbench brokers up|down".
func NewCmdBrokers(f *Factory) *cobra.Command {
	o := &brokersOptions{}
	cmd := &cobra.Command{
		Use:   "brokers <up|down> [queue|event|all]",
		Short: "Keep RabbitMQ and Kafka running in Docker containers across runs",
		Long: `Start real brokers in Docker containers and keep them running across runs
(useful with --count and in CI), then remove them.

'brokers up' starts RabbitMQ (for run queue) and Kafka in KRaft mode (for run
event), or the one named, and prints the --amqp-url and --brokers to pass to
runs, or the variables to export. Running it again prints the brokers that are
already up. 'brokers down' removes them. What is up is recorded in a state
file in your cache directory (no password in it).

For a single run, 'run queue --containers' and 'run event --containers' start
a broker and remove it when the run ends.

Both need a Docker engine; it is looked for where testcontainers looks
(DOCKER_HOST, /var/run/docker.sock, ~/.testcontainers.properties, rootless
sockets), and a missing or hung one is reported within 3 s.`,
		Example: `  commsbench brokers up
  eval "$(commsbench brokers up queue --env)"
  commsbench run queue --amqp-url amqp://guest:guest@localhost:32771/ --count 5
  commsbench brokers down`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return flagErrorf("say what to do: commsbench brokers up or commsbench brokers down")
			}
			return flagErrorf("unknown brokers command %q: choose up or down", args[0])
		},
	}
	cmd.PersistentFlags().StringVar(&o.StateFile, "state-file", "", "where the brokers that are up are recorded (default brokers.json in commsbench's directory of the user cache dir)")
	up := &cobra.Command{
		Use:   "up [queue|event|all]",
		Short: "Start RabbitMQ and Kafka containers that stay up, and print their addresses",
		Args:  atMostOneBroker,
		RunE: func(cmd *cobra.Command, args []string) error {
			kinds, err := brokerKinds(args)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("image") {
				if len(kinds) != 1 {
					return flagErrorf("--image: name the broker it is for: commsbench brokers up queue --image … (or event)")
				}
				if err := containers.CheckImage(kinds[0], o.Image); err != nil {
					return flagErrorf("--image: %v", err)
				}
			}
			return brokersUp(cmd.Context(), f, o, kinds)
		},
	}
	up.Flags().StringVar(&o.Image, "image", "", fmt.Sprintf("image of the broker named (defaults: %s, %s)", containers.DefaultQueueImage, containers.DefaultEventImage))
	up.Flags().BoolVar(&o.Env, "env", false, "print only shell lines exporting COMMSBENCH_AMQP_URL and COMMSBENCH_KAFKA_BROKERS, for eval")
	down := &cobra.Command{
		Use:   "down [queue|event|all]",
		Short: "Remove the broker containers that 'brokers up' started",
		Args:  atMostOneBroker,
		RunE: func(cmd *cobra.Command, args []string) error {
			kinds, err := brokerKinds(args)
			if err != nil {
				return err
			}
			return brokersDown(cmd.Context(), f, o, kinds)
		},
	}
	down.Flags().BoolVar(&o.All, "all", false, "also remove every container 'brokers up' left on the engine that the state file does not list")
	cmd.AddCommand(up, down)
	return cmd
}

// atMostOneBroker allows one queue|event|all argument; more is a usage error.
func atMostOneBroker(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return flagErrorf("name one of queue, event or all (or none, for all), not %d", len(args))
	}
	return nil
}

// brokerKinds reads the optional queue|event|all argument.
func brokerKinds(args []string) ([]containers.Kind, error) {
	if len(args) == 0 || args[0] == "all" {
		return []containers.Kind{containers.Queue, containers.Event}, nil
	}
	k, err := containers.ParseKind(args[0])
	if err != nil {
		return nil, flagErrorf("%v, or all", err)
	}
	return []containers.Kind{k}, nil
}

func (o *brokersOptions) statePath() (string, error) {
	if o.StateFile != "" {
		return o.StateFile, nil
	}
	p, err := containers.DefaultStatePath()
	if err != nil {
		return "", &ExitError{Code: ExitFailure, Err: fmt.Errorf("%w; name a file with --state-file", err)}
	}
	return p, nil
}

func brokersUp(ctx context.Context, f *Factory, o *brokersOptions, kinds []containers.Kind) error {
	path, err := o.statePath()
	if err != nil {
		return err
	}
	st, err := containers.ReadState(path)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	eng, err := checkDockerEngine(ctx, f, "brokers up", dockerHint("", "brokers up"), containers.EngineConfig{})
	if err != nil {
		return err
	}
	if len(st.Brokers) > 0 && st.DockerHost != "" && st.DockerHost != eng.Host {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("brokers are already up on another Docker engine (%s; this one is %s): remove them first with DOCKER_HOST=%s commsbench brokers down", st.DockerHost, eng.Host, st.DockerHost)}
	}
	st.DockerHost = eng.Host
	containers.SetLibraryLog(io.Discard)
	// The containers must outlive this process: testcontainers' reaper
	// would remove them some seconds after it ends.
	if err := containers.KeepAfterExit(); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	say := func(s string) { fmt.Fprintln(f.IO.ErrOut, s) }
	for _, kind := range kinds {
		if kept, ok := st.Find(kind); ok {
			info, err := eng.Inspect(ctx, kept.ContainerID)
			switch {
			case err == nil && info.Running:
				say(fmt.Sprintf("%s is already up (container %.12s)", kind.Title(), kept.ContainerID))
				continue
			case err == nil:
				// Stopped: replace it with a fresh one.
				if rerr := eng.Remove(ctx, kept.ContainerID); rerr != nil && !errors.Is(rerr, containers.ErrNoSuchContainer) {
					return &ExitError{Code: ExitFailure, Err: fmt.Errorf("remove the stopped %s container %.12s: %w", kind.Title(), kept.ContainerID, rerr)}
				}
			case !errors.Is(err, containers.ErrNoSuchContainer):
				return &ExitError{Code: ExitFailure, Err: fmt.Errorf("look at the %s container %.12s: %w", kind.Title(), kept.ContainerID, err)}
			}
			st.Drop(kind)
		}
		b, err := containers.Start(ctx, eng, containers.Spec{
			Kind:     kind,
			Image:    o.Image,
			Labels:   map[string]string{containers.LabelKept: "true"},
			Progress: say,
		})
		if err != nil {
			// What is up so far stays recorded, for 'brokers down'.
			werr := containers.WriteState(path, st)
			code := ExitFailure
			if ctx.Err() != nil {
				code = ExitInterrupted
			}
			return &ExitError{Code: code, Err: errors.Join(err, werr)}
		}
		st.Put(b.Keep(f.Now()))
		if err := containers.WriteState(path, st); err != nil {
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%w; the %s container %.12s is up: remove it with 'docker rm -f %.12s'", err, kind.Title(), b.ContainerID, b.ContainerID)}
		}
	}
	return printBrokers(f.IO.Out, st, kinds, o.Env)
}

// printBrokers prints the URLs to use, or the shell lines exporting them.
func printBrokers(w io.Writer, st containers.State, kinds []containers.Kind, env bool) error {
	vars := map[containers.Kind]string{containers.Queue: queue.EnvURL, containers.Event: event.EnvBrokers}
	flags := map[containers.Kind]string{containers.Queue: "--amqp-url", containers.Event: "--brokers"}
	var exports []string
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, kind := range kinds {
		b, ok := st.Find(kind)
		if !ok {
			continue
		}
		exports = append(exports, fmt.Sprintf("export %s=%s", vars[kind], b.URL()))
		if !env {
			fmt.Fprintf(tw, "%s\t%s %s\t%s\tcontainer %.12s\n", kind, kind.Title(), b.Version, b.Image, b.ContainerID)
			fmt.Fprintf(tw, "\t%s %s\t\t\n", flags[kind], b.URL())
		}
	}
	if env {
		_, err := fmt.Fprintln(w, strings.Join(exports, "\n"))
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nTo use them in every run:\n  %s\n", strings.Join(exports, "\n  "))
	if _, ok := st.Find(containers.Queue); ok {
		fmt.Fprintf(w, "The RabbitMQ account is the image's default (%s/%s).\n", containers.QueueUser, containers.QueuePassword)
	}
	_, err := fmt.Fprintln(w, "They run until: commsbench brokers down")
	return err
}

func brokersDown(ctx context.Context, f *Factory, o *brokersOptions, kinds []containers.Kind) error {
	path, err := o.statePath()
	if err != nil {
		return err
	}
	st, err := containers.ReadState(path)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	var listed []containers.KeptBroker
	for _, kind := range kinds {
		if b, ok := st.Find(kind); ok {
			listed = append(listed, b)
		}
	}
	if len(listed) == 0 && !o.All {
		fmt.Fprintf(f.IO.ErrOut, "no brokers are up (according to %s)\n", path)
		return nil
	}
	// The engine the containers were started on.
	getenv := f.Getenv
	if st.DockerHost != "" {
		getenv = func(k string) string {
			if k == "DOCKER_HOST" {
				return st.DockerHost
			}
			return f.Getenv(k)
		}
	}
	eng, err := checkDockerEngine(ctx, f, "brokers down", "Start the Docker engine the brokers run on, then run 'commsbench brokers down' again.", containers.EngineConfig{Getenv: getenv})
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range listed {
		err := eng.Remove(ctx, b.ContainerID)
		switch {
		case err == nil:
			fmt.Fprintf(f.IO.ErrOut, "%s container %.12s removed\n", b.Kind.Title(), b.ContainerID)
		case errors.Is(err, containers.ErrNoSuchContainer):
			fmt.Fprintf(f.IO.ErrOut, "%s container %.12s was already gone\n", b.Kind.Title(), b.ContainerID)
		default:
			errs = append(errs, fmt.Errorf("remove the %s container %.12s: %w", b.Kind.Title(), b.ContainerID, err))
			continue
		}
		st.Drop(b.Kind)
	}
	if o.All {
		others, err := eng.List(ctx, containers.LabelKept+"=true")
		if err != nil {
			errs = append(errs, err)
		}
		for _, c := range others {
			kind, kerr := containers.ParseKind(c.Labels[containers.LabelBroker])
			if kerr != nil || !slices.Contains(kinds, kind) {
				continue
			}
			if err := eng.Remove(ctx, c.ID); err != nil && !errors.Is(err, containers.ErrNoSuchContainer) {
				errs = append(errs, fmt.Errorf("remove container %.12s: %w", c.ID, err))
				continue
			}
			fmt.Fprintf(f.IO.ErrOut, "%s container %.12s removed\n", kind.Title(), c.ID)
			if kept, ok := st.Find(kind); ok && kept.ContainerID == c.ID {
				st.Drop(kind)
			}
		}
	}
	if err := containers.WriteState(path, st); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return &ExitError{Code: ExitFailure, Err: errors.Join(errs...)}
	}
	return nil
}
