package event

import "testing"

func TestDescriptors(t *testing.T) {
	base := Config{Partitions: 6, ReplicationFactor: 1, Subscribers: 2, Consumers: 3, Producers: 2, BatchSize: 100}
	external := base
	external.Brokers = []string{"127.0.0.1:9092", "127.0.0.1:9093"}
	tests := []struct {
		name string
		cfg  Config
		want int
	}{
		// admin 4 + producers 2×3 + groups 2×(3×3 + 6) = 40, both ends, and the listener.
		{"embedded", base, 81},
		// admin 4 + producers 2×3×2 brokers + groups 2×(3×3 + 6) = 46.
		{"external", external, 46},
	}
	for _, tt := range tests {
		w, err := NewWorkload(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Descriptors(); got != tt.want {
			t.Errorf("%s: Descriptors() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
