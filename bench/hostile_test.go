package bench_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
)

func TestClassifyNamesTheMachinesLimits(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		// As net reports them: an *OpError around an *os.SyscallError.
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}
	}
	tests := []struct {
		err  error
		want string
	}{
		{dial(syscall.EMFILE), bench.ClassTooManyOpenFiles},
		{dial(syscall.ENFILE), bench.ClassTooManyOpenFiles},
		{dial(syscall.EADDRINUSE), bench.ClassAddressInUse},
		{dial(syscall.EADDRNOTAVAIL), bench.ClassAddressNotAvailable},
		{dial(syscall.ENOBUFS), bench.ClassNoBufferSpace},
		{dial(syscall.ENETUNREACH), bench.ClassNetworkUnreachable},
		{dial(syscall.EHOSTUNREACH), bench.ClassHostUnreachable},
		{dial(syscall.ECONNREFUSED), bench.ClassRefused},
		// Wrapped again by a transport.
		{fmt.Errorf("rest: %w", dial(syscall.EMFILE)), bench.ClassTooManyOpenFiles},
		// Not a limit.
		{errors.New("something else"), bench.ClassOther},
	}
	for _, tt := range tests {
		if got := bench.Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestClassOfMessageFindsSystemErrorsInText(t *testing.T) {
	tests := []struct {
		msg  string
		want string
	}{
		// gRPC's message for a call on a connection that could not be made.
		{`connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`, bench.ClassRefused},
		{`connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: socket: too many open files"`, bench.ClassTooManyOpenFiles},
		{"connect: cannot assign requested address", bench.ClassAddressNotAvailable},
		// A status message from the service itself names no system error.
		{"the service is draining", ""},
	}
	for _, tt := range tests {
		if got := bench.ClassOfMessage(tt.msg); got != tt.want {
			t.Errorf("ClassOfMessage(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestUnreachedClasses(t *testing.T) {
	for class, want := range map[string]bool{
		bench.ClassRefused:             true,
		bench.ClassTooManyOpenFiles:    true,
		bench.ClassAddressNotAvailable: true,
		bench.ClassReset:               false, // the target may have had the request
		bench.ClassTimeout:             false,
		"http_503":                     false,
	} {
		if got := bench.Unreached(class); got != want {
			t.Errorf("Unreached(%q) = %v, want %v", class, got, want)
		}
	}
}

// closedPort returns a loopback address on which nothing listens.
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

// dialEach makes each operation a TCP connection to addr.
func dialEach(addr string) func(context.Context, bench.Op) error {
	return func(ctx context.Context, _ bench.Op) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
}

// TestClosedLoopBacksOffFromAClosedPort: 16 workers dialing a loopback
// port nobody listens on. Without a backoff they made 33k–48k refused
// attempts a second; with it, a few hundred, and the result says when the
// target was unreachable.
func TestClosedLoopBacksOffFromAClosedPort(t *testing.T) {
	addr := closedPort(t)
	w := &fakeWorkload{do: dialEach(addr)}
	const workers = 16
	res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: workers, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	u := res.Unreachable
	if u == nil {
		t.Fatalf("no unreachable section; errors %v", res.Errors)
	}
	if res.Errors[bench.ClassRefused] != res.Counts.Errors || res.Counts.OK != 0 {
		t.Errorf("errors %v, ok %d: want only connection_refused", res.Errors, res.Counts.OK)
	}
	// 16 workers waiting 1, 2, 4 … 100 ms make about 16 × (7 + 9) attempts
	// in the first second; the bound leaves room for a slow machine's
	// timers but none for a storm.
	if u.FailedPerS >= 2000 || u.FailedAttempts != res.Counts.Errors {
		t.Errorf("%d failed attempts (%.0f/s) of %d errors: want fewer than 2000/s", u.FailedAttempts, u.FailedPerS, res.Counts.Errors)
	}
	t.Logf("%d failed attempts, %.0f/s", u.FailedAttempts, u.FailedPerS)
	if u.BackoffMinS != bench.BackoffMin.Seconds() || u.BackoffMaxS != bench.BackoffMax.Seconds() {
		t.Errorf("backoff %v–%v s, want %v–%v", u.BackoffMinS, u.BackoffMaxS, bench.BackoffMin, bench.BackoffMax)
	}
	if len(u.Windows) != 1 || u.Windows[0].FromS > 0.1 || u.Windows[0].ToS < 0.8 {
		t.Errorf("windows %+v, want one covering the whole second", u.Windows)
	}
	if res.FirstErrors[bench.ClassRefused] == "" || !strings.Contains(res.FirstErrors[bench.ClassRefused], addr) {
		t.Errorf("first errors %v, want the refused dial to %s", res.FirstErrors, addr)
	}
}

// TestOpenLoopDoesNotBackOff: an open loop fails exactly the operations
// that were due, outage or not.
func TestOpenLoopDoesNotBackOff(t *testing.T) {
	addr := closedPort(t)
	w := &fakeWorkload{do: dialEach(addr)}
	res, err := bench.Run(context.Background(), w, bench.Options{Rate: 2000, Concurrency: 16, Requests: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Sent != 1000 || res.Errors[bench.ClassRefused] != 1000 {
		t.Fatalf("sent %d, errors %v: want 1000 refused", res.Counts.Sent, res.Errors)
	}
	if u := res.Unreachable; u == nil || u.BackoffMaxS != 0 || u.FailedAttempts != 1000 {
		t.Errorf("unreachable %+v: want 1000 failed attempts and no backoff", u)
	}
}

// TestABackedOffWorkerComesBackAtOnce: after the target returns, a
// worker's next wait starts from the minimum again.
func TestABackedOffWorkerComesBackAtOnce(t *testing.T) {
	start := time.Now()
	w := &fakeWorkload{do: func(context.Context, bench.Op) error {
		if time.Since(start) < 300*time.Millisecond {
			return syscall.ECONNREFUSED
		}
		return nil
	}}
	res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: 2, Duration: 800 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	u := res.Unreachable
	if u == nil || len(u.Windows) != 1 {
		t.Fatalf("unreachable %+v: want one window", u)
	}
	if w := u.Windows[0]; w.FromS > 0.05 || w.ToS < 0.15 || w.ToS > 0.45 {
		t.Errorf("window %+v, want from about 0 to about 0.3s", w)
	}
	if res.Counts.OK < 1000 {
		t.Errorf("%d ok after the target came back: the workers did not resume at full speed", res.Counts.OK)
	}
	if !strings.Contains(res.FirstErrors[bench.ClassRefused], "connection refused") {
		t.Errorf("first errors %v", res.FirstErrors)
	}
}
