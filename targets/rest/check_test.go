package rest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/bench"
)

func TestStatusSet(t *testing.T) {
	tests := []struct {
		in       string
		in1, out []int
	}{
		{"2xx", []int{200, 201, 204, 299}, []int{199, 300, 404, 500}},
		{"201", []int{201}, []int{200, 202}},
		{"200, 201", []int{200, 201}, []int{204}},
		{"2xx,404", []int{200, 250, 404}, []int{400, 500}},
		{"5XX", []int{500, 503}, []int{200}},
	}
	for _, tt := range tests {
		s, err := parseStatusSet(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		for _, c := range tt.in1 {
			if !s.has(c) {
				t.Errorf("%q does not take %d", tt.in, c)
			}
		}
		for _, c := range tt.out {
			if s.has(c) {
				t.Errorf("%q takes %d", tt.in, c)
			}
		}
	}
	for _, bad := range []string{"", "2x", "20", "2000", "600", "099", "6xx", "2xx,,201", "ok"} {
		if _, err := parseStatusSet(bad); err == nil {
			t.Errorf("%q taken", bad)
		}
	}
}

func TestJSONCheck(t *testing.T) {
	doc := `{"data": {"status": "created", "n": 3, "ok": true, "none": null, "items": [{"id": 7}, {"id": "x"}]}}`
	tests := []struct {
		check, wantErr string
	}{
		{"data.status=created", ""},
		{"data.n=3", ""},
		{"data.ok=true", ""},
		{"data.none=null", ""},
		{"data.items.0.id=7", ""},
		{"data.items.1.id=x", ""},
		{"data.status=pending", `data.status is "created", expected "pending"`},
		{"data.missing=1", "has no data.missing"},
		{"data.items.2.id=7", "has no element 2 (2 elements)"},
		{"data.items.x=7", "has no element x"},
		{"data.status.x=1", "is not an object or array"},
		{"data=1", "is an object or array"},
		{"data.status=", `expected ""`},
	}
	for _, tt := range tests {
		c, err := parseJSONCheck(tt.check)
		if err != nil {
			t.Fatalf("%q: %v", tt.check, err)
		}
		rc := responseCheck{json: []jsonCheck{c}}
		err = rc.verify([]byte(doc), false)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%q: %v", tt.check, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || bench.Classify(err) != ClassCheckFailed):
			t.Errorf("%q: error %v, want check_failed saying %q", tt.check, err, tt.wantErr)
		}
	}
	rc := responseCheck{contains: []byte("created")}
	if err := rc.verify([]byte(doc), false); err != nil {
		t.Error(err)
	}
	if err := rc.verify([]byte("nope"), false); bench.Classify(err) != ClassCheckFailed {
		t.Errorf("contains: %v", err)
	}
	if err := rc.verify([]byte(doc), true); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("truncated: %v", err)
	}
	c, _ := parseJSONCheck("a=1")
	rc = responseCheck{json: []jsonCheck{c}}
	if err := rc.verify([]byte("<html>"), false); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("not JSON: %v", err)
	}
}

func TestHeaderRedaction(t *testing.T) {
	for in, want := range map[string]string{
		"Authorization: Bearer abc": "Authorization: xxxxx",
		"cookie: a=b":               "cookie: xxxxx",
		"X-Api-Token: t":            "X-Api-Token: xxxxx",
		"X-Client-Secret:s":         "X-Client-Secret: xxxxx",
		"X-Trace: {{seq}}":          "X-Trace: {{seq}}",
		"Content-Type: a/b":         "Content-Type: a/b",
	} {
		if got := redactHeader(in); got != want {
			t.Errorf("redactHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct{ target, path, want string }{
		{"", "", "/"},
		{"", "/orders", "/orders"},
		{"/orders", "", "/orders"},
		{"/", "/orders", "/orders"},
		{"/api/", "/orders", "/api/orders"},
		{"/api?key=1", "/orders?x={{seq}}", "/api/orders?x={{seq}}&key=1"},
		{"/api?key=1", "", "/api?key=1"},
	}
	for _, tt := range tests {
		if got := joinPath(tt.target, tt.path); got != tt.want {
			t.Errorf("joinPath(%q, %q) = %q, want %q", tt.target, tt.path, got, tt.want)
		}
	}
}

func TestMixPickIsWeightedAndReproducible(t *testing.T) {
	e := &Endpoints{Kinds: []*Kind{{Name: "a", Weight: 3}, {Name: "b", Weight: 1}}}
	e.prepare()
	counts := map[string]int{}
	for seq := int64(0); seq < 40000; seq++ {
		k := e.pick(seq)
		counts[k.Name]++
		if e.pick(seq) != k {
			t.Fatal("pick is not a function of seq")
		}
	}
	if a := float64(counts["a"]) / 40000; a < 0.74 || a > 0.76 {
		t.Errorf("share of a = %.3f, want 0.75", a)
	}
}

func FuzzParseStatusSet(f *testing.F) {
	for _, s := range []string{"2xx", "201", "200,201", "2xx,404", "", "6xx", "2x", ",", "999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := parseStatusSet(s)
		if err != nil {
			return
		}
		for c := 100; c < 600; c++ {
			_ = set.has(c)
		}
		if set.String() == "" {
			t.Errorf("%q: taken with no text", s)
		}
	})
}

func FuzzParseJSONCheck(f *testing.F) {
	for _, s := range []string{"data.status=created", "items.0.id=7", "a=", "=x", "a..b=1", "a.99999999999=1", "x"} {
		f.Add(s, `{"data": {"status": "created"}, "items": [{"id": 7}]}`)
	}
	f.Fuzz(func(t *testing.T, check, body string) {
		c, err := parseJSONCheck(check)
		if err != nil {
			return
		}
		if len(c.path) == 0 || len(c.path) != len(c.index) {
			t.Fatalf("%q: path %v index %v", check, c.path, c.index)
		}
		rc := responseCheck{json: []jsonCheck{c}}
		if err := rc.verify([]byte(body), false); err != nil && bench.Classify(err) != ClassCheckFailed {
			t.Errorf("%q on %q: error of class %s", check, body, bench.Classify(err))
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"Authorization: Bearer x", "X-Id: {{uuid}}", "a:b", ":x", "X Y: z", "Host: h", "X: {{", "Content-Length: 3", "X: a\r\nY: b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHeader(s)
		if err != nil {
			return
		}
		line := string(appendHeaderLine(nil, &h, sampleValues("r")))
		if strings.Count(line, "\r\n") != 1 || !strings.HasSuffix(line, "\r\n") || strings.ContainsAny(strings.TrimSuffix(line, "\r\n"), "\r\n") {
			t.Errorf("%q makes the header line %q", s, line)
		}
	})
}

func FuzzParseMixEntry(f *testing.F) {
	for _, s := range []string{
		`{"weight": 3, "method": "GET", "path": "/orders/{{rand 1 100}}"}`,
		`{"weight": "1", "method": "POST", "path": "/orders", "body": "{}", "expect_status": 201}`,
		`{"headers": ["A: b"], "expect_json": ["a.b=c"]}`, `[]`, `{"x": 1}`, `{} {}`, `{"weight": -1}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := parseMixEntry(s)
		if err != nil {
			return
		}
		k, err := compileKind(requestSpec{}, spec, "", "r")
		if err != nil {
			return
		}
		if k.Weight < 1 || k.Name == "" || !strings.HasPrefix(k.PathText, "/") {
			t.Errorf("%q compiled to %+v", s, k)
		}
		if _, err := json.Marshal(k.record()); err != nil {
			t.Error(err)
		}
	})
}
