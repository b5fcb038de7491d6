package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// ordersvc VAR starts, in the test process, a small order service of a
// user's that knows nothing of commsbench's echo contract, on a free
// loopback port, and sets VAR to its address. POST /orders takes
// {"id": "…", "seq": N, "qty": N, "placed": "…"} as application/json and answers 201 with
// {"data": {"status": "created", "id": …}}, 400 for an invalid order or a
// repeated id, and 500 for every order whose seq ends in 9; GET /orders/N
// answers 200 for N from 1 to 100; anything else is 404. It stops when
// the script ends.
func cmdOrdersvc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ordersvc VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("listen: %v", err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		var o struct {
			ID     string `json:"id"`
			Seq    *int64 `json:"seq"`
			Qty    int    `json:"qty"`
			Placed string `json:"placed"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if r.Header.Get("Content-Type") != "application/json" || dec.Decode(&o) != nil || o.ID == "" || o.Seq == nil || o.Qty < 1 {
			http.Error(w, `{"error": "invalid order"}`, http.StatusBadRequest)
			return
		}
		mu.Lock()
		again := seen[o.ID]
		seen[o.ID] = true
		mu.Unlock()
		switch {
		case again:
			http.Error(w, `{"error": "order exists"}`, http.StatusBadRequest)
		case *o.Seq%10 == 9:
			http.Error(w, `{"error": "database unavailable"}`, http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"data": {"status": "created", "id": %q}}`, o.ID)
		}
	})
	mux.HandleFunc("GET /orders/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscan(r.PathValue("n"), &n); err != nil || n < 1 || n > 100 || strings.ContainsAny(r.PathValue("n"), "+-") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id": %d, "status": "paid"}`, n)
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	ts.Defer(func() { _ = srv.Close() })
	ts.Setenv(args[0], l.Addr().String())
}
