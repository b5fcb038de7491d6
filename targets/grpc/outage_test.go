package grpctarget_test

import (
	"context"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	grpctarget "github.com/commsbench/commsbench/targets/grpc"
)

// TestTargetThatGoesAwayInClosedLoop: a real gRPC echo target stops in
// the middle of a closed-loop run. gRPC fails the calls that follow with
// Unavailable and the dial error in the message; they are classed by that
// error (connection_refused), so the workers back off and the result has
// the window.
func TestTargetThatGoesAwayInClosedLoop(t *testing.T) {
	srv, err := grpctarget.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	stop := time.AfterFunc(400*time.Millisecond, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	defer stop.Stop()

	w, err := grpctarget.NewWorkload(grpctarget.Config{Target: srv.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	const workers = 16
	res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: workers, Duration: 1500 * time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	u := res.Unreachable
	if res.Counts.OK == 0 || res.Errors[bench.ClassRefused] == 0 || u == nil {
		t.Fatalf("ok %d, errors %v, unreachable %+v: want successes, then refused calls", res.Counts.OK, res.Errors, u)
	}
	if u.FailedPerS >= 2000 || u.BackoffMaxS == 0 {
		t.Errorf("%d failed attempts, %.0f/s, backoff up to %vs: want fewer than 2000/s, backed off", u.FailedAttempts, u.FailedPerS, u.BackoffMaxS)
	}
	if len(u.Windows) != 1 || u.Windows[0].ToS < 1.3 {
		t.Errorf("windows %+v, want one from about 0.4s to the end", u.Windows)
	}
	t.Logf("ok %d, errors %v, failed attempts %d (%.0f/s), windows %+v", res.Counts.OK, res.Errors, u.FailedAttempts, u.FailedPerS, u.Windows)
}
