package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/commsbench/commsbench/targets/tmpl"
)

// MaxBodyFileBytes bounds a request body file.
const MaxBodyFileBytes = 16 << 20

// requestSpec is one kind of request to a user's endpoint as written: on
// the command line (--method, --path, --header …) or as one entry of a
// scenario's mix. Empty fields take the command line's.
type requestSpec struct {
	Name               string     `json:"name"`
	Weight             flexString `json:"weight"`
	Method             string     `json:"method"`
	Path               string     `json:"path"`
	Headers            []string   `json:"headers"`
	Body               *string    `json:"body"`
	BodyFile           string     `json:"body_file"`
	ContentType        string     `json:"content_type"`
	ExpectStatus       flexString `json:"expect_status"`
	ExpectJSON         []string   `json:"expect_json"`
	ExpectBodyContains *string    `json:"expect_body_contains"`
}

// flexString takes a JSON string or number: a scenario writes weight: 3
// and expect_status: 201 without quotes.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("must be text or a number")
	}
	*f = flexString(n)
	return nil
}

// parseMixEntry decodes one entry of a mix, refusing keys it does not know.
func parseMixEntry(s string) (requestSpec, error) {
	var r requestSpec
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return r, fmt.Errorf("not a request (a mapping such as {weight: 3, method: GET, path: /orders/{{rand 1 100}}}): %v", err)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return r, fmt.Errorf("unknown key %s: a request takes name, weight, method, path, headers, body, body_file, content_type, expect_status, expect_json and expect_body_contains",
				strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return r, fmt.Errorf("not a request: %v", err)
	}
	if dec.More() {
		return r, errors.New("more than one request in one entry")
	}
	return r, nil
}

// header is one request header; its value may be a template.
type header struct {
	name  string
	value *tmpl.Template
	text  string // as written, for the record
}

// tokenChars are the characters of an HTTP header name (RFC 9110 token).
var tokenRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// parseHeader reads "Name: value" (the space is optional); the value may
// hold placeholders.
func parseHeader(s string) (header, error) {
	k, v, ok := strings.Cut(s, ":")
	if !ok {
		return header{}, errors.New("no colon: write Name: value, such as 'Authorization: Bearer abc'")
	}
	k = strings.TrimSpace(k)
	if !tokenRE.MatchString(k) {
		return header{}, fmt.Errorf("%q: %q is not a header name (letters, digits and -, no spaces)", redactHeader(s), k)
	}
	v = strings.TrimSpace(v)
	if strings.ContainsAny(v, "\r\n") {
		return header{}, fmt.Errorf("header %s: the value holds a line break", k)
	}
	switch strings.ToLower(k) {
	case "content-length", "transfer-encoding", "connection":
		return header{}, fmt.Errorf("header %s: commsbench sets it itself", k)
	}
	t, err := tmpl.Parse(v)
	if err != nil {
		return header{}, fmt.Errorf("header %s: %v", k, err)
	}
	return header{name: k, value: t, text: v}, nil
}

// sensitiveHeader says a header's value is a secret, kept out of results.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, w := range []string{"token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// redactHeader is "Name: value" with a secret value hidden.
func redactHeader(s string) string {
	k, _, ok := strings.Cut(s, ":")
	if ok && sensitiveHeader(strings.TrimSpace(k)) {
		return strings.TrimSpace(k) + ": xxxxx"
	}
	return s
}

// validMethod is an HTTP method: a token, in upper case by convention.
var methodRE = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{0,31}$`)

func parseMethod(m string) (string, error) {
	m = strings.TrimSpace(m)
	if up := strings.ToUpper(m); up != m && methodRE.MatchString(up) {
		m = up
	}
	if !methodRE.MatchString(m) {
		return "", fmt.Errorf("%q is not an HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS …)", m)
	}
	return m, nil
}

// readBodyFile reads and parses a body template file.
func readBodyFile(path string) (*tmpl.Template, error) {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read the body file: %v", err)
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory, not a body file", path)
	case fi.Size() > MaxBodyFileBytes:
		return nil, fmt.Errorf("%s is %d bytes: a body file holds at most 16MiB", path, fi.Size())
	}
	t, err := tmpl.ParseFile(path)
	if err != nil {
		var te *tmpl.Error
		if errors.As(err, &te) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot read the body file: %v", err)
	}
	return t, nil
}

// checkPath checks a request path template as it renders for one
// operation: an absolute path with an optional query, no spaces.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q does not start with /", p)
	}
	if i := strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		return fmt.Errorf("%q holds a space or control character at byte %d: escape it (%%20)", p, i)
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return fmt.Errorf("%q is not a request path: %v", p, err)
	}
	return nil
}

// weight reads a mix entry's weight: a whole number from 1, 1 when unset.
func (f flexString) weight() (int, error) {
	if f == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(string(f))
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("weight %q: a whole number from 1 to 1000000", string(f))
	}
	return n, nil
}

// appendHeaderLine appends "Name: value\r\n" for one operation.
func appendHeaderLine(b []byte, h *header, v tmpl.Values) []byte {
	b = append(b, h.name...)
	b = append(b, ": "...)
	b = h.value.Append(b, v)
	return append(b, "\r\n"...)
}

// hasHeader says whether hs sets name.
func hasHeader(hs []header, name string) bool {
	for i := range hs {
		if strings.EqualFold(hs[i].name, name) {
			return true
		}
	}
	return false
}
