package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/commsbench/commsbench/bench"
)

// Error classes of requests to a user's own endpoints.
const (
	// ClassUnexpectedStatus is an answer whose status is not one of
	// --expect-status; its statuses are counted per request kind.
	ClassUnexpectedStatus = "unexpected_status"
	// ClassCheckFailed is an answer with an expected status whose body
	// failed the response check (--expect-json, --expect-body-contains).
	ClassCheckFailed = "check_failed"
)

// statusSet is the statuses a request expects, such as 2xx,404.
type statusSet struct {
	classes [6]bool // 1xx … 5xx by first digit
	codes   []int
	text    string
}

// parseStatusSet reads a list of status codes and classes: "2xx", "201",
// "200,201", "2xx,404".
func parseStatusSet(s string) (statusSet, error) {
	set := statusSet{text: strings.TrimSpace(s)}
	if set.text == "" {
		return set, errors.New("names no status: give codes or classes such as 2xx, 201 or 200,201")
	}
	for _, f := range strings.Split(set.text, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case len(f) == 3 && f[1:] == "xx" && f[0] >= '1' && f[0] <= '5':
			set.classes[f[0]-'0'] = true
		case len(f) == 3 && allDigits(f):
			n, _ := strconv.Atoi(f)
			if n < 100 || n > 599 {
				return statusSet{}, fmt.Errorf("%q: a status code is from 100 to 599", f)
			}
			set.codes = append(set.codes, n)
		default:
			return statusSet{}, fmt.Errorf("%q is not a status code (201) or class (2xx)", f)
		}
	}
	return set, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// has says whether status is expected.
func (s *statusSet) has(status int) bool {
	if c := status / 100; c >= 1 && c <= 5 && s.classes[c] {
		return true
	}
	for _, c := range s.codes {
		if c == status {
			return true
		}
	}
	return false
}

func (s *statusSet) String() string { return s.text }

// unexpectedStatus is an answer whose status was not expected.
// Its message quotes the start of the answer's body, which often says why.
func unexpectedStatus(status int, want *statusSet, body []byte) error {
	if b := bytes.TrimSpace(body); len(b) > 0 {
		return bench.Errorf(ClassUnexpectedStatus, "HTTP %d %s, expected %s: %s", status, statusText(status), want, quoteShort(string(b)))
	}
	return bench.Errorf(ClassUnexpectedStatus, "HTTP %d %s, expected %s", status, statusText(status), want)
}

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "(unknown status)"
}

// jsonCheck is --expect-json PATH=VALUE: the field at PATH equals VALUE.
type jsonCheck struct {
	text  string
	path  []string // object keys and array indexes, in order
	index []int    // -1 for a key, else the array index
	value string
}

// parseJSONCheck reads PATH=VALUE: a dotted path of object keys and array
// indexes (data.status, items.0.id) and the value, compared with the
// field's text (a string's characters, or a number, true, false or null
// as written in the answer).
func parseJSONCheck(s string) (jsonCheck, error) {
	p, v, ok := strings.Cut(s, "=")
	if !ok {
		return jsonCheck{}, fmt.Errorf("%q: write PATH=VALUE, such as data.status=created or items.0.id=7", s)
	}
	p = strings.TrimSpace(p)
	if p == "" {
		return jsonCheck{}, fmt.Errorf("%q: the path before = is empty", s)
	}
	c := jsonCheck{text: s, value: v}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return jsonCheck{}, fmt.Errorf("%q: the path %q has an empty part (two dots, or a dot at an end)", s, p)
		}
		idx := -1
		if allDigits(seg) {
			n, err := strconv.Atoi(seg)
			if err != nil || len(seg) > 9 {
				return jsonCheck{}, fmt.Errorf("%q: array index %s is too large", s, seg)
			}
			idx = n
		}
		c.path = append(c.path, seg)
		c.index = append(c.index, idx)
	}
	return c, nil
}

// check finds the field in the decoded answer and compares it.
func (c *jsonCheck) check(doc any) error {
	cur := doc
	for i, seg := range c.path {
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[seg]
			if !ok {
				return fmt.Errorf("the answer has no %s", strings.Join(c.path[:i+1], "."))
			}
			cur = v
		case []any:
			if c.index[i] < 0 || c.index[i] >= len(node) {
				return fmt.Errorf("the answer's %s has no element %s (%d elements)", strings.Join(c.path[:i], "."), seg, len(node))
			}
			cur = node[c.index[i]]
		default:
			return fmt.Errorf("the answer's %s is not an object or array", pathOrRoot(c.path[:i]))
		}
	}
	got, ok := fieldText(cur)
	if !ok {
		return fmt.Errorf("the answer's %s is an object or array, not a value", strings.Join(c.path, "."))
	}
	if got != c.value {
		return fmt.Errorf("the answer's %s is %s, expected %s", strings.Join(c.path, "."), quoteShort(got), quoteShort(c.value))
	}
	return nil
}

func pathOrRoot(p []string) string {
	if len(p) == 0 {
		return "body"
	}
	return strings.Join(p, ".")
}

// fieldText is a JSON value's text: a string's characters, a number as
// written, true, false or null.
func fieldText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "null", true
	}
	return "", false
}

func quoteShort(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}

// responseCheck is the optional check of an answer's body.
type responseCheck struct {
	json     []jsonCheck
	contains []byte
}

func (rc *responseCheck) active() bool { return len(rc.json) > 0 || rc.contains != nil }

// verify checks body; truncated says the body was longer than was read.
func (rc *responseCheck) verify(body []byte, truncated bool) error {
	if truncated {
		return bench.Errorf(ClassCheckFailed, "the answer's body is longer than %d bytes, more than a response check reads", len(body))
	}
	if rc.contains != nil && !bytes.Contains(body, rc.contains) {
		return bench.Errorf(ClassCheckFailed, "the answer's body does not contain %s", quoteShort(string(rc.contains)))
	}
	if len(rc.json) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return bench.Errorf(ClassCheckFailed, "the answer's body is not JSON: %v", err)
	}
	for i := range rc.json {
		if err := rc.json[i].check(doc); err != nil {
			return bench.WithClass(ClassCheckFailed, err)
		}
	}
	return nil
}
