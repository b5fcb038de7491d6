package results

import (
	"strings"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "grpc", "--metadata", "authorization: Bearer s3cret", "--metadata", "x-tenant: acme"},
			"run grpc --metadata authorization: xxxxx --metadata x-tenant: acme"},
		{[]string{"--metadata=X-Api-Key:abc", "--header", "Cookie: a=b"}, "--metadata=X-Api-Key: xxxxx --header Cookie: xxxxx"},
		{[]string{"--target", "amqp://u:pw@host:5672/", "--data", `{"auth": "x"}`}, `--target amqp://u:xxxxx@host:5672/ --data {"auth": "x"}`},
		{[]string{"--expect-code", "OK,NOT_FOUND", "--call", "auth.v1.Auth/Login"}, "--expect-code OK,NOT_FOUND --call auth.v1.Auth/Login"},
	} {
		if got := RedactArgs(tc.args); got != tc.want {
			t.Errorf("RedactArgs(%q)\n = %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

func FuzzRedactArgs(f *testing.F) {
	f.Add("authorization: Bearer s3cret")
	f.Add("--metadata=token:s3cret")
	f.Add("x-tenant: acme")
	f.Add("amqp://a:s3cret@h/")
	f.Fuzz(func(t *testing.T, a string) {
		r := redactHeaderArg(a)
		if again := redactHeaderArg(r); again != r {
			t.Fatalf("redacting %q twice: %q then %q", a, r, again)
		}
		if r != a && !strings.HasSuffix(r, ": "+Redacted) {
			t.Fatalf("%q redacted as %q", a, r)
		}
		_ = RedactArgs([]string{a, r})
	})
}
