package grpctarget

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/tmpl"
)

// This file parses what a user writes for a call to a method of their own
// service: the method's name (--call), metadata entries (--metadata K:V)
// and the expected status codes (--expect-code).

// parseCallName splits "package.Service/Method" (a leading slash, as in
// a gRPC path, is allowed; so is "package.Service.Method") into the
// service's full name and the method's name.
func parseCallName(s string) (service, method string, err error) {
	name := strings.TrimPrefix(strings.TrimSpace(s), "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		service, method = name[:i], name[i+1:]
	} else if i := strings.LastIndexByte(name, '.'); i >= 0 {
		service, method = name[:i], name[i+1:]
	}
	if service == "" || method == "" || !isFullName(service) || !isIdent(method) {
		return "", "", fmt.Errorf("--call %q: give the method as package.Service/Method, such as orders.v1.Orders/PlaceOrder", s)
	}
	return service, method, nil
}

// isFullName says whether s is a dotted protobuf name (a.b.C).
func isFullName(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if !isIdent(part) {
			return false
		}
	}
	return true
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// mdEntry is one metadata entry: a lower-case key and a value that may
// be a template.
type mdEntry struct {
	Key   string
	Text  string // the value as written
	Value *tmpl.Template
}

// parseMetadata reads "key: value". The key is lower-cased (gRPC sends
// keys in lower case) and must be a valid header name that gRPC does not
// reserve; the value is a template of printable ASCII, or, for a key
// ending in -bin, any bytes.
func parseMetadata(entry string) (mdEntry, error) {
	k, v, ok := strings.Cut(entry, ":")
	key := strings.ToLower(strings.TrimSpace(k))
	if !ok || key == "" {
		return mdEntry{}, fmt.Errorf("--metadata %q: write key:value, such as 'x-tenant: acme'", entry)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return mdEntry{}, fmt.Errorf("--metadata %q: the key %q may hold only letters, digits, '-', '_' and '.'", entry, key)
		}
	}
	switch {
	case strings.HasPrefix(key, "grpc-"):
		return mdEntry{}, fmt.Errorf("--metadata %q: keys starting with grpc- are gRPC's own", entry)
	case key == "content-type" || key == "te" || key == "user-agent" || key == "host" || key == "connection":
		return mdEntry{}, fmt.Errorf("--metadata %q: gRPC sets %s itself", entry, key)
	}
	text := strings.TrimLeft(v, " \t")
	if !strings.HasSuffix(key, "-bin") {
		for i := 0; i < len(text); i++ {
			if c := text[i]; c < 0x20 || c > 0x7e {
				return mdEntry{}, fmt.Errorf("--metadata %q: the value has the byte 0x%02x at %d; values are printable ASCII (use a key ending in -bin for bytes)", entry, c, i+1)
			}
		}
	}
	t, err := tmpl.Parse(text)
	if err != nil {
		return mdEntry{}, fmt.Errorf("--metadata %q: %w", entry, err)
	}
	return mdEntry{Key: key, Text: text, Value: t}, nil
}

// recorded is the entry as a result records it, with the value of a key
// that may carry a secret (authorization, x-api-key, a token, …) redacted.
func (e mdEntry) recorded() string {
	if results.SecretHeader(e.Key) {
		return e.Key + ": " + results.Redacted
	}
	return e.Key + ": " + e.Text
}

// codeSet is a set of gRPC status codes (0 to 16), one bit each.
type codeSet uint32

// okOnly is the default: only OK is expected.
const okOnly = codeSet(1) << codes.OK

// maxCode is the highest status code gRPC defines (Unauthenticated).
const maxCode = codes.Unauthenticated

// codeNames are the canonical names of the status codes, as gRPC's
// specification writes them.
var codeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// codeName is c's canonical name, or its number.
func codeName(c codes.Code) string {
	if c <= maxCode {
		return codeNames[c]
	}
	return strconv.FormatUint(uint64(c), 10)
}

// parseExpectCodes reads a comma-separated list of status codes, by name
// (OK, NOT_FOUND, not_found, NotFound, CANCELED) or number (0 to 16).
func parseExpectCodes(s string) (codeSet, error) {
	var set codeSet
	if strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("--expect-code %q: give one or more status codes, such as OK or OK,NOT_FOUND", s)
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		c, ok := lookupCode(f)
		if !ok {
			return 0, fmt.Errorf("--expect-code %q: %q is not a gRPC status code; give names (%s) or numbers 0 to 16", s, f, strings.Join(codeNames[:], ", "))
		}
		set |= 1 << c
	}
	return set, nil
}

func lookupCode(f string) (codes.Code, bool) {
	if f == "" {
		return 0, false
	}
	if f[0] >= '0' && f[0] <= '9' {
		n, err := strconv.ParseUint(f, 10, 8)
		if err != nil || n > uint64(maxCode) {
			return 0, false
		}
		return codes.Code(n), true
	}
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "_", "")) }
	want := norm(f)
	if want == "CANCELED" {
		want = "CANCELLED"
	}
	for i, n := range codeNames {
		if norm(n) == want {
			return codes.Code(i), true
		}
	}
	return 0, false
}

// has says whether c is in the set.
func (s codeSet) has(c codes.Code) bool { return c <= maxCode && s&(1<<c) != 0 }

// String lists the set's names, comma-separated, in code order.
func (s codeSet) String() string {
	var names []string
	for c := codes.OK; c <= maxCode; c++ {
		if s.has(c) {
			names = append(names, codeNames[c])
		}
	}
	return strings.Join(names, ",")
}

// listValue binds a setting that may be given more than once, as a
// repeated flag (--proto a.proto --proto b.proto) or, in a scenario's
// options or suite --set, as one value with an entry per line.
type listValue struct {
	p       *[]string
	changed bool
}

func (v *listValue) String() string {
	if v.p == nil || len(*v.p) == 0 {
		return ""
	}
	return "[" + strings.Join(*v.p, "; ") + "]"
}

func (v *listValue) Type() string  { return "stringArray" }
func (v *listValue) Changed() bool { return v.changed }

func (v *listValue) Set(s string) error {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimRight(line, "\r"); strings.TrimSpace(line) != "" {
			*v.p = append(*v.p, line)
		}
	}
	v.changed = true
	return nil
}
