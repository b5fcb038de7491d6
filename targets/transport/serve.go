package transport

import (
	"context"
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
