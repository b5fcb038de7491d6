// Package transport is the seam between the commands and the transports.
//
// Each transport package exports one Transport value that says everything
// the commands need to know about it: its name and help, its typed
// settings and the names under which flags and scenario keys fill them,
// how to make its workload and its standalone target, how to tell whether
// its broker answers, and how a report names its mechanism. The list of
// transports lives in package registry, in one slice literal; commands,
// help, scenario validation, suite skipping and report labels are all
// derived from it, so that adding a transport is a new package and one
// line there.
//
// A transport never sees a flag: its settings are fields of its own Config,
// bound to names by Options. The command line turns those into flags and a
// scenario's options into calls of the same Set methods.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
)

// Transport describes one transport.
type Transport struct {
	// Name is the command name (run NAME, serve NAME), the result's
	// transport and what a scenario's transport: key says.
	Name string
	// Run is the help of "run NAME".
	Run Help
	// NewConfig returns the settings of a run, with their defaults.
	NewConfig func() Config
	// Shared adjusts the flags every transport's run shares: which apply
	// and what they mean here.
	Shared Shared
	// Serve, if set, is "serve NAME": a standalone target.
	Serve *Serve
	// Container names the broker image kind that --containers starts for
	// this transport ("rabbitmq", "kafka"), or "" when it has none.
	Container string
	// Faults are the kinds of fault the transport's workload can inject
	// (its workload is a bench.Injector); a run asking for another kind is
	// refused before it starts, naming these.
	Faults []fault.Kind
	// Retries says the transport's callers may retry a failed operation
	// (--retries): its workload is a bench.Retrier, which says which
	// failures a retry is safe for.
	Retries bool
	// SmallHeap says the run holds little memory (no embedded broker
	// keeping messages), so the garbage collector may run less often.
	SmallHeap bool
	// Describe names the mechanism of one of this transport's results for
	// the report. It reads only the result, so it works for files written
	// by earlier versions.
	Describe func(r *results.Result) Mechanism
}

// Help is a command's help text.
type Help struct {
	Short, Long, Example string
}

// Shared says how the run flags every transport shares apply to one.
type Shared struct {
	// Hidden lists shared flags that do not apply (such as "target" for a
	// brokered transport); a value given anyway is refused by Resolve.
	Hidden []string
	// Usage replaces the help of shared flags whose meaning differs here.
	Usage map[string]string
}

// Kinds of interaction, as the report groups mechanisms.
const (
	// Sync: the caller waits for the response.
	Sync = "sync"
	// RPC: the caller waits for a reply that travels through a broker.
	RPC = "rpc"
	// Oneway: the caller waits for the broker's confirm; a consumer
	// receives the message later.
	Oneway = "oneway"
	// Event: the caller waits for the broker's acknowledgement; every
	// subscribing group receives the event later.
	Event = "event"
)

// Mechanism is how a report names one result's transport and mode.
type Mechanism struct {
	// Name is short, for a table cell: "REST (h2c)", "queue · rpc".
	Name string
	// Prose reads in a sentence: "the queue (rpc)", "the event stream".
	Prose string
	// Kind is Sync, RPC, Oneway or Event.
	Kind string
}

// Config is one transport's settings for a run.
type Config interface {
	// Options binds the settings to names: flags on the command line, keys
	// under options: in a scenario. Each call returns values bound to this
	// config's fields.
	Options() []Option
	// Resolve checks the settings against the shared run settings and the
	// environment, and fills what depends on them. Its errors are the
	// user's to fix: they name the option and what to give instead.
	Resolve(env Env, run *Run) error
	// Record returns the settings of the run as stored in the result's
	// options (with names the run made, such as its queue's).
	Record(run Run) map[string]any
	// Workload makes a fresh workload for one run.
	Workload(run Run) (bench.Workload, error)
}

// Prober is a Config whose far side is a broker that may not be there:
// the suite asks it before running, to skip with a reason instead of
// failing. It only dials.
type Prober interface {
	// Probe returns why the broker cannot be reached and what to do about
	// it, or two empty strings when it answers (or starts embedded).
	Probe(ctx context.Context, env Env) (reason, fix string)
}

// Containerized is a Config that can use a broker started in a container
// (--containers): UseBroker points it at that broker's address, an AMQP
// URL or a Kafka bootstrap list.
type Containerized interface {
	UseBroker(addr string)
	// BrokerOption names the option that picks a broker, which
	// --containers replaces ("amqp-url", "brokers").
	BrokerOption() string
}

// Run is what a transport's workload needs of the shared run settings.
type Run struct {
	// ID names the run: usable in queue and topic names.
	ID string
	// Target is --target: a running echo target, or "" for an embedded one.
	Target string
	// OpenLoop says whether operations come at a rate (else closed loop).
	OpenLoop bool
	// Rate is the asked rate (0 in closed loop); Concurrency the workers,
	// or the most operations in flight.
	Rate        float64
	Concurrency int
	// ConcurrencyGiven says the user set Concurrency; otherwise Resolve may
	// choose it (a queue's producers × in-flight messages, say).
	ConcurrencyGiven bool
	// Connections is --connections, 0 for the transport's default; Resolve
	// sets it to the number the run uses, for the record.
	Connections int
	// PayloadBytes is the payload size; Payload, if set, is sent as it is
	// instead of random bytes.
	PayloadBytes int
	Payload      []byte
	// Faults are injected during the measured period; the transport's
	// descriptor says which kinds it takes, and Resolve may refuse them
	// (an external target cannot be taken down).
	Faults []fault.Fault
	// Abort, when set, ends the load at once (a broker connection broke).
	Abort func(error)
	// Warn prints a warning that does not stop the run.
	Warn func(string)
}

// Env is what a transport may read of the process's environment.
type Env struct {
	Getenv func(string) string
}

// Serve is a transport's standalone target, "serve NAME".
type Serve struct {
	Help      Help
	NewConfig func() ServeConfig
}

// ServeConfig is the settings of a standalone target.
type ServeConfig interface {
	Options() []Option
	// Serve starts the target, writes its address line (the first line,
	// which scripts wait for) and what else a user needs to out, and
	// serves until ctx is cancelled.
	Serve(ctx context.Context, env Env, out io.Writer) error
}

// Finisher is a workload that has more to say after the run than its
// result: an error (a broker lost mid-run) that should fail the command.
type Finisher interface {
	RunError() error
}

// UsageError is a mistake in the settings: the command exits 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef formats a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// IsUsage says whether err is a mistake in the settings.
func IsUsage(err error) bool {
	var ue *UsageError
	return errors.As(err, &ue)
}
