package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

// asProgramEnv makes this test binary commsbench itself (see TestMain):
// the served target's process of the tests below.
const asProgramEnv = "COMMSBENCH_CLI_TEST_AS_PROGRAM"

func TestMain(m *testing.M) {
	if os.Getenv(asProgramEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, System())
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// recordingServe is a ServeCommand that starts this test binary as
// commsbench and keeps the commands it made.
type recordingServe struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
}

func (r *recordingServe) command(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: exe, Args: append([]string{"commsbench"}, args...), Env: append(os.Environ(), asProgramEnv+"=1")}
	r.mu.Lock()
	r.cmds = append(r.cmds, cmd)
	r.mu.Unlock()
	return cmd, nil
}

// gone says whether the process pid has ended and been waited for.
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestServedTarget(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to stop the target with")
	}
	for _, tr := range []string{"rest", "grpc"} {
		t.Run(tr, func(t *testing.T) {
			rs := &recordingServe{}
			out := filepath.Join(t.TempDir(), "r.json")
			f, _, errOut := testFactory("run", tr, "--requests", "300", "--rate", "0", "--concurrency", "4", "--warmup", "0", "-q", "-o", out)
			f.ServeCommand = rs.command
			if code := Main(context.Background(), f); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if len(rs.cmds) != 1 {
				t.Fatalf("%d target processes started, want 1", len(rs.cmds))
			}
			pid := rs.cmds[0].Process.Pid
			if !gone(pid) {
				t.Errorf("the target's process %d is still there after the run", pid)
			}
			r, err := results.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if r.Target.Kind != results.TargetEmbedded || r.Target.Process != results.ProcessChild {
				t.Errorf("target = %+v, want embedded in a child process", r.Target)
			}
			if r.Counts.OK != 300 {
				t.Errorf("ok = %d, want 300", r.Counts.OK)
			}
			if runtime.GOOS == "linux" {
				if r.Resources == nil || r.Resources.PeerCPUPerOpUS == nil {
					t.Fatalf("the target's CPU was not measured: %+v", r.Resources)
				}
				if want := "(pid " + strconv.Itoa(pid) + ")"; !strings.Contains(r.Resources.PeerProcess, want) {
					t.Errorf("peer process %q, want the target's %s", r.Resources.PeerProcess, want)
				}
				c, _ := r.CPUCost()
				if c.Shared != "client" || c.Receiver == nil {
					t.Errorf("CPU split %+v: want the client and the receiver apart", c)
				}
			}
		})
	}
}

func TestServedTargetInProcess(t *testing.T) {
	rs := &recordingServe{}
	out := filepath.Join(t.TempDir(), "r.json")
	f, _, errOut := testFactory("run", "rest", "--requests", "50", "--rate", "0", "--warmup", "0", "--in-process", "-q", "-o", out)
	f.ServeCommand = rs.command
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if len(rs.cmds) != 0 {
		t.Errorf("--in-process started %d processes", len(rs.cmds))
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Target.Process != results.ProcessShared {
		t.Errorf("target.process = %q, want %q", r.Target.Process, results.ProcessShared)
	}
	if c, ok := r.CPUCost(); ok && c.Shared != "client+receiver" {
		t.Errorf("CPU split %q, want client+receiver in one process", c.Shared)
	}
}

func TestServedTargetStaysInProcessForFaults(t *testing.T) {
	rs := &recordingServe{}
	out := filepath.Join(t.TempDir(), "r.json")
	f, _, errOut := testFactory("run", "rest", "--duration", "600ms", "--rate", "200", "--warmup", "0",
		"--fault", "slow@100ms+200ms,delay=1ms", "-q", "-o", out)
	f.ServeCommand = rs.command
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if len(rs.cmds) != 0 {
		t.Errorf("a run with faults started %d target processes", len(rs.cmds))
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Target.Process != results.ProcessShared || !strings.Contains(strings.Join(r.Notes, "\n"), "inside the load generator's process") {
		t.Errorf("target %+v, notes %q: want in-process and a note saying why", r.Target, r.Notes)
	}
}

func TestServedTargetInterrupted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to stop the target with")
	}
	rs := &recordingServe{}
	f, _, errOut := testFactory("run", "rest", "--duration", "1m", "--rate", "100", "--warmup", "0", "-q")
	f.ServeCommand = rs.command
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	if code := Main(ctx, f); code != ExitInterrupted {
		t.Fatalf("exit %d, want %d: %s", code, ExitInterrupted, errOut)
	}
	if len(rs.cmds) != 1 {
		t.Fatalf("%d target processes started, want 1", len(rs.cmds))
	}
	if pid := rs.cmds[0].Process.Pid; !gone(pid) {
		t.Errorf("the target's process %d is still there after the interrupt", pid)
	}
}

func TestServedTargetFailsToStart(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tests := []struct {
		name, script string
		timeout      time.Duration
		want         []string
	}{
		{"exits", "echo 'unknown flag: --frob' >&2; exit 2", 10 * time.Second,
			[]string{"ended before printing its address (exit status 2)", "unknown flag: --frob"}},
		{"silent", "echo starting >&2; exec sleep 30", 300 * time.Millisecond,
			[]string{"printed no address within 300ms", "starting"}},
		{"no address", "echo hello; exec sleep 30", 10 * time.Second,
			[]string{`its first line "hello" names no address`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(sh, "-c", tt.script)
			s, err := startServed(context.Background(), cmd, tt.timeout)
			if err == nil {
				s.stop()
				t.Fatal("started")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if cmd.Process != nil && !gone(cmd.Process.Pid) {
				t.Errorf("process %d left behind", cmd.Process.Pid)
			}
		})
	}
	t.Run("through run", func(t *testing.T) {
		f, _, errOut := testFactory("run", "rest", "--requests", "10", "--warmup", "0")
		f.ServeCommand = func([]string) (*exec.Cmd, error) {
			return exec.Command(sh, "-c", "echo 'cannot listen: address in use' >&2; exit 1"), nil
		}
		if code := Main(context.Background(), f); code != ExitFailure {
			t.Fatalf("exit %d, want %d", code, ExitFailure)
		}
		for _, w := range []string{"rest: start the embedded target in a process of its own", "cannot listen: address in use"} {
			if !strings.Contains(errOut.String(), w) {
				t.Errorf("stderr %q does not say %q", errOut, w)
			}
		}
	})
}

func TestServedTargetLostDuringRun(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil || runtime.GOOS == "windows" {
		t.Skip("no sh")
	}
	rs := &recordingServe{}
	dir := t.TempDir()
	f, _, errOut := testFactory("run", "rest", "--duration", "2s", "--rate", "200", "--warmup", "0", "--timeout", "500ms", "-q")
	f.ServeCommand = func(args []string) (*exec.Cmd, error) {
		real, err := rs.command(args)
		if err != nil {
			return nil, err
		}
		// The target, killed half a second after it printed its address.
		script := `"$0" "$@" >"$OUT" & p=$!; while [ ! -s "$OUT" ]; do sleep 0.05; done; cat "$OUT"; sleep 0.5; kill -9 $p; wait $p`
		cmd := exec.Command(sh, append([]string{"-c", script, real.Path}, real.Args[1:]...)...)
		cmd.Env = append(real.Env, "OUT="+filepath.Join(dir, "out"))
		return cmd, nil
	}
	if code := Main(context.Background(), f); code != ExitFailure {
		t.Fatalf("exit %d, want %d: %s", code, ExitFailure, errOut)
	}
	if !strings.Contains(errOut.String(), "ended during the run") {
		t.Errorf("stderr %q does not say the target's process ended", errOut)
	}
}

func TestTailWriter(t *testing.T) {
	w := &tailWriter{max: 8}
	for _, s := range []string{"abc", "defgh", "ijklmnop", "q"} {
		_, _ = w.Write([]byte(s))
	}
	if got := w.String(); got != "jklmnopq" {
		t.Errorf("tail %q, want jklmnopq", got)
	}
}
