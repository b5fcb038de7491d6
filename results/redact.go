package results

import (
	"regexp"
	"strings"
)

// Redacted stands for a secret in what commsbench prints and stores.
const Redacted = "xxxxx"

// secretWords mark header and metadata names whose values are secrets:
// authorization, x-api-key, x-auth-token, client-secret, a password, a
// cookie.
var secretWords = [...]string{"auth", "token", "secret", "passw", "key", "cookie", "credential", "session", "signature"}

// SecretHeader says whether the value of a header (or gRPC metadata) of
// this name may be a secret, which is then not printed nor stored.
func SecretHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactArgs joins a command line's arguments as RedactSecrets does, and
// also hides the value of every argument written as a header whose name
// is a secret's ("authorization: Bearer …", "--metadata=x-api-key: …"),
// as --header and --metadata take them.
func RedactArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = RedactHeaderValues(redactHeaderArg(a))
	}
	return RedactSecrets(strings.Join(out, " "))
}

func redactHeaderArg(a string) string {
	prefix, header := "", a
	if strings.HasPrefix(a, "-") {
		eq := strings.IndexByte(a, '=')
		if eq < 0 {
			return a
		}
		prefix, header = a[:eq+1], a[eq+1:]
	}
	name, _, ok := strings.Cut(header, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || !isHeaderName(name) || !SecretHeader(name) {
		return a
	}
	return prefix + name + ": " + Redacted
}

// isHeaderName says whether s is a header name: letters, digits and
// - _ . only.
func isHeaderName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// secretHeaderValue finds "Name: value" inside a longer string where the
// name says the value is a secret (Authorization, Cookie, anything with
// token, secret, password or api key in it); the value runs to the end of
// the string or a quote.
var secretHeaderValue = regexp.MustCompile(`(?i)((?:proxy-)?authorization|(?:set-)?cookie|[a-z0-9_-]*(?:token|secret|password|passwd|api[-_]?key|credential)[a-z0-9_-]*)(\s*:\s*)[^"]+`)

// RedactHeaderValues hides the values of headers that carry credentials in
// one argument or value.
func RedactHeaderValues(s string) string {
	return secretHeaderValue.ReplaceAllString(s, "${1}${2}"+Redacted)
}
