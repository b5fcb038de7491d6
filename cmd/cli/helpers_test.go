package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// newFlakyEcho serves the echo contract once, then answers 500: the
// pre-flight check passes and every measured operation fails.
func newFlakyEcho(t *testing.T) string {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
			return
		}
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
