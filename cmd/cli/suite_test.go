package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/queue"
)

// writeFile writes a test file and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBuiltinScenariosMatchTheRunFlags: every option of every built-in
// scenario is a run flag of its transport, with a value the flag takes,
// and the arguments it makes parse, in both phases of a suite.
func TestBuiltinScenariosMatchTheRunFlags(t *testing.T) {
	f, _, _ := testFactory()
	lib := library()
	suite, err := lib.Suite("microservices")
	if err != nil {
		t.Fatal(err)
	}
	o := &suiteOptions{}
	cmd := NewCmdSuite(f)
	phases, err := o.phases(cmd, suite)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := prepare(f, suite, phases[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		same, sat := e.req[0].Engine, e.req[1].Engine
		if same.Rate != 1000 || sat.Rate != 1000 || !e.req[1].Search.On || e.req[1].Search.MaxSteps != defaultSuiteSteps || sat.Duration != defaultSuiteStepTime {
			t.Errorf("%s: same-load rate %v, saturation from %v searching %v; want 1000, and a search from 1000", e.sc.Name, same.Rate, sat.Rate, e.req[1].Search)
		}
	}
	// The closed loop of older versions, on demand.
	o = &suiteOptions{Saturation: saturationClosed}
	if phases, err = o.phases(cmd, suite); err != nil {
		t.Fatal(err)
	}
	if entries, err = prepare(f, suite, phases[:], nil); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if sat := e.req[1].Engine; sat.Rate != 0 || sat.Concurrency != 16 || e.req[1].Search.On {
			t.Errorf("%s: saturation rate %v with %d workers; want 0 with 16", e.sc.Name, sat.Rate, sat.Concurrency)
		}
	}
}

func TestScenariosCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  []string // must appear in stdout
		err  string   // must appear in stderr
	}{
		// list names every built-in file with its kind and transport.
		{"list", []string{"scenarios", "list"}, ExitOK, []string{"microservices", "suite", "order-payment-rest", "rest", "user-auth-grpc", "order-inventory-queue", "order-inventory-queue-rpc", "order-placed-event", "event"}, ""},
		// show prints the file itself.
		{"show", []string{"scenarios", "show", "order-inventory-queue-rpc"}, ExitOK, []string{"# builtin:order-inventory-queue-rpc.yaml", "transport: queue", "mode: rpc"}, ""},
		// An unknown name is a usage error, as for run --scenario, and lists the known ones.
		{"show unknown", []string{"scenarios", "show", "nope"}, ExitUsage, nil, `no built-in scenario or suite named "nope"`},
		// No subcommand is a usage error.
		{"no subcommand", []string{"scenarios"}, ExitUsage, nil, "choose a subcommand"},
		// show takes one name.
		{"show nothing", []string{"scenarios", "show"}, ExitUsage, nil, "name one scenario or suite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(tt.args...)
			if code := Main(context.Background(), f); code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut.String(), tt.err) {
				t.Errorf("stderr %q lacks %q", errOut, tt.err)
			}
		})
	}
}

// TestRunScenario runs a built-in scenario with flags overriding it: the
// result names the scenario, has the override's rate and the template's
// payload size.
func TestRunScenario(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	f, stdout, errOut := testFactory("run", "--scenario", "order-payment-rest", "--rate", "200", "--duration", "1s", "--warmup", "0s", "--out", out)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	res, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Scenario != "order-payment-rest" || res.Label != "order-payment-rest" || res.Transport != "rest" {
		t.Errorf("scenario %q label %q transport %q", res.Scenario, res.Label, res.Transport)
	}
	if res.Load.Rate != 200 || res.Load.DurationS != 1 || res.Load.WarmupS != 0 {
		t.Errorf("load %+v: the command line must override the scenario's rate, duration and warm-up", res.Load)
	}
	if res.Load.PayloadBytes != 483 {
		t.Errorf("payload %d bytes, want the template's 483", res.Load.PayloadBytes)
	}
	if res.Options["payload_template"] != "templates/order.json" {
		t.Errorf("options %v do not record the template that set the size", res.Options)
	}
	if !strings.Contains(stdout.String(), "rest [order-payment-rest]") {
		t.Errorf("summary does not name the scenario:\n%s", stdout)
	}

	// With --count, the files are named after the scenario; --label wins.
	dir := t.TempDir() + "/"
	f, _, errOut = testFactory("run", "--scenario", "user-auth-grpc", "--duration", "200ms", "--warmup", "0s", "--count", "2", "--out", dir, "-q")
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(dir + "*.json")
	if len(files) != 2 || filepath.Base(files[0]) != "grpc-user-auth-grpc-1.json" {
		t.Errorf("files %v, want grpc-user-auth-grpc-1.json and -2", files)
	}
	out = filepath.Join(t.TempDir(), "l.json")
	f, _, errOut = testFactory("run", "--scenario", "user-auth-grpc", "--duration", "200ms", "--warmup", "0s", "--label", "mine", "--out", out, "-q")
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if res, err := results.ReadFile(out); err != nil || res.Label != "mine" || res.Scenario != "user-auth-grpc" {
		t.Errorf("--label: %+v, %v", res, err)
	}
}

// TestRunScenarioErrors: problems in a scenario name its file, line and key.
func TestRunScenarioErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		yaml string
		args []string
		code int
		msg  string
	}{
		// A misspelt option suggests the right one.
		{"misspelt option", "name: a\ntransport: queue\noptions:\n  prefetsh: 5\n", nil, ExitUsage, "a.yaml:4: options.prefetsh: the queue transport has no such option; did you mean prefetch?"},
		// An option the transport does not have lists the ones it has.
		{"unknown option", "name: a\ntransport: queue\noptions:\n  partitions: 5\n", nil, ExitUsage, "a.yaml:4: options.partitions: the queue transport has no such option; its options are its run flags: amqp-url, auto-ack,"},
		// Underscores for dashes are found too.
		{"underscore option", "name: a\ntransport: queue\noptions:\n  queue_type: quorum\n", nil, ExitUsage, "a.yaml:4: options.queue_type: the queue transport has no such option; did you mean queue-type?"},
		// A value the flag refuses.
		{"bad option value", "name: a\ntransport: queue\noptions:\n  prefetch: lots\n", nil, ExitUsage, `a.yaml:4: options.prefetch: "lots": not a whole number`},
		// Load settings belong under load.
		{"load as option", "name: a\ntransport: rest\noptions:\n  rate: 5\n", nil, ExitUsage, "a.yaml:4: options.rate: a load setting: write it under load: (load.rate)"},
		// A hidden flag is not an option of that transport.
		{"hidden flag", "name: a\ntransport: event\noptions:\n  target: x:1\n", nil, ExitUsage, "a.yaml:4: options.target: the event transport has no such option"},
		// The loader's own errors pass through with their position.
		{"negative rate", "name: a\ntransport: rest\nload:\n  rate: -5\n", nil, ExitUsage, "a.yaml:4: load.rate: -5 is negative"},
		// A suite is not a scenario.
		{"suite", "name: s\nscenarios: [order-payment-rest]\n", nil, ExitUsage, "is a suite of 1 scenarios: run it with 'commsbench suite"},
		// An override that the transport rejects is the usual usage error.
		{"bad override", "name: a\ntransport: rest\n", []string{"--rate", "-1"}, ExitUsage, "--rate -1: must be a positive number"},
		// An unknown override flag.
		{"unknown override", "name: a\ntransport: rest\n", []string{"--prefetch", "5"}, ExitUsage, "unknown flag: --prefetch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, "a.yaml", tt.yaml)
			f, _, errOut := testFactory(append([]string{"run", "--scenario", p}, tt.args...)...)
			if code := Main(context.Background(), f); code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr:\n%s\nwant it to contain:\n%s", errOut, tt.msg)
			}
		})
	}
}

func TestSuiteBadInput(t *testing.T) {
	dir := t.TempDir()
	badOption := writeFile(t, dir, "bad.yaml", "name: s\nscenarios:\n  - name: a\n    transport: rest\n    options:\n      http3: true\n")
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		// An unknown suite lists the built-in ones.
		{"unknown suite", []string{"suite", "nope"}, `no built-in scenario or suite named "nope"`},
		// A scenario's bad option stops the suite before anything runs.
		{"bad option in suite", []string{"suite", badOption}, "bad.yaml:6: options.http3: the rest transport has no such option; did you mean http2?"},
		// --set must name a flag of one of the suite's transports.
		{"set unknown", []string{"suite", "--set", "bogus=1"}, "--set bogus: no transport of this suite (rest, grpc, queue, event, nats) has a run flag of that name"},
		// --set cannot change the phases behind the suite's back.
		{"set rate", []string{"suite", "--set", "rate=5"}, "--set rate: the suite's own flag: give --rate"},
		// --set needs NAME=VALUE.
		{"set without value", []string{"suite", "--set", "prefetch"}, `--set "prefetch": write NAME=VALUE`},
		// A --set value the flag refuses.
		{"set bad value", []string{"suite", "--set", "prefetch=lots"}, `--set prefetch: "lots": not a whole number`},
		// The same-load phase is open loop.
		{"zero rate", []string{"suite", "--rate", "0"}, "--rate 0: the same-load phase is open loop"},
		{"zero duration", []string{"suite", "--duration", "0s"}, "--duration 0s: must be positive"},
		{"bad format", []string{"suite", "--format", "json"}, `--format "json": choose text or markdown`},
		{"two suites", []string{"suite", "a", "b"}, "run one suite at a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(tt.args...)
			if code := Main(context.Background(), f); code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr:\n%s\nwant it to contain:\n%s", errOut, tt.msg)
			}
		})
	}
}

// TestSuiteSkipsMissingBroker: the queue scenario of a suite whose RabbitMQ
// does not answer is a skipped row with the reason and the fix; the rest
// runs and the exit code is 0, or 1 with --strict.
func TestSuiteSkipsMissingBroker(t *testing.T) {
	dir := t.TempDir()
	suite := writeFile(t, dir, "s.yaml", "name: s\nscenarios:\n  - order-payment-rest\n  - order-inventory-queue\n")
	deadURL := "amqp://guest:guest@" + closedPort(t) + "/"
	for _, strict := range []bool{false, true} {
		out := filepath.Join(dir, "out", map[bool]string{false: "lenient", true: "strict"}[strict])
		args := []string{"suite", suite, "--duration", "300ms", "--warmup", "0s", "--out", out}
		if strict {
			args = append(args, "--strict")
		}
		f, stdout, errOut := queueFactory(map[string]string{queue.EnvURL: deadURL}, args...)
		code := Main(context.Background(), f)
		want := map[bool]int{false: ExitOK, true: ExitFailure}[strict]
		if code != want {
			t.Errorf("strict=%v: exit %d, want %d; stderr %s", strict, code, want, errOut)
		}
		so := stdout.String()
		if !regexp.MustCompile(`(?m)^order-inventory-queue\s+queue\s+skipped$`).MatchString(so) {
			t.Errorf("no skipped row for the queue:\n%s", so)
		}
		for _, w := range []string{
			"order-inventory-queue skipped: no RabbitMQ answers at amqp://guest:xxxxx@127.0.0.1:",
			"To run it: start one ('rabbitmq-server -detached'",
		} {
			if !strings.Contains(so, w) {
				t.Errorf("stdout lacks %q:\n%s", w, so)
			}
		}
		if strings.Contains(so+errOut.String(), "guest:guest") {
			t.Error("the broker's password was printed")
		}
		if !regexp.MustCompile(`(?m)^order-payment-rest\s+REST\s+\S+ / \S+`).MatchString(so) {
			t.Errorf("the REST scenario did not run:\n%s", so)
		}
		files, _ := filepath.Glob(filepath.Join(out, "*.json"))
		if len(files) != 2 {
			t.Errorf("%d result files %v, want the REST scenario's 2", len(files), files)
		}
		if strict && !strings.Contains(errOut.String(), "--strict: 1 of 2 scenarios skipped: order-inventory-queue") {
			t.Errorf("stderr %q does not say what was skipped", errOut)
		}
	}
}

// TestSuiteEndToEnd runs the built-in suite, shortened, on the embedded
// targets (REST, gRPC, embedded Kafka) and the local RabbitMQ: one row per
// scenario, a result file per run naming its scenario and phase, the
// progress display on a terminal, and a report made from the directory.
func TestSuiteEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ten short measurements; skipped with -short")
	}
	amqpURL := queueTestBroker(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "results")
	html := filepath.Join(dir, "suite.html")
	f, stdout, errOut := queueFactory(map[string]string{queue.EnvURL: amqpURL},
		"suite", "--duration", "1s", "--warmup", "0s", "--rate", "300", "--saturation", "closed", "--concurrency", "4", "--out", out, "--report", html)
	f.IO.ErrTTY = true
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, errOut)
	}
	so := stdout.String()
	names := []string{"order-payment-rest", "user-auth-grpc", "order-inventory-queue", "order-inventory-queue-rpc", "order-placed-event", "user-auth-nats", "order-placed-nats"}
	for _, n := range names {
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(n) + `\s+(REST|gRPC unary|queue · oneway|queue · rpc|event · 2 groups|NATS request|NATS JetStream)\s+\S+ / \S+\s+\S+ / \S+\s+\S+\s+.*\s+\d+/\d+`)
		if !row.MatchString(so) {
			t.Errorf("no complete row for %s:\n%s", n, so)
		}
		for _, phase := range []string{"same-load", "saturation"} {
			res, err := results.ReadFile(filepath.Join(out, n+"."+phase+".json"))
			if err != nil {
				t.Errorf("%s %s: %v", n, phase, err)
				continue
			}
			if res.Scenario != n || res.Phase != phase || res.Label != n+"/"+phase {
				t.Errorf("%s %s: result says scenario %q phase %q label %q", n, phase, res.Scenario, res.Phase, res.Label)
			}
			if phase == "same-load" && (res.Load.Mode != results.OpenLoop || res.Load.Rate != 300) {
				t.Errorf("%s: same-load load %+v, want open loop at 300/s", n, res.Load)
			}
			if phase == "saturation" && (res.Load.Mode != results.ClosedLoop || res.Load.Concurrency != 4) {
				t.Errorf("%s: saturation load %+v, want closed loop with 4 workers", n, res.Load)
			}
		}
	}
	if n := strings.Count(so, "\n- "); n < 4 {
		t.Errorf("%d sentences under the table, want several:\n%s", n, so)
	}
	for _, w := range []string{"At the same offered load of 300 ops/s", "At saturation (4 workers, closed loop)", fmt.Sprintf("%d result files and summary.md in %s", 2*len(names), out)} {
		if !strings.Contains(so, w) {
			t.Errorf("stdout lacks %q:\n%s", w, so)
		}
	}
	// The progress display: the plan, a line per run, live lines.
	se := errOut.String()
	for _, w := range []string{fmt.Sprintf("suite microservices: %d scenarios × 2 phases", len(names)), "✓ order-placed-event · saturation", "\r\033[K"} {
		if !strings.Contains(se, w) {
			t.Errorf("progress display lacks %q:\n%q", w, se)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "summary.md")); err != nil {
		t.Error(err)
	}
	if b, err := os.ReadFile(html); err != nil || strings.Count(string(b), `data-chart="timeline"`) != len(names) {
		t.Errorf("--report %s: %v, or not one timeline per scenario", html, err)
	}

	// The report command makes the same page from the directory.
	page := filepath.Join(dir, "again.html")
	f, _, errOut = testFactory("report", out, "--out", page)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	for _, n := range names {
		if !strings.Contains(body, ">"+n+"</td>") {
			t.Errorf("report lacks a row for %s", n)
		}
	}
	if strings.Count(body, `data-chart="percentiles"`) != 1 || strings.Count(body, `data-chart="timeline"`) != len(names) {
		t.Errorf("report: want one percentile chart and %d timelines", len(names))
	}
	if !strings.Contains(errOut.String(), fmt.Sprintf("report of %d results written to %s", 2*len(names), page)) {
		t.Errorf("stderr %q", errOut)
	}
}

// TestSuiteQuietWithoutTerminal: no progress on a stream that is not a terminal.
func TestSuiteQuietWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	f, stdout, errOut := testFactory("suite", "order-payment-rest", "--duration", "200ms", "--warmup", "0s", "--out", dir)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr not empty without a terminal: %q", errOut)
	}
	if !strings.Contains(stdout.String(), "suite order-payment-rest: 1 scenario, results in "+dir) {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	notResult := writeFile(t, dir, "x.json", `{"hello": 1}`)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no argument", []string{"report"}, ExitUsage, "name the result files or directories"},
		{"missing", []string{"report", filepath.Join(dir, "nope")}, ExitFailure, "nope does not exist"},
		{"not a result", []string{"report", notResult}, ExitFailure, "not a commsbench result"},
		{"empty dir", []string{"report", t.TempDir()}, ExitFailure, "the directory holds no result file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(tt.args...)
			if code := Main(context.Background(), f); code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr %q lacks %q", errOut, tt.msg)
			}
		})
	}
}

// TestSuiteInterrupted: Ctrl-C (a cancelled context) stops the suite, which
// still prints the table of what it measured and exits 130.
func TestSuiteInterrupted(t *testing.T) {
	dir := t.TempDir()
	suite := writeFile(t, dir, "s.yaml", "name: s\nscenarios:\n  - order-payment-rest\n  - user-auth-grpc\n")
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	f, stdout, errOut := testFactory("suite", suite, "--duration", "1s", "--warmup", "0s", "--out", filepath.Join(dir, "out"))
	start := time.Now()
	if code := Main(ctx, f); code != ExitInterrupted {
		t.Errorf("exit %d, want %d; stderr %s", code, ExitInterrupted, errOut)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("the suite took %v to stop after the interrupt", el)
	}
	so := stdout.String()
	if !regexp.MustCompile(`(?m)^order-payment-rest\s+REST\s+\S+ / \S+`).MatchString(so) {
		t.Errorf("the table lacks the scenario measured before the interrupt:\n%s", so)
	}
	if !strings.Contains(so, "user-auth-grpc, same-load phase: not run: the suite was interrupted") {
		t.Errorf("the table does not say what was not run:\n%s", so)
	}
	if !strings.Contains(errOut.String(), "the suite was interrupted") {
		t.Errorf("stderr %q", errOut)
	}
}

// TestSuiteSkipsWithoutDocker: --set containers=true where no Docker engine
// answers skips the scenario with the reason and the fix.
func TestSuiteSkipsWithoutDocker(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DOCKER_HOST": "tcp://" + closedPort(t)}
	f, stdout, errOut := queueFactory(env, "suite", "order-inventory-queue", "--set", "containers=true", "--duration", "300ms", "--out", dir)
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d; stderr %s", code, errOut)
	}
	so := stdout.String()
	for _, w := range []string{"order-inventory-queue skipped: no Docker engine answered", "To run it: start a Docker engine (or set DOCKER_HOST)"} {
		if !strings.Contains(strings.Join(strings.Fields(so), " "), w) {
			t.Errorf("stdout lacks %q:\n%s", w, so)
		}
	}
}

// TestSuiteSamePayload: by default the built-in scenarios carry their own
// templates and the table says the payloads differ; --same-payload gives
// every scenario the first one's, and the table says so.
func TestSuiteSamePayload(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eight short measurements; skipped with -short")
	}
	dir := t.TempDir()
	suite := filepath.Join(dir, "calls.yaml")
	if err := os.WriteFile(suite, []byte("name: calls\nscenarios:\n  - order-payment-rest\n  - user-auth-grpc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
		sizes [2]int // REST, gRPC
	}{
		// Each built-in template as it is: 483 B for REST, 209 B for gRPC.
		{"own payloads", nil, "payloads differ (REST 483 B, gRPC unary 209 B)", [2]int{483, 209}},
		// One payload, the first scenario's, everywhere.
		{"same payload", []string{"--same-payload"}, "every scenario carried the same 483 B payload", [2]int{483, 483}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			args := append([]string{"suite", suite, "--duration", "300ms", "--warmup", "0s", "--rate", "200", "--saturation", "closed", "--concurrency", "2", "--out", out}, tc.flags...)
			f, stdout, errOut := testFactory(args...)
			if code := Main(context.Background(), f); code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, errOut)
			}
			if !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("table does not say %q:\n%s", tc.want, stdout)
			}
			for i, n := range []string{"order-payment-rest", "user-auth-grpc"} {
				res, err := results.ReadFile(filepath.Join(out, n+".same-load.json"))
				if err != nil {
					t.Fatal(err)
				}
				if res.Load.PayloadBytes != tc.sizes[i] {
					t.Errorf("%s: %d B payload, want %d", n, res.Load.PayloadBytes, tc.sizes[i])
				}
			}
		})
	}
}

// TestSuiteSaturationSearch: the saturation phase searches for the highest
// rate each scenario sustains; the table shows it with the p99 there.
func TestSuiteSaturationSearch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	f, stdout, errOut := testFactory("suite", "order-payment-rest", "--duration", "300ms", "--warmup", "0s", "--rate", "100",
		"--find-max-steps", "2", "--max-p99", "2s", "--out", out)
	f.IO.ErrTTY = true
	if code := Main(context.Background(), f); code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, errOut)
	}
	res, err := results.ReadFile(filepath.Join(out, "order-payment-rest.saturation.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Search
	if s == nil || len(s.Steps) != 2 || s.Steps[0].AskedOpsPerS != 100 || s.MaxP99NS != int64(2*time.Second) || res.Load.Mode != results.OpenLoop {
		t.Fatalf("saturation result: load %+v, search %+v; want a search of two steps from 100 ops/s", res.Load, s)
	}
	so := stdout.String()
	for _, w := range []string{"the highest open-loop rate sustained", " · p99 ", "At the highest rate each sustained"} {
		if !strings.Contains(so, w) {
			t.Errorf("stdout lacks %q:\n%s", w, so)
		}
	}
	if se := errOut.String(); !strings.Contains(se, "saturation: highest rate sustained, from 100 ops/s, at most 2 steps") || !strings.Contains(se, "✓ order-payment-rest · saturation · ") {
		t.Errorf("progress display:\n%q", se)
	}
}

func TestSuiteSaturationBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--saturation", "bogus"},
		{"--saturation", "closed", "--max-p99", "10ms"},
		{"--max-p99", "-1ms"},
		{"--find-max-steps", "1"},
	} {
		f, stdout, errOut := testFactory(append([]string{"suite", "order-payment-rest"}, args...)...)
		if code := Main(context.Background(), f); code != ExitUsage {
			t.Errorf("suite %v: exit %d, want %d\n%s%s", args, code, ExitUsage, stdout, errOut)
		}
	}
}
