package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxFileBytes bounds what ReadFile accepts: a result file is a few hundred
// kilobytes; anything far larger is not one.
const MaxFileBytes = 256 << 20

// ErrNotResult is wrapped by every error that says a file is not a readable
// commsbench result.
var ErrNotResult = errors.New("not a commsbench result")

// Encode writes r as indented JSON.
func Encode(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteFile writes r to path atomically (a temporary file renamed into
// place), so an interrupted write never leaves half a result behind.
func WriteFile(path string, r *Result) error {
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return FileError(err, "write", path)
	}
	tmp, err := os.CreateTemp(dir, ".commsbench-*.json")
	if err != nil {
		return FileError(err, "write", path)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return FileError(err, "write", path)
	}
	if err := tmp.Close(); err != nil {
		return FileError(err, "write", path)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return FileError(err, "write", path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return FileError(err, "write", path)
	}
	return nil
}

// Decode reads one result and checks that it is one: the schema version is
// known, the required keys are there and every histogram decodes.
func Decode(r io.Reader) (*Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrNotResult, MaxFileBytes>>20)
	}
	return Unmarshal(data)
}

// Unmarshal parses and validates one result.
func Unmarshal(data []byte) (*Result, error) {
	var probe struct {
		Schema *int `json:"schema"`
		Tool   *struct {
			Name string `json:"name"`
		} `json:"tool"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrNotResult, describeJSONError(data, err))
	}
	if probe.Schema == nil || probe.Tool == nil || probe.Tool.Name != "commsbench" {
		return nil, fmt.Errorf("%w: no \"schema\" and \"tool\": {\"name\": \"commsbench\"} keys", ErrNotResult)
	}
	if *probe.Schema != SchemaVersion {
		return nil, fmt.Errorf("%w: schema version %d, this commsbench reads version %d", ErrNotResult, *probe.Schema, SchemaVersion)
	}
	var res Result
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotResult, describeJSONError(data, err))
	}
	if err := res.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotResult, err)
	}
	return &res, nil
}

// Validate checks what every reader relies on.
func (r *Result) Validate() error {
	if r.Transport == "" {
		return errors.New("no transport")
	}
	if r.Load.Mode != OpenLoop && r.Load.Mode != ClosedLoop {
		return fmt.Errorf("load.mode %q is neither %q nor %q", r.Load.Mode, OpenLoop, ClosedLoop)
	}
	if r.Counts.Sent < 0 || r.Counts.OK < 0 || r.Counts.Errors < 0 {
		return errors.New("negative counts")
	}
	if r.DurationS < 0 {
		return errors.New("negative duration_s")
	}
	names := make([]string, 0, len(r.Latency))
	for name := range r.Latency {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		l := r.Latency[name]
		if l == nil {
			return fmt.Errorf("latency.%s is null", name)
		}
		h, err := l.Histogram()
		if err != nil {
			return fmt.Errorf("latency.%s: %v", name, err)
		}
		if h.TotalCount() != l.Count {
			return fmt.Errorf("latency.%s: count %d but its histogram holds %d values", name, l.Count, h.TotalCount())
		}
	}
	if err := r.validateRequests(); err != nil {
		return err
	}
	for i, s := range r.Subscribers {
		if s.EndToEnd == nil {
			continue
		}
		if _, err := s.EndToEnd.Histogram(); err != nil {
			return fmt.Errorf("subscribers[%d].end_to_end: %v", i, err)
		}
	}
	return r.Resilience.validate()
}

func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		if int(syn.Offset) >= len(bytes.TrimRight(data, " \t\r\n")) {
			return fmt.Sprintf("truncated: the JSON ends at line %d before it is complete", line)
		}
		return fmt.Sprintf("line %d: %v", line, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated (unexpected end of JSON)"
	}
	return err.Error()
}

// ReadFile reads one result file.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, FileError(err, "read", path)
	}
	defer f.Close()
	r, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// LoadPath reads a result file, or every *.json result file in a directory
// (sorted by name). A directory with no result file is an error.
func LoadPath(path string) ([]*Result, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, FileError(err, "read", path)
	}
	if !st.IsDir() {
		r, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		return []*Result{r}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, FileError(err, "read", path)
	}
	var out []*Result
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		r, err := ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w: the directory holds no result file (*.json)", path, ErrNotResult)
	}
	return out, nil
}

// RedactSecrets hides the password of every URL with credentials in s
// ("amqp://user:secret@host" becomes "amqp://user:xxxxx@host"), so that
// command lines and addresses can be printed and stored.
func RedactSecrets(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		// The authority ends at the first '/', '?', '#' or space.
		end := strings.IndexAny(s, "/?# \t\n,")
		if end < 0 {
			end = len(s)
		}
		auth := s[:end]
		if at := strings.LastIndex(auth, "@"); at >= 0 {
			if colon := strings.Index(auth[:at], ":"); colon >= 0 {
				b.WriteString(auth[:colon+1])
				b.WriteString("xxxxx")
				b.WriteString(auth[at:])
				s = s[end:]
				continue
			}
		}
		b.WriteString(auth)
		s = s[end:]
	}
}
