package results

import (
	"regexp"
	"strings"
)

// secretHeader finds "Name: value" where the name says the value is a
// secret (Authorization, Cookie, anything with token, secret, password or
// api key in it); the value runs to the end of the argument or a quote.
var secretHeader = regexp.MustCompile(`(?i)((?:proxy-)?authorization|(?:set-)?cookie|[a-z0-9_-]*(?:token|secret|password|passwd|api[-_]?key|credential)[a-z0-9_-]*)(\s*:\s*)[^"]+`)

// RedactArgs joins a command line's arguments for the record with secrets
// hidden: passwords in URLs (as RedactSecrets) and the values of headers
// that carry credentials ("--header", "Authorization: Bearer abc" becomes
// "Authorization: xxxxx").
func RedactArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = RedactHeaderValues(RedactSecrets(a))
	}
	return strings.Join(out, " ")
}

// RedactHeaderValues hides the values of headers that carry credentials in
// one argument or value.
func RedactHeaderValues(s string) string {
	return secretHeader.ReplaceAllString(s, "${1}${2}xxxxx")
}
