package queue

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/commsbench/commsbench/results"
)

// DefaultURL is the broker a run uses when neither --amqp-url nor
// COMMSBENCH_AMQP_URL names one: a local RabbitMQ with its stock account.
const DefaultURL = "amqp://guest:guest@127.0.0.1:5672/"

// Broker is what a run says about the broker it reached.
type Broker struct {
	Product string
	Version string
	// Address is the URL with its password hidden.
	Address string
}

// redactor hides one URL's password in any text: the URL itself and error
// messages that might quote it.
type redactor struct{ password string }

func newRedactor(rawURL string) redactor {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != u.User.Username() {
			return redactor{password: p}
		}
		// A password equal to the user name (guest:guest) is no secret
		// beyond the URL form, which RedactSecrets covers.
		return redactor{}
	}
	// An unparsable URL: take what stands between the user's colon and the
	// last '@' of the authority.
	s := rawURL
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if c := strings.Index(s[:at], ":"); c >= 0 {
			return redactor{password: s[c+1 : at]}
		}
	}
	return redactor{}
}

// redact returns s with every URL's password and this URL's password,
// wherever it stands, replaced by "xxxxx".
func (r redactor) redact(s string) string {
	s = results.RedactSecrets(s)
	if p := r.password; p != "" && p != "xxxxx" {
		s = strings.ReplaceAll(s, p, "xxxxx")
		if e := url.QueryEscape(p); e != p {
			s = strings.ReplaceAll(s, e, "xxxxx")
		}
		if e := url.PathEscape(p); e != p {
			s = strings.ReplaceAll(s, e, "xxxxx")
		}
	}
	return s
}

// err wraps err so that its message never shows the password. The chain
// is kept for errors.Is on the classes that matter (closed, refused).
func (r redactor) err(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// RedactURL returns rawURL with its password hidden, for printing.
func RedactURL(rawURL string) string { return newRedactor(rawURL).redact(rawURL) }

// CheckURL reports a URL that is not an AMQP URL, without quoting its password.
func CheckURL(rawURL string) error {
	if _, err := amqp.ParseURI(rawURL); err != nil {
		r := newRedactor(rawURL)
		return fmt.Errorf("%s is not an AMQP URL (want amqp://user:password@host:5672/vhost): %v", r.redact(rawURL), r.redact(err.Error()))
	}
	return nil
}

// dial connects to the broker within timeout, handshake included: a broker
// that accepts the TCP connection and then says nothing cannot hang a run.
func dial(rawURL string, timeout time.Duration, name string) (*amqp.Connection, error) {
	r := newRedactor(rawURL)
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(name)
	cfg := amqp.Config{
		Heartbeat:  5 * time.Second,
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: timeout, KeepAlive: 15 * time.Second}
			c, err := d.Dial(network, addr)
			if err != nil {
				return nil, err
			}
			// The deadline covers the AMQP handshake; the client library
			// clears it once the connection is open.
			if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
				c.Close()
				return nil, err
			}
			return newBatchingConn(c, writeTimeout), nil
		},
	}
	conn, err := amqp.DialConfig(rawURL, cfg)
	if err != nil {
		return nil, r.err(err)
	}
	return conn, nil
}

// writeTimeout bounds each write to the broker. A broker that stops reading
// (RabbitMQ blocks publishers on a memory or disk alarm) would otherwise
// hold a publish, and with it the run, for as long as the alarm lasts;
// past this bound the connection fails and the run ends with an error that
// says so.
const writeTimeout = 15 * time.Second

// unreachable turns a failed first connection into the one error a user
// sees: which broker, what went wrong, and how to get one.
func unreachable(rawURL string, err error) error {
	addr := RedactURL(rawURL)
	var aerr *amqp.Error
	switch {
	case errors.As(err, &aerr) && aerr.Code == amqp.AccessRefused:
		return fmt.Errorf("queue: the broker at %s refused the login (%v); check the user and password in --amqp-url or COMMSBENCH_AMQP_URL", addr, err)
	case errors.As(err, &aerr) && strings.Contains(aerr.Reason, "vhost"):
		return fmt.Errorf("queue: the broker at %s refused the virtual host (%v); check the path of --amqp-url", addr, err)
	}
	hint := "start a local RabbitMQ ('rabbitmq-server -detached', then 'rabbitmqctl await_startup'), let commsbench start one in a container (--containers, with a Docker engine), or point --amqp-url or COMMSBENCH_AMQP_URL at a running broker"
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("queue: cannot reach a RabbitMQ broker at %s: nothing listens there (%v); %s", addr, err, hint)
	}
	return fmt.Errorf("queue: cannot reach a RabbitMQ broker at %s: %v; %s", addr, err, hint)
}

// brokerInfo reads the product and version the broker announced.
func brokerInfo(conn *amqp.Connection, rawURL string) Broker {
	b := Broker{Address: RedactURL(rawURL)}
	if s, ok := conn.Properties["product"].(string); ok {
		b.Product = s
	}
	if s, ok := conn.Properties["version"].(string); ok {
		b.Version = s
	}
	return b
}

// versionAtLeast compares a dotted version ("3.10.8") with major.minor.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return true // unknown: let the broker decide
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return true
	}
	return ma > major || (ma == major && mi >= minor)
}

// queueArgs are the arguments that give a queue its type.
func queueArgs(queueType string) amqp.Table {
	if queueType == QueueQuorum {
		return amqp.Table{"x-queue-type": QueueQuorum}
	}
	return nil
}

// boundedCall runs f but gives up after d, closing conn so that f, blocked
// on a broker that no longer answers, returns too. The client library's
// synchronous calls have no timeout of their own.
func boundedCall(conn *amqp.Connection, d time.Duration, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		_ = conn.CloseDeadline(time.Now().Add(100 * time.Millisecond))
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return fmt.Errorf("no answer from the broker within %v", d)
	}
}
