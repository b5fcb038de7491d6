package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/rest"
	"github.com/commsbench/commsbench/targets/transport"
)

// orderService is a REST service of a user's that knows nothing of the
// echo contract: POST /orders takes a JSON order, validates it and answers
// 201 with {"data": {"status": "created", "id": …}}; GET /orders/{n} answers
// 200 for an order number from 1 to 100. It answers 500 for every order
// whose seq ends in 9 (one in ten) and says "pending" instead of "created"
// for every order whose seq is 3 modulo 7.
type orderService struct {
	mu      sync.Mutex
	ids     map[string]int
	gets    int
	posts   int
	badGets int
	auth    map[string]int
}

func newOrderService() *orderService {
	return &orderService{ids: map[string]int{}, auth: map[string]int{}}
}

func (s *orderService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.auth[r.Header.Get("Authorization")]++
	s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/orders":
		s.place(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/orders/"):
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/orders/"))
		s.mu.Lock()
		s.gets++
		if err != nil || n < 1 || n > 100 {
			s.badGets++
		}
		s.mu.Unlock()
		if err != nil || n < 1 || n > 100 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id": %d, "items": [{"sku": "a-%d"}]}`, n, n)
	default:
		http.NotFound(w, r)
	}
}

func (s *orderService) place(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want application/json", http.StatusUnsupportedMediaType)
		return
	}
	var o struct {
		ID  string `json:"id"`
		Seq *int64 `json:"seq"`
		Qty int    `json:"qty"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil || o.ID == "" || o.Seq == nil || o.Qty < 1 {
		http.Error(w, `{"error": "invalid order"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.posts++
	s.ids[o.ID]++
	s.mu.Unlock()
	if *o.Seq%10 == 9 {
		http.Error(w, `{"error": "database unavailable"}`, http.StatusInternalServerError)
		return
	}
	status := "created"
	if *o.Seq%7 == 3 {
		status = "pending"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"data": {"status": %q, "id": %q}}`, status, o.ID)
}

// ownRun runs "run rest" with the options given (name, value pairs; a
// name given twice repeats the option) against target.
func ownRun(t *testing.T, target string, o bench.Options, opts ...string) (*results.Result, error) {
	t.Helper()
	cfg, run, err := ownConfig(target, opts...)
	if err != nil {
		return nil, err
	}
	run.ID = "test-run"
	o.PayloadBytes = run.PayloadBytes
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	w, err := cfg.Workload(run)
	if err != nil {
		return nil, err
	}
	res, err := bench.Run(context.Background(), w, o)
	if res != nil {
		res.Options = cfg.Record(run)
	}
	return res, err
}

func ownConfig(target string, opts ...string) (transport.Config, transport.Run, error) {
	cfg := rest.Transport().NewConfig()
	bound := cfg.Options()
	for i := 0; i+1 < len(opts); i += 2 {
		o := transport.Find(bound, opts[i])
		if o == nil {
			panic("no option " + opts[i])
		}
		if err := o.Value.Set(opts[i+1]); err != nil {
			// The command line refuses the flag: a usage error.
			return nil, transport.Run{}, transport.Usagef("--%s: %v", opts[i], err)
		}
	}
	run := transport.Run{Target: target, Concurrency: 4, PayloadBytes: 256}
	err := cfg.Resolve(transport.Env{Getenv: func(string) string { return "" }}, &run)
	return cfg, run, err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOwnEndpointStatusesAndChecksAreClassesOfTheirOwn(t *testing.T) {
	svc := newOrderService()
	srv := httptest.NewServer(svc)
	defer srv.Close()
	body := writeFile(t, "order.json", `{"id": "{{uuid}}", "seq": {{seq}}, "qty": {{rand 1 5}}}`+"\n")
	const n = 700
	for _, h2 := range []string{"false", "true"} {
		t.Run("http2="+h2, func(t *testing.T) {
			if h2 == "true" {
				// httptest's server speaks HTTP/1.1 only: an h2c one.
				s2 := httptest.NewUnstartedServer(svc)
				s2.Config.Protocols = new(http.Protocols)
				s2.Config.Protocols.SetHTTP1(true)
				s2.Config.Protocols.SetUnencryptedHTTP2(true)
				s2.Start()
				defer s2.Close()
				srv = s2
			}
			res, err := ownRun(t, srv.URL+"/orders", bench.Options{Concurrency: 8, Requests: n},
				"method", "POST", "body-file", body, "expect-status", "201",
				"expect-json", "data.status=created", "header", "Authorization: Bearer s3cr3t", "http2", h2)
			if err != nil {
				t.Fatal(err)
			}
			// seq 0…n-1: every tenth answered 500; of the others, those 3
			// modulo 7 are pending.
			var want500, wantPending int64
			for seq := int64(0); seq < n; seq++ {
				switch {
				case seq%10 == 9:
					want500++
				case seq%7 == 3:
					wantPending++
				}
			}
			if res.Counts.Sent != n || res.Errors[rest.ClassUnexpectedStatus] != want500 || res.Errors[rest.ClassCheckFailed] != wantPending {
				t.Fatalf("counts %+v errors %v; want %d unexpected_status and %d check_failed of %d", res.Counts, res.Errors, want500, wantPending, n)
			}
			if res.Counts.OK != n-want500-wantPending || len(res.Errors) != 2 {
				t.Errorf("ok %d, errors %v", res.Counts.OK, res.Errors)
			}
			if len(res.Requests) != 1 {
				t.Fatalf("requests = %+v, want one kind", res.Requests)
			}
			k := res.Requests[0]
			if k.Name != "POST /orders" || k.Statuses["500"] != want500 || k.Statuses["201"] != n-want500 || k.Sent != n {
				t.Errorf("kind = %+v", k)
			}
			if !strings.Contains(res.FirstErrors[rest.ClassUnexpectedStatus], "HTTP 500") ||
				!strings.Contains(res.FirstErrors[rest.ClassCheckFailed], `data.status is "pending", expected "created"`) {
				t.Errorf("first errors %v", res.FirstErrors)
			}
		})
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	// Every order carried a unique id, and the header's value.
	if svc.posts != 2*n || len(svc.ids) != n {
		t.Errorf("service saw %d orders with %d distinct ids; want %d with %d (the ids repeat across the two runs of one run id)", svc.posts, len(svc.ids), 2*n, n)
	}
	if svc.auth["Bearer s3cr3t"] != 2*n {
		t.Errorf("authorization headers seen: %v", svc.auth)
	}
}

func TestOwnEndpointMixHonoursWeights(t *testing.T) {
	svc := newOrderService()
	srv := httptest.NewServer(svc)
	defer srv.Close()
	body := writeFile(t, "order.json", `{"id": "{{uuid}}", "seq": {{seq}}, "qty": 1}`)
	const n = 2000
	res, err := ownRun(t, srv.URL, bench.Options{Concurrency: 8, Requests: n},
		"mix", `{"weight": 3, "name": "get", "path": "/orders/{{rand 1 100}}", "expect_json": ["items.0.sku=a-{{seq}}"]}`,
		"mix", fmt.Sprintf(`{"weight": "1", "method": "POST", "path": "/orders", "body_file": %q, "expect_status": 201}`, body),
		"mix", `{"weight": 1, "name": "missing", "path": "/nowhere", "expect_status": "404"}`,
	)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Sent != n {
		t.Fatalf("sent %d, want %d", res.Counts.Sent, n)
	}
	kinds := map[string]results.RequestKind{}
	var sum int64
	for _, k := range res.Requests {
		kinds[k.Name] = k
		sum += k.Sent
		if k.Response == nil || k.Response.Count != k.OK {
			t.Errorf("kind %s: response latency %+v, want one sample per success (%d)", k.Name, k.Response, k.OK)
		}
	}
	if sum != n || len(kinds) != 3 {
		t.Fatalf("kinds %+v", res.Requests)
	}
	// Weights 3:1:1 of 2000: 1200, 400, 400, within 5 standard deviations.
	for name, want := range map[string]float64{"get": 0.6, "POST /orders": 0.2, "missing": 0.2} {
		got := float64(kinds[name].Sent) / n
		if d := got - want; d > 0.06 || d < -0.06 {
			t.Errorf("kind %s: share %.3f, want %.1f", name, got, want)
		}
	}
	// The GET check compares items.0.sku with a template value that is
	// not a template (expected values are literal): all fail, counted.
	if g := kinds["get"]; g.ErrorClasses[rest.ClassCheckFailed] != g.Sent || g.Statuses["200"] != g.Sent {
		t.Errorf("get kind %+v: every answer 200 and failing the check", g)
	}
	if m := kinds["missing"]; m.OK != m.Sent || m.Statuses["404"] != m.Sent {
		t.Errorf("missing kind %+v: 404 expected, all ok", m)
	}
	p := kinds["POST /orders"]
	if p.Statuses["500"] == 0 || p.ErrorClasses[rest.ClassUnexpectedStatus] != p.Statuses["500"] {
		t.Errorf("post kind %+v: its 500s are unexpected_status", p)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if svc.badGets != 0 || int64(svc.gets) != kinds["get"].Sent || int64(svc.posts) != p.Sent {
		t.Errorf("service saw %d gets (%d bad), %d posts", svc.gets, svc.badGets, svc.posts)
	}
	mix, _ := res.Options["mix"].([]map[string]any)
	if len(mix) != 3 || mix[0]["weight"] != 3 {
		t.Errorf("recorded mix %v", res.Options["mix"])
	}
}

func TestOwnEndpointRecordHidesSecrets(t *testing.T) {
	srv := httptest.NewServer(newOrderService())
	defer srv.Close()
	target := strings.Replace(srv.URL, "http://", "http://user:pa55@", 1) + "/orders/1"
	res, err := ownRun(t, target, bench.Options{Concurrency: 1, Requests: 5},
		"header", "Authorization: Bearer s3cr3t", "header", "X-Api-Token: t0k3n", "header", "X-Trace: {{seq}}", "expect-status", "200")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.Options)
	for _, secret := range []string{"pa55", "s3cr3t", "t0k3n"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("options %s hold the secret %q", b, secret)
		}
	}
	for _, want := range []string{`"method":"GET"`, `"Authorization: xxxxx"`, `"X-Trace: {{seq}}"`, `"url":"http://user:xxxxx@127.0.0.1:`, `/orders/1"`, `"expect_status":"200"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("options %s lack %s", b, want)
		}
	}
	if res.Counts.OK != 5 {
		t.Errorf("counts %+v errors %v", res.Counts, res.Errors)
	}
}

func TestOwnEndpointBadSettingsAreUsageErrors(t *testing.T) {
	badTemplate := writeFile(t, "bad.json", "{\n  \"id\": \"{{uuid}\"\n}")
	unknown := writeFile(t, "unknown.json", "{\"at\": \"{{when}}\"}")
	tests := []struct {
		name string
		opts []string
		want string
	}{
		{"bad method", []string{"method", "PO ST"}, `--method: "PO ST" is not an HTTP method`},
		{"header without colon", []string{"header", "Authorization Bearer x"}, "--header: no colon: write Name: value"},
		{"header name with space", []string{"header", "X Trace: 1"}, "is not a header name"},
		{"header template", []string{"header", "X-Id: {{nope}}"}, "unknown placeholder"},
		{"missing body file", []string{"body-file", filepath.Join(t.TempDir(), "none.json")}, "cannot read the body file"},
		{"body file template error", []string{"body-file", badTemplate}, "bad.json: template line 2, column 10: a placeholder opened with {{ is not closed"},
		{"unknown placeholder", []string{"body-file", unknown}, "line 1, column 9: unknown placeholder {{when}}"},
		{"bad expect status", []string{"expect-status", "2xx,20"}, `"20" is not a status code`},
		{"status out of range", []string{"expect-status", "600"}, "from 100 to 599"},
		{"bad json path", []string{"expect-json", "data..status=ok"}, "empty part"},
		{"json check without value", []string{"expect-json", "data.status"}, "write PATH=VALUE"},
		{"path without slash", []string{"path", "orders"}, "starts with /"},
		{"path with space", []string{"path", "/orders/{{pick a b}} x"}, "space"},
		{"body and body file", []string{"body", "{}", "body-file", badTemplate}, "give one body"},
		{"GET with body", []string{"method", "GET", "body", "{}"}, "--method: GET with a body"},
		{"typed encoding", []string{"encoding", "json", "path", "/orders"}, "drop --encoding"},
		{"mix not a mapping", []string{"mix", "GET /orders"}, "not a request"},
		{"mix unknown key", []string{"mix", `{"wieght": 3}`}, `unknown key "wieght"`},
		{"mix zero weight", []string{"mix", `{"weight": 0}`}, "weight \"0\": a whole number from 1"},
		{"mix duplicate names", []string{"mix", `{"path": "/a"}`, "mix", `{"path": "/a"}`}, "both named"},
		{"mix bad status", []string{"mix", `{"expect_status": "2x"}`}, `--mix entry 0: expect_status: "2x" is not`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ownConfig("http://127.0.0.1:1", tt.opts...)
			if err == nil || !transport.IsUsage(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want a usage error saying %q", err, tt.want)
			}
		})
	}
}

func TestOwnEndpointUnreachableFailsFast(t *testing.T) {
	l := httptest.NewServer(http.NotFoundHandler())
	addr := l.URL
	l.Close()
	start := time.Now()
	_, err := ownRun(t, addr+"/orders", bench.Options{Concurrency: 1, Requests: 5}, "method", "POST", "body", "{}")
	if err == nil || !strings.Contains(err.Error(), "cannot reach the target") {
		t.Fatalf("error = %v, want cannot reach", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to fail", d)
	}
}

func TestNoRequestSettingsKeepTheEchoContract(t *testing.T) {
	cfg, run, err := ownConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.Record(run); o["method"] != nil || o["payload"] != nil {
		t.Errorf("record %v: the echo contract records no request", o)
	}
	res, err := ownRun(t, "", bench.Options{Concurrency: 2, Requests: 50})
	if err != nil || res.Counts.OK != 50 || res.Requests != nil {
		t.Fatalf("err %v, result %+v", err, res)
	}
}

func TestOwnEndpointMethodsAndHeaders(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.RequestURI()+" "+r.Host+" "+r.Header.Get("X-Seq")]++
		mu.Unlock()
		w.Header().Set("Content-Length", "5")
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte("hello"))
		}
	}))
	defer srv.Close()
	res, err := ownRun(t, srv.URL+"/api?k=1", bench.Options{Concurrency: 2, Requests: 30},
		"header", "Host: orders.example", "header", "X-Seq: s{{seq}}",
		"mix", `{"method": "HEAD", "path": "/h"}`,
		"mix", `{"method": "delete", "path": "/d/{{seq}}", "expect_body_contains": "hell"}`,
		"mix", `{"method": "PUT", "path": "/p", "body": "x{{seq}}", "content_type": "text/plain"}`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.OK != 30 {
		t.Fatalf("counts %+v errors %v first %v", res.Counts, res.Errors, res.FirstErrors)
	}
	mu.Lock()
	defer mu.Unlock()
	var heads, deletes, puts int
	for k, n := range seen {
		switch {
		case strings.HasPrefix(k, "HEAD /api/h?k=1 orders.example s"):
			heads += n
		case strings.HasPrefix(k, "DELETE /api/d/") && strings.Contains(k, "?k=1 orders.example s"):
			deletes += n
		case strings.HasPrefix(k, "PUT /api/p?k=1 orders.example s"):
			puts += n
		default:
			t.Errorf("unexpected request %q", k)
		}
	}
	if heads+deletes+puts != 30 || heads == 0 || deletes == 0 || puts == 0 {
		t.Errorf("requests seen: %v", seen)
	}
}
