package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
)

// testFactory returns a Factory writing to buffers, with a clean environment.
func testFactory(args ...string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Factory{
		IO:      IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv:  func(string) string { return "" },
		Now:     time.Now,
		Args:    append([]string{"commsbench"}, args...),
		Version: "test",
	}, &out, &errOut
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestBadInput(t *testing.T) {
	dead := closedPort(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string // must appear in stderr
	}{
		{"no command", []string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{"run without transport", []string{"run"}, ExitUsage, "name a transport"},
		{"unknown transport", []string{"run", "carrier-pigeon"}, ExitUsage, `unknown transport "carrier-pigeon": choose rest, grpc, queue, event or nats`},
		{"unknown flag", []string{"run", "rest", "--rtae", "5"}, ExitUsage, "unknown flag: --rtae"},
		{"rate is not a number", []string{"run", "rest", "--rate", "fast"}, ExitUsage, `--rate "fast": not a number`},
		{"negative rate", []string{"run", "rest", "--rate", "-5"}, ExitUsage, "--rate -5: must be a positive number"},
		{"zero duration", []string{"run", "rest", "--duration", "0s"}, ExitUsage, "--duration 0s: must be positive"},
		{"negative duration", []string{"run", "rest", "--duration", "-1s"}, ExitUsage, "must be positive"},
		{"duration without unit", []string{"run", "rest", "--duration", "10"}, ExitUsage, `--duration "10": not a duration with its unit`},
		{"zero requests", []string{"run", "rest", "--requests", "0"}, ExitUsage, "--requests 0: must be a positive number"},
		{"requests not a number", []string{"run", "rest", "--requests", "lots"}, ExitUsage, `--requests "lots": not a whole number`},
		{"zero concurrency", []string{"run", "rest", "--concurrency", "0"}, ExitUsage, "--concurrency 0: must be at least 1"},
		{"payload over 16 MiB", []string{"run", "rest", "--payload-size", "17MiB"}, ExitUsage, "--payload-size 17825792: at most 16MiB"},
		{"payload not a size", []string{"run", "rest", "--payload-size", "big"}, ExitUsage, `"big" is not a size in bytes`},
		{"negative warm-up", []string{"run", "rest", "--warmup", "-1s"}, ExitUsage, "--warmup -1s: must not be negative"},
		{"zero timeout", []string{"run", "rest", "--timeout", "0s"}, ExitUsage, "--timeout 0s: must be positive"},
		{"unknown format", []string{"run", "rest", "--format", "yaml"}, ExitUsage, `--format "yaml": choose text, json or markdown`},
		{"extra argument", []string{"run", "rest", "extra"}, ExitUsage, `unknown command "extra"`},
		{"unreachable target", []string{"run", "rest", "--target", dead, "--duration", "1s"}, ExitFailure, "cannot reach the target at http://" + dead + "/echo"},
		{"target is not an address", []string{"run", "rest", "--target", "https://x:1"}, ExitUsage, "only http:// targets are supported"},
		{"profile in a missing directory", []string{"run", "rest", "--requests", "1", "--cpuprofile", "/nonexistent/dir/cpu.prof"}, ExitFailure, "--cpuprofile: cannot write /nonexistent/dir/cpu.prof"},
		{"fault that does not parse", []string{"run", "rest", "--fault", "down@5s"}, ExitUsage, "write a fault as KIND@START+DURATION"},
		{"fault of an unknown kind", []string{"run", "rest", "--fault", "crash@1s+1s"}, ExitUsage, `no kind "crash"`},
		{"fault a transport cannot apply", []string{"run", "event", "--fault", "broker-restart@1s+1s"}, ExitUsage, "the event transport cannot apply a broker-restart fault (asked for broker-restart@1s+1s); it takes down, slow, network, broker-down"},
		{"broker fault of a target", []string{"run", "rest", "--fault", "broker-down@1s+1s"}, ExitUsage, "the rest transport cannot apply a broker-down fault (asked for broker-down@1s+1s); it takes down, slow, network"},
		{"broker fault with rpc", []string{"run", "queue", "--mode", "rpc", "--fault", "broker-down@1s+1s"}, ExitUsage, "needs --mode oneway with --confirm"},
		{"broker fault without confirms", []string{"run", "queue", "--confirm=false", "--fault", "network@1s+1s,reset=10ms"}, ExitUsage, "needs --mode oneway with --confirm"},
		{"restart of a remote broker", []string{"run", "queue", "--amqp-url", "amqp://u:secret@10.0.0.1:5672/", "--fault", "broker-restart@1s+1s"}, ExitUsage, "rabbitmqctl restarts a broker on this machine"},
		{"broker fault of a cluster", []string{"run", "event", "--brokers", "127.0.0.1:1", "--fault", "broker-down@1s+1s"}, ExitUsage, "apply to the embedded broker"},
		{"network fault with no parameter", []string{"run", "queue", "--fault", "network@1s+1s"}, ExitUsage, "network needs latency=D, jitter=D, bandwidth=KB/s or reset=D"},
		{"fault against an external target", []string{"run", "rest", "--target", "127.0.0.1:1", "--fault", "down@1s+1s"}, ExitUsage, "faults apply to the embedded target"},
		{"fault past the end", []string{"run", "rest", "--duration", "5s", "--fault", "down@4s+2s"}, ExitUsage, "after the measured period"},
		{"fault nats cannot apply", []string{"run", "nats", "--fault", "broker-restart@1s+1s"}, ExitUsage, "the nats transport cannot apply a broker-restart fault (asked for broker-restart@1s+1s); it takes down, slow, network, broker-down"},
		{"nats down without receivers", []string{"run", "nats", "--consumers", "0", "--fault", "down@1s+1s"}, ExitUsage, "give --consumers (or --subscribers) 1 or more"},
		{"fault without a clock", []string{"run", "rest", "--requests", "10", "--fault", "down@1s+1s"}, ExitUsage, "give --duration"},
		{"serve without transport", []string{"serve"}, ExitUsage, "name a transport"},
		{"serve on a bad address", []string{"serve", "rest", "--addr", "127.0.0.1:99999"}, ExitFailure, "rest: listen on 127.0.0.1:99999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(tt.args...)
			start := time.Now()
			code := Main(context.Background(), f)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr %q does not say %q", errOut.String(), tt.msg)
			}
			if lines := strings.Count(strings.TrimSpace(errOut.String()), "\n") + 1; lines > 2 {
				t.Errorf("stderr has %d lines; a usage error is one line and a hint:\n%s", lines, errOut)
			}
			if strings.Contains(errOut.String(), "panic") || strings.Contains(out.String(), "panic") {
				t.Errorf("panic in output")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v: a bad input must fail fast", d)
			}
		})
	}
}

func TestInterruptedRunExits130AndWritesThePartialResult(t *testing.T) {
	out := filepath.Join(t.TempDir(), "partial.json")
	f, stdout, stderr := testFactory("run", "rest", "--rate", "500", "--duration", "1m", "--warmup", "0", "--out", out)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	if code := Main(ctx, f); code != ExitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr: %s", code, ExitInterrupted, stderr)
	}
	res, err := results.ReadFile(out)
	if err != nil {
		t.Fatalf("the partial result must be written: %v", err)
	}
	if !res.Partial || res.Counts.OK < 200 {
		t.Errorf("partial=%v ok=%d; want a partial result with what was measured", res.Partial, res.Counts.OK)
	}
	if !strings.Contains(stdout.String(), "PARTIAL") {
		t.Errorf("the summary must say the result is partial:\n%s", stdout)
	}
}

func TestEveryOperationFailingIsARunFailure(t *testing.T) {
	// A REST target that echoes on the pre-flight request and fails after.
	srv := newFlakyEcho(t)
	out := filepath.Join(t.TempDir(), "r.json")
	f, _, stderr := testFactory("run", "rest", "--target", srv, "--requests", "20", "--rate", "0", "--concurrency", "1", "--warmup", "0", "--out", out)
	if code := Main(context.Background(), f); code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	if !strings.Contains(stderr.String(), "every operation failed (http_500 20)") {
		t.Errorf("stderr: %s", stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the result must still be written: %v", err)
	}
}

func TestProgressLineOnlyOnATerminal(t *testing.T) {
	for _, tty := range []bool{false, true} {
		f, _, stderr := testFactory("run", "rest", "--rate", "200", "--duration", "1500ms", "--warmup", "0")
		f.IO.ErrTTY = tty
		if code := Main(context.Background(), f); code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		drawn := strings.Contains(stderr.String(), "\r\033[K")
		switch {
		case tty && (!drawn || !strings.Contains(stderr.String(), "ops/s") || !strings.HasSuffix(stderr.String(), "\r\033[K")):
			t.Errorf("on a terminal: want a live line, cleared at the end; stderr %q", stderr)
		case !tty && stderr.Len() > 0:
			t.Errorf("not a terminal: stderr must stay empty, got %q", stderr)
		}
	}
}

func TestLessGCOnlyForSmallHeapsAndNeverOverTheUsersGOGC(t *testing.T) {
	tests := []struct {
		name  string
		gogc  string
		small bool
		want  int
	}{
		{"REST or gRPC: raised", "", true, runGCPercent},
		{"the user's GOGC wins", "100", true, 100},
		{"brokered transports keep the default", "", false, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := debug.SetGCPercent(100)
			defer debug.SetGCPercent(old)
			f, _, _ := testFactory()
			f.Getenv = func(k string) string {
				if k == "GOGC" {
					return tt.gogc
				}
				return ""
			}
			restore := lessGC(f, tt.small)
			got := debug.SetGCPercent(100) // reads the value in force
			debug.SetGCPercent(got)
			restore()
			if got != tt.want {
				t.Errorf("GOGC during the run = %d, want %d", got, tt.want)
			}
			if after := debug.SetGCPercent(100); after != 100 {
				t.Errorf("GOGC after the run = %d, want it restored to 100", after)
			}
		})
	}
}
