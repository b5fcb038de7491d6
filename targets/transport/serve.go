package transport

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"
)

// ServeUntilDone runs serve until ctx is cancelled (Ctrl-C), then calls
// shutdown, which has five seconds to stop the target.
func ServeUntilDone(ctx context.Context, serve func() error, shutdown func(context.Context) error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		return err
	}
	<-errc
	return nil
}

// ServedAddress reads the address out of the first line "serve NAME"
// prints: the word after "listening on " ("http://127.0.0.1:8080",
// "127.0.0.1:9090", "nats://127.0.0.1:4222").
func ServedAddress(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, "listening on ")
	if !ok {
		return "", false
	}
	addr, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	addr = strings.TrimRight(addr, ",;")
	return addr, addr != ""
}

// DialCheckTimeout bounds Dial.
const DialCheckTimeout = 2 * time.Second

// Dial says whether something accepts TCP connections at addr, within
// DialCheckTimeout: a broker probe's first step. The error is the
// system's word (connection refused, no route to host).
func Dial(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: DialCheckTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			return op.Err
		}
		return err
	}
	return c.Close()
}
