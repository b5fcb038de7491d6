package kube_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/commsbench/commsbench/kube"
	"github.com/commsbench/commsbench/results"
)

func spec() kube.JobSpec {
	return kube.JobSpec{
		Name: "commsbench-r1", Namespace: "bench", Image: "example/commsbench:1", Pods: 4,
		RunArgs: []string{"run", "rest", "--target", "echo:8080", "--rate", "40000"},
		RunID:   "r1", StartAt: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC),
		CPU: resource.MustParse("2"), Memory: resource.MustParse("256Mi"), Deadline: 10 * time.Minute,
	}
}

// The manifest decodes strictly into a batch/v1 Job that runs every
// shard at once, each pod with its index as its shard.
func TestManifestIsAnIndexedJobOfShards(t *testing.T) {
	var buf bytes.Buffer
	if err := kube.WriteManifest(&buf, kube.Job(spec())); err != nil {
		t.Fatal(err)
	}
	job, err := kube.ReadJob(buf.Bytes())
	if err != nil {
		t.Fatalf("the manifest does not decode strictly: %v\n%s", err, buf.String())
	}
	checkJob(t, job, 4, "2", "256Mi")
	if d := job.Spec.ActiveDeadlineSeconds; d == nil || *d != 600 {
		t.Errorf("deadline %v, want 600s", d)
	}
	if job.Namespace != "bench" || job.Labels[kube.RunIDLabel] != "r1" {
		t.Errorf("namespace %q, labels %v", job.Namespace, job.Labels)
	}
}

// checkJob checks what every Job of shards must be.
func checkJob(t *testing.T, job *batchv1.Job, pods int32, cpu, mem string) {
	t.Helper()
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completion mode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || *s.Completions != pods || s.Parallelism == nil || *s.Parallelism != pods {
		t.Errorf("completions %v, parallelism %v; want %d each", s.Completions, s.Parallelism, pods)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 {
		t.Errorf("backoff limit per index %v: a shard must not run again outside the window", s.BackoffLimitPerIndex)
	}
	c := s.Template.Spec.Containers[0]
	args := strings.Join(c.Args, " ")
	want := "--shard $(" + kube.IndexEnv + ")/" + itoa(pods)
	if !strings.Contains(args, want) || !strings.Contains(args, "--out - --quiet") || !strings.HasPrefix(args, "run ") {
		t.Errorf("args %q: want a run with %q and its result on stdout", args, want)
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == kube.IndexEnv && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil &&
			strings.Contains(e.ValueFrom.FieldRef.FieldPath, batchv1.JobCompletionIndexAnnotation)
	}) {
		t.Errorf("env %v does not take %s from the completion index annotation", c.Env, kube.IndexEnv)
	}
	if got := c.Resources.Requests[corev1.ResourceCPU]; got.String() != cpu {
		t.Errorf("cpu request %v, want %s", got.String(), cpu)
	}
	if got := c.Resources.Requests[corev1.ResourceMemory]; got.String() != mem {
		t.Errorf("memory request %v, want %s", got.String(), mem)
	}
	if s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restart policy %v", s.Template.Spec.RestartPolicy)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// The collector's control flow, against the fake clientset: the Job is
// created, waited for, and each shard's result read from its pod's log; a
// shard whose log holds none is reported, and missing from the merge.
func TestCollectorCollectsTheShardsResults(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	var progress []kube.Progress
	logs := map[string][]byte{}
	c := &kube.Collector{Jobs: client.BatchV1(), Pods: client.CoreV1(), Namespace: "bench", Poll: 10 * time.Millisecond,
		Progress: func(p kube.Progress) { progress = append(progress, p) },
		Logs:     func(_ context.Context, pod *corev1.Pod) ([]byte, error) { return logs[pod.Name], nil }}
	s := spec()
	s.Pods = 3
	if err := c.Create(ctx, kube.Job(s)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		name := "commsbench-r1-" + itoa(int32(i))
		phase := corev1.PodSucceeded
		if i == 2 {
			phase = corev1.PodFailed
			logs[name] = []byte("commsbench: --start-at: that is 3s in the past\n")
		} else {
			var b bytes.Buffer
			b.WriteString("warning: something\n")
			if err := results.EncodeMarked(&b, shardResult(i, 3)); err != nil {
				t.Fatal(err)
			}
			logs[name] = b.Bytes()
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench",
			Labels:      map[string]string{batchv1.JobNameLabel: s.Name},
			Annotations: map[string]string{batchv1.JobCompletionIndexAnnotation: itoa(int32(i))}},
			Status: corev1.PodStatus{Phase: phase}}
		if _, err := client.CoreV1().Pods("bench").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The Job controller's part: after a while, two indexes succeeded
	// and one failed.
	time.AfterFunc(50*time.Millisecond, func() {
		job, err := client.BatchV1().Jobs("bench").Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		job.Status.Succeeded, job.Status.Failed = 2, 1
		if _, err := client.BatchV1().Jobs("bench").UpdateStatus(ctx, job, metav1.UpdateOptions{}); err != nil {
			t.Error(err)
		}
	})
	p, err := c.Wait(ctx, s.Name, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.Succeeded != 2 || p.Failed != 1 || len(progress) < 2 {
		t.Errorf("final progress %+v after %d polls; want 2 succeeded, 1 failed, after more than one poll", p, len(progress))
	}
	rs, problems, err := c.Results(ctx, s.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || len(problems) != 1 || !strings.Contains(problems[0], "shard 2") {
		t.Fatalf("%d results, problems %q; want 2 and one about shard 2", len(rs), problems)
	}
	m, err := results.MergeResults(rs)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Partial || !slices.Equal(m.MissingShards, []int{2}) {
		t.Errorf("merge: partial %v, missing %v; want partial, missing [2]", m.Partial, m.MissingShards)
	}
}

// shardResult is a minimal valid result of shard i of n of run r1.
func shardResult(i, n int) *results.Result {
	h := results.NewHistogram()
	_ = h.RecordValue(int64(time.Millisecond))
	return &results.Result{
		Schema: results.SchemaVersion, Tool: results.Tool{Name: "commsbench", Version: "test"},
		RunID: "r1", Transport: "rest", StartedAt: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC),
		Shard:   &results.Shard{Index: i, Count: n, StartAt: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)},
		Load:    results.Load{Mode: results.OpenLoop, Rate: 100, Concurrency: 10},
		Counts:  results.Counts{Sent: 1, OK: 1},
		Errors:  map[string]int64{},
		Latency: map[string]*results.Latency{results.Response: results.MustLatency(h)},
	}
}
