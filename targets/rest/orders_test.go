package rest_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/rest"
)

func encode(t *testing.T, enc messages.Encoding, o *messages.Order) []byte {
	t.Helper()
	b, err := enc.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOrdersHandler(t *testing.T) {
	srv := httptest.NewServer(rest.Handler())
	defer srv.Close()
	invalid := messages.NewOrder(2, 3)
	invalid.Items[1].UnitPriceCents = -1
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantStatus  int
		wantBody    string // in the answer; for 200 the reply must confirm order 1
	}{
		{"json order", "application/json", encode(t, messages.JSON, messages.NewOrder(1, 3)), 200, ""},
		{"json with charset", "application/json; charset=utf-8", encode(t, messages.JSON, messages.NewOrder(1, 3)), 200, ""},
		{"protobuf order", "application/x-protobuf", encode(t, messages.Protobuf, messages.NewOrder(1, 3)), 200, ""},
		{"malformed json", "application/json", []byte(`{"order_id": "ord-1", "items": [`), 400, "malformed json order"},
		{"json of the wrong type", "application/json", []byte(`{"order_id": 17}`), 400, "malformed json order"},
		{"malformed protobuf", "application/x-protobuf", []byte{0x0a, 0xff, 0x01}, 400, "malformed protobuf order"},
		{"protobuf sent as json", "application/json", encode(t, messages.Protobuf, messages.NewOrder(1, 3)), 400, "malformed json order"},
		{"negative price", "application/json", encode(t, messages.JSON, invalid), 400, "item 1: unit_price_cents -1 is not positive"},
		{"empty order", "application/x-protobuf", nil, 400, "order_id is missing"},
		{"other media type", "text/plain", []byte("hello"), 415, "takes application/json, application/x-protobuf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+rest.OrdersPath, tt.contentType, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, got, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				if !strings.Contains(string(got), tt.wantBody) {
					t.Errorf("answer %q, want one saying %q", got, tt.wantBody)
				}
				return
			}
			enc, _ := messages.EncodingOfContentType(tt.contentType)
			if ct := resp.Header.Get("Content-Type"); ct != enc.ContentType() {
				t.Errorf("reply Content-Type %q, want %q", ct, enc.ContentType())
			}
			reply := new(messages.PaymentConfirmation)
			if err := enc.Unmarshal(got, reply); err != nil {
				t.Fatalf("reply %q: %v", got, err)
			}
			if err := messages.CheckConfirmation(messages.NewOrder(1, 3), reply); err != nil {
				t.Error(err)
			}
		})
	}
	if resp, err := http.Get(srv.URL + rest.OrdersPath); err != nil || resp.StatusCode != 405 {
		t.Errorf("GET /orders: %v %v, want 405", resp.StatusCode, err)
	}
}

func TestTypedEmbeddedRuns(t *testing.T) {
	for _, enc := range []messages.Encoding{messages.JSON, messages.Protobuf} {
		for _, h2c := range []bool{false, true} {
			name := string(enc) + "/http1"
			if h2c {
				name = string(enc) + "/h2c"
			}
			t.Run(name, func(t *testing.T) {
				res, err := run(t, rest.Config{Encoding: enc, Items: 5, HTTP2: h2c, Connections: 2},
					bench.Options{Concurrency: 4, Requests: 300, Timeout: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				if res.Counts.OK != 300 || res.Counts.Errors != 0 {
					t.Errorf("counts %+v errors %v; want every order confirmed", res.Counts, res.Errors)
				}
				if res.Resources == nil || res.Resources.ClientCodecPerOpUS <= 0 {
					t.Errorf("resources %+v: want the client's encode and decode time", res.Resources)
				}
			})
		}
	}
}

// TestInvalidMessagesAreCountedNotFatal: the real handler behind a
// proxy that breaks every second order after the first: the target
// answers those 400, the run counts them as invalid_message and goes on.
func TestInvalidMessagesAreCountedNotFatal(t *testing.T) {
	orders := rest.OrdersHandler(messages.JSON, messages.Protobuf)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body[:len(body)/2]))
			r.ContentLength = int64(len(body) / 2)
		}
		orders.ServeHTTP(w, r)
	}))
	defer srv.Close()
	for _, enc := range []messages.Encoding{messages.JSON, messages.Protobuf} {
		t.Run(string(enc), func(t *testing.T) {
			n.Store(0)
			res, err := run(t, rest.Config{Target: srv.URL, Encoding: enc, Items: 3, Connections: 1},
				bench.Options{Concurrency: 1, Requests: 20, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors[messages.ClassInvalidMessage] != 10 || res.Counts.OK != 10 {
				t.Errorf("errors %v ok %d; want 10 invalid_message and 10 confirmed", res.Errors, res.Counts.OK)
			}
		})
	}
}

func TestAReplyForAnotherOrderIsABadReply(t *testing.T) {
	orders := rest.OrdersHandler(messages.JSON)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			orders.ServeHTTP(w, r) // the pre-flight order
			return
		}
		b, _ := messages.JSON.Marshal(&messages.PaymentConfirmation{OrderId: "ord-0", AmountCents: 1})
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	res, err := run(t, rest.Config{Target: srv.URL, Encoding: messages.JSON, Items: 1, Connections: 1},
		bench.Options{Concurrency: 1, Requests: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[messages.ClassBadReply] != 5 {
		t.Errorf("errors %v; want 5 bad_reply", res.Errors)
	}
}

// TestMismatchedEncodingFailsAtPreflight: a target that takes another
// encoding, or no orders, stops the run before it starts with one line
// saying what the target expects.
func TestMismatchedEncodingFailsAtPreflight(t *testing.T) {
	echoOnly := http.NewServeMux()
	echoOnly.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })
	tests := []struct {
		name    string
		handler http.Handler
		enc     messages.Encoding
		want    string
	}{
		{"json-only target, protobuf run", rest.OrdersHandler(messages.JSON), messages.Protobuf,
			"does not take application/x-protobuf orders: it expects --encoding json"},
		{"protobuf-only target, json run", rest.OrdersHandler(messages.Protobuf), messages.JSON,
			"does not take application/json orders: it expects --encoding protobuf"},
		{"echo target, json run", echoOnly, messages.JSON, "takes no orders (HTTP 404): an echo target wants --encoding raw"},
		{"415 without a list", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(415) }), messages.JSON,
			"does not take application/json orders (HTTP 415) and does not say what it takes"},
		{"400 to a valid order", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "want XML", 400) }), messages.JSON,
			"refused a valid json order with HTTP 400 (want XML)"},
		{"200 with nonsense", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }), messages.Protobuf,
			"did not answer the order with its protobuf PaymentConfirmation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := run(t, rest.Config{Target: srv.URL, Encoding: tt.enc, Items: 2}, bench.Options{Concurrency: 1, Requests: 5})
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %v; want one line saying %q", err, tt.want)
			}
		})
	}
}
