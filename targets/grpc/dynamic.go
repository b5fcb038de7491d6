package grpctarget

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/tmpl"
	"github.com/commsbench/commsbench/targets/transport"
)

// Error classes of calls to a method of the user's own.
const (
	// ClassUnexpectedCode is an answer whose status is not one of
	// --expect-code's.
	ClassUnexpectedCode = "unexpected_code"
	// ClassInvalidData is a request whose --data, for that operation's
	// template values, does not fit the method's input message: it is
	// not sent.
	ClassInvalidData = "invalid_data"
)

// Call is a unary call to any method, its messages built at run time from
// the method's descriptors (dynamic messages), its request from a JSON
// template.
type Call struct {
	// Service and Method name the method: orders.v1.Orders and PlaceOrder.
	Service, Method string
	// Schema, when set, holds the method's descriptors (from .proto
	// files); otherwise the server's reflection gives them at Start.
	Schema *schema
	// Data is the request in protobuf's JSON form, a template.
	Data *tmpl.Template
	// Metadata is sent with every call; values may be templates.
	Metadata []mdEntry
	// Expect are the status codes that count as success.
	Expect codeSet
	// RunID is the run's id, for the templates.
	RunID string
}

// FullMethod is "package.Service/Method".
func (c *Call) FullMethod() string { return c.Service + "/" + c.Method }

// callState is a call made ready at Start: its method's descriptors, a
// request built once when the data has no placeholder, and the count of
// unexpected codes.
type callState struct {
	spec   *Call
	path   string // "/package.Service/Method"
	method protoreflect.MethodDescriptor
	json   protojson.UnmarshalOptions
	// static is the request when Data has no placeholder; each worker
	// sends a copy.
	static proto.Message
	// md is the metadata when no value has a placeholder.
	md metadata.MD
	// unexpected counts the measured answers with a status outside
	// Expect, by code (codes above 16 in the last slot).
	unexpected [maxCode + 2]atomic.Int64
}

// lookupMethod finds spec's method in s and checks that it can be driven:
// unary, with data that fits its input for operation 0.
func lookupMethod(s schema, spec *Call) (*callState, error) {
	md, err := s.method(spec.Service, spec.Method)
	if err != nil {
		return nil, transport.Usagef("%v", err)
	}
	if md.IsStreamingClient() || md.IsStreamingServer() {
		return nil, transport.Usagef("--call %s is a %s method; --call drives unary methods only (the built-in echo target measures streams: drop --call and give --grpc-mode stream)", spec.FullMethod(), streaming(md))
	}
	st := &callState{
		spec:   spec,
		path:   "/" + spec.FullMethod(),
		method: md,
		json:   protojson.UnmarshalOptions{Resolver: dynamicpb.NewTypes(s.files)},
	}
	// The first operation's data must fit: a field that is not in the
	// message, or a value of the wrong type, is the user's to fix.
	first := dynamicpb.NewMessage(md.Input())
	if err := st.json.Unmarshal(spec.Data.Execute(st.values(0, 0, time.Now())), first); err != nil {
		return nil, transport.Usagef("--data does not fit %s, the input of %s: %s", md.Input().FullName(), spec.FullMethod(), jsonError(err))
	}
	if spec.Data.Static() {
		st.static = first
	}
	static := true
	for _, e := range spec.Metadata {
		static = static && e.Value.Static()
	}
	if static {
		st.md = st.metadata(0, 0, time.Time{})
	}
	return st, nil
}

func (st *callState) values(seq int64, worker int, at time.Time) tmpl.Values {
	return tmpl.Values{Seq: seq, Run: st.spec.RunID, Worker: worker, Time: at}
}

// metadata builds the metadata of one operation.
func (st *callState) metadata(seq int64, worker int, at time.Time) metadata.MD {
	if len(st.spec.Metadata) == 0 {
		return nil
	}
	md := make(metadata.MD, len(st.spec.Metadata))
	v := st.values(seq, worker, at)
	for _, e := range st.spec.Metadata {
		md[e.Key] = append(md[e.Key], string(e.Value.Execute(v)))
	}
	return md
}

// prepareCall makes the call ready: it waits until every connection is
// up (so that an unreachable server fails the run before it starts, and
// no call of the user's is made before the load), then looks up the method
// in the .proto files or by the server's reflection, and checks the data.
func (w *Workload) prepareCall(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.DialTimeout)
	defer cancel()
	for _, cc := range w.conns {
		if err := waitReady(ctx, cc); err != nil {
			return fmt.Errorf("grpc: cannot reach the server at %s within %v: %v", w.address, w.cfg.DialTimeout, err)
		}
	}
	spec := w.cfg.Call
	var s schema
	if spec.Schema != nil {
		s = *spec.Schema
	} else {
		var err error
		if s, err = reflectSchema(ctx, w.conns[0], w.address, spec.Service); err != nil {
			return err
		}
	}
	st, err := lookupMethod(s, spec)
	if err != nil {
		return err
	}
	w.call = st
	return nil
}

// waitReady connects cc and waits until it is ready, or failed.
func waitReady(ctx context.Context, cc *grpc.ClientConn) error {
	cc.Connect()
	for {
		s := cc.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure:
			return fmt.Errorf("the connection failed (is the server listening there, without TLS?)")
		case connectivity.Shutdown:
			return fmt.Errorf("the connection is closed")
		}
		if !cc.WaitForStateChange(ctx, s) {
			return fmt.Errorf("still %s: %w", strings.ToLower(s.String()), ctx.Err())
		}
	}
}

// newCallClient is a worker's client of the call.
func (w *Workload) newCallClient(worker int) bench.Client {
	st := w.call
	c := &callClient{
		st:   st,
		cc:   w.conns[worker%len(w.conns)],
		resp: dynamicpb.NewMessage(st.method.Output()),
	}
	if st.static != nil {
		c.req = proto.Clone(st.static)
	} else {
		c.req = dynamicpb.NewMessage(st.method.Input())
	}
	return c
}

// callClient makes one call per operation. Its request and response
// messages are reused; a request with placeholders is parsed from its
// JSON for each operation.
type callClient struct {
	st   *callState
	cc   *grpc.ClientConn
	req  proto.Message
	resp proto.Message
	buf  []byte
}

func (c *callClient) Do(ctx context.Context, op bench.Op) error {
	st := c.st
	if st.static == nil {
		c.buf = st.spec.Data.Append(c.buf[:0], st.values(op.Seq, op.Worker, op.Intended))
		if err := st.json.Unmarshal(c.buf, c.req); err != nil {
			return bench.WithClass(ClassInvalidData, fmt.Errorf("grpc: --data for operation %d does not fit %s: %s", op.Seq, st.method.Input().FullName(), jsonError(err)))
		}
	}
	md := st.md
	if md == nil && len(st.spec.Metadata) > 0 {
		md = st.metadata(op.Seq, op.Worker, op.Intended)
	}
	if md != nil {
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	err := c.cc.Invoke(ctx, st.path, c.req, c.resp)
	return st.check(err, op)
}

// check turns the call's status into the operation's outcome: a code in
// Expect is success (a NOT_FOUND that was asked for, too). Codes that say
// the call did not get through keep the classes they have for Echo, as
// faults and retries see them: UNAVAILABLE (grpc_unavailable, or
// unreached when no connection was made), DEADLINE_EXCEEDED (timeout) and
// CANCELLED. Any other code is an unexpected code, counted by code.
func (st *callState) check(err error, op bench.Op) error {
	code := status.Code(err)
	if st.spec.Expect.has(code) {
		return nil
	}
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return classify(err)
	}
	if !op.Warmup {
		st.unexpected[min(int(code), len(st.unexpected)-1)].Add(1)
	}
	msg := ""
	if err != nil {
		msg = ": " + status.Convert(err).Message()
	}
	return bench.WithClass(ClassUnexpectedCode, fmt.Errorf("grpc: %s answered %s, expected %s%s", st.spec.FullMethod(), codeName(code), st.spec.Expect, msg))
}

// note says which codes were unexpected, and how often, for the result.
func (st *callState) note() string {
	var parts []string
	for i := range st.unexpected {
		if n := st.unexpected[i].Load(); n > 0 {
			name := "above 16"
			if i <= int(maxCode) {
				name = codeNames[i]
			}
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return fmt.Sprintf("%s answered with codes outside --expect-code %s (counted as %s): %s", st.spec.FullMethod(), st.spec.Expect, ClassUnexpectedCode, strings.Join(parts, ", "))
}

// finishCall adds the note of unexpected codes.
func (st *callState) finish(r *results.Result) {
	if n := st.note(); n != "" {
		r.Notes = append(r.Notes, n)
	}
}

// jsonError is protojson's error with plain spaces: it puts a no-break
// space after "proto:" at random, to keep programs from matching its text,
// which reads oddly in a terminal.
func jsonError(err error) string {
	return strings.ReplaceAll(err.Error(), "\u00a0", " ")
}
