package grpctarget

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/transport"
)

// callRun is a run of --call as the command line makes it: options set by
// name, resolved, then driven by the engine.
type callRun struct {
	opts     [][2]string
	target   string
	requests int64
}

func (c callRun) config(t testing.TB) (*runConfig, transport.Run, error) {
	t.Helper()
	cfg := Transport().NewConfig().(*runConfig)
	options := cfg.Options()
	for _, kv := range c.opts {
		o := transport.Find(options, kv[0])
		if o == nil {
			t.Fatalf("no option %s", kv[0])
		}
		if err := o.Value.Set(kv[1]); err != nil {
			t.Fatalf("--%s %q: %v", kv[0], kv[1], err)
		}
	}
	run := transport.Run{ID: "test-run", Target: c.target, Concurrency: 4, PayloadBytes: 256}
	return cfg, run, cfg.Resolve(transport.Env{}, &run)
}

// do resolves and runs; err is the first error, from Resolve or the run.
func (c callRun) do(t testing.TB) (*results.Result, *runConfig, transport.Run, error) {
	t.Helper()
	cfg, run, err := c.config(t)
	if err != nil {
		return nil, cfg, run, err
	}
	w, err := cfg.Workload(run)
	if err != nil {
		return nil, cfg, run, err
	}
	n := c.requests
	if n == 0 {
		n = 10
	}
	res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: 4, Requests: n, Timeout: 5 * time.Second})
	return res, cfg, run, err
}

// shopCall is the call the shop tests make: every template value in the
// data and the metadata, which the shop checks.
func shopCall(schema ...[2]string) [][2]string {
	return append([][2]string{
		{"call", "shop.v1.Shop/GetItem"},
		{"data", `{"id": {{seq}}, "name": "item-{{uuid}}", "at": "{{now}}", "color": "{{pick RED BLUE}}"}`},
		{"metadata", "x-seq: {{seq}}"},
		{"metadata", "X-Tenant: acme"},
		{"metadata", "authorization: Bearer s3cret"},
	}, schema...)
}

var protoSchema = [][2]string{{"proto", "testdata/shop/v1/shop.proto"}, {"import-path", "testdata"}}

func TestCallsReachAServiceOfTheirOwn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		refl   reflectionKind
		schema [][2]string
		source string
	}{
		{"reflection", reflectBoth, nil, SchemaReflection},
		{"reflection v1alpha", reflectV1alphaOnly, nil, SchemaReflection},
		{"proto files", reflectNone, protoSchema, SchemaProtoFiles},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, shop := startShop(t, tc.refl)
			res, cfg, run, err := callRun{opts: shopCall(tc.schema...), target: addr, requests: 200}.do(t)
			if err != nil {
				t.Fatal(err)
			}
			// Every 10th id is NOT_FOUND: exactly 20 of 200, each counted
			// as an unexpected code, and nothing else failed.
			if res.Counts.Sent != 200 || res.Counts.OK != 180 || res.Counts.Errors != 20 || res.Errors[ClassUnexpectedCode] != 20 || len(res.Errors) != 1 {
				t.Errorf("counts %+v, errors %v; want 180 ok and 20 %s", res.Counts, res.Errors, ClassUnexpectedCode)
			}
			if got := res.FirstErrors[ClassUnexpectedCode]; !strings.Contains(got, "answered NOT_FOUND, expected OK: item ") {
				t.Errorf("first error %q", got)
			}
			if !slices.Contains(res.Notes, "shop.v1.Shop/GetItem answered with codes outside --expect-code OK (counted as unexpected_code): NOT_FOUND 20") {
				t.Errorf("notes %q", res.Notes)
			}
			// The template values arrived, in the data and the metadata.
			shop.mu.Lock()
			defer shop.mu.Unlock()
			if shop.calls.Load() != 200 || shop.bad.Load() != 0 || len(shop.ids) != 200 {
				t.Errorf("the shop had %d calls of %d ids, %d with wrong values: %q", shop.calls.Load(), len(shop.ids), shop.bad.Load(), shop.why[:min(len(shop.why), 3)])
			}
			if !shop.auth["Bearer s3cret"] {
				t.Errorf("authorization did not arrive: %v", shop.auth)
			}
			rec := cfg.Record(run)
			want := map[string]any{
				"call": "shop.v1.Shop/GetItem", "schema": tc.source, "expect_code": "OK",
				"metadata": []string{"x-seq: {{seq}}", "x-tenant: acme", "authorization: xxxxx"},
			}
			for k, v := range want {
				if fmt.Sprint(rec[k]) != fmt.Sprint(v) {
					t.Errorf("recorded %s = %v, want %v", k, rec[k], v)
				}
			}
			if strings.Contains(fmt.Sprint(rec), "s3cret") {
				t.Errorf("the record holds the secret: %v", rec)
			}
		})
	}
}

func TestExpectedCodesCountAsSuccess(t *testing.T) {
	addr, _ := startShop(t, reflectBoth)
	for _, expect := range []string{"OK,NOT_FOUND", "0, 5", "ok,not_found"} {
		res, _, _, err := callRun{opts: append(shopCall(), [2]string{"expect-code", expect}), target: addr, requests: 50}.do(t)
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts.OK != 50 || res.Counts.Errors != 0 {
			t.Errorf("--expect-code %s: %+v %v", expect, res.Counts, res.Errors)
		}
	}
	// Expecting only NOT_FOUND makes the OK answers unexpected.
	res, _, _, err := callRun{opts: append(shopCall(), [2]string{"expect-code", "NOT_FOUND"}), target: addr, requests: 50}.do(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.OK != 5 || res.Errors[ClassUnexpectedCode] != 45 {
		t.Errorf("--expect-code NOT_FOUND: %+v %v", res.Counts, res.Errors)
	}
}

// TestBadCallsFailBeforeTheLoad: each mistake is a clear error before any
// call of the user's method, a usage error but for an unreachable server.
func TestBadCallsFailBeforeTheLoad(t *testing.T) {
	withRefl, withReflShop := startShop(t, reflectBoth)
	noRefl, noReflShop := startShop(t, reflectNone)
	call := func(extra ...[2]string) [][2]string {
		return append([][2]string{{"call", "shop.v1.Shop/GetItem"}}, extra...)
	}
	for _, tc := range []struct {
		name   string
		target string
		opts   [][2]string
		usage  bool
		want   []string
	}{
		{"no such method (reflection)", withRefl, call([2]string{"call", "shop.v1.Shop/GetItm"}), true,
			[]string{"service shop.v1.Shop has no method GetItm; its methods: GetItem (unary), WatchItems (server streaming)"}},
		{"no such method (proto)", noRefl, append(call([2]string{"call", "shop.v1.Shop/GetItm"}), protoSchema...), true,
			[]string{"has no method GetItm; its methods: GetItem (unary)"}},
		{"no such service (reflection)", withRefl, call([2]string{"call", "shop.v2.Shop/GetItem"}), true,
			[]string{"has no service shop.v2.Shop; its services: grpc.reflection.v1.ServerReflection, grpc.reflection.v1alpha.ServerReflection, shop.v1.Shop"}},
		{"no such service (proto)", noRefl, append(call([2]string{"call", "shop.v2.Shop/GetItem"}), protoSchema...), true,
			[]string{"service shop.v2.Shop is not in the .proto files; its services: shop.v1.Shop"}},
		{"streaming method", withRefl, call([2]string{"call", "shop.v1.Shop/WatchItems"}), true,
			[]string{"is a server streaming method; --call drives unary methods only"}},
		{"no reflection", noRefl, call(), true,
			[]string{"does not enable server reflection", "give the service's schema with --proto FILE"}},
		{"proto does not compile", noRefl, call([2]string{"proto", "testdata/broken.proto"}), true,
			[]string{"broken.proto does not compile", "broken.proto:7:3: syntax error"}},
		{"import not found", noRefl, call([2]string{"proto", "testdata/shop/v1/shop.proto"}), true,
			[]string{"shop/v1/types.proto: no such file", "give --import-path"}},
		{"proto file missing", noRefl, call([2]string{"proto", "testdata/nothing.proto"}), true,
			[]string{"--proto testdata/nothing.proto: no such file or directory"}},
		{"unknown field", withRefl, call([2]string{"data", `{"id": 1, "nme": "x"}`}), true,
			[]string{"--data does not fit shop.v1.GetItemRequest", `unknown field "nme"`}},
		{"wrong type (proto)", noRefl, append(call([2]string{"data", `{"id": "one"}`}), protoSchema...), true,
			[]string{"--data does not fit shop.v1.GetItemRequest", `proto: (line 1:8): invalid value for int64 field id: "one"`}},
		{"not JSON", withRefl, call([2]string{"data", `{"id": {{seq}}`}), true,
			[]string{"--data does not fit", "unexpected EOF"}},
		{"template error", withRefl, call([2]string{"data", `{"id": {{sequence}}}`}), true,
			[]string{"--data: template line 1, column 8: unknown placeholder {{sequence}}"}},
		{"template error in metadata", withRefl, call([2]string{"metadata", "x-id: {{uuid"}), true,
			[]string{`--metadata "x-id: {{uuid"`, "not closed"}},
		{"bad metadata", withRefl, call([2]string{"metadata", "no colon"}), true,
			[]string{"write key:value"}},
		{"bad expect-code", withRefl, call([2]string{"expect-code", "OK,MISSING"}), true,
			[]string{`"MISSING" is not a gRPC status code`}},
		{"bad call name", withRefl, [][2]string{{"call", "GetItem"}}, true,
			[]string{"give the method as package.Service/Method"}},
		{"data without call", withRefl, [][2]string{{"data", "{}"}}, true,
			[]string{"--data applies to a call of your own method"}},
		{"stream mode", withRefl, call([2]string{"grpc-mode", "stream"}), true,
			[]string{"--call makes unary calls"}},
		{"unreachable", "127.0.0.1:1", call(), false,
			[]string{"cannot reach the server at 127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := callRun{opts: tc.opts, target: tc.target}.do(t)
			if err == nil {
				t.Fatal("no error")
			}
			if transport.IsUsage(err) != tc.usage {
				t.Errorf("usage error %v, want %v: %v", transport.IsUsage(err), tc.usage, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwants %q", err, w)
				}
			}
		})
	}
	if n := withReflShop.calls.Load() + noReflShop.calls.Load(); n != 0 {
		t.Errorf("the shop had %d calls of GetItem; a bad call must fail before any", n)
	}
}

// TestCallTheEmbeddedEcho: --call reaches the embedded echo target's
// own method by its reflection, with the faults that target takes.
func TestCallTheEmbeddedEcho(t *testing.T) {
	res, _, _, err := callRun{opts: [][2]string{{"call", "commsbench.echo.v1.Echo/Echo"}, {"data", `{"payload": "aGVsbG8="}`}, {"metadata", "x-tenant: acme"}}, requests: 100}.do(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.OK != 100 || res.Target.Kind != results.TargetEmbedded {
		t.Errorf("%+v %+v", res.Counts, res.Target)
	}
}

// TestCallsThatDoNotGetThroughKeepTheirClasses: a target that went away
// counts as it does for Echo, not as an unexpected code.
func TestCallsThatDoNotGetThroughKeepTheirClasses(t *testing.T) {
	st := &callState{spec: &Call{Service: "s.S", Method: "M", Expect: okOnly}}
	for _, tc := range []struct {
		err   error
		class string
	}{
		{status.Error(codes.Unavailable, "the server is draining"), "grpc_unavailable"},
		{status.Error(codes.DeadlineExceeded, "late"), bench.ClassTimeout},
		{status.Error(codes.Canceled, "gone"), bench.ClassCanceled},
		{status.Error(codes.NotFound, "no"), ClassUnexpectedCode},
		{status.Error(codes.Internal, "boom"), ClassUnexpectedCode},
		{nil, ""},
	} {
		if got := bench.Classify(st.check(tc.err, bench.Op{})); got != tc.class {
			t.Errorf("%v: class %q, want %q", tc.err, got, tc.class)
		}
	}
	if n := st.note(); n != "s.S/M answered with codes outside --expect-code OK (counted as unexpected_code): INTERNAL 1, NOT_FOUND 1" {
		t.Errorf("note %q", n)
	}
}
