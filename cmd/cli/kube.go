package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/kube"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/registry"
)

// kubeOptions are the flags of kube job and kube run.
type kubeOptions struct {
	Pods          int
	MaxRatePerPod float64
	Image         string
	Namespace     string
	Name          string
	StartDelay    time.Duration
	CPU, Memory   string
	// Out is the manifest (job) or the merged result (run).
	Out        string
	Format     string
	Quiet      bool
	Kubeconfig string
}

const (
	defaultKubeImage      = "commsbench:latest"
	defaultKubeStartDelay = 2 * time.Minute
	// kubeDeadlineMargin is added to a Job's start delay, warm-up and
	// duration for its deadline: pod start-up, the drain of a brokered
	// run, writing the result.
	kubeDeadlineMargin = 5 * time.Minute
)

func (o *kubeOptions) addFlags(fl *pflag.FlagSet) {
	fl.IntVar(&o.Pods, "pods", 0, "pods, one shard each (default: the rate divided by --max-rate-per-pod, rounded up)")
	fl.Float64Var(&o.MaxRatePerPod, "max-rate-per-pod", 0, "the most operations per second one pod offers; with --rate it gives the number of pods")
	fl.StringVar(&o.Image, "image", defaultKubeImage, "container image holding commsbench as its entrypoint (build it with the Dockerfile)")
	fl.StringVarP(&o.Namespace, "namespace", "n", "default", "namespace of the Job")
	fl.StringVar(&o.Name, "name", "", "name of the Job (default: commsbench-<run id>)")
	fl.DurationVar(&o.StartDelay, "start-delay", defaultKubeStartDelay, "how long after now every shard starts: time for the pods to be scheduled and their image pulled;\na pod that starts later fails and its shard is missing from the merge")
	fl.StringVar(&o.CPU, "cpu", "1", "CPU each pod requests")
	fl.StringVar(&o.Memory, "memory", "512Mi", "memory each pod requests, and its limit")
}

// NewCmdKube is "commsbench kube": load from the pods of a cluster.
func NewCmdKube(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kube",
		Short: "Run a load from many pods of a Kubernetes cluster, as shards of one run",
		Long: `Run one load from many pods of a Kubernetes cluster: an Indexed Job whose pods
each run one shard (run --shard I/N) from one agreed instant, their results
merged into one as if one generator had driven all of it.

  kube job   writes the Job's manifest, for kubectl apply -f
  kube run   creates the Job, waits for it, reads each shard's result from its
             pod's log and merges them

Both take the transport and its run flags after their own, as run does.
See docs/distributed.md.`,
	}
	cmd.AddCommand(newCmdKubeJob(f), newCmdKubeRun(f))
	return cmd
}

func newCmdKubeJob(f *Factory) *cobra.Command {
	o := &kubeOptions{}
	cmd := &cobra.Command{
		Use:   "job [flags] <transport> [run flags]",
		Short: "Write an Indexed Job that runs a load as shards, one per pod",
		Example: `  commsbench kube job --max-rate-per-pod 10000 rest --target echo.bench:8080 --rate 40000 --duration 1m > job.yaml
  kubectl apply -f job.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := o.plan(f, args)
			if err != nil {
				return err
			}
			w, closeOut, err := o.output(f)
			if err != nil {
				return err
			}
			if err := kube.WriteManifest(w, kube.Job(spec)); err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			return closeOut()
		},
	}
	cmd.Flags().SetInterspersed(false)
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "write the manifest to this file (default: stdout)")
	return cmd
}

func newCmdKubeRun(f *Factory) *cobra.Command {
	o := &kubeOptions{}
	cmd := &cobra.Command{
		Use:   "run [flags] <transport> [run flags]",
		Short: "Create the Job, wait for it, collect and merge the shards' results",
		Long: `Create the Indexed Job that kube job writes, wait for its pods with a progress
line, read each shard's result from its pod's log and merge them. A shard
whose pod failed, or wrote no result, is named as missing and the merged
result is marked partial.

Exit codes: 0 done, 1 the Job or a shard failed, 2 bad flags, 130 interrupted.`,
		Example: `  commsbench kube run --pods 4 rest --target echo.bench:8080 --rate 40000 --duration 1m -o total.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := o.plan(f, args)
			if err != nil {
				return err
			}
			c, ns, err := o.collector(f)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("namespace") && ns != "" {
				spec.Namespace = ns
			}
			c.Namespace = spec.Namespace
			return runKubeJob(cmd.Context(), f, o, c, spec)
		},
	}
	cmd.Flags().SetInterspersed(false)
	o.addFlags(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVarP(&o.Out, "out", "o", "", "write the merged result JSON to this file ('-' for stdout)")
	fl.StringVar(&o.Format, "format", results.FormatText, "summary format on stdout: text, json or markdown")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print no summary and no progress")
	fl.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	return cmd
}

// plan checks the run part of the command line as run would and makes
// the Job's spec.
func (o *kubeOptions) plan(f *Factory, args []string) (kube.JobSpec, error) {
	t, ok := registry.Lookup(args[0])
	if !ok {
		return kube.JobSpec{}, flagErrorf("unknown transport %q: choose %s", args[0], strings.Join(registry.Names(), ", "))
	}
	in := newRunInputs(t)
	fs := pflag.NewFlagSet(t.Name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in.addFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return kube.JobSpec{}, flagErrorf("%s: %v", t.Name, err)
	}
	for _, name := range fanOutFlags {
		if fs.Changed(name) {
			return kube.JobSpec{}, flagErrorf("--%s: the Job sets each pod's shard, start, run id and output; leave it out", name)
		}
	}
	req, err := in.request(f)
	if err != nil {
		return kube.JobSpec{}, err
	}
	pods := o.Pods
	switch {
	case pods < 0 || pods > bench.MaxShards:
		return kube.JobSpec{}, flagErrorf("--pods %d: give from 1 to %d", pods, bench.MaxShards)
	case o.MaxRatePerPod < 0 || math.IsNaN(o.MaxRatePerPod) || math.IsInf(o.MaxRatePerPod, 0):
		return kube.JobSpec{}, flagErrorf("--max-rate-per-pod %v: must be a positive number of operations per second", o.MaxRatePerPod)
	case pods == 0 && o.MaxRatePerPod > 0 && req.Engine.Rate > 0:
		pods = int(math.Ceil(req.Engine.Rate / o.MaxRatePerPod))
		if pods > bench.MaxShards {
			return kube.JobSpec{}, flagErrorf("--max-rate-per-pod %v: --rate %v would need %d pods, more than %d", o.MaxRatePerPod, req.Engine.Rate, pods, bench.MaxShards)
		}
	case pods == 0:
		return kube.JobSpec{}, flagErrorf("--pods: give the number of pods, or --max-rate-per-pod with an open-loop --rate")
	}
	if req.Run.Concurrency < pods {
		return kube.JobSpec{}, flagErrorf("--pods %d: %d workers cannot be split over %d pods; give --concurrency at least %d", pods, req.Run.Concurrency, pods, pods)
	}
	cpu, err := resource.ParseQuantity(o.CPU)
	if err != nil {
		return kube.JobSpec{}, flagErrorf("--cpu %q: %v (such as 500m or 2)", o.CPU, err)
	}
	mem, err := resource.ParseQuantity(o.Memory)
	if err != nil {
		return kube.JobSpec{}, flagErrorf("--memory %q: %v (such as 512Mi)", o.Memory, err)
	}
	if o.StartDelay <= 0 {
		return kube.JobSpec{}, flagErrorf("--start-delay %v: must be positive, such as 2m", o.StartDelay)
	}
	now := f.Now()
	runID := strings.ToLower(newRunID(now))
	name := o.Name
	if name == "" {
		name = "commsbench-" + runID
	}
	spec := kube.JobSpec{
		Name: name, Namespace: o.Namespace, Image: o.Image, Pods: pods,
		RunArgs: append([]string{"run", t.Name}, shardArgs(args[1:], fs, fanOutFlags)...),
		RunID:   runID, StartAt: now.Add(o.StartDelay).Truncate(time.Second),
		CPU: cpu, Memory: mem,
	}
	if req.Engine.Duration > 0 {
		spec.Deadline = o.StartDelay + req.Engine.Warmup + req.Engine.Duration + kubeDeadlineMargin
	}
	return spec, nil
}

// output is where kube job writes the manifest.
func (o *kubeOptions) output(f *Factory) (io.Writer, func() error, error) {
	if o.Out == "" || o.Out == "-" {
		return f.IO.Out, func() error { return nil }, nil
	}
	file, err := os.Create(o.Out)
	if err != nil {
		return nil, nil, &ExitError{Code: ExitFailure, Err: fmt.Errorf("--out: %w", err)}
	}
	return file, func() error {
		if err := file.Close(); err != nil {
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--out: %w", err)}
		}
		return nil
	}, nil
}

// collector connects to the cluster of the kubeconfig, and returns the
// namespace of its current context.
func (o *kubeOptions) collector(f *Factory) (*kube.Collector, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	} else if v := f.Getenv(clientcmd.RecommendedConfigPathEnvVar); v != "" {
		rules.Precedence = strings.Split(v, string(os.PathListSeparator))
	}
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	rest, err := cfg.ClientConfig()
	if err != nil {
		return nil, "", &ExitError{Code: ExitFailure, Err: fmt.Errorf("no cluster to run on: %w; give --kubeconfig, or use kube job and kubectl", err)}
	}
	ns, _, _ := cfg.Namespace()
	jobs, err := batchclient.NewForConfig(rest)
	if err != nil {
		return nil, "", &ExitError{Code: ExitFailure, Err: fmt.Errorf("connect to the cluster: %w", err)}
	}
	pods, err := coreclient.NewForConfig(rest)
	if err != nil {
		return nil, "", &ExitError{Code: ExitFailure, Err: fmt.Errorf("connect to the cluster: %w", err)}
	}
	return &kube.Collector{Jobs: jobs, Pods: pods}, ns, nil
}

// runKubeJob creates the Job, waits for it with progress, collects the
// shards' results and merges them.
func runKubeJob(ctx context.Context, f *Factory, o *kubeOptions, c *kube.Collector, spec kube.JobSpec) error {
	if err := c.Create(ctx, kube.Job(spec)); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if !o.Quiet {
		fmt.Fprintf(f.IO.ErrOut, "job %s/%s created: %d pods, run %s, starting at %s\n", spec.Namespace, spec.Name, spec.Pods, spec.RunID, spec.StartAt.Local().Format("15:04:05"))
		c.Progress = func(p kube.Progress) {
			fmt.Fprintf(f.IO.ErrOut, "  %d of %d pods done (%d failed), %d running\n", p.Succeeded+p.Failed, p.Pods, p.Failed, p.Active)
		}
	}
	if _, err := c.Wait(ctx, spec.Name, spec.Pods); err != nil {
		if ctx.Err() != nil {
			return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted while waiting; the job %s goes on: kubectl delete job -n %s %s", spec.Name, spec.Namespace, spec.Name)}
		}
		return &ExitError{Code: ExitFailure, Err: err}
	}
	rs, problems, err := c.Results(ctx, spec.Name)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	for _, p := range problems {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", p)
	}
	if len(rs) == 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("no pod of job %s wrote a result; see kubectl logs -n %s -l job-name=%s", spec.Name, spec.Namespace, spec.Name)}
	}
	merged, err := results.MergeResults(rs)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("merge the shards: %w", err)}
	}
	merged.Command = results.RedactArgs(f.Args)
	format := o.Format
	if format == "" {
		format = results.FormatText
	}
	if err := writeRunOutputs(f, runOutput{Out: o.Out, Format: format, Quiet: o.Quiet}, merged); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if len(merged.MissingShards) > 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d of %d shards have no result; the merged result is partial", len(merged.MissingShards), spec.Pods)}
	}
	return nil
}

// encodeStdout writes a result to stdout; in a pod of a kube Job, between
// the markers the collector finds it by in the pod's log.
func encodeStdout(f *Factory, res *results.Result) error {
	if f.Getenv(kube.MarkersEnv) != "" {
		return results.EncodeMarked(f.IO.Out, res)
	}
	return results.Encode(f.IO.Out, res)
}
