package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// maxBody bounds a request body.
const maxBody = 1 << 20

// restHandler serves POST /orders: 201 with the accepted order's id, 400
// for an invalid order, 405 for another method.
func restHandler(delay time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body unreadable or over 1 MiB"})
			return
		}
		if _, err := decodeOrder(body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		sleep(delay)
		writeJSON(w, http.StatusCreated, Accepted{ID: newID(), Status: "accepted"})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// sleep is the simulated regression of --extra-delay.
func sleep(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}
