package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	programs := map[string]func(){
		"commsbench": func() { os.Exit(run()) },
	}
	maps.Copy(programs, hostilePrograms())
	testscript.Main(m, programs)
}

// TestScripts runs the command-line acceptance tests in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Broker addresses and CI mode reach the scripts; nothing else
			// of the caller's environment does.
			for _, k := range []string{"COMMSBENCH_AMQP_URL", "COMMSBENCH_KAFKA_BROKERS", "CI", "DOCKER_HOST"} {
				if v, ok := os.LookupEnv(k); ok {
					env.Setenv(k, v)
				}
			}
			return nil
		},
		Cmds:      commands(),
		Condition: hostileCondition,
	})
}

func commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"bgserve":     cmdBgserve,
		"relay":       cmdRelay,
		"exits":       cmdExits,
		"ordersvc":    cmdOrdersvc,
		"resultcheck": cmdResultcheck,
		"sleep":       cmdSleep,
		"terminate":   cmdTerminate,
	}
	maps.Copy(cmds, hostileCommands())
	return cmds
}

var listenRE = regexp.MustCompile(`listening on (\S+)`)

// bgserve VAR transport [flags…] starts 'commsbench serve transport' on a
// free loopback port, waits for its "listening on ADDR" line, and sets VAR
// to ADDR. The server gets Ctrl-C (SIGINT) when the script ends and must
// exit cleanly.
func cmdBgserve(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: bgserve VAR transport [flags…]")
	}
	bin, err := exec.LookPath("commsbench")
	if err != nil {
		ts.Fatalf("commsbench not on PATH: %v", err)
	}
	cmdArgs := append([]string{"serve", args[1], "--addr", "127.0.0.1:0"}, args[2:]...)
	cmd := exec.Command(bin, cmdArgs...)
	cmd.Env = os.Environ()
	for _, kv := range []string{"PATH", "HOME", "TMPDIR"} {
		cmd.Env = append(cmd.Env, kv+"="+ts.Getenv(kv))
	}
	cmd.Dir = ts.Getenv("WORK")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		ts.Fatalf("start %v: %v", cmdArgs, err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		ts.Fatalf("serve %s printed no address within 10s; stderr: %s", args[1], stderr.String())
	}
	m := listenRE.FindStringSubmatch(line)
	if m == nil {
		_ = cmd.Process.Kill()
		ts.Fatalf("serve %s: first line %q names no address; stderr: %s", args[1], line, stderr.String())
	}
	addr := strings.TrimPrefix(m[1], "http://")
	ts.Setenv(args[0], addr)
	ts.Defer(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				ts.Logf("serve %s exited: %v; stderr: %s", args[1], err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			ts.Logf("serve %s did not stop within 10s of Ctrl-C", args[1])
		}
	})
}

var condRE = regexp.MustCompile(`^([A-Za-z0-9_.\[\]-]+)(>=|<=|!=|=|>|<)(.*)$`)

// resultcheck FILE COND… checks a result JSON file. Each COND is a dotted
// path and a comparison: transport=rest, counts.errors=0,
// throughput.ops_per_s>=475, latency.send_delay.count>0; a bare path checks
// that the key exists, and !path that it does not.
func cmdResultcheck(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: resultcheck FILE COND…")
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	var failures []string
	for _, c := range args[1:] {
		if err := checkCond(doc, c); err != nil {
			failures = append(failures, err.Error())
		}
	}
	switch {
	case neg && len(failures) == 0:
		ts.Fatalf("%s: every condition holds", args[0])
	case !neg && len(failures) > 0:
		ts.Fatalf("%s:\n  %s", args[0], strings.Join(failures, "\n  "))
	}
}

func lookup(doc any, path string) (any, bool) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = v[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func checkCond(doc any, c string) error {
	if strings.HasPrefix(c, "!") {
		if _, ok := lookup(doc, c[1:]); ok {
			return fmt.Errorf("%s: key present", c[1:])
		}
		return nil
	}
	m := condRE.FindStringSubmatch(c)
	if m == nil {
		if _, ok := lookup(doc, c); !ok {
			return fmt.Errorf("%s: key missing", c)
		}
		return nil
	}
	path, op, want := m[1], m[2], m[3]
	v, ok := lookup(doc, path)
	if !ok {
		return fmt.Errorf("%s: key missing", path)
	}
	got := fmt.Sprint(v)
	if f, isNum := v.(float64); isNum {
		got = strconv.FormatFloat(f, 'f', -1, 64)
		w, err := strconv.ParseFloat(want, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", c, want)
		}
		holds := map[string]bool{"=": f == w, "!=": f != w, ">=": f >= w, "<=": f <= w, ">": f > w, "<": f < w}[op]
		if !holds {
			return fmt.Errorf("%s: got %s", c, got)
		}
		return nil
	}
	switch op {
	case "=":
		if got != want {
			return fmt.Errorf("%s: got %q", c, got)
		}
	case "!=":
		if got == want {
			return fmt.Errorf("%s: got %q", c, got)
		}
	default:
		return fmt.Errorf("%s: %s compares numbers, got %q", c, op, got)
	}
	return nil
}

// sleep DURATION pauses the script, for a background command to get going.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d > time.Minute {
		ts.Fatalf("sleep %q: want a duration up to 1m", args[0])
	}
	time.Sleep(d)
}

// exits CODE PROG [ARGS…] runs PROG like exec and asserts its exit code;
// its stdout and stderr are then checked as exec's are.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS…]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits %q: want a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// terminate AFTER CODE PROG [ARGS…] starts PROG, sends it SIGTERM after
// AFTER and asserts its exit code; its stdout and stderr go to the files
// terminate.stdout and terminate.stderr of the work directory.
func cmdTerminate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: terminate AFTER CODE PROG [ARGS…]")
	}
	after, err := time.ParseDuration(args[0])
	if err != nil || after > time.Minute {
		ts.Fatalf("terminate %q: want a duration up to 1m", args[0])
	}
	want, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("terminate: code %q is not a number", args[1])
	}
	bin, err := exec.LookPath(args[2])
	if err != nil {
		ts.Fatalf("%s not on PATH: %v", args[2], err)
	}
	cmd := exec.Command(bin, args[3:]...)
	cmd.Env = os.Environ()
	for _, kv := range []string{"PATH", "HOME", "TMPDIR"} {
		cmd.Env = append(cmd.Env, kv+"="+ts.Getenv(kv))
	}
	cmd.Dir = ts.Getenv("WORK")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		ts.Fatalf("start %s: %v", args[2], err)
	}
	time.Sleep(after)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		ts.Fatalf("%s did not stop within 30s of SIGTERM", args[2])
	}
	ts.Check(os.WriteFile(ts.MkAbs("terminate.stdout"), []byte(stdout.String()), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("terminate.stderr"), []byte(stderr.String()), 0o644))
	if got := cmd.ProcessState.ExitCode(); got != want {
		ts.Fatalf("%s exited %d after SIGTERM, want %d; stderr: %s", args[2], got, want, stderr.String())
	}
}
