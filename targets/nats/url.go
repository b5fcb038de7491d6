package nats

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/commsbench/commsbench/results"
)

// EnvURL names the environment variable with the default server URL.
const EnvURL = "COMMSBENCH_NATS_URL"

// redacted stands where a password or token stood.
const redacted = "xxxxx"

// redactor removes one URL list's secrets from text: passwords and tokens
// in the URL form (which results.RedactSecrets also covers for passwords)
// and the bare secrets wherever they stand, as an error message may quote
// them.
type redactor struct{ secrets []string }

func newRedactor(rawURL string) redactor {
	var r redactor
	for _, one := range strings.Split(rawURL, ",") {
		auth := strings.TrimSpace(one)
		if i := strings.Index(auth, "://"); i >= 0 {
			auth = auth[i+3:]
		}
		if end := strings.IndexAny(auth, "/?#"); end >= 0 {
			auth = auth[:end]
		}
		at := strings.LastIndex(auth, "@")
		if at < 0 {
			continue
		}
		userinfo := auth[:at]
		if c := strings.Index(userinfo, ":"); c >= 0 {
			// user:password; a password equal to the user name is no secret
			// beyond the URL form.
			if p := userinfo[c+1:]; p != "" && p != userinfo[:c] {
				r.secrets = append(r.secrets, p)
			}
		} else if userinfo != "" {
			// A user alone is a token.
			r.secrets = append(r.secrets, userinfo)
		}
	}
	return r
}

// redact returns s without the URL's secrets.
func (r redactor) redact(s string) string {
	s = results.RedactSecrets(s)
	for _, p := range r.secrets {
		if p == redacted {
			continue
		}
		s = strings.ReplaceAll(s, p, redacted)
		if dec, err := url.PathUnescape(p); err == nil && dec != p {
			s = strings.ReplaceAll(s, dec, redacted)
		}
	}
	return s
}

func (r redactor) err(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(r.redact(err.Error()))
}

// RedactURL returns rawURL with its passwords and tokens replaced.
func RedactURL(rawURL string) string { return newRedactor(rawURL).redact(rawURL) }

// CheckURL reports a server URL (or comma-separated list) that the client
// cannot use, without quoting its secrets.
func CheckURL(rawURL string) error {
	r := newRedactor(rawURL)
	for _, one := range strings.Split(rawURL, ",") {
		one = strings.TrimSpace(one)
		u, err := url.Parse(one)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%s is not a NATS URL (want nats://user:password@host:4222, several separated by commas)", r.redact(one))
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("%s: the scheme %q is not NATS's (use nats://, tls://, ws:// or wss://)", r.redact(one), u.Scheme)
		}
	}
	return nil
}

// hostOf returns the first server's host:port, for the result's target.
func hostOf(rawURL string) string {
	first := strings.TrimSpace(strings.Split(rawURL, ",")[0])
	if u, err := url.Parse(first); err == nil && u.Host != "" {
		return u.Host
	}
	return newRedactor(rawURL).redact(first)
}

// connect opens a connection within timeout. A server that is not there,
// that refuses the credentials or that does not speak NATS fails it with
// one sentence saying what to do, without the URL's secrets.
func connect(rawURL, name string, timeout time.Duration, opts ...gonats.Option) (*gonats.Conn, error) {
	opts = append([]gonats.Option{
		gonats.Name(name),
		gonats.Timeout(timeout),
		gonats.NoReconnect(),
		gonats.DontRandomize(),
	}, opts...)
	nc, err := gonats.Connect(rawURL, opts...)
	if err != nil {
		return nil, connectError(rawURL, timeout, err)
	}
	return nc, nil
}

func connectError(rawURL string, timeout time.Duration, err error) error {
	r := newRedactor(rawURL)
	where := r.redact(rawURL)
	msg := r.redact(err.Error())
	low := strings.ToLower(msg)
	switch {
	case errors.Is(err, gonats.ErrAuthorization) || strings.Contains(low, "authorization violation") || strings.Contains(low, "authentication"):
		return fmt.Errorf("nats: the server at %s refused the credentials (%s): check the user and password (or token) in --nats-url or $%s", where, msg, EnvURL)
	case errors.Is(err, gonats.ErrTimeout) || strings.Contains(low, "timeout"):
		return fmt.Errorf("nats: no NATS server answered at %s within %v (%s): check the address, or leave --nats-url and $%s unset to use the embedded server", where, timeout, msg, EnvURL)
	case errors.Is(err, gonats.ErrNoServers) || strings.Contains(low, "refused"):
		return fmt.Errorf("nats: no NATS server at %s (%s): start one (nats-server -js), or leave --nats-url and $%s unset to use the embedded server", where, msg, EnvURL)
	}
	return fmt.Errorf("nats: connect to %s: %s; check --nats-url or $%s", where, msg, EnvURL)
}
