// Package rest is the REST transport: an HTTP echo target and the client
// that drives load at it. The echo contract is small on purpose, so that a
// user's own service can implement it: POST /echo answers 200 with the
// request body; GET /healthz answers 200. With a typed encoding the client
// posts orders to POST /orders instead (orders.go).
package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// MaxBody is the largest request body the echo target accepts.
const MaxBody = 16 << 20

// Server is the REST echo target. It can be taken down and brought back
// on the same address, and slowed, for a run's faults.
type Server struct {
	*transport.Relistener
	h2c   bool
	delay atomic.Int64 // ns added to each echo (a slow fault)
	// orders, when set by TakeOnly, answers POST /orders in place of the
	// default handler's, in every life of the target.
	orders atomic.Pointer[http.Handler]
}

// Listen binds the echo target to addr ("127.0.0.1:0" picks a free port).
// With h2c the server speaks HTTP/2 without TLS as well as HTTP/1.1.
func Listen(addr string, h2c bool) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rest: listen on %s: %w", addr, err)
	}
	s := &Server{h2c: h2c}
	s.Relistener = transport.NewRelistener(ln, s.newInstance)
	return s, nil
}

// instance is one life of the target.
type instance struct{ *http.Server }

func (i instance) Serve(ln net.Listener) error {
	if err := i.Server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (i instance) Kill() { _ = i.Close() }

func (s *Server) newInstance() transport.Instance {
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// net/http logs every failed accept ("http: Accept error: ... too
		// many open files; retrying in 5ms"): out of descriptors, that is
		// a wall of lines on the terminal. The clients' errors count and
		// class the same condition, once, in the result.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(s.h2c)
	return instance{srv}
}

// handler is the echo contract, after the delay of a slow fault.
func (s *Server) handler() http.Handler {
	h := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Duration(s.delay.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if o := s.orders.Load(); o != nil && r.Method == http.MethodPost && r.URL.Path == OrdersPath {
			(*o).ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// URL is the target's base URL.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Up brings the target back on the same address after Down.
func (s *Server) Up() error {
	if err := s.Relistener.Up(); err != nil {
		return fmt.Errorf("rest: %w", err)
	}
	return nil
}

// SetDelay makes every echo take d longer (0: none).
func (s *Server) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// Shutdown stops the target, letting requests in progress finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	srv := s.Relistener.Shutdown().(instance)
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	return err
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// Handler serves the echo contract.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo", echo)
	mux.Handle("POST "+OrdersPath, OrdersHandler(messages.JSON, messages.Protobuf))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

func echo(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > MaxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	if r.ContentLength > 0 && int(r.ContentLength) > cap(buf) {
		buf = make([]byte, 0, r.ContentLength)
	}
	body := io.LimitReader(r.Body, MaxBody+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	if len(buf) > MaxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if cap(buf) <= 1<<20 {
		*bp = buf
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/octet-stream"}
	h["Content-Length"] = []string{strconv.Itoa(len(buf))}
	_, _ = w.Write(buf)
}
