package rest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/rest"
)

// TestTargetThatGoesAwayInClosedLoop: a real echo target stops in the
// middle of a closed-loop run. The workers back off instead of storming
// the closed port, and the result and its summary say from when the
// target was unreachable.
func TestTargetThatGoesAwayInClosedLoop(t *testing.T) {
	srv, err := rest.Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	const stopAt = 400 * time.Millisecond
	stop := time.AfterFunc(stopAt, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	defer stop.Stop()

	const workers = 16
	res, err := run(t, rest.Config{Target: srv.URL(), Connections: workers}, bench.Options{Concurrency: workers, Duration: 1500 * time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	u := res.Unreachable
	if u == nil || res.Counts.OK == 0 {
		t.Fatalf("ok %d, errors %v, unreachable %+v: want successes, then refusals", res.Counts.OK, res.Errors, u)
	}
	if res.Errors[bench.ClassRefused] == 0 {
		t.Errorf("errors %v: want connection_refused", res.Errors)
	}
	if u.FailedPerS >= 2000 {
		t.Errorf("%d failed attempts, %.0f/s: want fewer than 2000/s", u.FailedAttempts, u.FailedPerS)
	}
	if len(u.Windows) != 1 {
		t.Fatalf("windows %+v, want one", u.Windows)
	}
	// The measured period starts a little after the timer, and the
	// connections in use see the shutdown as an end of file before their
	// next dial is refused: the window opens about stopAt into it.
	if w := u.Windows[0]; w.FromS > stopAt.Seconds()+0.2 || w.FromS < 0.1 || w.ToS < 1.3 {
		t.Errorf("window %+v, want from about %.1fs to the end (1.5s)", w, stopAt.Seconds())
	}
	var buf bytes.Buffer
	if err := results.WriteSummary(&buf, res, results.FormatText); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "the target could not be reached from") {
		t.Errorf("the summary does not say when the target was unreachable:\n%s", buf.String())
	}
	t.Logf("ok %d, failed attempts %d (%.0f/s), window %+v", res.Counts.OK, u.FailedAttempts, u.FailedPerS, u.Windows[0])
}
