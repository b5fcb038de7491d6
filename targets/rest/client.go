package rest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// Config is a REST run's transport settings.
type Config struct {
	// Target is the base URL or host:port of a running echo target; empty
	// starts an embedded one on 127.0.0.1.
	Target string
	// HTTP2 speaks HTTP/2 without TLS (h2c) instead of HTTP/1.1.
	HTTP2 bool
	// Connections bounds the keep-alive connection pool.
	Connections int
	// PayloadBytes is the size of each request body.
	PayloadBytes int
	// Payload, when set, is every request's body instead of random bytes
	// (a template that looks like the real requests); it is then not
	// stamped with the operation's sequence number.
	Payload []byte
	// DialTimeout bounds connecting and the pre-flight check. Default 5s.
	DialTimeout time.Duration
	// NetProxy puts a network proxy between the client and the embedded
	// target, for network faults.
	NetProxy bool
	// Encoding is messages.Raw (the echo, the default) or a typed
	// encoding: each operation then posts an order of Items lines to
	// POST /orders and checks its payment confirmation.
	Encoding messages.Encoding
	Items    int
	// Own, when set, are requests to a user's own endpoints (--method,
	// --path, --mix …) instead of the echo contract.
	Own *Endpoints
}

// Workload drives POST /echo requests.
type Workload struct {
	cfg       Config
	srv       *Server
	proxy     *transport.NetProxy
	serveDone chan error
	endpoint  string
	client    *http.Client // HTTP/2 (h2c)
	pool      *h1Pool      // HTTP/1.1
	host      string       // Host header and dial address of the HTTP/1.1 client
	path      string       // request path of the HTTP/1.1 client
	clocks    messages.Clocks
}

var (
	_ bench.Workload = (*Workload)(nil)
	_ bench.Injector = (*Workload)(nil)
	_ bench.Retrier  = (*Workload)(nil)
)

// Retryable says which failed calls --retries sends again: those whose
// connection was refused or cut before an answer (bench.ConnectionRetryable),
// and those the server answered with 502, 503 or 504, which say that it
// (or a gateway in front of it) could not take the request now. Other
// statuses are answers: a 500 may come after the handler acted, a 4xx
// would come again.
func (w *Workload) Retryable(class string) bool {
	switch class {
	case "http_502", "http_503", "http_504":
		return true
	}
	return bench.ConnectionRetryable(class)
}

// NewWorkload returns the REST workload for cfg.
func NewWorkload(cfg Config) *Workload {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 1
	}
	if cfg.Payload != nil {
		cfg.PayloadBytes = len(cfg.Payload)
	}
	if cfg.Encoding == "" {
		cfg.Encoding = messages.Raw
	}
	return &Workload{cfg: cfg}
}

// BaseURL turns "host:port" or a URL into the target's base URL.
func BaseURL(target string) (string, error) {
	t := strings.TrimSpace(target)
	if !strings.Contains(t, "://") {
		t = "http://" + t
	}
	u, err := url.Parse(t)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("rest: target %q is not host:port or an http:// URL", target)
	}
	if u.Scheme != "http" {
		return "", fmt.Errorf("rest: target %q: only http:// targets are supported (the echo target speaks plain HTTP/1.1 or h2c)", target)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// Start starts the embedded target or checks the external one.
func (w *Workload) Start(ctx context.Context) (results.Target, error) {
	kind := results.TargetExternal
	base := w.cfg.Target
	if base == "" {
		srv, err := Listen("127.0.0.1:0", w.cfg.HTTP2)
		if err != nil {
			return results.Target{}, err
		}
		w.srv = srv
		w.serveDone = make(chan error, 1)
		go func() { w.serveDone <- srv.Serve() }()
		base = srv.URL()
		kind = results.TargetEmbedded
		if w.cfg.NetProxy {
			p, err := transport.StartNetProxy(srv.Addr())
			if err != nil {
				return results.Target{}, fmt.Errorf("rest: %w", err)
			}
			w.proxy = p
			base = "http://" + p.Addr()
		}
	} else {
		var err error
		if base, err = BaseURL(base); err != nil {
			return results.Target{}, err
		}
	}
	if w.cfg.Own != nil {
		return w.startOwn(ctx, base, kind)
	}
	w.endpoint = base + "/echo"
	if w.cfg.Encoding.Typed() {
		w.endpoint = base + OrdersPath
	}
	if w.cfg.HTTP2 {
		w.client = &http.Client{Transport: newTransport(w.cfg)}
	} else {
		u, _ := url.Parse(w.endpoint)
		w.host, w.path = u.Host, u.EscapedPath()
		if u.Port() == "" {
			w.host = net.JoinHostPort(u.Hostname(), "80")
		}
		w.pool = newH1Pool(w.host, w.cfg.Connections, w.cfg.DialTimeout)
	}
	preflight := w.preflight
	if w.cfg.Encoding.Typed() {
		preflight = w.preflightOrders
	}
	if err := preflight(ctx); err != nil {
		return results.Target{}, err
	}
	return results.Target{Kind: kind, Address: base}, nil
}

// newTransport is the HTTP/2 (h2c) client's transport.
func newTransport(cfg Config) *http.Transport {
	d := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext:         d.DialContext,
		MaxConnsPerHost:     cfg.Connections,
		MaxIdleConns:        cfg.Connections,
		MaxIdleConnsPerHost: cfg.Connections,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
	t.Protocols = new(http.Protocols)
	t.Protocols.SetUnencryptedHTTP2(true)
	return t
}

// preflight sends one echo so that an unreachable target or one that does
// not honour the echo contract fails the run at once, with a clear error.
func (w *Workload) preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.DialTimeout)
	defer cancel()
	c := w.newClient(0)
	err := c.Do(ctx, bench.Op{Seq: -1})
	switch {
	case err == nil:
		return nil
	case bench.Classify(err) == "http_404":
		return fmt.Errorf("rest: the target at %s has no POST /echo (HTTP 404): a target that takes orders wants --encoding json or protobuf", w.endpoint)
	case errors.Is(err, bench.ErrEchoMismatch), strings.HasPrefix(bench.Classify(err), "http_"):
		return fmt.Errorf("rest: the target at %s does not honour the echo contract (POST /echo must answer 200 with the request body): %v", w.endpoint, err)
	case w.cfg.Target != "":
		return fmt.Errorf("rest: cannot reach the target at %s: %v; start one with 'commsbench serve rest', or drop --target to use an embedded one", w.endpoint, err)
	}
	return fmt.Errorf("rest: embedded target: %w", err)
}

// NewClient returns a worker's client. Workers share the connection pool.
func (w *Workload) NewClient(_ context.Context, worker int) (bench.Client, error) {
	if w.cfg.Own != nil {
		return w.newOwnClient(), nil
	}
	if w.cfg.Encoding.Typed() {
		return w.newOrderClient(w.clocks.New()), nil
	}
	return w.newClient(worker), nil
}

func (w *Workload) newClient(worker int) *client {
	c := &client{w: w, got: make([]byte, w.cfg.PayloadBytes+1), reader: bytes.NewReader(nil)}
	if w.pool != nil {
		c.req, c.bodyAt = h1Request(w.host, w.path, w.cfg.PayloadBytes)
		c.payload = c.req[c.bodyAt:]
	} else {
		c.payload = make([]byte, w.cfg.PayloadBytes)
	}
	if w.cfg.Payload != nil {
		copy(c.payload, w.cfg.Payload)
		c.template = true
	} else {
		_, _ = rand.Read(c.payload)
	}
	return c
}

// Inject applies a fault to the embedded target: down stops it and drops
// its connections until the fault ends, slow delays every echo.
func (w *Workload) Inject(_ context.Context, f fault.Fault) (func() error, error) {
	if w.srv == nil {
		return transport.InjectTarget("rest", nil, nil, f)
	}
	return transport.InjectTarget("rest", w.srv, w.proxy, f)
}

// Finish adds the client's encode and decode time of typed runs; the
// engine's figures are the REST figures.
func (w *Workload) Finish(_ context.Context, r *results.Result) error {
	if w.cfg.Own != nil {
		r.Requests = w.cfg.Own.report()
	}
	if us, ok := w.clocks.PerOpUS(); ok {
		r.SetClientCodecPerOpUS(us)
	}
	return nil
}

// Close stops the embedded target and closes idle connections.
func (w *Workload) Close() error {
	if w.client != nil {
		w.client.CloseIdleConnections()
	}
	if w.pool != nil {
		w.pool.close()
	}
	if w.proxy != nil {
		w.proxy.Close()
	}
	if w.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := w.srv.Shutdown(ctx)
	if serr := <-w.serveDone; err == nil {
		err = serr
	}
	return err
}

type client struct {
	w       *Workload
	payload []byte
	got     []byte
	reader  *bytes.Reader
	req     []byte // HTTP/1.1: the whole request, header and payload
	bodyAt  int
	// template payloads are sent as they are, without the sequence stamp.
	template bool
}

// Do posts the payload, stamped with the operation's sequence number so
// that a response to another request cannot pass as the echo, and checks
// the echo byte for byte.
func (c *client) Do(ctx context.Context, op bench.Op) error {
	if len(c.payload) >= 8 && !c.template {
		binary.LittleEndian.PutUint64(c.payload, uint64(op.Seq))
	}
	if c.w.pool != nil {
		return c.doH1(ctx)
	}
	c.reader.Reset(c.payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.w.endpoint, c.reader)
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(c.payload))
	req.Header["Content-Type"] = []string{"application/octet-stream"}
	resp, err := c.w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return statusError(resp.StatusCode)
	}
	n, err := io.ReadFull(resp.Body, c.got)
	switch {
	case err == nil:
		// More bytes than were sent.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("%w (more than %d bytes)", bench.ErrEchoMismatch, len(c.payload))
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		return err
	case n != len(c.payload) || !bytes.Equal(c.got[:n], c.payload):
		return fmt.Errorf("%w (%d bytes back for %d sent)", bench.ErrEchoMismatch, n, len(c.payload))
	}
	return nil
}

// doH1 does one exchange on a connection of its own from the pool.
func (c *client) doH1(ctx context.Context) error {
	r, err := c.w.pool.roundTrip(ctx, c.req, c.got)
	switch {
	case err != nil:
		return err
	case r.status != http.StatusOK:
		return statusError(r.status)
	case r.more:
		return fmt.Errorf("%w (more than %d bytes)", bench.ErrEchoMismatch, len(c.payload))
	case r.n != len(c.payload) || !bytes.Equal(c.got[:r.n], c.payload):
		return fmt.Errorf("%w (%d bytes back for %d sent)", bench.ErrEchoMismatch, r.n, len(c.payload))
	}
	return nil
}

// statusError is an answer other than 200, counted by its status.
func statusError(status int) error {
	return bench.Errorf(fmt.Sprintf("http_%d", status), "HTTP %d %s", status, http.StatusText(status))
}
