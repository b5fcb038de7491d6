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
	"time"

	"github.com/commsbench/commsbench/targets/messages"
)

// MaxBody is the largest request body the echo target accepts.
const MaxBody = 16 << 20

// Server is the REST echo target.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen binds the echo target to addr ("127.0.0.1:0" picks a free port).
// With h2c the server speaks HTTP/2 without TLS as well as HTTP/1.1.
func Listen(addr string, h2c bool) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rest: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           Handler(),
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
	srv.Protocols.SetUnencryptedHTTP2(h2c)
	return &Server{srv: srv, ln: ln}, nil
}

// Addr is the address the target listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the target's base URL.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Serve answers requests until Shutdown; it returns nil after a shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops the target, letting requests in progress finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
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
