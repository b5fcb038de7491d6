package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/commsbench/commsbench/results"
)

// maxLogBytes bounds what is read of one pod's log: a result file is at
// most results.MaxFileBytes, and the rest of the log is a few lines.
const maxLogBytes = results.MaxFileBytes + 1<<20

// Progress is the state of a Job of shards while it runs.
type Progress struct {
	Pods, Active, Succeeded, Failed int
}

// Collector creates a Job of shards, waits for it and reads the shards'
// results back from the pods' logs.
//
// It takes the two typed clients it needs rather than the whole clientset,
// which would link a client for every API group into the binary.
type Collector struct {
	Jobs      batchclient.JobsGetter
	Pods      coreclient.PodsGetter
	Namespace string
	// Poll is how often the Job's status is read (default 2s).
	Poll time.Duration
	// Progress, if set, is called after each poll.
	Progress func(Progress)
	// Logs reads a pod's log; nil reads it through the API.
	Logs func(ctx context.Context, pod *corev1.Pod) ([]byte, error)
}

// Create creates job in the Collector's namespace.
func (c *Collector) Create(ctx context.Context, job *batchv1.Job) error {
	_, err := c.Jobs.Jobs(c.Namespace).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create job %s in namespace %s: %w", job.Name, c.Namespace, err)
	}
	return nil
}

// Wait polls the Job until every index succeeded or failed, or the Job
// finished (its deadline passed), or ctx ends.
func (c *Collector) Wait(ctx context.Context, name string, pods int) (Progress, error) {
	poll := c.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		job, err := c.Jobs.Jobs(c.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return Progress{}, fmt.Errorf("read job %s: %w", name, err)
		}
		p := Progress{Pods: pods, Active: int(job.Status.Active), Succeeded: int(job.Status.Succeeded), Failed: int(job.Status.Failed)}
		if c.Progress != nil {
			c.Progress(p)
		}
		if p.Succeeded+p.Failed >= pods || finished(job) {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-t.C:
		}
	}
}

// finished says the Job reached a final condition.
func finished(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// Results reads the result of each shard from the log of its pod that
// succeeded. problems says, per shard that has none, why; such a shard
// is missing from a merge of the results.
func (c *Collector) Results(ctx context.Context, name string) (rs []*results.Result, problems []string, err error) {
	list, err := c.Pods.Pods(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + name})
	if err != nil {
		return nil, nil, fmt.Errorf("list the pods of job %s: %w", name, err)
	}
	pods := list.Items
	sort.Slice(pods, func(i, j int) bool { return index(&pods[i]) < index(&pods[j]) })
	seen := map[int]bool{}
	for i := range pods {
		pod := &pods[i]
		idx := index(pod)
		if seen[idx] || (pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed) {
			continue
		}
		log, err := c.logs(ctx, pod)
		if err != nil {
			problems = append(problems, fmt.Sprintf("shard %d (pod %s): read its log: %v", idx, pod.Name, err))
			continue
		}
		r, err := results.DecodeMarked(log)
		if err != nil {
			problems = append(problems, fmt.Sprintf("shard %d (pod %s, %s): %v", idx, pod.Name, pod.Status.Phase, err))
			continue
		}
		seen[idx] = true
		rs = append(rs, r)
	}
	return rs, problems, nil
}

// index is a pod's completion index, -1 if it has none.
func index(pod *corev1.Pod) int {
	i, err := strconv.Atoi(pod.Annotations[batchv1.JobCompletionIndexAnnotation])
	if err != nil {
		return -1
	}
	return i
}

func (c *Collector) logs(ctx context.Context, pod *corev1.Pod) ([]byte, error) {
	if c.Logs != nil {
		return c.Logs(ctx, pod)
	}
	limit := int64(maxLogBytes)
	rc, err := c.Pods.Pods(c.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container, LimitBytes: &limit}).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b, nil
}
