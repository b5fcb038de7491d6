package grpctarget

import (
	"context"
	"fmt"
	"io"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// Transport describes the gRPC transport to the commands.
func Transport() transport.Transport {
	return transport.Transport{
		Name: "grpc",
		Run: transport.Help{
			Short: "Drive Echo calls at a gRPC echo target, unary or streamed",
			Long: `Drive calls at a gRPC echo target (service commsbench.echo.v1.Echo, without
TLS). Each operation carries --payload-size random bytes, stamped with its
sequence number; the answer must echo them byte for byte.

--grpc-mode unary    one Echo call per operation (the default).
--grpc-mode stream   one bidirectional EchoStream per connection, shared by
                     the workers on that connection; each operation is one
                     message, and its echo is the next answer in order.

--connections N opens N client connections (each its own HTTP/2
connection) and spreads the workers over them; the default is one, as a
single gRPC client connection multiplexes all calls.

--encoding json or protobuf makes each operation one unary PlaceOrder call
(service commsbench.messages.v1.Orders in targets/messages/messages.proto)
with a typed order of --items lines, in protobuf or in JSON (content-type
application/grpc+json, as gRPC's JSON codecs send it); the target decodes
and validates it and answers with its payment confirmation, which the
client checks. A refused order (INVALID_ARGUMENT) counts as invalid_message.

--call package.Service/Method calls any unary method of your own service
instead of Echo, its messages built from the method's schema: the
server's reflection, or --proto FILE (with --import-path DIR for its
imports). --data is the request in protobuf's JSON form, a template with
per-request values ({{seq}}, {{uuid}}, {{now}}, {{rand A B}}, …);
--metadata 'key: value' adds metadata; --expect-code lists the status
codes that count as success (default OK): any other counts as
unexpected_code. The method, the schema and the data are checked before
the load starts. See docs/grpc.md, "Any method".

A target of your own can stand in for the embedded one: implement the
service in targets/grpc/echopb/echo.proto (or, with a typed encoding, the
Orders service) and pass --target host:port.
Errors are counted by gRPC status (grpc_unavailable, grpc_internal, ...);
a deadline counts as a timeout.`,
			Example: `  commsbench run grpc --rate 5000 --duration 30s
  commsbench run grpc --rate 0 --concurrency 64 --grpc-mode stream
  commsbench run grpc --rate 0 --concurrency 64 --connections 4
  commsbench run grpc --encoding json --items 10
  commsbench serve grpc --addr 127.0.0.1:9090 &
  commsbench run grpc --target 127.0.0.1:9090 --out grpc.json
  commsbench run grpc --target 127.0.0.1:50051 --call orders.v1.Orders/PlaceOrder \
      --data '{"order_id": "{{uuid}}", "quantity": {{rand 1 5}}}' --metadata 'x-tenant: acme'
  commsbench run grpc --target 127.0.0.1:50051 --call auth.v1.Auth/Validate \
      --proto auth.proto --import-path protos --data-file validate.json --expect-code OK,UNAUTHENTICATED`,
		},
		NewConfig: func() transport.Config { return &runConfig{Mode: ModeUnary, Messages: messages.NewSettings()} },
		Serve: &transport.Serve{
			Help: transport.Help{
				Short: "Serve the gRPC echo target (commsbench.echo.v1.Echo, health, reflection)",
				Long: `Serve the gRPC echo target without TLS: service commsbench.echo.v1.Echo
(unary Echo and bidirectional EchoStream, see targets/grpc/echopb/echo.proto),
the standard health service (grpc.health.v1.Health) and server reflection,
so that grpcurl and similar tools can talk to it too.`,
				Example: `  commsbench serve grpc --addr 127.0.0.1:9090
  commsbench run grpc --target 127.0.0.1:9090 --grpc-mode stream`,
			},
			NewConfig: func() transport.ServeConfig { return &serveConfig{Addr: "127.0.0.1:9090"} },
		},
		Faults:    transport.TargetFaults(),
		Retries:   true,
		SmallHeap: true,
		Describe: func(r *results.Result) transport.Mechanism {
			name := "gRPC"
			if r != nil {
				if call, ok := r.Options["call"].(string); ok && call != "" {
					// A method of the user's own: its short name.
					_, method, _ := parseCallName(call)
					name += " " + method
				} else if m, ok := r.Options["grpc_mode"].(string); ok && m != "" {
					name += " " + m
				}
				name += messages.NameSuffix(r.Options)
			}
			return transport.Mechanism{Name: name, Prose: name, Kind: transport.Sync}
		},
	}
}

// runConfig is a gRPC run's settings as a user gives them.
type runConfig struct {
	Mode     string
	Messages messages.Settings
	Call     callSettings
}

func (c *runConfig) Options() []transport.Option {
	return append([]transport.Option{
		{Name: "grpc-mode", Usage: "unary: one Echo call per operation; stream: one bidirectional stream per connection, one message per operation", Value: transport.String(&c.Mode)},
		{Name: "encoding", Usage: messages.EncodingUsage, Value: transport.String(&c.Messages.Encoding)},
		{Name: "items", Usage: messages.ItemsUsage, Value: transport.Int(&c.Messages.Items)},
	}, c.Call.options()...)
}

func (c *runConfig) Resolve(_ transport.Env, run *transport.Run) error {
	switch c.Mode {
	case ModeUnary, ModeStream:
	default:
		return transport.Usagef("--grpc-mode %q: choose unary or stream", c.Mode)
	}
	if run.Target != "" {
		if _, err := TargetAddress(run.Target); err != nil {
			return transport.Usagef("--target: %v", err)
		}
		if err := transport.RefuseExternalFaults(run); err != nil {
			return err
		}
	}
	if run.Connections == 0 {
		run.Connections = 1
	}
	if err := c.Messages.Resolve(run.Payload != nil); err != nil {
		return transport.Usagef("%v", err)
	}
	if c.Messages.Enc.Typed() {
		if c.Mode != ModeUnary {
			return transport.Usagef("--grpc-mode %s echoes bytes: with --encoding %s, each operation is a unary PlaceOrder call (drop --grpc-mode)", c.Mode, c.Messages.Enc)
		}
		run.PayloadBytes = c.Messages.RequestBytes
	}
	return c.Call.resolve(c.Mode, c.Messages.Enc, run)
}

func (c *runConfig) Record(transport.Run) map[string]any {
	o := map[string]any{"grpc_mode": c.Mode}
	c.Messages.Record(o, true)
	c.Call.record(o)
	return o
}

func (c *runConfig) Workload(run transport.Run) (bench.Workload, error) {
	return NewWorkload(Config{
		Target:       run.Target,
		Connections:  run.Connections,
		Mode:         c.Mode,
		PayloadBytes: run.PayloadBytes,
		Payload:      run.Payload,
		NetProxy:     transport.NeedsNetProxy(run.Faults),
		Encoding:     c.Messages.Enc,
		Items:        c.Messages.Items,
		Call:         c.Call.call(run.ID),
	})
}

// serveConfig is "serve grpc".
type serveConfig struct {
	Addr string
}

func (c *serveConfig) Options() []transport.Option {
	return []transport.Option{
		{Name: "addr", Usage: "address to listen on (port 0 picks a free one)", Value: transport.String(&c.Addr)},
	}
}

func (c *serveConfig) Serve(ctx context.Context, _ transport.Env, out io.Writer) error {
	srv, err := Listen(c.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "grpc echo target listening on %s (%s: Echo, EchoStream; health, reflection); Ctrl-C stops it\n", srv.Addr(), ServiceName)
	return transport.ServeUntilDone(ctx, srv.Serve, srv.Shutdown)
}
