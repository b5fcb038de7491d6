// Package results holds the result file schema of commsbench: writing and
// reading result files, the summaries printed after a run, and the tables,
// comparisons and regression checks built from them.
//
// It is a leaf: it imports nothing else of commsbench, so any tool can read
// commsbench results by importing this package alone.
package results

import "time"

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
	// Partial is true when the run was interrupted before its planned end.
	Partial bool `json:"partial"`

	Load   Load   `json:"load"`
	Target Target `json:"target"`
	Env    Env    `json:"env"`
	// Options holds the transport's own settings as they were used
	// (for example prefetch, partitions, grpc_mode), for the record.
	Options map[string]any `json:"options,omitempty"`

	Counts     Counts              `json:"counts"`
	Errors     map[string]int64    `json:"errors"`
	Throughput Throughput          `json:"throughput"`
	Latency    map[string]*Latency `json:"latency"`
	Timeline   []TimelinePoint     `json:"timeline"`

	// Subscribers has one entry per consumer group (event transport).
	Subscribers []Subscriber `json:"subscribers,omitempty"`
	// GroupJoinS is the time consumer groups took to join before measuring
	// started (event transport); it is kept out of latency and throughput.
	GroupJoinS float64 `json:"group_join_s,omitempty"`
	// Faults were injected during the run; Resilience splits its figures
	// by their window. Both are absent from runs without faults.
	Faults     []Fault     `json:"faults,omitempty"`
	Resilience *Resilience `json:"resilience,omitempty"`
	// Resources is what the commsbench process itself used during the run.
	Resources *Resources `json:"resources,omitempty"`
	// Notes are plain sentences a reader must see beside the numbers
	// (for example that an embedded broker keeps everything in memory).
	Notes []string `json:"notes,omitempty"`
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
	// Lost messages were confirmed but never received by the end of the drain.
	Lost int64 `json:"lost"`
	// Outstanding messages were sent, neither confirmed nor received.
	Outstanding int64 `json:"outstanding"`
	OutOfOrder  int64 `json:"out_of_order"`
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

// TimelinePoint is one second of the measured period.
type TimelinePoint struct {
	TS     float64 `json:"t_s"`
	Ops    int64   `json:"ops"`
	Errors int64   `json:"errors"`
	P50NS  int64   `json:"p50_ns"`
	P99NS  int64   `json:"p99_ns"`
	// ErrorClasses splits Errors by class (absent in files written before
	// it was recorded, and in seconds without errors).
	ErrorClasses map[string]int64 `json:"error_classes,omitempty"`
	// Backlog is the most messages waiting (sent, not yet received) seen
	// in the second, when the run measured it (runs with faults, brokers).
	Backlog *int64 `json:"backlog,omitempty"`
}

// Subscriber is one consumer group of an event run.
type Subscriber struct {
	Group        string   `json:"group"`
	Members      int      `json:"members,omitempty"`
	Received     int64    `json:"received"`
	Lost         int64    `json:"lost"`
	Duplicates   int64    `json:"duplicates"`
	OutOfOrder   int64    `json:"out_of_order"`
	EndToEnd     *Latency `json:"end_to_end,omitempty"`
	LagAtEnd     int64    `json:"lag_at_end"`
	ConsumedPerS float64  `json:"consumed_per_s,omitempty"`
}

// Resources is the CPU time and memory the commsbench process used.
type Resources struct {
	CPUUserS   float64 `json:"cpu_user_s"`
	CPUSystemS float64 `json:"cpu_system_s"`
	// CPUPerOpUS is process CPU time divided by operations, in microseconds.
	CPUPerOpUS  float64 `json:"cpu_per_op_us,omitempty"`
	MaxRSSBytes int64   `json:"max_rss_bytes,omitempty"`
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

// ErrorRate is errors / sent, 0 when nothing was sent.
func (r *Result) ErrorRate() float64 {
	if r.Counts.Sent == 0 {
		return 0
	}
	return float64(r.Counts.Errors) / float64(r.Counts.Sent)
}
