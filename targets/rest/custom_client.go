package rest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/tmpl"
)

// Sizes of the buffer an answer's body is read into: a check reads up to
// maxCheckedBody bytes; without a check the body is read and dropped.
const (
	maxCheckedBody = 256 << 10
	droppedBody    = 4 << 10
)

// startOwn prepares requests to a user's own endpoints: on the target given,
// or on the embedded one at embedded. It dials once, so that an unreachable
// target fails the run at once, but sends no request: a request may change
// the service's state.
func (w *Workload) startOwn(ctx context.Context, embedded string, kind string) (results.Target, error) {
	e := w.cfg.Own
	base := e.Base
	if base == "" {
		base = embedded
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return results.Target{}, fmt.Errorf("rest: target %q is not an http:// URL", base)
	}
	w.endpoint = base
	w.host = u.Host
	dial := u.Host
	if u.Port() == "" {
		dial = net.JoinHostPort(u.Hostname(), "80")
	}
	if w.cfg.HTTP2 || e.hasHead() {
		w.client = &http.Client{
			Transport:     newTransport(w.cfg),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		if !w.cfg.HTTP2 {
			w.client.Transport.(*http.Transport).Protocols = nil
		}
	}
	if !w.cfg.HTTP2 {
		w.pool = newH1Pool(dial, w.cfg.Connections, w.cfg.DialTimeout)
	}
	if e.explicitTarget {
		d := net.Dialer{Timeout: w.cfg.DialTimeout}
		ctx, cancel := context.WithTimeout(ctx, w.cfg.DialTimeout)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", dial)
		if err != nil {
			return results.Target{}, fmt.Errorf("rest: cannot reach the target at %s: %v", results.RedactSecrets(base), err)
		}
		_ = c.Close()
	}
	addr := base
	if len(e.Kinds) == 1 {
		addr += e.Kinds[0].PathText
	}
	return results.Target{Kind: kind, Address: results.RedactSecrets(addr)}, nil
}

func (e *Endpoints) hasHead() bool {
	for _, k := range e.Kinds {
		if k.Method == http.MethodHead {
			return true
		}
	}
	return false
}

// ownClient sends one worker's requests to a user's own endpoints.
type ownClient struct {
	w       *Workload
	e       *Endpoints
	req     []byte
	body    []byte
	dropped []byte
	checked []byte // allocated at the first request with a check
	reader  *bytes.Reader
}

func (w *Workload) newOwnClient() *ownClient {
	return &ownClient{w: w, e: w.cfg.Own, dropped: make([]byte, droppedBody), reader: bytes.NewReader(nil)}
}

// Do sends the operation's kind of request with its values and judges the
// answer: a status not expected is unexpected_status, a body failing the
// check check_failed. Measured operations are counted by kind.
func (c *ownClient) Do(ctx context.Context, op bench.Op) error {
	k := c.e.pick(op.Seq)
	v := tmpl.Values{Seq: op.Seq, Run: c.e.Run, Worker: op.Worker, Time: op.Intended}
	c.body = c.body[:0]
	if k.body != nil {
		c.body = k.body.Append(c.body, v)
	}
	got := c.dropped
	if k.check.active() {
		if c.checked == nil {
			c.checked = make([]byte, maxCheckedBody)
		}
		got = c.checked
	}
	var status, n int
	var more bool
	var err error
	if c.w.pool != nil && k.Method != http.MethodHead {
		status, n, more, err = c.doH1(ctx, k, v, got)
	} else {
		status, n, more, err = c.doHTTP(ctx, k, v, got)
	}
	if err == nil {
		switch {
		case !k.expect.has(status):
			err = unexpectedStatus(status, &k.expect, got[:min(n, 200)])
		case k.check.active():
			err = k.check.verify(got[:n], more)
		}
	}
	if !op.Warmup {
		k.stats.record(status, err, time.Since(op.Intended))
	}
	return err
}

// doH1 writes the request on a pooled HTTP/1.1 connection.
func (c *ownClient) doH1(ctx context.Context, k *Kind, v tmpl.Values, got []byte) (status, n int, more bool, err error) {
	b := append(c.req[:0], k.Method...)
	b = append(b, ' ')
	b = k.path.Append(b, v)
	b = append(b, " HTTP/1.1\r\n"...)
	if !k.hostSet {
		b = append(b, "Host: "...)
		b = append(b, c.w.host...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "User-Agent: commsbench\r\n"...)
	for i := range k.headers {
		b = appendHeaderLine(b, &k.headers[i], v)
	}
	if k.body != nil || needsLength(k.Method) {
		b = append(b, "Content-Length: "...)
		b = appendInt(b, len(c.body))
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, c.body...)
	c.req = b
	r, err := c.w.pool.roundTrip(ctx, b, got)
	return r.status, r.n, r.more, err
}

// needsLength says a request without a body still says Content-Length: 0,
// as servers expect of these methods.
func needsLength(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

func appendInt(b []byte, n int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// doHTTP sends the request with net/http: HTTP/2 (h2c), and HEAD, whose
// answer has no body whatever its Content-Length says.
func (c *ownClient) doHTTP(ctx context.Context, k *Kind, v tmpl.Values, got []byte) (status, n int, more bool, err error) {
	c.req = k.path.Append(append(c.req[:0], c.w.endpoint...), v)
	var body io.Reader = http.NoBody
	if k.body != nil {
		c.reader.Reset(c.body)
		body = c.reader
	}
	req, err := http.NewRequestWithContext(ctx, k.Method, string(c.req), body)
	if err != nil {
		return 0, 0, false, err
	}
	if k.body != nil {
		req.ContentLength = int64(len(c.body))
	}
	req.Header["User-Agent"] = []string{"commsbench"}
	for i := range k.headers {
		h := &k.headers[i]
		val := h.value.String(v)
		if h.name == "Host" || http.CanonicalHeaderKey(h.name) == "Host" {
			req.Host = val
			continue
		}
		req.Header.Add(h.name, val)
	}
	resp, err := c.w.client.Do(req)
	if err != nil {
		return 0, 0, false, err
	}
	defer resp.Body.Close()
	n, err = io.ReadFull(resp.Body, got)
	switch err {
	case nil:
		m, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<20))
		more = m > 0
		err = nil
	case io.EOF, io.ErrUnexpectedEOF:
		err = nil
	}
	return resp.StatusCode, n, more, err
}
