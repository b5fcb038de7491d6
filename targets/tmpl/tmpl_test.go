package tmpl_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/targets/tmpl"
)

var at = time.Date(2026, 12, 2, 9, 30, 1, 123456789, time.UTC)

func TestExecute(t *testing.T) {
	v := tmpl.Values{Seq: 42, Run: "r1", Worker: 3, Time: at}
	for _, c := range []struct{ src, want string }{
		{"", ""},
		{"plain", "plain"},
		{`{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{"{{seq}}", "42"},
		{"{{ seq }}-{{worker}}", "42-3"},
		{"{{run}}", "r1"},
		{"{{now}}", "2026-12-02T09:30:01.123456789Z"},
		{"{{unix_ms}}", "1796203801123"},
		{"{{unix_ns}}", "1796203801123456789"},
		{"{{lbrace}}seq}}", "{{seq}}"},
		{"{{rand 5 5}}", "5"},
		{"{{pick only}}", "only"},
	} {
		tp, err := tmpl.Parse(c.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.src, err)
		}
		if got := tp.String(v); got != c.want {
			t.Errorf("%q: got %q, want %q", c.src, got, c.want)
		}
	}
}

func TestUUIDUniquePerOperationAndStable(t *testing.T) {
	tp := tmpl.MustParse("{{uuid}}")
	form := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for seq := int64(0); seq < 10000; seq++ {
		id := tp.String(tmpl.Values{Seq: seq, Run: "run-a"})
		if !form.MatchString(id) {
			t.Fatalf("seq %d: %q is not a version 4 UUID", seq, id)
		}
		if seen[id] {
			t.Fatalf("seq %d: %q repeated", seq, id)
		}
		seen[id] = true
	}
	a := tp.String(tmpl.Values{Seq: 7, Run: "run-a"})
	if b := tp.String(tmpl.Values{Seq: 7, Run: "run-a"}); a != b {
		t.Errorf("same run and seq gave %q and %q", a, b)
	}
	if b := tp.String(tmpl.Values{Seq: 7, Run: "run-b"}); a == b {
		t.Errorf("two runs gave the same id %q", a)
	}
}

func TestRandAndPickStayInRangeAndVary(t *testing.T) {
	tp := tmpl.MustParse("{{rand -3 3}} {{pick a b c}} {{rand -3 3}}")
	counts := map[string]int{}
	differ := 0
	for seq := int64(0); seq < 3000; seq++ {
		f := strings.Fields(tp.String(tmpl.Values{Seq: seq, Run: "r"}))
		for _, n := range []string{f[0], f[2]} {
			if !regexp.MustCompile(`^-?[0-3]$`).MatchString(n) {
				t.Fatalf("rand out of range: %q", n)
			}
		}
		if f[0] != f[2] {
			differ++
		}
		counts[f[1]]++
	}
	for _, w := range []string{"a", "b", "c"} {
		if counts[w] < 800 || counts[w] > 1200 {
			t.Errorf("pick drew %q %d times of 3000; want about 1000", w, counts[w])
		}
	}
	if differ < 2000 {
		t.Errorf("two rand placeholders agreed %d times of 3000: they should draw apart", 3000-differ)
	}
}

func TestJSONStaysJSON(t *testing.T) {
	tp := tmpl.MustParse(`{"id":"{{uuid}}","seq":{{seq}},"at":"{{now}}","qty":{{rand 1 9}},"sku":"{{pick A-1 B-2}}"}`)
	for seq := int64(0); seq < 100; seq++ {
		var m map[string]any
		if err := json.Unmarshal(tp.Execute(tmpl.Values{Seq: seq, Run: "r", Time: at}), &m); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		if m["seq"].(float64) != float64(seq) {
			t.Fatalf("seq %d: got %v", seq, m["seq"])
		}
	}
}

func TestStatic(t *testing.T) {
	if !tmpl.MustParse(`{"a":1}`).Static() || !tmpl.MustParse("{{lbrace}}").Static() {
		t.Error("a template without placeholders is static")
	}
	if tmpl.MustParse("{{seq}}").Static() {
		t.Error("a template with a placeholder is not static")
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"{{", "line 1, column 1: a placeholder opened with {{ is not closed"},
		{"ab\ncd {{nope}}", "line 2, column 4: unknown placeholder {{nope}}"},
		{"{{}}", "an empty placeholder"},
		{"{{seq 1}}", "{{seq}} takes no arguments"},
		{"{{rand 1}}", "takes two integers, got 1 arguments"},
		{"{{rand a b}}", `takes two integers, got "a" and "b"`},
		{"{{rand 5 1}}", "the first bound is above the second"},
		{"{{rand -9223372036854775808 9223372036854775807}}", "the span is too large"},
		{"{{pick}}", "takes at least one word"},
		{"{{lbrace x}}", "takes no arguments"},
	} {
		_, err := tmpl.Parse(c.src)
		var te *tmpl.Error
		if !errors.As(err, &te) {
			t.Errorf("%q: got %v, want a *tmpl.Error", c.src, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "placeholders: {{seq}}") {
			t.Errorf("%q: got %q, want it to say %q and list the placeholders", c.src, err, c.want)
		}
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "order.json")
	if err := os.WriteFile(p, []byte(`{"n":{{seq}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tp, err := tmpl.ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tp.String(tmpl.Values{Seq: 1}); got != `{"n":1` {
		t.Errorf("got %q", got)
	}
	if err := os.WriteFile(p, []byte(`{{x}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.ParseFile(p); err == nil || !strings.Contains(err.Error(), "order.json: template line 1") {
		t.Errorf("got %v, want the file named with the line", err)
	}
	if _, err := tmpl.ParseFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want not-exist", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "{{seq}}", "{{rand 1 2}}{{pick a}}", "{{", "}}{{lbrace}}", "{{ uuid }} {{now}}", "{{rand -1 x}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := tmpl.Parse(src)
		if err != nil {
			return
		}
		out := tp.String(tmpl.Values{Seq: 3, Run: "r", Worker: 1, Time: at})
		if !strings.Contains(src, "{{") && out != src {
			t.Fatalf("a template without placeholders changed: %q -> %q", src, out)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	tp := tmpl.MustParse(`{"id":"{{uuid}}","seq":{{seq}},"at":"{{now}}","qty":{{rand 1 9}}}`)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = tp.Append(buf[:0], tmpl.Values{Seq: int64(i), Run: "r", Time: at})
	}
}
