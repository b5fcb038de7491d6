package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/transport"
)

// This file runs a run's embedded target or broker in a process of its
// own: "commsbench serve NAME …", this program started again, so that the
// load generator and the target do not share one Go runtime (scheduler,
// garbage collector) and their CPU is measured apart. The run waits for
// the address line the target prints first, points the workload at it,
// and stops the process when it ends, when it is interrupted, and — on
// Linux — when this process dies.

// Bounds on a served target's start and stop. A Go program starts in tens
// of milliseconds; a loaded machine can make that seconds.
const (
	serveStartTimeout = 15 * time.Second
	// serveStopTimeout leaves 'serve' its five seconds of graceful
	// shutdown before it is killed.
	serveStopTimeout = 6 * time.Second
	// stderrTail is how much of the process's last words an error quotes.
	stderrTail = 2 << 10
)

// ServeCommand makes the command that runs this program with args
// ("serve NAME …") in a process of its own.
type ServeCommand func(args []string) (*exec.Cmd, error)

// selfServeCommand is the ServeCommand of the real process: this program,
// started again under the name it was started with (which a test binary
// standing in for commsbench dispatches on).
func selfServeCommand(argv0 string) ServeCommand {
	return func(args []string) (*exec.Cmd, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cannot find this program to start the target in a process of its own (%w); run with --in-process", err)
		}
		return &exec.Cmd{Path: exe, Args: append([]string{argv0}, args...), Env: os.Environ()}, nil
	}
}

// servedTarget is a run's target or broker running in a process of its
// own.
type servedTarget struct {
	cmd    *exec.Cmd
	addr   string
	stderr *tailWriter
	// exited is closed when the process has ended; waitErr says how.
	exited  chan struct{}
	waitErr error
	// stopping is set once the run asked it to stop: an end after that
	// is expected.
	mu       sync.Mutex
	stopping bool
}

// placement decides where req's embedded target or broker runs and, for a
// process of its own, starts it. It returns the process (nil when the
// run embeds nothing or keeps it in this process) and, when the run keeps
// it in this process although it could have run apart, why.
func (req *runRequest) placement(ctx context.Context, f *Factory) (*servedTarget, string, error) {
	sep, ok := req.Config.(transport.Separable)
	if !ok {
		return nil, "", nil
	}
	args, why := sep.ServeArgs(req.Run)
	switch {
	case why != "":
		return nil, why, nil
	case args == nil, req.InProcess, f.ServeCommand == nil:
		return nil, "", nil
	}
	cmd, err := f.ServeCommand(append([]string{"serve", req.Transport.Name}, args...))
	if err != nil {
		return nil, "", err
	}
	if req.Transport.SmallHeap && f.Getenv("GOGC") == "" {
		// The target runs with the garbage collector setting it had in
		// this process (see lessGC).
		cmd.Env = append(cmd.Env, "GOGC="+strconv.Itoa(runGCPercent))
	}
	s, err := startServed(ctx, cmd, serveStartTimeout)
	if err != nil {
		return nil, "", fmt.Errorf("%s: start the embedded target in a process of its own: %w", req.Transport.Name, err)
	}
	return s, "", nil
}

// startServed starts cmd and waits, at most timeout, for the address on
// the first line it prints. The process is started from a locked OS
// thread that lives as long as it does: on Linux the kernel kills it when
// that thread ends, which is when this process dies (Pdeathsig).
func startServed(ctx context.Context, cmd *exec.Cmd, timeout time.Duration) (*servedTarget, error) {
	s := &servedTarget{cmd: cmd, stderr: &tailWriter{max: stderrTail}, exited: make(chan struct{})}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, s.stderr
	cmd.SysProcAttr = childProcAttr()
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	err = <-started
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	// The first line is the address; the rest is read and dropped, so
	// that the process never blocks on a full pipe.
	first := make(chan string, 1)
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		line, err := br.ReadString('\n')
		if err == nil || line != "" {
			first <- line
		}
		close(first)
		_, _ = io.Copy(io.Discard, br)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	fail := func(err error) (*servedTarget, error) {
		s.kill()
		return nil, err
	}
	select {
	case line, ok := <-first:
		if !ok {
			select {
			case <-s.exited:
				return nil, fmt.Errorf("it ended before printing its address (%s)%s", exitText(s.waitErr), s.lastWords())
			case <-timer.C:
				return fail(fmt.Errorf("it closed its output without printing its address%s", s.lastWords()))
			}
		}
		addr, ok := transport.ServedAddress(line)
		if !ok {
			return fail(fmt.Errorf("its first line %q names no address%s", strings.TrimSpace(line), s.lastWords()))
		}
		s.addr = addr
		return s, nil
	case <-timer.C:
		return fail(fmt.Errorf("it printed no address within %v%s", timeout, s.lastWords()))
	case <-ctx.Done():
		return fail(context.Cause(ctx))
	}
}

// pid is the process's id, for messages.
func (s *servedTarget) pid() int { return s.cmd.Process.Pid }

// kill ends the process at once and waits for it.
func (s *servedTarget) kill() {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// stop asks the process to stop (as Ctrl-C would) and waits for it,
// killing it if it takes longer than serveStopTimeout. It is safe on nil.
func (s *servedTarget) stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	select {
	case <-s.exited:
		return
	default:
	}
	interruptChild(s.cmd.Process)
	select {
	case <-s.exited:
	case <-time.After(serveStopTimeout):
		s.kill()
	}
}

// lost says, when the process ended before the run asked it to, how.
func (s *servedTarget) lost() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	select {
	case <-s.exited:
		if !stopping {
			return fmt.Errorf("the embedded target's process (pid %d) ended during the run (%s)%s", s.pid(), exitText(s.waitErr), s.lastWords())
		}
	default:
	}
	return nil
}

// lastWords is the tail of what the process wrote on stderr, for an error.
func (s *servedTarget) lastWords() string {
	t := strings.TrimSpace(s.stderr.String())
	if t == "" {
		return "; it wrote nothing on stderr"
	}
	return "; its last words on stderr:\n" + t
}

// exitText says how a process ended.
func exitText(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &ee):
		return ee.ProcessState.String()
	}
	return err.Error()
}

// markPlacement records in res where the embedded target ran: in its own
// process, or in this one (and why, when it could have run apart).
func markPlacement(res *results.Result, s *servedTarget, why string) {
	if s != nil {
		// The workload saw an address to reach, as it would an external
		// target's; the run started it.
		res.Target.Kind = results.TargetEmbedded
		res.Target.Process = results.ProcessChild
		return
	}
	if res.Target.Kind != results.TargetEmbedded {
		return
	}
	res.Target.Process = results.ProcessShared
	if why != "" {
		res.Notes = append(res.Notes, "the embedded target ran inside the load generator's process: "+why)
	}
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
