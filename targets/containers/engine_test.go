package containers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// env is a fake environment for EngineConfig.Getenv.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// socketDir is a short temporary directory: a unix socket path must fit in
// about 100 bytes, and t.TempDir can be longer than that.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// fakeEngine serves h on a unix socket, as a Docker engine would.
func fakeEngine(t *testing.T, path string, h http.Handler) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// pingHandler answers GET /_ping as Docker does.
func pingHandler(server string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_ping" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Server", server)
		w.Write([]byte("OK"))
	})
}

// hungEngine accepts connections on a unix socket and never answers. It
// returns a function that stops it and waits until its goroutines ended.
func hungEngine(t *testing.T, path string) (stop func()) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
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
	var once sync.Once
	stop = func() {
		once.Do(func() {
			l.Close()
			wg.Wait()
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
		})
	}
	t.Cleanup(stop)
	return stop
}

// staleSocket leaves a socket file with nothing listening on it.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
}

// isolated is an EngineConfig that sees only dir: an empty home, no system
// socket, no runtime directory, no environment but e.
func isolated(dir string, e env) EngineConfig {
	if e == nil {
		e = env{}
	}
	if _, ok := e["HOME"]; !ok {
		e["HOME"] = filepath.Join(dir, "home")
	}
	return EngineConfig{
		Getenv:       e.get,
		Timeout:      500 * time.Millisecond,
		SystemSocket: filepath.Join(dir, "system.sock"),
		RunDir:       filepath.Join(dir, "run"),
	}
}

func TestCandidatesOrder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	dir := socketDir(t)
	home := filepath.Join(dir, "home")
	xdg := filepath.Join(dir, "xdg")
	for _, d := range []string{home, xdg, filepath.Join(home, ".docker", "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	props := "# testcontainers\ntc.host=tcp://10.0.0.1:2375\ndocker.host = unix:///props.sock\n"
	if err := os.WriteFile(filepath.Join(home, propertiesFile), []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	// The system socket and ~/.docker/run/docker.sock exist; $XDG_RUNTIME_DIR has none.
	staleSocket(t, filepath.Join(dir, "system.sock"))
	staleSocket(t, filepath.Join(home, ".docker", "run", "docker.sock"))
	cfg := isolated(dir, env{"DOCKER_HOST": "tcp://127.0.0.1:1", "XDG_RUNTIME_DIR": xdg})
	var got []string
	for _, c := range cfg.candidates() {
		s := c.host + " <" + c.source + ">"
		if c.absent {
			s += " absent"
		}
		got = append(got, s)
	}
	want := []string{
		"tcp://10.0.0.1:2375 <tc.host in ~/.testcontainers.properties>",
		"tcp://127.0.0.1:1 <DOCKER_HOST>",
		"unix://" + filepath.Join(dir, "system.sock") + " <the default socket>",
		"unix:///props.sock <docker.host in ~/.testcontainers.properties>",
		"unix://" + filepath.Join(xdg, "docker.sock") + " <rootless Docker ($XDG_RUNTIME_DIR)> absent",
		// The first rootless socket that exists ends the list, as in testcontainers.
		"unix://" + filepath.Join(home, ".docker", "run", "docker.sock") + " <rootless Docker>",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("candidates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckEngineFindsAnEngine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	tcp := httptest.NewServer(pingHandler("Docker/99.0 (tcp)"))
	t.Cleanup(tcp.Close)
	tests := []struct {
		name       string
		setup      func(t *testing.T, dir string) env
		wantHost   string // "{dir}" stands for the directory
		wantSource string
		wantServer string
	}{
		{
			// DOCKER_HOST naming a unix socket where an engine answers.
			name: "DOCKER_HOST unix",
			setup: func(t *testing.T, dir string) env {
				fakeEngine(t, filepath.Join(dir, "d.sock"), pingHandler("Docker/27.3.1 (linux)"))
				return env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "d.sock")}
			},
			wantHost: "unix://{dir}/d.sock", wantSource: "DOCKER_HOST", wantServer: "Docker/27.3.1 (linux)",
		},
		{
			// DOCKER_HOST naming a tcp address.
			name: "DOCKER_HOST tcp",
			setup: func(t *testing.T, dir string) env {
				return env{"DOCKER_HOST": "tcp://" + tcp.Listener.Addr().String()}
			},
			wantHost: "tcp://" + tcp.Listener.Addr().String(), wantSource: "DOCKER_HOST", wantServer: "Docker/99.0 (tcp)",
		},
		{
			// No DOCKER_HOST: the default socket.
			name: "default socket",
			setup: func(t *testing.T, dir string) env {
				fakeEngine(t, filepath.Join(dir, "system.sock"), pingHandler("Docker/1"))
				return nil
			},
			wantHost: "unix://{dir}/system.sock", wantSource: "the default socket", wantServer: "Docker/1",
		},
		{
			// DOCKER_HOST refuses at once: testcontainers moves on to the
			// default socket, and so does the check.
			name: "DOCKER_HOST refused, default socket answers",
			setup: func(t *testing.T, dir string) env {
				staleSocket(t, filepath.Join(dir, "stale.sock"))
				fakeEngine(t, filepath.Join(dir, "system.sock"), pingHandler("Docker/2"))
				return env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "stale.sock")}
			},
			wantHost: "unix://{dir}/system.sock", wantSource: "the default socket", wantServer: "Docker/2",
		},
		{
			// A rootless engine under /run/user/<uid>.
			name: "rootless run dir",
			setup: func(t *testing.T, dir string) env {
				p := filepath.Join(dir, "run", "user", strconv.Itoa(os.Getuid()))
				if err := os.MkdirAll(p, 0o700); err != nil {
					t.Fatal(err)
				}
				fakeEngine(t, filepath.Join(p, "docker.sock"), pingHandler("Docker/3"))
				return nil
			},
			wantHost: "unix://{dir}/run/user/" + strconv.Itoa(os.Getuid()) + "/docker.sock", wantSource: "rootless Docker", wantServer: "Docker/3",
		},
		{
			// An ssh:// engine cannot be probed here; Start leaves it to
			// testcontainers' own (bounded) check.
			name: "ssh not probed",
			setup: func(t *testing.T, dir string) env {
				return env{"DOCKER_HOST": "ssh://user@host"}
			},
			wantHost: "ssh://user@host", wantSource: "DOCKER_HOST",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := socketDir(t)
			cfg := isolated(dir, tt.setup(t, dir))
			eng, err := CheckEngine(context.Background(), cfg)
			if err != nil {
				t.Fatalf("CheckEngine: %v", err)
			}
			if want := strings.ReplaceAll(tt.wantHost, "{dir}", dir); eng.Host != want {
				t.Errorf("host %q, want %q", eng.Host, want)
			}
			if eng.Source != tt.wantSource || eng.Server != tt.wantServer {
				t.Errorf("source %q server %q, want %q %q", eng.Source, eng.Server, tt.wantSource, tt.wantServer)
			}
			if eng.Probed != (tt.wantServer != "") {
				t.Errorf("probed %v", eng.Probed)
			}
		})
	}
}

func TestCheckEngineNoEngine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) env
		// want are substrings of the message.
		want []string
	}{
		{
			// Nothing anywhere: every place looked at is named.
			name:  "nothing",
			setup: func(t *testing.T, dir string) env { return nil },
			want:  []string{"no Docker engine found\n", "no socket at " + filepath.Join(dir0, "system.sock"), "DOCKER_HOST is not set"},
		},
		{
			// DOCKER_HOST names a socket that does not exist.
			name: "DOCKER_HOST missing socket",
			setup: func(t *testing.T, dir string) env {
				return env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "nope.sock")}
			},
			want: []string{"no socket at " + filepath.Join(dir0, "nope.sock"), "DOCKER_HOST=unix://" + filepath.Join(dir0, "nope.sock")},
		},
		{
			// A socket file with no daemon behind it.
			name: "refused",
			setup: func(t *testing.T, dir string) env {
				staleSocket(t, filepath.Join(dir, "stale.sock"))
				return env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "stale.sock")}
			},
			want: []string{"no Docker engine answered\n", "tried unix://" + filepath.Join(dir0, "stale.sock") + " (DOCKER_HOST): connection refused", "is the Docker daemon running?"},
		},
		{
			// A tcp port where nothing listens.
			name: "tcp refused",
			setup: func(t *testing.T, dir string) env {
				return env{"DOCKER_HOST": "tcp://127.0.0.1:" + closedPort(t)}
			},
			want: []string{"(DOCKER_HOST): connection refused"},
		},
		{
			// Something answers, but it is not a Docker engine.
			name: "not docker",
			setup: func(t *testing.T, dir string) env {
				fakeEngine(t, filepath.Join(dir, "web.sock"), http.NotFoundHandler())
				return env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "web.sock")}
			},
			want: []string{"GET /_ping: 404 Not Found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := socketDir(t)
			cfg := isolated(dir, tt.setup(t, dir))
			start := time.Now()
			_, err := CheckEngine(context.Background(), cfg)
			if elapsed := time.Since(start); elapsed > 300*time.Millisecond {
				t.Errorf("took %v; a refused or missing engine must fail at once", elapsed)
			}
			var ne *NoEngineError
			if !errors.As(err, &ne) {
				t.Fatalf("error %v (%T), want *NoEngineError", err, err)
			}
			if ne.Hung {
				t.Error("Hung set")
			}
			msg := strings.ReplaceAll(err.Error(), dir, dir0)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

// dir0 stands for a test's directory in expected messages.
const dir0 = "{dir}"

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return strconv.Itoa(port)
}

// An engine that accepts the connection and never answers: the check gives
// up within its bound, names the engine, does not go on to later candidates
// (testcontainers would hang on this one), and leaves nothing running.
func TestCheckEngineHungEngine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	for _, timeout := range []time.Duration{300 * time.Millisecond, DefaultCheckTimeout} {
		t.Run(timeout.String(), func(t *testing.T) {
			if timeout == DefaultCheckTimeout && testing.Short() {
				t.Skip("takes the full 3 s bound")
			}
			dir := socketDir(t)
			// A working engine later in the order must not be reached.
			fakeEngine(t, filepath.Join(dir, "system.sock"), pingHandler("Docker/later"))
			before := runtime.NumGoroutine()
			stop := hungEngine(t, filepath.Join(dir, "hung.sock"))
			cfg := isolated(dir, env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "hung.sock")})
			cfg.Timeout = timeout
			if timeout == DefaultCheckTimeout {
				cfg.Timeout = 0 // the default
			}
			start := time.Now()
			eng, err := CheckEngine(context.Background(), cfg)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("found %s, want an error", eng.Host)
			}
			if elapsed < timeout || elapsed > timeout+500*time.Millisecond {
				t.Errorf("gave up after %v, want just over %v", elapsed, timeout)
			}
			var ne *NoEngineError
			if !errors.As(err, &ne) || !ne.Hung {
				t.Fatalf("error %v, want a hung *NoEngineError", err)
			}
			for _, frag := range []string{"accepted the connection but did not answer within " + timeout.String(), "no answer to GET /_ping", "DOCKER_HOST=unix://"} {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("message lacks %q:\n%v", frag, err)
				}
			}
			// Nothing of the check outlives it: with the hung engine's
			// goroutines gone, the count returns to where it was.
			stop()
			waitGoroutines(t, before)
			t.Logf("the error:\n%v", err)
		})
	}
}

// waitGoroutines waits up to 2 s for the goroutine count to fall to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCheckEngineCancelled(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	dir := socketDir(t)
	hungEngine(t, filepath.Join(dir, "hung.sock"))
	cfg := isolated(dir, env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "hung.sock")})
	cfg.Timeout = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := CheckEngine(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the caller's cancellation", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %v after the caller cancelled", elapsed)
	}
}

func TestReadProperties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p")
	content := strings.Join([]string{
		"# comment",
		"! also a comment",
		"",
		"docker.host=unix:///a.sock", // '=' separator
		"tc.host : tcp://h:2375",     // ':' separator with blanks
		"ryuk.disabled true",         // blank separator
		"  docker.tls.verify = 1  ",  // surrounding blanks
		"docker.cert.path=/c:/certs", // a ':' inside the value stays
		"lonely",
	}, "\n")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got := readProperties(path)
	want := map[string]string{
		"docker.host":       "unix:///a.sock",
		"tc.host":           "tcp://h:2375",
		"ryuk.disabled":     "true",
		"docker.tls.verify": "1",
		"docker.cert.path":  "/c:/certs",
		"lonely":            "",
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if m := readProperties(filepath.Join(t.TempDir(), "missing")); len(m) != 0 {
		t.Errorf("missing file gave %v", m)
	}
}

// The Engine API calls "brokers down" uses, against a fake engine.
func TestEngineAPI(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	dir := socketDir(t)
	var mu sync.Mutex
	alive := map[string]bool{"abc123": true}
	mux := http.NewServeMux()
	mux.Handle("GET /_ping", pingHandler("Docker/fake"))
	mux.HandleFunc("GET /containers/{id}/json", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !alive[r.PathValue("id")] {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"No such container: ` + r.PathValue("id") + `"}`))
			return
		}
		w.Write([]byte(`{"Id":"` + r.PathValue("id") + `","State":{"Running":true},"Config":{"Image":"rabbitmq:4","Labels":{"commsbench.broker":"queue"}}}`))
	})
	mux.HandleFunc("GET /containers/json", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("all") != "1" || r.URL.Query().Get("filters") != `{"label":["commsbench.kept=true"]}` {
			http.Error(w, `{"message":"bad query `+r.URL.RawQuery+`"}`, http.StatusBadRequest)
			return
		}
		w.Write([]byte(`[{"Id":"abc123","Image":"rabbitmq:4","State":"running","Labels":{"commsbench.broker":"queue"}}]`))
	})
	mux.HandleFunc("DELETE /containers/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Query().Get("force") != "1" || r.URL.Query().Get("v") != "1" {
			http.Error(w, "want force and v", http.StatusBadRequest)
			return
		}
		if !alive[r.PathValue("id")] {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"No such container"}`))
			return
		}
		delete(alive, r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	fakeEngine(t, filepath.Join(dir, "d.sock"), mux)
	eng, err := CheckEngine(context.Background(), isolated(dir, env{"DOCKER_HOST": "unix://" + filepath.Join(dir, "d.sock")}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info, err := eng.Inspect(ctx, "abc123")
	if err != nil || !info.Running || info.Image != "rabbitmq:4" || info.Labels[LabelBroker] != "queue" {
		t.Fatalf("Inspect: %+v, %v", info, err)
	}
	list, err := eng.List(ctx, LabelKept+"=true")
	if err != nil || len(list) != 1 || list[0].ID != "abc123" || !list[0].Running {
		t.Fatalf("List: %+v, %v", list, err)
	}
	if err := eng.Remove(ctx, "abc123"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := eng.Remove(ctx, "abc123"); !errors.Is(err, ErrNoSuchContainer) {
		t.Errorf("second Remove: %v, want ErrNoSuchContainer", err)
	}
	if _, err := eng.Inspect(ctx, "abc123"); !errors.Is(err, ErrNoSuchContainer) {
		t.Errorf("Inspect after Remove: %v, want ErrNoSuchContainer", err)
	}
}
