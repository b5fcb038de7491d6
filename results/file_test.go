package results_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commsbench/commsbench/results"
)

func TestUnmarshalRejectsWhatIsNotAResult(t *testing.T) {
	var good bytes.Buffer
	if err := results.Encode(&good, sampleResult(t)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"truncated JSON", good.String()[:good.Len()/2], "truncated"},
		{"not JSON", "hello", "invalid JSON"},
		{"another tool's JSON", `{"schema": 1, "tool": {"name": "k6"}}`, "no \"schema\""},
		{"a JSON array", `[1,2]`, "invalid JSON"},
		{"wrong schema version", strings.Replace(good.String(), `"schema": 1`, `"schema": 99`, 1), "schema version 99"},
		{"corrupt histogram", strings.Replace(good.String(), `"hdr": "`, `"hdr": "!!`, 1), "latency.response"},
		{"unknown load mode", strings.Replace(good.String(), `"mode": "open"`, `"mode": "sideways"`, 1), "load.mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := results.Unmarshal([]byte(tt.data))
			if !errors.Is(err, results.ErrNotResult) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want ErrNotResult mentioning %q", err, tt.want)
			}
		})
	}
}

func TestWriteFileThenLoadPath(t *testing.T) {
	dir := t.TempDir()
	r := sampleResult(t)
	for _, name := range []string{"a.json", "b.json"} {
		if err := results.WriteFile(filepath.Join(dir, name), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a result"), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := results.LoadPath(dir)
	if err != nil || len(rs) != 2 {
		t.Fatalf("LoadPath(dir) = %d results, %v; want the 2 .json files", len(rs), err)
	}
	if _, err := results.LoadPath(t.TempDir()); !errors.Is(err, results.ErrNotResult) {
		t.Errorf("an empty directory: %v, want ErrNotResult", err)
	}
	if _, err := results.LoadPath(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v, want not-exist", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".commsbench-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestRedactSecrets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:xxxxx@127.0.0.1:5672/"},
		{"--amqp-url amqps://u:p%40ss@host/vh --rate 5", "--amqp-url amqps://u:xxxxx@host/vh --rate 5"},
		{"amqp://user@host/", "amqp://user@host/"}, // no password
		{"http://127.0.0.1:8080/echo", "http://127.0.0.1:8080/echo"},
		{"a://x:y@h b://p:q@i", "a://x:xxxxx@h b://p:xxxxx@i"},
		{"kafka://u:s3cr@t@h:9092", "kafka://u:xxxxx@h:9092"}, // '@' inside the password
		{"no url here", "no url here"},
	}
	for _, tt := range tests {
		if got := results.RedactSecrets(tt.in); got != tt.want {
			t.Errorf("RedactSecrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
