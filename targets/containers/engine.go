// Package containers starts real brokers — RabbitMQ, and Kafka in KRaft
// mode — in Docker containers with testcontainers-go, so that a run can
// measure a real broker with no setup, and removes them afterwards.
//
// Every entry point first checks, within a few seconds, that a Docker engine
// answers (CheckEngine). testcontainers waits without any bound on an engine
// that accepts connections and never answers, whatever the caller's context
// says, and it caches what it found for the life of the process; so it is
// never called before that check passed.
package containers

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultCheckTimeout bounds the check that a Docker engine answers.
const DefaultCheckTimeout = 3 * time.Second

// propertiesFile is testcontainers' configuration file, in the home directory.
const propertiesFile = ".testcontainers.properties"

// EngineConfig says where to look for a Docker engine. The zero value looks
// where testcontainers-go looks, in the same order, reading the process
// environment:
//
//  1. tc.host in ~/.testcontainers.properties
//  2. DOCKER_HOST
//  3. /var/run/docker.sock, if it exists
//  4. docker.host in ~/.testcontainers.properties
//  5. a rootless engine's socket: $XDG_RUNTIME_DIR/docker.sock,
//     ~/.docker/run/docker.sock, ~/.docker/desktop/docker.sock,
//     /run/user/<uid>/docker.sock (the first that exists)
//
// testcontainers skips a candidate that fails and tries the next, but it
// waits forever on one that hangs; so does this check skip failures, and it
// stops at a candidate that does not answer in time.
type EngineConfig struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Timeout bounds the whole check; 0 means DefaultCheckTimeout.
	Timeout time.Duration
	// SystemSocket is the engine's usual socket; "" means /var/run/docker.sock.
	SystemSocket string
	// RunDir holds the per-user runtime directories; "" means /run.
	RunDir string
}

func (c EngineConfig) getenv(key string) string {
	if c.Getenv == nil {
		return os.Getenv(key)
	}
	return c.Getenv(key)
}

func (c EngineConfig) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultCheckTimeout
	}
	return c.Timeout
}

func (c EngineConfig) homeDir() string {
	if h := c.getenv("HOME"); h != "" {
		return h
	}
	if runtime.GOOS == "windows" {
		if h := c.getenv("USERPROFILE"); h != "" {
			return h
		}
	}
	h, _ := os.UserHomeDir()
	return h
}

// Engine is a Docker engine that answered.
type Engine struct {
	// Host is its address as DOCKER_HOST would say it (unix:///…, tcp://…).
	Host string
	// Source says where the address came from (DOCKER_HOST, a file, …).
	Source string
	// Server is what the engine says it is (its Server header, e.g.
	// "Docker/27.3.1 (linux)"); empty when the engine was not probed here.
	Server string
	// Probed is false for addresses this check cannot speak to itself
	// (ssh://, npipe://); Start then relies on testcontainers' own check,
	// still bounded in time.
	Probed bool

	api *apiClient
}

// Attempt is one place a Docker engine was looked for.
type Attempt struct {
	Host   string
	Source string
	Err    error
}

// NoEngineError says that no Docker engine answered, and where one was
// looked for.
type NoEngineError struct {
	Timeout time.Duration
	// DockerHost is the DOCKER_HOST variable, empty when it is not set.
	DockerHost string
	Attempts   []Attempt
	// Hung is set when an engine accepted the connection but did not answer.
	Hung bool
}

func (e *NoEngineError) Error() string {
	var b strings.Builder
	if e.Hung {
		last := e.Attempts[len(e.Attempts)-1]
		fmt.Fprintf(&b, "the Docker engine at %s accepted the connection but did not answer within %v (hung, or still starting)", last.Host, e.Timeout)
	} else if e.allMissing() {
		b.WriteString("no Docker engine found")
	} else {
		b.WriteString("no Docker engine answered")
	}
	var missing []string
	for _, a := range e.Attempts {
		if errors.Is(a.Err, errNoSocket) {
			missing = append(missing, strings.TrimPrefix(a.Host, "unix://"))
			continue
		}
		fmt.Fprintf(&b, "\n  tried %s (%s): %v", a.Host, a.Source, a.Err)
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "\n  no socket at %s", strings.Join(missing, ", "))
	}
	if e.DockerHost != "" {
		fmt.Fprintf(&b, "\n  DOCKER_HOST=%s", e.DockerHost)
	} else {
		b.WriteString("\n  DOCKER_HOST is not set")
	}
	return b.String()
}

// allMissing says whether no socket existed anywhere looked at.
func (e *NoEngineError) allMissing() bool {
	for _, a := range e.Attempts {
		if !errors.Is(a.Err, errNoSocket) {
			return false
		}
	}
	return true
}

// errNoSocket marks a unix socket path where nothing exists.
var errNoSocket = errors.New("no socket there")

// candidate is an address a Docker engine may answer at.
type candidate struct {
	host   string
	source string
	// absent is set when a socket candidate is known not to exist.
	absent bool
}

// candidates lists, in testcontainers' order, where an engine may be.
func (c EngineConfig) candidates() []candidate {
	home := c.homeDir()
	props := readProperties(filepath.Join(home, propertiesFile))
	propSource := func(key string) string { return key + " in ~/" + propertiesFile }
	var out []candidate
	if h := props["tc.host"]; h != "" {
		out = append(out, candidate{host: h, source: propSource("tc.host")})
	}
	if h := c.getenv("DOCKER_HOST"); h != "" {
		out = append(out, candidate{host: h, source: "DOCKER_HOST"})
	}
	sys := c.SystemSocket
	if sys == "" {
		sys = "/var/run/docker.sock"
	}
	out = append(out, socketCandidate(sys, "the default socket"))
	if h := props["docker.host"]; h != "" {
		out = append(out, candidate{host: h, source: propSource("docker.host")})
	}
	if runtime.GOOS == "windows" {
		return out
	}
	runDir := c.RunDir
	if runDir == "" {
		runDir = "/run"
	}
	var rootless []candidate
	if xdg := c.getenv("XDG_RUNTIME_DIR"); xdg != "" {
		rootless = append(rootless, socketCandidate(filepath.Join(xdg, "docker.sock"), "rootless Docker ($XDG_RUNTIME_DIR)"))
	}
	if home != "" {
		rootless = append(rootless,
			socketCandidate(filepath.Join(home, ".docker", "run", "docker.sock"), "rootless Docker"),
			socketCandidate(filepath.Join(home, ".docker", "desktop", "docker.sock"), "Docker Desktop"))
	}
	rootless = append(rootless, socketCandidate(filepath.Join(runDir, "user", strconv.Itoa(os.Getuid()), "docker.sock"), "rootless Docker"))
	// testcontainers takes the first rootless socket that exists.
	for _, r := range rootless {
		out = append(out, r)
		if !r.absent {
			break
		}
	}
	return out
}

func socketCandidate(path, source string) candidate {
	_, err := os.Stat(path)
	return candidate{host: "unix://" + path, source: source, absent: err != nil}
}

// CheckEngine finds a Docker engine that answers, within cfg's timeout
// (3 s by default). It never calls testcontainers, and it leaves no
// goroutine or connection behind when it returns. Its error is a
// *NoEngineError when no engine answered.
func CheckEngine(ctx context.Context, cfg EngineConfig) (*Engine, error) {
	timeout := cfg.timeout()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	noEngine := &NoEngineError{Timeout: timeout, DockerHost: cfg.getenv("DOCKER_HOST")}
	for _, c := range cfg.candidates() {
		if c.absent {
			noEngine.Attempts = append(noEngine.Attempts, Attempt{Host: c.host, Source: c.source, Err: errNoSocket})
			continue
		}
		api, err := newAPIClient(c.host, cfg.tlsConfig(c.host))
		if errors.Is(err, errNotProbed) {
			// testcontainers will try this one; Start bounds its check.
			return &Engine{Host: c.host, Source: c.source}, nil
		}
		if err == nil {
			var server string
			server, err = api.ping(ctx)
			if err == nil {
				return &Engine{Host: c.host, Source: c.source, Server: server, Probed: true, api: api}, nil
			}
		}
		if perr := parent.Err(); perr != nil {
			return nil, fmt.Errorf("checking for a Docker engine: %w", perr)
		}
		hung := ctx.Err() != nil
		noEngine.Attempts = append(noEngine.Attempts, Attempt{Host: c.host, Source: c.source, Err: explainDial(err, hung, timeout)})
		if hung {
			// testcontainers would wait on this one forever.
			noEngine.Hung = true
			return nil, noEngine
		}
	}
	return nil, noEngine
}

// explainDial turns a failed probe into words a user can act on.
func explainDial(err error, hung bool, timeout time.Duration) error {
	switch {
	case hung:
		return fmt.Errorf("no answer to GET /_ping within %v", timeout)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOENT):
		return errNoSocket
	case errors.Is(err, syscall.ECONNREFUSED):
		return errors.New("connection refused: nothing is listening there (is the Docker daemon running? e.g. 'sudo systemctl start docker')")
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES):
		return errors.New("permission denied (add your user to the 'docker' group and log in again, or use rootless Docker)")
	}
	return err
}

// tlsConfig is the TLS set-up for a tcp:// engine, as the Docker client
// reads it: DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), verified when
// DOCKER_TLS_VERIFY is set; or docker.tls.verify=1 with docker.cert.path
// in ~/.testcontainers.properties. nil means plain HTTP.
func (c EngineConfig) tlsConfig(host string) *tls.Config {
	if !strings.HasPrefix(host, "tcp://") && !strings.HasPrefix(host, "https://") {
		return nil
	}
	certPath, verify := c.getenv("DOCKER_CERT_PATH"), c.getenv("DOCKER_TLS_VERIFY") != ""
	if certPath == "" {
		props := readProperties(filepath.Join(c.homeDir(), propertiesFile))
		if props["docker.tls.verify"] != "1" {
			if strings.HasPrefix(host, "https://") {
				return &tls.Config{MinVersion: tls.VersionTLS12}
			}
			return nil
		}
		certPath, verify = props["docker.cert.path"], true
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !verify} //nolint:gosec // as the Docker client does without DOCKER_TLS_VERIFY
	if ca, err := os.ReadFile(filepath.Join(certPath, "ca.pem")); err == nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		cfg.RootCAs = pool
	}
	if cert, err := tls.LoadX509KeyPair(filepath.Join(certPath, "cert.pem"), filepath.Join(certPath, "key.pem")); err == nil {
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// readProperties reads the key=value lines of a Java properties file, as
// far as testcontainers' file needs: '#' and '!' comments, '=' or ':' or
// a blank as separator. A missing file gives an empty map.
func readProperties(path string) map[string]string {
	props := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return props
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=: \t")
		if i < 0 {
			props[line] = ""
			continue
		}
		key := line[:i]
		val := strings.TrimLeft(line[i:], " \t")
		if val != "" && (val[0] == '=' || val[0] == ':') {
			val = strings.TrimSpace(val[1:])
		}
		props[key] = val
	}
	return props
}

// hostSocketPath is the socket path of a unix:// address.
func hostSocketPath(host string) (string, bool) {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "unix" {
		return "", false
	}
	if u.Path != "" {
		return u.Path, true
	}
	return u.Opaque, u.Opaque != ""
}
