package nats

import (
	"os"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
)

// localServer returns the local server's URL, or skips the test with the
// reason when it does not answer; under CI it must answer.
func localServer(t *testing.T) string {
	t.Helper()
	nc, err := connect(localURL, "commsbench test probe", time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and the local NATS server does not answer: %v", err)
		}
		t.Skipf("the local NATS server does not answer: %v", err)
	}
	nc.Close()
	return localURL
}

// TestModesLocalServer runs every mode briefly against the local server.
func TestModesLocalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	url := localServer(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"request", Config{Mode: ModeRequest, Consumers: 2}},
		{"publish", Config{Mode: ModePublish, Subscribers: 2}},
		{"jetstream", Config{Mode: ModeJetStream, Consumers: 1, Storage: StorageMemory}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.URL = url
			res, w := run(t, tc.cfg, bench.Options{Rate: 2000, Duration: 300 * time.Millisecond})
			d := res.Counts.Delivery
			if res.Counts.Sent == 0 || res.Counts.Errors != 0 {
				t.Fatalf("sent %d, errors %v", res.Counts.Sent, res.Errors)
			}
			want := res.Counts.Sent * int64(len(w.ledger.receivers))
			if d.Received != want || d.Lost != 0 {
				t.Errorf("received %d, lost %d; want %d, 0", d.Received, d.Lost, want)
			}
			if res.Target.Kind != "external" || res.Target.Address != "127.0.0.1:4222" || res.Target.BrokerVersion == "" {
				t.Errorf("target %+v", res.Target)
			}
		})
	}
}
