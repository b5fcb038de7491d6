package grpctarget_test

import (
	"testing"

	grpctarget "github.com/commsbench/commsbench/targets/grpc"
)

func TestDescriptors(t *testing.T) {
	tests := []struct {
		name string
		cfg  grpctarget.Config
		want int
	}{
		{"embedded, one connection by default", grpctarget.Config{}, 3},
		{"embedded", grpctarget.Config{Connections: 8, Mode: grpctarget.ModeStream}, 17},
		{"external", grpctarget.Config{Target: "127.0.0.1:9090", Connections: 8}, 8},
	}
	for _, tt := range tests {
		w, err := grpctarget.NewWorkload(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Descriptors(); got != tt.want {
			t.Errorf("%s: Descriptors() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
