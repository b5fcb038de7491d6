package transport

import (
	"strings"
	"testing"
)

func TestServedAddress(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{"rest echo target listening on http://127.0.0.1:8080 (HTTP/1.1; POST /echo); Ctrl-C stops it\n", "http://127.0.0.1:8080", true},
		{"grpc echo target listening on 127.0.0.1:9090 (commsbench.echo.v1.Echo)", "127.0.0.1:9090", true},
		{"nats server listening on nats://127.0.0.1:4222 (embedded nats-server)", "nats://127.0.0.1:4222", true},
		{"event broker (kfake, embedded, in-memory) listening on 127.0.0.1:9092\n", "127.0.0.1:9092", true},
		{"listening on 127.0.0.1:1, and more", "127.0.0.1:1", true},
		{"listening on \n", "", false},
		{"hello", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ServedAddress(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ServedAddress(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzServedAddress(f *testing.F) {
	for _, s := range []string{
		"rest echo target listening on http://127.0.0.1:8080 (HTTP/1.1)\n",
		"listening on ",
		"listening on listening on x",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		addr, ok := ServedAddress(line)
		if ok != (addr != "") {
			t.Fatalf("ServedAddress(%q) = %q, %v: ok must say whether there is an address", line, addr, ok)
		}
		if strings.ContainsAny(addr, " \n") {
			t.Fatalf("ServedAddress(%q) = %q: an address has no space", line, addr)
		}
	})
}
