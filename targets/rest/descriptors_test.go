package rest_test

import (
	"testing"

	"github.com/commsbench/commsbench/targets/rest"
)

func TestDescriptors(t *testing.T) {
	tests := []struct {
		name string
		cfg  rest.Config
		want int
	}{
		// Both ends of each connection, and the listener.
		{"embedded", rest.Config{Connections: 100}, 201},
		{"embedded h2c", rest.Config{Connections: 4, HTTP2: true}, 9},
		// Only this side's ends.
		{"external", rest.Config{Target: "127.0.0.1:8080", Connections: 100}, 100},
	}
	for _, tt := range tests {
		if got := rest.NewWorkload(tt.cfg).Descriptors(); got != tt.want {
			t.Errorf("%s: Descriptors() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
