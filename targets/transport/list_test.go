package transport_test

import (
	"testing"

	"github.com/commsbench/commsbench/targets/transport"
)

func TestListAppendsEachValue(t *testing.T) {
	var hs []string
	v := transport.List(&hs)
	if v.Changed() || v.String() != "" {
		t.Fatalf("fresh list: changed %v, %q", v.Changed(), v.String())
	}
	for _, s := range []string{"A: b", "C: d"} {
		if err := v.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	r, ok := v.(transport.Repeatable)
	if !ok || !v.Changed() || len(hs) != 2 || r.Values()[1] != "C: d" || v.String() != "[A: b, C: d]" {
		t.Errorf("list %q, values %v", v.String(), hs)
	}
}
