package rest

import (
	"context"
	"fmt"
	"io"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// maxAutoConnections caps the default connection pool: one connection per
// worker up to this many.
const maxAutoConnections = 100

// Transport describes the REST transport to the commands.
func Transport() transport.Transport {
	return transport.Transport{
		Name: "rest",
		Run: transport.Help{
			Short: "Drive POST /echo requests at a REST (HTTP) echo target",
			Long: `Drive POST /echo requests at a REST echo target over HTTP/1.1 keep-alive
connections (or HTTP/2 without TLS with --http2). Each request carries
--payload-size random bytes; the response must echo them byte for byte.

With --encoding json or protobuf, each operation instead posts a typed order
of --items lines (targets/messages/messages.proto) to POST /orders, as
application/json or application/x-protobuf; the target decodes it,
validates it and answers with its payment confirmation, which the client
decodes and checks. A refused order (HTTP 400) counts as invalid_message.

A target of your own can stand in for the embedded one: it must answer
POST /echo with status 200 and the request body (--encoding raw), or
POST /orders with the order's confirmation (json, protobuf).

Or measure your own service as it is: --target its URL (with a path, or
--path), --method, --header, a --body-file template whose placeholders
({{seq}}, {{uuid}}, {{now}}, {{rand A B}} …) take a value per request,
--expect-status (default 2xx; others count as unexpected_status) and a
response check (--expect-json PATH=VALUE, --expect-body-contains; a
failure counts as check_failed). A scenario's options may give a weighted
mix of requests (mix:). See docs/rest.md, "Your own endpoints".`,
			Example: `  commsbench run rest --rate 2000 --duration 20s
  commsbench run rest --rate 0 --concurrency 64 --connections 64
  commsbench run rest --target 127.0.0.1:8080 --http2
  commsbench run rest --encoding protobuf --items 10
  commsbench run rest --target http://127.0.0.1:8080/orders --method POST --body-file order.json --expect-status 201`,
		},
		NewConfig: func() transport.Config { return &runConfig{Messages: messages.NewSettings()} },
		Shared: transport.Shared{Usage: map[string]string{
			"target": "a running echo target (host:port), or your own service's URL, with a path (http://127.0.0.1:8080/orders) or --path; without it an embedded echo target starts on 127.0.0.1",
		}},
		Serve: &transport.Serve{
			Help: transport.Help{
				Short: "Serve the REST echo target (POST /echo, POST /orders, GET /healthz)",
			},
			NewConfig: func() transport.ServeConfig { return &serveConfig{Addr: "127.0.0.1:8080"} },
		},
		Faults:    transport.TargetFaults(),
		Retries:   true,
		SmallHeap: true,
		Describe: func(r *results.Result) transport.Mechanism {
			name := "REST"
			if r != nil && r.Options["http2"] == true {
				name = "REST (h2c)"
			}
			if r != nil {
				name += messages.NameSuffix(r.Options) + ownSuffix(r.Options)
			}
			return transport.Mechanism{Name: name, Prose: name, Kind: transport.Sync}
		},
	}
}

// runConfig is a REST run's settings as a user gives them.
type runConfig struct {
	HTTP2    bool
	Messages messages.Settings
	// Own are the requests to a user's own endpoints (custom.go).
	Own ownSettings
}

func (c *runConfig) Options() []transport.Option {
	return append([]transport.Option{
		{Name: "http2", Usage: "speak HTTP/2 without TLS (h2c) instead of HTTP/1.1", Value: transport.Bool(&c.HTTP2)},
		{Name: "encoding", Usage: messages.EncodingUsage, Value: transport.String(&c.Messages.Encoding)},
		{Name: "items", Usage: messages.ItemsUsage, Value: transport.Int(&c.Messages.Items)},
	}, c.Own.options()...)
}

func (c *runConfig) Resolve(_ transport.Env, run *transport.Run) error {
	if run.Target != "" {
		if _, err := BaseURL(run.Target); err != nil {
			return transport.Usagef("--target: %v", err)
		}
		if err := transport.RefuseExternalFaults(run); err != nil {
			return err
		}
	}
	if run.Connections == 0 {
		run.Connections = min(run.Concurrency, maxAutoConnections)
	}
	if err := c.Messages.Resolve(run.Payload != nil); err != nil {
		return transport.Usagef("%v", err)
	}
	if err := c.resolveOwn(run); err != nil {
		return err
	}
	if c.Messages.Enc.Typed() {
		run.PayloadBytes = c.Messages.RequestBytes
	}
	return nil
}

func (c *runConfig) Record(transport.Run) map[string]any {
	o := map[string]any{"http2": c.HTTP2}
	c.Messages.Record(o, true)
	c.Own.record(o)
	return o
}

func (c *runConfig) Workload(run transport.Run) (bench.Workload, error) {
	return NewWorkload(Config{
		Target:       run.Target,
		HTTP2:        c.HTTP2,
		Connections:  run.Connections,
		PayloadBytes: run.PayloadBytes,
		Payload:      run.Payload,
		NetProxy:     transport.NeedsNetProxy(run.Faults),
		Encoding:     c.Messages.Enc,
		Items:        c.Messages.Items,
		Own:          c.Own.fresh(run.ID),
	}), nil
}

// serveConfig is "serve rest".
type serveConfig struct {
	Addr     string
	H2C      bool
	Encoding string
}

func (c *serveConfig) Options() []transport.Option {
	return []transport.Option{
		{Name: "addr", Usage: "address to listen on (port 0 picks a free one)", Value: transport.String(&c.Addr)},
		{Name: "http2", Usage: "also speak HTTP/2 without TLS (h2c)", Value: transport.Bool(&c.H2C)},
		{Name: "encoding", Usage: "take orders (POST /orders) in this encoding only, json or protobuf (default: both)", Value: transport.String(&c.Encoding)},
	}
}

func (c *serveConfig) Serve(ctx context.Context, _ transport.Env, out io.Writer) error {
	var only messages.Encoding
	if c.Encoding != "" {
		enc, err := messages.ParseEncoding(c.Encoding)
		if err != nil || !enc.Typed() {
			return transport.Usagef("--encoding %q: choose json or protobuf, the encoding of the orders this target takes", c.Encoding)
		}
		only = enc
	}
	srv, err := Listen(c.Addr, c.H2C)
	if err != nil {
		return err
	}
	if only != "" {
		srv.TakeOnly(only)
	}
	proto := "HTTP/1.1"
	if c.H2C {
		proto += " and h2c"
	}
	fmt.Fprintf(out, "rest echo target listening on %s (%s; POST /echo, POST /orders, GET /healthz); Ctrl-C stops it\n", srv.URL(), proto)
	return transport.ServeUntilDone(ctx, srv.Serve, srv.Shutdown)
}
