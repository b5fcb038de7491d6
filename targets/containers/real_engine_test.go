package containers

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// realEngine returns the Docker engine of this machine, or skips the test.
func realEngine(t *testing.T) *Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("starts broker containers")
	}
	eng, err := CheckEngine(context.Background(), EngineConfig{})
	if err != nil {
		t.Skipf("needs a Docker engine, and none answers here: %v", err)
	}
	return eng
}

// With a real engine: each broker starts, answers, reports its version, and
// is gone after Remove.
func TestRealBrokers(t *testing.T) {
	eng := realEngine(t)
	SetLibraryLog(io.Discard)
	for _, kind := range []Kind{Queue, Event} {
		t.Run(string(kind), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), DefaultStartTimeout)
			defer cancel()
			b, err := Start(ctx, eng, Spec{Kind: kind, Labels: map[string]string{LabelRun: "test"}, Progress: func(s string) { t.Log(s) }})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Remove(context.Background())
			if b.Version == "" {
				t.Error("no broker version")
			}
			info, err := eng.Inspect(ctx, b.ContainerID)
			if err != nil || !info.Running || info.Labels[LabelBroker] != string(kind) || info.Labels[LabelRun] != "test" {
				t.Errorf("container %+v, %v", info, err)
			}
			switch kind {
			case Queue:
				conn, err := amqp.Dial(b.AMQPURL)
				if err != nil {
					t.Fatalf("AMQP %s: %v", b.Address(), err)
				}
				conn.Close()
			case Event:
				c, err := net.DialTimeout("tcp", b.Brokers[0], 5*time.Second)
				if err != nil {
					t.Fatalf("Kafka %s: %v", b.Brokers[0], err)
				}
				c.Close()
			}
			if err := b.Remove(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := eng.Inspect(context.Background(), b.ContainerID); !errors.Is(err, ErrNoSuchContainer) {
				t.Errorf("container still there after Remove: %v", err)
			}
		})
	}
}
