package queue

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/transport"
)

// Faults of the broker, beside those of the consumers (faults.go):
//   - broker-down: every connection between the run and the broker is cut,
//     and new ones refused, for the window, through a network proxy in
//     front of the broker; the client recovers (recovery.go);
//   - network: latency, jitter, a bandwidth bound or resets on the path to
//     the broker, through the same proxy;
//   - broker-restart: a local RabbitMQ is stopped (rabbitmqctl stop_app)
//     for the window and started again (start_app). A durable queue keeps
//     its persistent messages; a transient one is gone, and what it held
//     with it: the run counts that as lost and says why.

// Faults are the kinds of fault a queue run takes.
func Faults() []fault.Kind {
	return append(transport.BrokerFaults(), fault.BrokerRestart)
}

// restartTimeout bounds each rabbitmqctl command.
const restartTimeout = time.Minute

// reconnects says whether a run's faults need the client to recover from a
// broker that went away.
func reconnects(fs []fault.Fault) bool {
	for _, f := range fs {
		if f.Kind == fault.BrokerDown || f.Kind == fault.BrokerRestart || (f.Kind == fault.Network && f.Reset > 0) {
			return true
		}
	}
	return false
}

// resolveFaults refuses broker faults the run cannot take.
func (c *runConfig) resolveFaults(run *transport.Run) error {
	fs := run.Faults
	if reconnects(fs) && (c.Mode != ModeOneway || !c.Confirm) {
		return transport.Usagef("--fault: a broker that goes away (broker-down, broker-restart, network with reset=) needs --mode oneway with --confirm: the client publishes again what the broker did not confirm, and only confirms say what that is")
	}
	if transport.Has(fs, fault.BrokerRestart) {
		if !loopbackBroker(c.broker.URL) {
			return transport.Usagef("--fault broker-restart: rabbitmqctl restarts a broker on this machine, and the run's broker is at %s; use broker-down, which cuts the connections instead", RedactURL(c.broker.URL))
		}
		path, err := exec.LookPath("rabbitmqctl")
		if err != nil {
			return transport.Usagef("--fault broker-restart needs rabbitmqctl on the PATH, to stop and start the local RabbitMQ; use broker-down, which cuts the connections instead")
		}
		c.rabbitmqctl = path
	}
	return nil
}

// injectBroker applies a broker fault.
func (w *Workload) injectBroker(ctx context.Context, f fault.Fault) (func() error, error) {
	r := w.rec
	switch {
	case f.Kind == fault.BrokerRestart && r != nil && r.ctl != "":
		return r.restart(ctx)
	case (f.Kind == fault.BrokerDown || f.Kind == fault.Network) && r != nil && r.proxy != nil:
		return r.proxy.InjectBroker(f)
	}
	return nil, fmt.Errorf("queue: the run was not set up for a %s fault", f.Kind)
}

// restart stops the broker's application; what it returns starts it again.
// Stopping may fail half way: the broker is then started again at once.
func (r *recovery) restart(ctx context.Context) (func() error, error) {
	r.down.Store(true)
	start := time.Now()
	err := r.ctlRun(ctx, "stop_app")
	r.mu.Lock()
	r.stopTook = time.Since(start)
	r.mu.Unlock()
	if err != nil {
		serr := r.startApp()
		return nil, fmt.Errorf("rabbitmqctl stop_app: %w (started again: %v)", err, serr)
	}
	return r.startApp, nil
}

// startApp starts the broker's application, once it was stopped.
func (r *recovery) startApp() error {
	if !r.down.Load() {
		return nil
	}
	start := time.Now()
	err := r.ctlRun(context.Background(), "start_app")
	r.mu.Lock()
	r.startTook = time.Since(start)
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("rabbitmqctl start_app: %w; start it by hand: rabbitmqctl start_app", err)
	}
	r.down.Store(false)
	return nil
}

func (r *recovery) ctlRun(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restartTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, r.ctl, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(lastLine(string(out))))
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// addFindings puts into r's resilience section what the broker's faults
// did: the recovery, and what a restart kept.
func (w *Workload) addFindings(r *results.Result, a accounting) {
	if r.Resilience == nil {
		return
	}
	r.Resilience.Findings = append(r.Resilience.Findings, w.brokerFindings()...)
	if w.rec == nil || w.rec.ctl == "" {
		return
	}
	cfg := w.cfg
	durable := cfg.Persistent || cfg.QueueType == QueueQuorum
	lost := a.Measured.Lost + a.Warmup.Lost
	var s string
	switch {
	case durable && cfg.Persistent:
		s = fmt.Sprintf("the broker restarted with a durable %s queue and persistent messages: %d confirmed message(s) lost", cfg.QueueType, lost)
	case durable:
		s = fmt.Sprintf("the broker restarted with a durable %s queue but transient messages: %d confirmed message(s) lost", cfg.QueueType, lost)
	default:
		s = fmt.Sprintf("the broker restarted with a transient queue (not durable, messages not persistent), which a restart drops with what it holds: %d confirmed message(s) lost; --persistent keeps them", lost)
	}
	w.rec.mu.Lock()
	s += fmt.Sprintf(" (rabbitmqctl stop_app took %.1fs and start_app %.1fs, which the window includes: the broker went away during the first and was back when the second returned)", w.rec.stopTook.Seconds(), w.rec.startTook.Seconds())
	w.rec.mu.Unlock()
	r.Resilience.Findings = append(r.Resilience.Findings, s)
}
