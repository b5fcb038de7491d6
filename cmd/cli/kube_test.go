package cli

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/commsbench/commsbench/kube"
	"github.com/commsbench/commsbench/results"
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

// kube run's control flow against the fake clientset: the Job is created
// with the planned spec, waited for, and the pods' results merged; a pod
// without a result makes the merge partial and the command exit 1.
func TestKubeRunMergesThePodsResults(t *testing.T) {
	ctx := context.Background()
	f, out, errOut := testFactory("kube", "run", "--pods", "2", "rest", "--rate", "100")
	o := &kubeOptions{Pods: 2, CPU: "1", Memory: "64Mi", StartDelay: time.Minute, Namespace: "bench", Format: results.FormatText}
	spec, err := o.plan(f, []string{"rest", "--rate", "100"})
	if err != nil {
		t.Fatal(err)
	}
	client := fake.NewClientset()
	logs := map[string][]byte{}
	c := &kube.Collector{Jobs: client.BatchV1(), Pods: client.CoreV1(), Namespace: "bench", Poll: 10 * time.Millisecond,
		Logs: func(_ context.Context, pod *corev1.Pod) ([]byte, error) { return logs[pod.Name], nil }}
	// The cluster's part, once the Job exists: pod 0 wrote its result,
	// pod 1 failed before writing one.
	go func() {
		for {
			job, err := client.BatchV1().Jobs("bench").Get(ctx, spec.Name, metav1.GetOptions{})
			if err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			for i, phase := range []corev1.PodPhase{corev1.PodSucceeded, corev1.PodFailed} {
				name := fmt.Sprintf("%s-%d", spec.Name, i)
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench",
					Labels:      map[string]string{batchv1.JobNameLabel: spec.Name},
					Annotations: map[string]string{batchv1.JobCompletionIndexAnnotation: strconv.Itoa(i)}},
					Status: corev1.PodStatus{Phase: phase}}
				_, _ = client.CoreV1().Pods("bench").Create(ctx, pod, metav1.CreateOptions{})
			}
			var b bytes.Buffer
			r := &results.Result{Schema: results.SchemaVersion, Tool: results.Tool{Name: "commsbench"}, RunID: spec.RunID, Transport: "rest",
				Shard: &results.Shard{Index: 0, Count: 2, StartAt: spec.StartAt}, Load: results.Load{Mode: results.OpenLoop, Rate: 50, Concurrency: 500},
				Counts: results.Counts{Sent: 10, OK: 10}, Errors: map[string]int64{}, Latency: map[string]*results.Latency{results.Response: results.MustLatency(results.NewHistogram())}}
			_ = results.EncodeMarked(&b, r)
			logs[spec.Name+"-0"] = b.Bytes()
			job.Status.Succeeded, job.Status.Failed = 1, 1
			_, _ = client.BatchV1().Jobs("bench").UpdateStatus(ctx, job, metav1.UpdateOptions{})
			return
		}
	}()
	err = runKubeJob(ctx, f, o, c, spec)
	if code := exitCode(err); code != ExitFailure || !strings.Contains(err.Error(), "1 of 2 shards have no result") {
		t.Errorf("exit %d, %v; want 1 saying a shard has no result", code, err)
	}
	for _, want := range []string{"job bench/" + spec.Name + " created: 2 pods", "2 of 2 pods done (1 failed)", "warning: shard 1"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out.String(), "PARTIAL: missing shard 1/2") {
		t.Errorf("summary does not name the missing shard:\n%s", out)
	}
}
