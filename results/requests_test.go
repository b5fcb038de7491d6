package results

import (
	"bytes"
	"strings"
	"testing"
)

func TestRequestKindsRoundTripAndMerge(t *testing.T) {
	h := NewHistogram()
	for v := int64(1000); v < 2000; v += 10 {
		RecordClamped(h, v)
	}
	r := &Result{
		Schema: SchemaVersion, Tool: Tool{Name: "commsbench"}, Transport: "rest",
		Load: Load{Mode: ClosedLoop}, Errors: map[string]int64{}, Latency: map[string]*Latency{},
		Requests: []RequestKind{
			{Name: "get", Method: "GET", Path: "/orders/{{rand 1 100}}", Weight: 3, Sent: 100, OK: 100, Statuses: map[string]int64{"200": 100}, Response: MustLatency(h)},
			{Name: "post", Method: "POST", Path: "/orders", Weight: 1, Sent: 30, OK: 27, Errors: 3, Statuses: map[string]int64{"201": 27, "500": 3}, ErrorClasses: map[string]int64{"unexpected_status": 3}},
		},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Requests) != 2 || got.Requests[1].Statuses["500"] != 3 || got.Requests[0].Response.Count != 100 {
		t.Fatalf("requests after a round trip: %+v", got.Requests)
	}
	m, err := mergeRequests([]*Result{got, got})
	if err != nil {
		t.Fatal(err)
	}
	if m[0].Sent != 200 || m[0].Response.Count != 200 || m[1].Statuses["500"] != 6 || m[1].ErrorClasses["unexpected_status"] != 6 || m[1].Response != nil {
		t.Errorf("merged %+v", m)
	}
	// A histogram that does not hold its count is refused.
	got.Requests[0].Response.Count = 7
	if err := got.Validate(); err == nil || !strings.Contains(err.Error(), "requests[0].response") {
		t.Errorf("Validate = %v", err)
	}
}

func TestRedactArgsHidesHeaderSecrets(t *testing.T) {
	args := []string{"commsbench", "run", "rest", "--target", "http://u:pw@h:1/orders", "--header", "Authorization: Bearer abc def",
		"--header=X-Api-Token:t0k", "--header", "X-Trace: {{seq}}", "--mix", `{"headers": ["Cookie: a=b"], "path": "/x"}`}
	got := RedactArgs(args)
	for _, secret := range []string{"pw", "abc", "def", "t0k", "a=b"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q holds %q", got, secret)
		}
	}
	for _, keep := range []string{"http://u:xxxxx@h:1/orders", "Authorization: xxxxx", "X-Api-Token: xxxxx", "X-Trace: {{seq}}", `"Cookie: xxxxx"`, `"path": "/x"`} {
		if !strings.Contains(got, keep) {
			t.Errorf("%q lacks %q", got, keep)
		}
	}
}
