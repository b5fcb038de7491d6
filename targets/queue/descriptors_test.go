package queue

import "testing"

// TestDescriptors: one socket per AMQP connection (one per producer and
// consumer unless Connections says otherwise), and one to delete the queue.
func TestDescriptors(t *testing.T) {
	for connections, want := range map[int]int{0: 7, 2: 3} {
		cfg := Config{URL: "amqp://127.0.0.1:5672", RunID: "descriptors", Producers: 4, Consumers: 2, Connections: connections}
		w, err := NewWorkload(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Descriptors(); got != want {
			t.Errorf("Connections %d: Descriptors() = %d, want %d", connections, got, want)
		}
	}
}
