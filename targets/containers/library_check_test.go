package containers

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// An engine that answers GET /_ping but hangs on everything else passes
// CheckEngine; testcontainers' own discovery then blocks without bound. Start
// must still give up within DefaultCheckTimeout.
//
// testcontainers remembers the engine it found for the life of the process,
// so this runs in a child process of its own, where nothing else uses it.
func TestStartBoundsTestcontainersCheck(t *testing.T) {
	if os.Getenv("COMMSBENCH_TC_CHILD") == "1" {
		childStartOnHalfHungEngine(t)
		return
	}
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	if testing.Short() {
		t.Skip("takes the full 3 s bound")
	}
	dir := socketDir(t)
	sock := filepath.Join(dir, "half.sock")
	mux := http.NewServeMux()
	mux.Handle("/_ping", pingHandler("Docker/half-hung"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	fakeEngine(t, sock, mux)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestStartBoundsTestcontainersCheck$", "-test.v")
	cmd.Env = append(os.Environ(),
		"COMMSBENCH_TC_CHILD=1",
		"DOCKER_HOST=unix://"+sock,
		"HOME="+dir, // no ~/.testcontainers.properties
		"TESTCONTAINERS_RYUK_DISABLED=true",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
	if !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child did not pass:\n%s", out)
	}
}

func childStartOnHalfHungEngine(t *testing.T) {
	eng, err := CheckEngine(context.Background(), EngineConfig{})
	if err != nil {
		t.Fatalf("CheckEngine should pass on an engine that answers /_ping: %v", err)
	}
	start := time.Now()
	_, err = Start(context.Background(), eng, Spec{Kind: Queue})
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Start succeeded on a fake engine")
	}
	if elapsed < DefaultCheckTimeout || elapsed > DefaultCheckTimeout+time.Second {
		t.Errorf("Start gave up after %v, want about %v", elapsed, DefaultCheckTimeout)
	}
	if !strings.Contains(err.Error(), "testcontainers did not reach the Docker engine within 3s") {
		t.Errorf("error: %v", err)
	}
	t.Logf("Start: %v after %v", err, elapsed)
}
