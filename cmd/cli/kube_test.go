package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/kube"
)

func TestKubeJob(t *testing.T) {
	tests := []struct {
		name string
		args []string
		pods int32
		in   string // in the pods' args
	}{
		{"pods from the rate", []string{"--max-rate-per-pod", "10000", "rest", "--rate", "35000", "--duration", "1m"}, 4, "run rest --rate 35000 --duration 1m --shard $(JOB_COMPLETION_INDEX)/4"},
		{"pods given", []string{"--pods", "2", "--cpu", "500m", "grpc", "--rate", "0", "--concurrency", "8"}, 2, "run grpc --rate 0 --concurrency 8 --shard $(JOB_COMPLETION_INDEX)/2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(append([]string{"kube", "job"}, tt.args...)...)
			if code := Main(context.Background(), f); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			job, err := kube.ReadJob(out.Bytes())
			if err != nil {
				t.Fatalf("not a Job: %v\n%s", err, out)
			}
			if *job.Spec.Completions != tt.pods || *job.Spec.Parallelism != tt.pods {
				t.Errorf("completions %d, parallelism %d; want %d", *job.Spec.Completions, *job.Spec.Parallelism, tt.pods)
			}
			if args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, tt.in) {
				t.Errorf("args %q do not hold %q", args, tt.in)
			}
		})
	}
}

func TestKubeJobBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no pods and closed loop", []string{"--max-rate-per-pod", "100", "rest", "--rate", "0"}, "--pods: give the number of pods"},
		{"a shard of its own", []string{"--pods", "2", "rest", "--shard", "0/2"}, "--shard: the Job sets each pod's shard"},
		{"bad run flag", []string{"--pods", "2", "rest", "--rate", "-3"}, "--rate -3"},
		{"unknown transport", []string{"--pods", "2", "pigeon"}, `unknown transport "pigeon"`},
		{"bad cpu", []string{"--pods", "2", "--cpu", "lots", "rest"}, `--cpu "lots"`},
		{"too few workers", []string{"--pods", "8", "rest", "--rate", "0", "--concurrency", "4"}, "4 workers cannot be split over 8 pods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(append([]string{"kube", "job"}, tt.args...)...)
			if code := Main(context.Background(), f); code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr %q does not say %q", errOut, tt.msg)
			}
		})
	}
}
