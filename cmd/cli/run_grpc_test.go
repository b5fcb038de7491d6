package cli

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestGRPCBadInput(t *testing.T) {
	dead := closedPort(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string // must appear in the first line of stderr
	}{
		// A mode that does not exist.
		{"unknown mode", []string{"run", "grpc", "--grpc-mode", "duplex"}, ExitUsage, `--grpc-mode "duplex": choose unary or stream`},
		// A URL where host:port belongs.
		{"target is a URL", []string{"run", "grpc", "--target", "http://127.0.0.1:9090"}, ExitUsage, "--target: grpc: target \"http://127.0.0.1:9090\": give host:port"},
		// No port.
		{"target without port", []string{"run", "grpc", "--target", "localhost"}, ExitUsage, "is not host:port"},
		// The shared flags are checked for grpc too.
		{"zero connections", []string{"run", "grpc", "--connections", "0"}, ExitUsage, "--connections 0: must be at least 1"},
		// Nothing listens there: a run failure that says what to do.
		{"unreachable target", []string{"run", "grpc", "--target", dead, "--duration", "1s"}, ExitFailure, "grpc: cannot reach the target at " + dead},
		{"unreachable target, stream", []string{"run", "grpc", "--grpc-mode", "stream", "--target", dead, "--duration", "1s"}, ExitFailure, "start one with 'commsbench serve grpc', or drop --target"},
		// A port that does not exist.
		{"serve on a bad address", []string{"serve", "grpc", "--addr", "127.0.0.1:99999"}, ExitFailure, "grpc: listen on 127.0.0.1:99999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(tt.args...)
			start := time.Now()
			code := Main(context.Background(), f)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			// The error is one line; a usage hint may follow it.
			first, _, _ := strings.Cut(errOut.String(), "\n")
			if !strings.Contains(first, tt.msg) {
				t.Errorf("first line of stderr %q does not say %q", errOut.String(), tt.msg)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v; a bad input must fail fast", took)
			}
		})
	}
}
