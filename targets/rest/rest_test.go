package rest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/rest"
)

func TestHandlerEchoesAndAnswersHealth(t *testing.T) {
	srv := httptest.NewServer(rest.Handler())
	defer srv.Close()
	tests := []struct {
		name       string
		method     string
		path       string
		body       []byte
		wantStatus int
		wantBody   []byte
	}{
		{"echo returns the body", "POST", "/echo", []byte("hello, echo"), 200, []byte("hello, echo")},
		{"empty body echoes empty", "POST", "/echo", nil, 200, []byte{}},
		{"large body", "POST", "/echo", bytes.Repeat([]byte{7}, 1<<20), 200, bytes.Repeat([]byte{7}, 1<<20)},
		{"health", "GET", "/healthz", nil, 200, []byte("ok\n")},
		{"GET /echo is not the contract", "GET", "/echo", nil, 405, nil},
		{"body over 16 MiB refused", "POST", "/echo", make([]byte, rest.MaxBody+1), 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != nil && !bytes.Equal(got, tt.wantBody) {
				t.Errorf("body %d bytes, want %d bytes equal to the request", len(got), len(tt.wantBody))
			}
		})
	}
}

func run(t *testing.T, cfg rest.Config, o bench.Options) (*results.Result, error) {
	t.Helper()
	return bench.Run(context.Background(), rest.NewWorkload(cfg), o)
}

func TestEmbeddedRuns(t *testing.T) {
	tests := []struct {
		name string
		cfg  rest.Config
		o    bench.Options
	}{
		{"HTTP/1.1 closed loop", rest.Config{Connections: 4, PayloadBytes: 256}, bench.Options{Concurrency: 4, Requests: 500}},
		{"HTTP/1.1 open loop", rest.Config{Connections: 10, PayloadBytes: 1024}, bench.Options{Rate: 2000, Concurrency: 100, Requests: 500}},
		{"h2c closed loop", rest.Config{HTTP2: true, Connections: 1, PayloadBytes: 100}, bench.Options{Concurrency: 8, Requests: 500}},
		{"empty payload", rest.Config{Connections: 1}, bench.Options{Concurrency: 1, Requests: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Timeout = 5 * time.Second
			res, err := run(t, tt.cfg, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts.OK != 500 && res.Counts.OK != 100 || res.Counts.Errors != 0 {
				t.Errorf("counts %+v errors %v; want every request echoed", res.Counts, res.Errors)
			}
			if res.Target.Kind != results.TargetEmbedded || !strings.HasPrefix(res.Target.Address, "http://127.0.0.1:") {
				t.Errorf("target = %+v, want an embedded target on 127.0.0.1", res.Target)
			}
		})
	}
}

// badEcho answers 200 with other bytes than it was sent.
func badEcho(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	for i := range b {
		b[i] ^= 0xff
	}
	_, _ = w.Write(b)
}

func TestATargetThatDoesNotEchoIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"other bytes", badEcho, "echo contract"},
		// A target that takes orders and no echoes, say.
		{"404 everywhere", http.NotFound, "no POST /echo (HTTP 404): a target that takes orders wants --encoding json or protobuf"},
		{"more bytes", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(append(b, 'x'))
		}, "echo contract"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := run(t, rest.Config{Target: srv.URL, PayloadBytes: 64}, bench.Options{Concurrency: 1, Requests: 10})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want a pre-flight error saying %q", err, tt.want)
			}
		})
	}
}

func TestMismatchAndStatusErrorsAreClassified(t *testing.T) {
	// The pre-flight echo passes, then the target goes bad.
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case n == 1:
			rest.Handler().ServeHTTP(w, r)
		case n%2 == 0:
			badEcho(w, r)
		default:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	res, err := run(t, rest.Config{Target: srv.URL, Connections: 1, PayloadBytes: 32}, bench.Options{Concurrency: 1, Requests: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[bench.ClassEchoMismatch] != 10 || res.Errors["http_503"] != 10 || res.Counts.OK != 0 {
		t.Errorf("errors = %v ok = %d; want 10 echo_mismatch and 10 http_503", res.Errors, res.Counts.OK)
	}
}

func TestUnreachableTargetFailsFastAndSaysWhatToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	start := time.Now()
	_, err = run(t, rest.Config{Target: addr}, bench.Options{Concurrency: 1, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "commsbench serve rest") || !strings.Contains(err.Error(), addr) {
		t.Errorf("error = %v; want one naming %s and how to start a target", err, addr)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v to report an unreachable target", d)
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", true},
		{"http://[::1]:80/api", "http://[::1]:80/api", true},
		{"https://example:443", "", false}, // TLS is not spoken
		{"", "", false},
		{"http://", "", false},
	}
	for _, tt := range tests {
		got, err := rest.BaseURL(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestServeAndShutdown(t *testing.T) {
	srv, err := rest.Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	resp, err := http.Get(srv.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

func TestPayloadTemplateIsSentAsItIs(t *testing.T) {
	tpl := []byte(`{"order_id":"A-1001","total_cents":12900}`)
	var bad atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !bytes.Equal(b, tpl) {
			bad.Add(1)
		}
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	res, err := run(t, rest.Config{Target: srv.URL, Payload: tpl}, bench.Options{Concurrency: 2, Requests: 20})
	if err != nil {
		t.Fatal(err)
	}
	// 20 measured requests and the pre-flight one.
	if res.Counts.OK != 20 || bad.Load() != 0 || res.Load.PayloadBytes != 0 && res.Load.PayloadBytes != len(tpl) {
		t.Errorf("ok %d, bodies other than the template: %d", res.Counts.OK, bad.Load())
	}
}
