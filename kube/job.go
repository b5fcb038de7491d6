// Package kube runs a commsbench load from many pods of a Kubernetes
// cluster: it builds an Indexed Job whose pods each run one shard of the
// load from one agreed instant, and with a cluster at hand it creates the
// Job, waits for it and collects the shards' results from the pods' logs.
//
// It is the only package that imports the Kubernetes client libraries, so
// that nothing else of commsbench compiles them. It knows no flags: the
// command hands it a JobSpec.
package kube

import (
	"fmt"
	"io"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// Names the Job and its pods carry.
const (
	// IndexEnv is the environment variable that holds a pod's completion
	// index: the shard it runs.
	IndexEnv = "JOB_COMPLETION_INDEX"
	// MarkersEnv asks commsbench run to write its result between the
	// markers of results.EncodeMarked, so that it can be read back from
	// the pod's log.
	MarkersEnv = "COMMSBENCH_RESULT_MARKERS"
	// RunIDLabel carries the run id on the Job and its pods.
	RunIDLabel = "commsbench.dev/run-id"
	container  = "commsbench"
)

// JobSpec is what a Job of shards needs.
type JobSpec struct {
	Name, Namespace, Image string
	// Pods is the number of shards, each run by one pod at a time.
	Pods int
	// RunArgs is the command line of the whole load ("run", a transport,
	// its flags) without the shard, start and output flags.
	RunArgs []string
	RunID   string
	StartAt time.Time
	// CPU and Memory are each pod's requests; Memory is its limit too.
	CPU, Memory resource.Quantity
	// Deadline bounds the Job's run (0: none).
	Deadline time.Duration
}

// Job builds the Indexed Job of s: completions and parallelism are the
// number of pods, so all shards run at once, and an index that fails is
// not retried (its load would come outside the measured window): the
// merged result names it as missing instead.
func Job(s JobSpec) *batchv1.Job {
	n := int32(s.Pods)
	labels := map[string]string{"app.kubernetes.io/name": "commsbench", RunIDLabel: s.RunID}
	args := append(append([]string{}, s.RunArgs...),
		"--shard", "$("+IndexEnv+")/"+strconv.Itoa(s.Pods),
		"--start-at", s.StartAt.UTC().Format(time.RFC3339Nano),
		"--run-id", s.RunID,
		"--out", "-", "--quiet")
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			CompletionMode:          ptr(batchv1.IndexedCompletion),
			Completions:             &n,
			Parallelism:             &n,
			BackoffLimitPerIndex:    ptr(int32(0)),
			MaxFailedIndexes:        &n,
			PodReplacementPolicy:    ptr(batchv1.Failed),
			TTLSecondsAfterFinished: ptr(int32(3600)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{
						Name:  container,
						Image: s.Image,
						Args:  args,
						Env: []corev1.EnvVar{
							{Name: IndexEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
								FieldPath: "metadata.annotations['" + batchv1.JobCompletionIndexAnnotation + "']"}}},
							{Name: MarkersEnv, Value: "1"},
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: s.CPU, corev1.ResourceMemory: s.Memory},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: s.Memory},
						},
					}},
				},
			},
		},
	}
	if s.Deadline > 0 {
		job.Spec.ActiveDeadlineSeconds = ptr(int64(s.Deadline.Seconds()))
	}
	return job
}

func ptr[T any](v T) *T { return &v }

// codec writes and reads Jobs as YAML; strict, it refuses unknown and
// duplicate fields.
func codec() *json.Serializer {
	sch := runtime.NewScheme()
	_ = batchv1.AddToScheme(sch) // only fails for a type registered twice
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, sch, sch, json.SerializerOptions{Yaml: true, Strict: true})
}

// WriteManifest writes job as a YAML manifest for kubectl apply -f.
func WriteManifest(w io.Writer, job *batchv1.Job) error {
	return codec().Encode(job, w)
}

// ReadJob decodes a manifest strictly into a batch/v1 Job.
func ReadJob(data []byte) (*batchv1.Job, error) {
	obj, _, err := codec().Decode(data, nil, nil)
	if err != nil {
		return nil, err
	}
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return nil, fmt.Errorf("the manifest holds a %T, not a batch/v1 Job", obj)
	}
	return job, nil
}
