// Package results holds the result file schema of commsbench: writing and
// reading result files, the summaries printed after a run, and the tables,
// comparisons and regression checks built from them.
//
// It is a leaf: it imports nothing else of commsbench, so any tool can read
// commsbench results by importing this package alone.
package results

import (
	"fmt"
	"math"
	"time"
)

// SchemaVersion is the version of the result file format written by this
// package. Readers refuse files with another version rather than guess.
const SchemaVersion = 1

// Latency kinds, the keys of Result.Latency.
const (
	// Response is what the caller waited for: from the intended send time
	// (open loop, coordinated omission corrected) or the actual send time
	// (closed loop) to the answer.
	Response = "response"
	// Service is from the actual send to the answer: the target's service
	// time as the client saw it, without the time the load generator was late.
	Service = "service"
	// SendDelay is how late each send was against its intended time (open loop only).
	SendDelay = "send_delay"
	// Publish is from the intended (or actual, closed loop) send to the
	// broker's acknowledgement of the message.
	Publish = "publish"
	// EndToEnd is from the intended send time to the moment a consumer received the message.
	EndToEnd = "end_to_end"
	// EndToEndService is from the actual send to the moment a message's
	// output arrived from the service under test (pipeline runs): the
	// time through the service without the time the load generator was
	// late, as Service is to Response.
	EndToEndService = "end_to_end_service"
)

// Load modes.
const (
	OpenLoop   = "open"
	ClosedLoop = "closed"
)

// Target kinds.
const (
	TargetEmbedded  = "embedded"
	TargetExternal  = "external"
	TargetContainer = "container"
)

// Where an embedded target or broker ran, Target.Process.
const (
	// ProcessChild: in a process of its own ("commsbench serve …"), which
	// the run started and stopped.
	ProcessChild = "child"
	// ProcessShared: inside the load generator's process, sharing its
	// runtime (scheduler, garbage collector) and CPU figure.
	ProcessShared = "in-process"
)

// Result is one run of one transport: what was asked, what happened, and the
// lossless latency histograms from which any percentile can be recomputed.
type Result struct {
	Schema    int       `json:"schema"`
	Tool      Tool      `json:"tool"`
	RunID     string    `json:"run_id,omitempty"`
	Transport string    `json:"transport"`
	Label     string    `json:"label,omitempty"`
	Scenario  string    `json:"scenario,omitempty"`
	Phase     string    `json:"phase,omitempty"`
	Command   string    `json:"command,omitempty"`
	StartedAt time.Time `json:"started_at"`
	// DurationS is the measured period in seconds (warm-up and drain excluded).
	DurationS float64 `json:"duration_s"`
	// Partial is true when the run was interrupted before its planned end,
	// or, for a merged result, when shards of the run are missing.
	Partial bool `json:"partial"`
	// Shard is set when the run was one part of a load several generators
	// drove together (run --shard I/N), or started at an agreed instant.
	Shard *Shard `json:"shard,omitempty"`
	// MissingShards lists, in a merged result, the shards of the run that
	// were not merged (their generator died or its result was not found).
	MissingShards []int `json:"missing_shards,omitempty"`

	Load   Load   `json:"load"`
	Target Target `json:"target"`
	Env    Env    `json:"env"`
	// Options holds the transport's own settings as they were used
	// (for example prefetch, partitions, grpc_mode), for the record.
	Options map[string]any `json:"options,omitempty"`

	Counts Counts           `json:"counts"`
	Errors map[string]int64 `json:"errors"`
	// FirstErrors holds, for each error class, the message of its first
	// occurrence: the cause a reader needs, kept once rather than logged
	// once per failure.
	FirstErrors map[string]string `json:"first_errors,omitempty"`
	// Unreachable describes the operations that never reached the target
	// (refused, or not attempted for lack of descriptors or ports).
	Unreachable *Unreachable        `json:"unreachable,omitempty"`
	Throughput  Throughput          `json:"throughput"`
	Latency     map[string]*Latency `json:"latency"`
	Timeline    []TimelinePoint     `json:"timeline"`
	// Requests splits a run of requests to a user's own endpoints by kind
	// of request (see RequestKind); absent for other runs.
	Requests []RequestKind `json:"requests,omitempty"`

	// Subscribers has one entry per consumer group (event transport).
	Subscribers []Subscriber `json:"subscribers,omitempty"`
	// GroupJoinS is the time consumer groups took to join before measuring
	// started (event transport); it is kept out of latency and throughput.
	GroupJoinS float64 `json:"group_join_s,omitempty"`
	// Faults were injected during the run; Resilience splits its figures
	// by their window. Both are absent from runs without faults.
	Faults     []Fault     `json:"faults,omitempty"`
	Resilience *Resilience `json:"resilience,omitempty"`
	// Search is set when the run searched for the highest sustainable
	// rate (run --find-max): every step, and the rate found.
	Search *Search `json:"search,omitempty"`
	// Retries is the callers' retry policy and what it did (--retries);
	// absent from runs without retries.
	Retries *Retries `json:"retries,omitempty"`
	// Resources is what the commsbench process itself used during the run.
	Resources *Resources `json:"resources,omitempty"`
	// Notes are plain sentences a reader must see beside the numbers
	// (for example that an embedded broker keeps everything in memory).
	Notes []string `json:"notes,omitempty"`
}

// Shard says which part of a load a result measured.
type Shard struct {
	// Index counts from 0 to Count-1; a merged result of a whole run has
	// Count set and Index 0 with Merged true.
	Index int `json:"index"`
	Count int `json:"count"`
	// StartAt is the wall-clock instant this part's warm-up started, the
	// origin of its schedule; its measured period began WarmupS later.
	StartAt time.Time `json:"start_at"`
	// Merged says the result holds the merged shards, not one of them.
	Merged bool `json:"merged,omitempty"`
}

// Tool identifies the program that wrote the result.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
}

// Load is what was asked of the load generator.
type Load struct {
	Mode string `json:"mode"`
	// Rate is the requested operations per second (open loop); 0 in closed loop.
	Rate float64 `json:"rate"`
	// Concurrency is the number of workers (closed loop) or the bound on
	// operations in flight (open loop).
	Concurrency  int     `json:"concurrency"`
	Connections  int     `json:"connections,omitempty"`
	PayloadBytes int     `json:"payload_bytes"`
	WarmupS      float64 `json:"warmup_s"`
	// DurationS is the requested measured period (0 when Requests bounds the run).
	DurationS float64 `json:"duration_s,omitempty"`
	// Requests is the requested number of measured operations (0 when the duration bounds the run).
	Requests int64   `json:"requests"`
	TimeoutS float64 `json:"timeout_s,omitempty"`
}

// Target says what stood on the far side.
type Target struct {
	Kind          string `json:"kind"`
	Address       string `json:"address,omitempty"`
	Broker        string `json:"broker,omitempty"`
	BrokerVersion string `json:"broker_version,omitempty"`
	Image         string `json:"image,omitempty"`
	// Process says where an embedded target or broker ran: ProcessChild or
	// ProcessShared. It is empty for other targets, and in files written
	// before it was recorded, where an embedded one ran in-process.
	Process string `json:"process,omitempty"`
}

// SharesProcess says whether the target ran inside the load generator's
// process: an embedded one not started in a process of its own.
func (t Target) SharesProcess() bool {
	return t.Kind == TargetEmbedded && t.Process != ProcessChild
}

// Env describes the machine and runtime that generated the load.
type Env struct {
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUModel   string `json:"cpu_model,omitempty"`
	Hostname   string `json:"hostname,omitempty"`
}

// Counts are operation counts of the measured period. Brokered transports
// add the delivery accounting in Delivery.
type Counts struct {
	Sent   int64 `json:"sent"`
	OK     int64 `json:"ok"`
	Errors int64 `json:"errors"`
	// Unsent operations (open loop) were due before the planned end but not
	// sent by then: the target, or the machine, did not keep up.
	Unsent int64 `json:"unsent,omitempty"`
	*Delivery
}

// Delivery is the exact message accounting of a brokered run: every message
// carries a producer id and a sequence number, so each is known.
type Delivery struct {
	// Confirmed messages were acknowledged by the broker (AMQP publisher confirm).
	Confirmed int64 `json:"confirmed"`
	// Acked messages were acknowledged by the Kafka broker (event transport).
	Acked    int64 `json:"acked,omitempty"`
	Nacked   int64 `json:"nacked"`
	Returned int64 `json:"returned"`
	// Received counts distinct messages received (each group counts for event).
	Received int64 `json:"received"`
	// Duplicates are messages received again without the redelivered flag.
	Duplicates int64 `json:"duplicates"`
	// Redelivered are messages the broker delivered again after a requeue.
	Redelivered int64 `json:"redelivered"`
	// Lost messages were confirmed but never received by the end of the
	// drain. When Unread is present they exclude the messages still queued
	// (or not yet read) then; when it is absent, as in files written before
	// unread was counted, lost may include them.
	Lost int64 `json:"lost"`
	// Unread messages were still in the queue, or not yet read from the
	// stream, at the drain timeout: late, not lost. Absent when the
	// transport did not count them.
	Unread *int64 `json:"unread,omitempty"`
	// Outstanding messages were sent, neither confirmed nor received.
	Outstanding int64 `json:"outstanding"`
	OutOfOrder  int64 `json:"out_of_order"`
	// Invalid messages were received but refused by the consumer as
	// malformed or invalid (typed encodings): rejected without requeue,
	// dead-lettered where the queue has a dead-letter exchange.
	Invalid int64 `json:"invalid,omitempty"`
	// Uncorrelated outputs came back from a service under test (a
	// pipeline run) without a correlation header that reads as one of
	// the run's messages: missing, malformed or not made by commsbench.
	Uncorrelated int64 `json:"uncorrelated,omitempty"`
}

// Unreachable is what the run saw of a target it could not reach.
type Unreachable struct {
	// FailedAttempts are the measured operations that failed without
	// reaching the target; FailedPerS is their rate over the measured period.
	FailedAttempts int64   `json:"failed_attempts"`
	FailedPerS     float64 `json:"failed_per_s"`
	// BackoffMaxS is set when closed-loop workers backed off after such a
	// failure (doubling from BackoffMinS up to BackoffMaxS, reset by a
	// success), so the failed attempts are bounded, not a measure of how
	// fast this machine's kernel refuses.
	BackoffMinS float64 `json:"backoff_min_s,omitempty"`
	BackoffMaxS float64 `json:"backoff_max_s,omitempty"`
	// Windows are the periods, from the start of measurement, when more
	// operations failed unreached than succeeded.
	Windows []Window `json:"windows,omitempty"`
}

// Window is a period of the measurement, in seconds from its start.
type Window struct {
	FromS float64 `json:"from_s"`
	ToS   float64 `json:"to_s"`
}

// Throughput is the achieved rate of the measured period.
type Throughput struct {
	RequestedOpsPerS float64 `json:"requested_ops_per_s"`
	OpsPerS          float64 `json:"ops_per_s"`
	BytesPerS        float64 `json:"bytes_per_s"`
	// Published and consumed rates of brokered transports.
	PublishedPerS     float64 `json:"published_per_s,omitempty"`
	ConsumedPerS      float64 `json:"consumed_per_s,omitempty"`
	ConsumedBytesPerS float64 `json:"consumed_bytes_per_s,omitempty"`
}

// TimelinePoint is one second of the measured period. P50NS and P99NS
// are absent for a second in which no operation finished: they do not
// exist then, and are not 0.
type TimelinePoint struct {
	TS     float64 `json:"t_s"`
	Ops    int64   `json:"ops"`
	Errors int64   `json:"errors"`
	P50NS  int64   `json:"p50_ns,omitempty"`
	P99NS  int64   `json:"p99_ns,omitempty"`
	// ErrorClasses splits Errors by class (absent in files written before
	// it was recorded, and in seconds without errors).
	ErrorClasses map[string]int64 `json:"error_classes,omitempty"`
	// Backlog is the most messages waiting (sent, not yet received) seen
	// in the second, when the run measured it (runs with faults, brokers).
	Backlog *int64 `json:"backlog,omitempty"`
}

// Subscriber is one consumer group of an event run.
type Subscriber struct {
	Group    string `json:"group"`
	Members  int    `json:"members,omitempty"`
	Received int64  `json:"received"`
	// Lost and Unread split the acked events the group did not receive as
	// Delivery's do: Unread were still to be read (within LagAtEnd) at the
	// drain timeout; absent in files written before they were counted.
	Lost         int64    `json:"lost"`
	Unread       *int64   `json:"unread,omitempty"`
	Duplicates   int64    `json:"duplicates"`
	OutOfOrder   int64    `json:"out_of_order"`
	EndToEnd     *Latency `json:"end_to_end,omitempty"`
	LagAtEnd     int64    `json:"lag_at_end"`
	ConsumedPerS float64  `json:"consumed_per_s,omitempty"`
	// Invalid events failed the group's decoding and validation (typed
	// encodings); they are counted in Received too.
	Invalid int64 `json:"invalid,omitempty"`
}

// Resources is the CPU time and memory the commsbench process used.
type Resources struct {
	CPUUserS   float64 `json:"cpu_user_s"`
	CPUSystemS float64 `json:"cpu_system_s"`
	// CPUPerOpUS is process CPU time divided by operations, in microseconds.
	CPUPerOpUS  float64 `json:"cpu_per_op_us,omitempty"`
	MaxRSSBytes int64   `json:"max_rss_bytes,omitempty"`
	// The peer is the process on this machine listening on the target's
	// address: the broker of a brokered run, the receiver of a call. Its CPU
	// time over the measured period is PeerCPUS (per operation
	// PeerCPUPerOpUS). Absent in files written before they were measured,
	// and when PeerNote says why not ("in this process": an embedded
	// target, already in the figures above; "not measured: …": a remote
	// host, or not Linux).
	PeerProcess    string   `json:"peer_process,omitempty"`
	PeerCPUS       *float64 `json:"peer_cpu_s,omitempty"`
	PeerCPUPerOpUS *float64 `json:"peer_cpu_per_op_us,omitempty"`
	PeerNote       string   `json:"peer_note,omitempty"`
	// ClientCodecPerOpUS is the client's time encoding each request and
	// decoding its reply, in microseconds per measured operation, read
	// around those calls (runs with a typed --encoding only). It is part
	// of CPUPerOpUS and of the response latency.
	ClientCodecPerOpUS float64 `json:"client_codec_per_op_us,omitempty"`
}

// SetClientCodecPerOpUS records the client's encode and decode time per
// operation.
func (r *Result) SetClientCodecPerOpUS(us float64) {
	if r.Resources == nil {
		r.Resources = &Resources{}
	}
	r.Resources.ClientCodecPerOpUS = us
}

// MainLatency names the latency that best answers "how long did the
// exchange take" for this result: end_to_end for one-way messaging,
// response otherwise.
func (r *Result) MainLatency() string {
	if _, ok := r.Latency[Response]; ok {
		return Response
	}
	if _, ok := r.Latency[EndToEnd]; ok {
		return EndToEnd
	}
	if _, ok := r.Latency[Publish]; ok {
		return Publish
	}
	return Response
}

// ErrorRate is errors / sent, 0 when nothing was sent. Operations that
// were due but never sent are not in it: FailedRate counts them.
func (r *Result) ErrorRate() float64 {
	if r.Counts.Sent == 0 {
		return 0
	}
	return float64(r.Counts.Errors) / float64(r.Counts.Sent)
}

// Asked is the number of measured operations that were due: those sent and
// those never sent (open loop).
func (r *Result) Asked() int64 { return r.Counts.Sent + r.Counts.Unsent }

// FailedRate is the share of the asked operations that did not succeed:
// (errors + unsent) / (sent + unsent), 0 when nothing was asked. Where the
// error rate says how the target answered what it was sent, the failed
// rate says how much of the asked load went unserved.
func (r *Result) FailedRate() float64 {
	if r.Asked() == 0 {
		return 0
	}
	return float64(r.Counts.Errors+r.Counts.Unsent) / float64(r.Asked())
}

// KeptUpShare is the share of the asked operations that were sent, 1 when
// nothing was asked.
func (r *Result) KeptUpShare() float64 {
	if r.Asked() == 0 {
		return 1
	}
	return float64(r.Counts.Sent) / float64(r.Asked())
}

// Measured says whether the run measured at least one operation. A run
// that did not has no latency, error rate or throughput to report, only
// zeros that would read as figures.
func (r *Result) Measured() bool { return r.Counts.Sent > 0 }

// NothingMeasured says why the run measured nothing, as a sentence for the
// user; it is nil when the run measured something.
func (r *Result) NothingMeasured() error {
	if r.Measured() {
		return nil
	}
	period := fmt.Sprintf("the %gs measured period", round3(r.DurationS))
	switch {
	case r.Counts.Unsent > 0:
		return fmt.Errorf("nothing was measured: %d operations were due in %s but none was sent; the target (or this machine) did not keep up at all: lower the rate or check the target", r.Counts.Unsent, period)
	case r.Load.Mode == OpenLoop && r.Load.Rate*r.DurationS < 1:
		return fmt.Errorf("nothing was measured: at %g ops/s %s schedules no operation; ask for a higher rate or a longer duration", r.Load.Rate, period)
	}
	return fmt.Errorf("nothing was measured: no operation was sent in %s; ask for a longer duration or more operations", period)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
