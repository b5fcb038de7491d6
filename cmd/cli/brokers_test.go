package cli

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/containers"
)

// envFactory is testFactory with an environment.
func envFactory(env map[string]string, args ...string) (*Factory, *strings.Builder, *strings.Builder) {
	f, _, _ := testFactory(args...)
	var out, errOut strings.Builder
	f.IO.Out, f.IO.ErrOut = &out, &errOut
	f.Getenv = func(k string) string { return env[k] }
	return f, &out, &errOut
}

// Usage errors of --containers, --image and brokers come before any look
// for a Docker engine: exit 2 at once.
func TestContainersFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		// A broker of one's own and a container broker at once.
		{"queue containers and amqp-url", []string{"run", "queue", "--containers", "--amqp-url", "amqp://guest:guest@127.0.0.1:5672/"}, "--containers starts a broker of its own: leave out --amqp-url"},
		{"event containers and brokers", []string{"run", "event", "--containers", "--brokers", "127.0.0.1:9092"}, "leave out --brokers"},
		// --image alone starts nothing.
		{"queue image without containers", []string{"run", "queue", "--image", "rabbitmq:4"}, "--image names the image of the broker --containers starts: add --containers"},
		{"event image without containers", []string{"run", "event", "--image", "confluentinc/cp-kafka:7.6.1"}, "add --containers"},
		// An image the Kafka module cannot start.
		{"apache kafka image", []string{"run", "event", "--containers", "--image", "apache/kafka:3.8.0"}, `--image: image "apache/kafka:3.8.0": the Kafka container is started`},
		{"empty image", []string{"run", "queue", "--containers", "--image", ""}, "--image: empty image name"},
		// brokers without what to do, or with something unknown.
		{"brokers alone", []string{"brokers"}, "say what to do"},
		{"brokers sideways", []string{"brokers", "sideways"}, `unknown brokers command "sideways"`},
		{"brokers up rest", []string{"brokers", "up", "rest"}, `unknown broker "rest"`},
		{"brokers up two", []string{"brokers", "up", "queue", "event"}, "name one of queue, event or all"},
		{"brokers down two", []string{"brokers", "down", "queue", "event"}, "name one of queue, event or all"},
		{"brokers up image for both", []string{"brokers", "up", "--image", "rabbitmq:4"}, "--image: name the broker it is for"},
		{"brokers up apache kafka", []string{"brokers", "up", "event", "--image", "apache/kafka:3.8.0"}, "use a Confluent image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := envFactory(nil, tt.args...)
			start := time.Now()
			code := Main(context.Background(), f)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr lacks %q:\n%s", tt.msg, errOut)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("a usage error took %v", d)
			}
		})
	}
}

// skipIfEngine skips a test that needs no Docker engine to answer.
func skipIfEngine(t *testing.T) {
	t.Helper()
	if eng, err := containers.CheckEngine(context.Background(), containers.EngineConfig{Timeout: time.Second}); err == nil {
		t.Skipf("a Docker engine answers here (%s), so 'no engine' cannot be tested", eng.Host)
	}
}

// No engine: one clear message naming what was looked at and what to do
// instead, exit 1, at once.
func TestContainersNoEngine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	skipIfEngine(t)
	missing := filepath.Join(t.TempDir(), "docker.sock")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		// Nothing set: the default places.
		{"run queue", nil, []string{"run", "queue", "--containers", "--duration", "1s"},
			[]string{"--containers: no Docker engine found", "no socket at /var/run/docker.sock", "DOCKER_HOST is not set", "install Docker", "--amqp-url amqp://user:password@host:5672/"}},
		{"run event", nil, []string{"run", "event", "--containers", "--duration", "1s"},
			[]string{"--containers: no Docker engine found", "--brokers host:9092", "embedded broker"}},
		// DOCKER_HOST names a socket that is not there.
		{"brokers up", map[string]string{"DOCKER_HOST": "unix://" + missing}, []string{"brokers", "up", "--state-file", filepath.Join(t.TempDir(), "s.json")},
			[]string{"brokers up: no Docker engine found", "no socket at " + missing, "DOCKER_HOST=unix://" + missing, "run queue --amqp-url", "run event --brokers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := envFactory(tt.env, tt.args...)
			start := time.Now()
			code := Main(context.Background(), f)
			if d := time.Since(start); d > containers.DefaultCheckTimeout {
				t.Errorf("took %v, more than the %v bound", d, containers.DefaultCheckTimeout)
			}
			if code != ExitFailure {
				t.Errorf("exit %d, want %d", code, ExitFailure)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Count(errOut.String(), "commsbench:") != 1 {
				t.Errorf("want one message:\n%s", errOut)
			}
			if out.Len() != 0 {
				t.Errorf("stdout:\n%s", out)
			}
		})
	}
}

// hungSocket accepts connections on a unix socket and never answers.
func hungSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cbh") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hung.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		os.RemoveAll(dir)
	})
	return path
}

// childArgsEnv carries a command line to this test binary run as a child
// process, which then runs it as commsbench would and exits with its code.
const childArgsEnv = "COMMSBENCH_CLI_CHILD_ARGS"

// A Docker engine that accepts the connection and never answers: the
// commsbench process says so and exits 1 within the 3 s bound (plus process
// start), whichever command needed the engine.
func TestHungDockerEngineExitsWithinBound(t *testing.T) {
	if args := os.Getenv(childArgsEnv); args != "" {
		f := System()
		f.Args = append([]string{"commsbench"}, strings.Split(args, "\x1f")...)
		os.Exit(Main(context.Background(), f))
	}
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	if testing.Short() {
		t.Skip("waits out the 3 s bound")
	}
	sock := hungSocket(t)
	home := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"brokers up", []string{"brokers", "up", "--state-file", filepath.Join(home, "s.json")}},
		{"run queue", []string{"run", "queue", "--containers", "--duration", "1s"}},
		{"run event", []string{"run", "event", "--containers", "--duration", "1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHungDockerEngineExitsWithinBound$")
			cmd.Env = append(os.Environ(),
				childArgsEnv+"="+strings.Join(tt.args, "\x1f"),
				"DOCKER_HOST=unix://"+sock,
				"HOME="+home,
			)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			if code := cmd.ProcessState.ExitCode(); code != ExitFailure {
				t.Fatalf("exit %d (%v), want %d; stderr:\n%s", code, err, ExitFailure, stderr.String())
			}
			if elapsed > containers.DefaultCheckTimeout+time.Second {
				t.Errorf("the process took %v to exit", elapsed)
			}
			for _, w := range []string{"accepted the connection but did not answer within 3s", "DOCKER_HOST=unix://" + sock, "install Docker"} {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			t.Logf("exit 1 after %v:\n%s", elapsed.Round(time.Millisecond), stderr.String())
		})
	}
}

// fakeDocker is a Docker engine on a unix socket that knows a few
// containers, for "brokers" tests that start nothing.
type fakeDocker struct {
	mu      sync.Mutex
	running map[string]bool // id → running; absent: no such container
	removed []string
	failRm  map[string]bool
}

func startFakeDocker(t *testing.T, running map[string]bool) (*fakeDocker, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "cbd")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "d.sock")
	d := &fakeDocker{running: running, failRm: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_ping", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) })
	mux.HandleFunc("GET /containers/{id}/json", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		run, ok := d.running[r.PathValue("id")]
		if !ok {
			http.Error(w, `{"message":"No such container"}`, http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"Id": r.PathValue("id"), "State": map[string]bool{"Running": run}})
	})
	mux.HandleFunc("DELETE /containers/{id}", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		id := r.PathValue("id")
		if d.failRm[id] {
			http.Error(w, `{"message":"device busy"}`, http.StatusInternalServerError)
			return
		}
		if _, ok := d.running[id]; !ok {
			http.Error(w, `{"message":"No such container"}`, http.StatusNotFound)
			return
		}
		delete(d.running, id)
		d.removed = append(d.removed, id)
		w.WriteHeader(http.StatusNoContent)
	})
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close(); os.RemoveAll(dir) })
	return d, "unix://" + sock
}

// twoKept is a state with both brokers up on host.
func twoKept(host string) containers.State {
	return containers.State{
		DockerHost: host,
		Brokers: []containers.KeptBroker{
			{Kind: containers.Queue, ContainerID: "q1", Image: containers.DefaultQueueImage, Version: "4.1.4", Endpoint: "localhost:32771"},
			{Kind: containers.Event, ContainerID: "e1", Image: containers.DefaultEventImage, Version: "7.9.0-ccs", Endpoint: "localhost:32772"},
		},
	}
}

func TestBrokersDown(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	tests := []struct {
		name      string
		args      []string
		running   map[string]bool
		failRm    string
		code      int
		removed   []string
		stderr    []string
		stillKept []containers.Kind
	}{
		{
			// Both removed; one had gone already.
			name: "all", args: []string{"brokers", "down"},
			running: map[string]bool{"q1": true}, code: ExitOK, removed: []string{"q1"},
			stderr: []string{"RabbitMQ container q1 removed", "Kafka container e1 was already gone"},
		},
		{
			// Only the queue broker; the event one stays recorded.
			name: "queue only", args: []string{"brokers", "down", "queue"},
			running: map[string]bool{"q1": true, "e1": true}, code: ExitOK, removed: []string{"q1"},
			stderr: []string{"RabbitMQ container q1 removed"}, stillKept: []containers.Kind{containers.Event},
		},
		{
			// The engine refuses to remove one: exit 1, and it stays recorded.
			name: "remove fails", args: []string{"brokers", "down"},
			running: map[string]bool{"q1": true, "e1": true}, failRm: "e1", code: ExitFailure, removed: []string{"q1"},
			stderr: []string{"remove the Kafka container e1", "device busy"}, stillKept: []containers.Kind{containers.Event},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, host := startFakeDocker(t, tt.running)
			if tt.failRm != "" {
				d.failRm[tt.failRm] = true
			}
			state := filepath.Join(t.TempDir(), "brokers.json")
			if err := containers.WriteState(state, twoKept(host)); err != nil {
				t.Fatal(err)
			}
			// DOCKER_HOST points elsewhere: down uses the engine in the state file.
			f, _, errOut := envFactory(map[string]string{"DOCKER_HOST": "unix:///nowhere.sock"}, append(tt.args, "--state-file", state)...)
			if code := Main(context.Background(), f); code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if strings.Join(d.removed, ",") != strings.Join(tt.removed, ",") {
				t.Errorf("removed %v, want %v", d.removed, tt.removed)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			st, err := containers.ReadState(state)
			if err != nil {
				t.Fatal(err)
			}
			var kept []containers.Kind
			for _, b := range st.Brokers {
				kept = append(kept, b.Kind)
			}
			if len(kept) != len(tt.stillKept) || (len(kept) > 0 && kept[0] != tt.stillKept[0]) {
				t.Errorf("still recorded %v, want %v", kept, tt.stillKept)
			}
			if _, err := os.Stat(state); len(tt.stillKept) == 0 && !os.IsNotExist(err) {
				t.Errorf("the state file should be gone: %v", err)
			}
		})
	}
}

// Nothing recorded: nothing to do, and no engine needed.
func TestBrokersDownNothingUp(t *testing.T) {
	state := filepath.Join(t.TempDir(), "brokers.json")
	f, _, errOut := envFactory(nil, "brokers", "down", "--state-file", state)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "no brokers are up (according to "+state+")") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// Brokers already up are printed again, and nothing is started.
func TestBrokersUpAlreadyUp(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	// brokers up turns testcontainers' reaper off for its process; give the
	// variable back afterwards.
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", os.Getenv("TESTCONTAINERS_RYUK_DISABLED"))
	_, host := startFakeDocker(t, map[string]bool{"q1": true, "e1": true})
	state := filepath.Join(t.TempDir(), "brokers.json")
	if err := containers.WriteState(state, twoKept(host)); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DOCKER_HOST": host, "HOME": t.TempDir()}

	f, out, errOut := envFactory(env, "brokers", "up", "--state-file", state)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, w := range []string{
		"--amqp-url amqp://guest:guest@localhost:32771/",
		"--brokers localhost:32772",
		"export COMMSBENCH_AMQP_URL=amqp://guest:guest@localhost:32771/",
		"export COMMSBENCH_KAFKA_BROKERS=localhost:32772",
		"RabbitMQ 4.1.4", "Kafka 7.9.0-ccs", containers.DefaultQueueImage,
		"image's default (guest/guest)", "commsbench brokers down",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(errOut.String(), "RabbitMQ is already up (container q1)") {
		t.Errorf("stderr:\n%s", errOut)
	}

	// --env prints the export lines only.
	f, out, errOut = envFactory(env, "brokers", "up", "event", "--env", "--state-file", state)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if got := out.String(); got != "export COMMSBENCH_KAFKA_BROKERS=localhost:32772\n" {
		t.Errorf("--env printed %q", got)
	}

	// The state file names another engine: refuse, rather than lose track.
	other := twoKept("unix:///elsewhere.sock")
	if err := containers.WriteState(state, other); err != nil {
		t.Fatal(err)
	}
	f, _, errOut = envFactory(env, "brokers", "up", "--state-file", state)
	if code := Main(context.Background(), f); code != ExitFailure {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "already up on another Docker engine (unix:///elsewhere.sock") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// With a real Docker engine (skipped without one): a 1 s run of each
// broker scenario on a container, recorded as such, with nothing left
// running afterwards; then brokers up and down.
func TestContainersRealEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts broker containers")
	}
	eng, err := containers.CheckEngine(context.Background(), containers.EngineConfig{})
	if err != nil {
		t.Skipf("needs a Docker engine, and none answers here: %v", err)
	}
	// Started by runs: labelled commsbench.run.
	runContainers := func() int {
		list, err := eng.List(context.Background(), containers.LabelRun)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	before := runContainers()
	dir := t.TempDir()
	for _, tt := range []struct {
		transport string
		image     string
	}{
		{"queue", containers.DefaultQueueImage},
		{"event", containers.DefaultEventImage},
	} {
		t.Run(tt.transport, func(t *testing.T) {
			out := filepath.Join(dir, tt.transport+".json")
			f, _, errOut := envFactory(nil, "run", tt.transport, "--containers", "--duration", "1s", "--warmup", "0", "--rate", "200", "--out", out)
			f.Getenv = os.Getenv
			if code := Main(context.Background(), f); code != ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut)
			}
			res, err := results.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if res.Target.Kind != results.TargetContainer || res.Target.Image != tt.image || res.Target.BrokerVersion == "" {
				t.Errorf("target %+v", res.Target)
			}
			if res.Counts.Sent == 0 || res.Counts.Delivery == nil || res.Counts.Lost != 0 {
				t.Errorf("counts %+v", res.Counts)
			}
			if n := runContainers(); n != before {
				t.Errorf("%d run containers left behind", n-before)
			}
			if !strings.Contains(errOut.String(), "container removed") {
				t.Errorf("stderr:\n%s", errOut)
			}
		})
	}
	t.Run("brokers up and down", func(t *testing.T) {
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", os.Getenv("TESTCONTAINERS_RYUK_DISABLED"))
		state := filepath.Join(dir, "brokers.json")
		f, out, errOut := envFactory(nil, "brokers", "up", "queue", "--state-file", state)
		f.Getenv = os.Getenv
		if code := Main(context.Background(), f); code != ExitOK {
			t.Fatalf("up: exit %d; stderr:\n%s", code, errOut)
		}
		st, err := containers.ReadState(state)
		if err != nil {
			t.Fatal(err)
		}
		kept, ok := st.Find(containers.Queue)
		if !ok || !strings.Contains(out.String(), kept.URL()) {
			t.Fatalf("state %+v; stdout:\n%s", st, out)
		}
		defer eng.Remove(context.Background(), kept.ContainerID)
		if info, err := eng.Inspect(context.Background(), kept.ContainerID); err != nil || !info.Running {
			t.Errorf("kept container: %+v, %v", info, err)
		}
		f, _, errOut = envFactory(nil, "brokers", "down", "--state-file", state)
		f.Getenv = os.Getenv
		if code := Main(context.Background(), f); code != ExitOK {
			t.Fatalf("down: exit %d; stderr:\n%s", code, errOut)
		}
		if _, err := eng.Inspect(context.Background(), kept.ContainerID); err == nil {
			t.Error("the container is still there after brokers down")
		}
	})
}
