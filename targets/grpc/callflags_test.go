package grpctarget

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/tmpl"
)

func TestParseCallName(t *testing.T) {
	for _, tc := range []struct{ in, service, method string }{
		{"orders.v1.Orders/PlaceOrder", "orders.v1.Orders", "PlaceOrder"},
		{"/orders.v1.Orders/PlaceOrder", "orders.v1.Orders", "PlaceOrder"},
		{"orders.v1.Orders.PlaceOrder", "orders.v1.Orders", "PlaceOrder"},
		{"Svc/M", "Svc", "M"},
		{" a.b_c.S1/m_2 ", "a.b_c.S1", "m_2"},
		{"PlaceOrder", "", ""},
		{"orders.v1.Orders/", "", ""},
		{"/PlaceOrder", "", ""},
		{"orders..Orders/Place", "", ""},
		{"orders.v1.Orders/Place-Order", "", ""},
		{"1orders.Orders/Place", "", ""},
		{"", "", ""},
	} {
		s, m, err := parseCallName(tc.in)
		if s != tc.service || m != tc.method || (err == nil) != (tc.service != "") {
			t.Errorf("parseCallName(%q) = %q, %q, %v; want %q, %q", tc.in, s, m, err, tc.service, tc.method)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	v := tmpl.Values{Seq: 7, Run: "r", Time: time.Unix(0, 0)}
	for _, tc := range []struct{ in, key, value, err string }{
		{"x-tenant: acme", "x-tenant", "acme", ""},
		{"X-Request-Id:{{seq}}", "x-request-id", "7", ""},
		{"authorization: Bearer a:b", "authorization", "Bearer a:b", ""},
		{"k:", "k", "", ""},
		{"trace-bin: \x00\x01", "trace-bin", "\x00\x01", ""},
		{"novalue", "", "", "write key:value"},
		{": v", "", "", "write key:value"},
		{"x y: v", "", "", "may hold only"},
		{"grpc-timeout: 1S", "", "", "gRPC's own"},
		{"content-type: text/plain", "", "", "gRPC sets content-type"},
		{"k: tab\there", "", "", "byte 0x09"},
		{"k: {{nope}}", "", "", "unknown placeholder"},
	} {
		e, err := parseMetadata(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseMetadata(%q): error %v, want %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("parseMetadata(%q): %v", tc.in, err)
		case e.Key != tc.key || e.Value.String(v) != tc.value:
			t.Errorf("parseMetadata(%q) = %q: %q, want %q: %q", tc.in, e.Key, e.Value.String(v), tc.key, tc.value)
		}
	}
}

func TestSecretMetadataIsRedacted(t *testing.T) {
	for _, tc := range []struct {
		in, recorded string
	}{
		{"authorization: Bearer abc", "authorization: xxxxx"},
		{"x-api-key: abc", "x-api-key: xxxxx"},
		{"X-Auth-Token: abc", "x-auth-token: xxxxx"},
		{"client-secret: abc", "client-secret: xxxxx"},
		{"db-password: abc", "db-password: xxxxx"},
		{"cookie: a=b", "cookie: xxxxx"},
		{"x-tenant: acme", "x-tenant: acme"},
		{"x-seq: {{seq}}", "x-seq: {{seq}}"},
	} {
		e, err := parseMetadata(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.recorded(); got != tc.recorded {
			t.Errorf("%q recorded as %q, want %q", tc.in, got, tc.recorded)
		}
	}
}

func TestParseExpectCodes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"OK", "OK", false},
		{"OK,NOT_FOUND", "OK,NOT_FOUND", false},
		{" not_found , ok ", "OK,NOT_FOUND", false},
		{"NotFound,Unavailable", "NOT_FOUND,UNAVAILABLE", false},
		{"0,5,16", "OK,NOT_FOUND,UNAUTHENTICATED", false},
		{"canceled", "CANCELLED", false},
		{"17", "", true},
		{"-1", "", true},
		{"OK,", "", true},
		{"", "", true},
		{"FOUND", "", true},
		{"0x5", "", true},
	} {
		set, err := parseExpectCodes(tc.in)
		if (err != nil) != tc.err || (err == nil && set.String() != tc.want) {
			t.Errorf("parseExpectCodes(%q) = %q, %v; want %q", tc.in, set, err, tc.want)
		}
	}
	if !okOnly.has(codes.OK) || okOnly.has(codes.NotFound) || okOnly.has(codes.Code(40)) {
		t.Error("okOnly")
	}
}

func TestListValueTakesRepeatsAndLines(t *testing.T) {
	var got []string
	v := &listValue{p: &got}
	if v.Changed() || v.String() != "" {
		t.Fatal("fresh value")
	}
	_ = v.Set("a: 1")
	_ = v.Set("b: 2\nc: 3\r\n\n")
	if strings.Join(got, "|") != "a: 1|b: 2|c: 3" || !v.Changed() {
		t.Errorf("%q", got)
	}
}

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{"x-tenant: acme", "authorization: Bearer {{uuid}}", "k:", ":", "grpc-x: 1", "a-bin: \xff", "k: {{rand 1 2}}", "K:{{", "x\x00: y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseMetadata(s)
		if err != nil {
			return
		}
		if e.Key == "" || e.Key != strings.ToLower(e.Key) || strings.HasPrefix(e.Key, "grpc-") {
			t.Fatalf("parseMetadata(%q) gave the key %q", s, e.Key)
		}
		val := e.Value.String(tmpl.Values{Seq: 3, Run: "r"})
		if !strings.HasSuffix(e.Key, "-bin") {
			for i := 0; i < len(val); i++ {
				if val[i] < 0x20 || val[i] > 0x7e {
					t.Fatalf("parseMetadata(%q) gives the value %q", s, val)
				}
			}
		}
		if results.SecretHeader(e.Key) && e.recorded() != e.Key+": "+results.Redacted {
			t.Fatalf("parseMetadata(%q) records the secret: %q", s, e.recorded())
		}
	})
}

func FuzzParseExpectCodes(f *testing.F) {
	for _, s := range []string{"OK", "OK,NOT_FOUND", "0,5", "not_found", "17", ",", "ok,,", "Unavailable, 16"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := parseExpectCodes(s)
		if err != nil {
			return
		}
		if set == 0 || set>>(maxCode+1) != 0 {
			t.Fatalf("parseExpectCodes(%q) = %b", s, set)
		}
		// The set's names parse back to the same set.
		again, err := parseExpectCodes(set.String())
		if err != nil || again != set {
			t.Fatalf("parseExpectCodes(%q) = %q, which parses back as %q, %v", s, set, again, err)
		}
	})
}

func FuzzParseCallName(f *testing.F) {
	for _, s := range []string{"orders.v1.Orders/PlaceOrder", "/a.B/C", "a.B.C", "x", "/", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		svc, m, err := parseCallName(s)
		if err != nil {
			return
		}
		if !isFullName(svc) || !isIdent(m) {
			t.Fatalf("parseCallName(%q) = %q, %q", s, svc, m)
		}
		svc2, m2, err := parseCallName(svc + "/" + m)
		if err != nil || svc2 != svc || m2 != m {
			t.Fatalf("%q/%q does not parse back: %q %q %v", svc, m, svc2, m2, err)
		}
	})
}
