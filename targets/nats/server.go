package nats

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/commsbench/commsbench/bench"
)

// EmbeddedNote tells a reader where the embedded server ran.
const EmbeddedNote = "the NATS server was embedded: it ran in this process on 127.0.0.1 and shared its CPU with the load generator; JetStream stored on a temporary directory"

// ServedNote tells a reader where the embedded server ran when the run
// started it in a process of its own.
const ServedNote = "the NATS server was embedded: it ran in a process of its own (commsbench serve nats) on 127.0.0.1, whose CPU is counted apart from the load generator's; JetStream stored on a temporary directory"

// embeddedPayloadLimit lets the embedded server take every message the
// engine may send: the largest payload and the header.
const embeddedPayloadLimit = bench.MaxPayloadBytes + HeaderSize

// Server is an in-process nats-server with JetStream on a temporary store.
type Server struct {
	srv   *natsserver.Server
	store string
}

// ServerVersion is the embedded server's version.
const ServerVersion = natsserver.VERSION

// StartServer starts a server listening on addr ("127.0.0.1:0" picks a
// free port) with JetStream on a temporary directory, and waits until it
// takes connections. Its logging is off.
func StartServer(addr string) (*Server, error) {
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("nats: address %q: want host:port, such as 127.0.0.1:4222 (port 0 picks a free one)", addr)
	}
	port, err := strconv.Atoi(portS)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("nats: address %q: the port must be a number from 0 to 65535", addr)
	}
	if port == 0 {
		port = natsserver.RANDOM_PORT
	}
	// The port is tried first so that a port in use gives a plain error
	// instead of the server's own, which it only logs.
	if port != natsserver.RANDOM_PORT {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("nats: cannot listen on %s (%v): choose another --addr (port 0 picks a free one)", addr, err)
		}
		l.Close()
	}
	store, err := os.MkdirTemp("", "commsbench-nats-")
	if err != nil {
		return nil, fmt.Errorf("nats: make the JetStream store: %w", err)
	}
	opts := &natsserver.Options{
		ServerName: "commsbench",
		Host:       host,
		Port:       port,
		NoLog:      true,
		NoSigs:     true,
		JetStream:  true,
		StoreDir:   store,
		MaxPayload: embeddedPayloadLimit,
		// Pending bytes per client default to 64 MiB; a payload as large as
		// the limit must fit too.
		MaxPending: 4 * embeddedPayloadLimit,
	}
	srv, err := natsserver.NewServer(opts)
	if err != nil {
		os.RemoveAll(store)
		return nil, fmt.Errorf("nats: embedded server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		os.RemoveAll(store)
		return nil, errors.New("nats: the embedded server did not take connections within 10s; is the machine overloaded?")
	}
	return &Server{srv: srv, store: store}, nil
}

// URL is the server's client URL.
func (s *Server) URL() string { return s.srv.ClientURL() }

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.srv.Addr().String() }

// SlowConsumers is how many times the server cut off a client that did
// not read fast enough.
func (s *Server) SlowConsumers() int64 { return s.srv.NumSlowConsumers() }

// Close stops the server and removes its store.
func (s *Server) Close() error {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	return os.RemoveAll(s.store)
}
