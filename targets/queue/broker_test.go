package queue

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, url, text, want string
	}{
		// The URL itself.
		{"url", "amqp://bench:s3cret@host:5672/", "amqp://bench:s3cret@host:5672/", "amqp://bench:xxxxx@host:5672/"},
		// An error message that quotes the URL.
		{"quoted in an error", "amqp://bench:s3cret@host:5672/", `parse "amqp://bench:s3cret@host:5672/": bad`, `parse "amqp://bench:xxxxx@host:5672/": bad`},
		// The bare password anywhere in a message.
		{"bare password", "amqp://bench:s3cret@host/", "login s3cret refused", "login xxxxx refused"},
		// A percent-encoded password, as it stands in the URL.
		{"encoded password", "amqp://bench:p%40ss%2Fw0rd@host/", "dial amqp://bench:p%40ss%2Fw0rd@host/ and p@ss/w0rd", "dial amqp://bench:xxxxx@host/ and xxxxx"},
		// guest:guest: the user name stays readable; the URL form is still hidden.
		{"password equals user", "amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:guest@127.0.0.1:5672/ as guest", "amqp://guest:xxxxx@127.0.0.1:5672/ as guest"},
		// No password: nothing to hide.
		{"no password", "amqp://127.0.0.1/", "amqp://127.0.0.1/", "amqp://127.0.0.1/"},
		// An unparsable URL still has its password found.
		{"unparsable", "amqp://bench:s3cret@host:port:x/", "bad URL with s3cret", "bad URL with xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newRedactor(tt.url).redact(tt.text); got != tt.want {
				t.Errorf("redact(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestRedactedErrorKeepsChain(t *testing.T) {
	base := errors.New("connect to amqp://u:hunter22@h/ failed")
	err := newRedactor("amqp://u:hunter22@h/").err(fmt.Errorf("dial: %w", base))
	if strings.Contains(err.Error(), "hunter22") {
		t.Errorf("password in %q", err)
	}
	if !errors.Is(err, base) {
		t.Error("the redacted error lost its chain")
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url    string
		ok     bool
		absent string // must not appear in the error
	}{
		{DefaultURL, true, ""},                                  // the default
		{"amqps://u:p@broker.example:5671/vhost", true, ""},     // TLS and a vhost
		{"http://u:hunter22@host/", false, "hunter22"},          // wrong scheme
		{"amqp://u:hunter22@host:notaport/", false, "hunter22"}, // bad port, password quoted by the parser
		{"amqp://u:hunter22@host/ spaced", false, "hunter22"},   // whitespace
	}
	for _, tt := range tests {
		err := CheckURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%s): %v, want ok=%v", RedactURL(tt.url), err, tt.ok)
		}
		if err != nil && tt.absent != "" && strings.Contains(err.Error(), tt.absent) {
			t.Errorf("CheckURL error shows the password: %v", err)
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{"3.10.8", true},  // minor above
		{"3.8.0", true},   // exactly
		{"3.7.28", false}, // too old for quorum queues
		{"4.0.2", true},   // major above
		{"2.8.1", false},
		{"3.8.0-rc.1", true},
		{"", true}, // unknown: let the broker decide
		{"custom", true},
	} {
		if got := versionAtLeast(tt.v, 3, 8); got != tt.want {
			t.Errorf("versionAtLeast(%q, 3, 8) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{RunID: "r1", Consumers: 1}.withDefaults()
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"rpc with outside consumers", func(c *Config) { c.Mode, c.Consumers, c.Queue = ModeRPC, 0, "q" }, ""},
		{"unknown mode", func(c *Config) { c.Mode = "broadcast" }, `mode "broadcast"`},
		{"unknown queue type", func(c *Config) { c.QueueType = "stream" }, `queue type "stream"`},
		{"no producer", func(c *Config) { c.Producers = 0 }, "producers 0"},
		// One-way runs learn arrivals only from their own consumers.
		{"one-way with outside consumers", func(c *Config) { c.Consumers = 0 }, "only in request-reply mode"},
		{"outside consumers, no queue", func(c *Config) { c.Mode, c.Consumers = ModeRPC, 0 }, "name the queue"},
		{"prefetch too large", func(c *Config) { c.Prefetch = 70000 }, "prefetch 70000"},
		{"requeue with auto-ack", func(c *Config) { c.RequeueEvery, c.AutoAck = 3, true }, "cannot requeue"},
		{"bad URL", func(c *Config) { c.URL = "http://x/" }, "not an AMQP URL"},
		{"no name", func(c *Config) { c.RunID = "" }, "name the queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
