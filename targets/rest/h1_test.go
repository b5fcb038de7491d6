package rest

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
)

func TestReadH1Response(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		buf   int
		want  h1Response
		body  string
		error string
	}{
		{"content length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 10,
			h1Response{status: 200, n: 5}, "hello", ""},
		{"header names in any case", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nCONNECTION: close\r\n\r\nhi", 10,
			h1Response{status: 200, n: 2, close: true}, "hi", ""},
		{"chunked with extension and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n", 10,
			h1Response{status: 200, n: 5}, "abcde", ""},
		{"body longer than the buffer is read and flagged", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef", 4,
			h1Response{status: 200, n: 4, more: true}, "abcd", ""},
		{"HTTP/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 4,
			h1Response{status: 200, n: 1, close: true}, "x", ""},
		{"body ended by close", "HTTP/1.1 200 OK\r\n\r\nuntil-eof", 20,
			h1Response{status: 200, n: 9, close: true}, "until-eof", ""},
		{"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", 4,
			h1Response{status: 204}, "", ""},
		{"error status with a body", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", 10,
			h1Response{status: 503, n: 4}, "busy", ""},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 10,
			h1Response{status: 200, n: 3}, "abc", "unexpected EOF"},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n", 10, h1Response{}, "", "malformed HTTP status line"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 10, h1Response{status: 200}, "", "malformed Content-Length"},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 10, h1Response{status: 200}, "", "malformed chunk size"},
		{"nothing at all", "", 10, h1Response{}, "", "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := make([]byte, tt.buf)
			got, err := readH1Response(bufio.NewReader(strings.NewReader(tt.raw)), body)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("error = %v, want %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || string(body[:got.n]) != tt.body {
				t.Errorf("got %+v %q, want %+v %q", got, body[:got.n], tt.want, tt.body)
			}
		})
	}
}

// TestStaleKeepAliveConnectionIsRetriedOnce: a server that closes every
// connection after one answer, without saying so, must not make the next
// operation fail.
func TestStaleKeepAliveConnectionIsRetriedOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				n := 0
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(strings.ToLower(line), "content-length:") {
						n, _ = strconv.Atoi(strings.TrimSpace(line[len("content-length:"):]))
					}
					if line == "\r\n" {
						break
					}
				}
				body := make([]byte, n)
				if _, err := br.Read(body); err != nil && n > 0 {
					return
				}
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n"))
				_, _ = c.Write(body)
			}()
		}
	}()
	w := NewWorkload(Config{Target: ln.Addr().String(), Connections: 1, PayloadBytes: 16})
	res, err := bench.Run(context.Background(), w, bench.Options{Concurrency: 1, Requests: 20, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.OK != 20 {
		t.Errorf("ok %d of 20, errors %v: a stale keep-alive connection must be retried on a new one", res.Counts.OK, res.Errors)
	}
}
