package scenarios

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSuitePayloadAppliesToEveryScenario: payload: in a suite file, unlike
// defaults:, replaces every scenario's own payload, so that one interaction
// runs over every mechanism; SamePayload does the same from the command
// line with the first scenario's payload.
func TestSuitePayloadAppliesToEveryScenario(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(p, []byte(`name: one-payload
payload: {size: 1KiB}
scenarios:
  - order-payment-rest
  - user-auth-grpc
  - order-placed-event
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Builtin().Suite(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range s.Scenarios {
		if sc.Payload.Bytes() != 1024 || sc.Payload.Template != "" {
			t.Errorf("%s: payload %d bytes (template %q), want the suite's 1 KiB", sc.Name, sc.Payload.Bytes(), sc.Payload.Template)
		}
	}

	// The built-in suite: each scenario its own template, until SamePayload.
	def, err := Builtin().Suite("microservices")
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[int64]bool{}
	for _, sc := range def.Scenarios {
		sizes[sc.Payload.Bytes()] = true
	}
	if len(sizes) < 2 {
		t.Fatalf("the built-in suite's scenarios carry %v: the test needs different payloads", sizes)
	}
	first := def.Scenarios[0].Payload
	def.SamePayload()
	for _, sc := range def.Scenarios {
		if sc.Payload.Bytes() != first.Bytes() || string(sc.Payload.Content) != string(first.Content) {
			t.Errorf("%s: payload %d bytes after SamePayload, want the first scenario's %d", sc.Name, sc.Payload.Bytes(), first.Bytes())
		}
	}
}
