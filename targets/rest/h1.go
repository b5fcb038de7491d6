package rest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The HTTP/1.1 load client. net/http's client hands every request to two
// goroutines of its own (a connection's reader and writer) and back, which
// profiles showed to cost most of the client's CPU on this job; wrk does a
// write and a read. h1Pool gives each operation a whole keep-alive
// connection: the worker writes the prepared request in one system call and
// reads the answer itself, on its own goroutine. HTTP/2 (h2c) keeps using
// net/http, whose multiplexing is the point of that mode.

// h1Pool holds at most max connections to one address.
type h1Pool struct {
	addr   string
	dialer net.Dialer
	idle   chan *h1Conn
	slots  chan struct{} // one per open connection
}

type h1Conn struct {
	c      net.Conn
	br     *bufio.Reader
	reused bool
}

func newH1Pool(addr string, max int, dialTimeout time.Duration) *h1Pool {
	return &h1Pool{
		addr:   addr,
		dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
		idle:   make(chan *h1Conn, max),
		slots:  make(chan struct{}, max),
	}
}

// get returns an idle connection, or dials one while fewer than max are
// open, or waits for one to be put back.
func (p *h1Pool) get(ctx context.Context) (*h1Conn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		nc, err := p.dialer.DialContext(ctx, "tcp", p.addr)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return &h1Conn{c: nc, br: bufio.NewReaderSize(nc, 64<<10)}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *h1Pool) put(c *h1Conn) {
	c.reused = true
	p.idle <- c
}

func (p *h1Pool) discard(c *h1Conn) {
	_ = c.c.Close()
	<-p.slots
}

// close closes the idle connections; connections in use are closed by
// their operations.
func (p *h1Pool) close() {
	for {
		select {
		case c := <-p.idle:
			p.discard(c)
		default:
			return
		}
	}
}

// roundTrip does one exchange on a connection of its own from the pool:
// it writes req and reads the answer's body into got.
// w, the worker's watch, interrupts it when ctx ends.
func (p *h1Pool) roundTrip(ctx context.Context, w *h1Watch, req, got []byte) (h1Response, error) {
	for attempt := 0; ; attempt++ {
		conn, err := p.get(ctx)
		if err != nil {
			return h1Response{}, err
		}
		r, err := exchange(ctx, w, conn, req, got)
		if err != nil {
			p.discard(conn)
			// A kept-alive connection that the server closed while it was
			// idle fails before any answer: try once more on a new one.
			if attempt == 0 && conn.reused && r.status == 0 && ctx.Err() == nil &&
				(errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
				continue
			}
			return r, err
		}
		if r.close {
			p.discard(conn)
		} else {
			p.put(conn)
		}
		return r, nil
	}
}

// exchange writes the request and reads the answer. Cancelling ctx
// interrupts both, through the connection's deadline; a connection whose
// deadline may have been set is reported as failed, never reused.
func exchange(ctx context.Context, w *h1Watch, conn *h1Conn, req, got []byte) (h1Response, error) {
	w.begin(ctx, conn)
	var r h1Response
	_, err := conn.c.Write(req)
	if err == nil {
		r, err = readH1Response(conn.br, got)
	}
	if w.end() && err == nil {
		err = ctx.Err()
	}
	return r, err
}

// h1Watch interrupts a worker's exchange when the operation's context
// ends, by setting a past deadline on the connection in use. The engine
// hands a worker the same context operation after operation (a new one
// only after a timeout), so the watch registers one context.AfterFunc per
// context rather than one per exchange, which cost a tenth of the client's
// CPU in a closed-loop profile (an allocation and a map insert and delete
// in the context's children each time). A worker's exchanges never
// overlap; the callback may run at any time, hence the mutex.
type h1Watch struct {
	ctx  context.Context
	stop func() bool
	st   *h1WatchState
}

// h1WatchState is what one context's callback shares with the worker.
type h1WatchState struct {
	mu    sync.Mutex
	conn  *h1Conn // in an exchange; nil between them
	fired bool    // the context ended
}

// begin marks conn in use under ctx; if ctx has already ended, the
// exchange fails at once on the past deadline.
func (w *h1Watch) begin(ctx context.Context, conn *h1Conn) {
	if ctx != w.ctx || w.st == nil {
		if w.stop != nil {
			w.stop()
		}
		st := &h1WatchState{}
		w.ctx, w.st = ctx, st
		w.stop = context.AfterFunc(ctx, func() {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.fired = true
			if st.conn != nil {
				_ = st.conn.c.SetDeadline(time.Unix(1, 0))
			}
		})
	}
	st := w.st
	st.mu.Lock()
	st.conn = conn
	if st.fired {
		_ = conn.c.SetDeadline(time.Unix(1, 0))
	}
	st.mu.Unlock()
}

// end ends the exchange and says whether the context ended meanwhile (the
// connection's deadline may then have been set).
func (w *h1Watch) end() bool {
	st := w.st
	st.mu.Lock()
	defer st.mu.Unlock()
	st.conn = nil
	return st.fired
}

// release drops the watch's callback, when its worker is done.
func (w *h1Watch) release() {
	if w.stop != nil {
		w.stop()
	}
	w.ctx, w.stop, w.st = nil, nil, nil
}

// h1Request prepares "POST path" with a body of n bytes: the header and
// the body sit in one buffer, written with one system call.
func h1Request(host, path string, n int) (buf []byte, bodyAt int) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: commsbench\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", path, host, n)
	bodyAt = b.Len()
	b.Write(make([]byte, n))
	return b.Bytes(), bodyAt
}

// h1Response is what readH1Response learned of an answer.
type h1Response struct {
	status int
	n      int  // body bytes read into the buffer
	more   bool // the body was longer than the buffer
	close  bool // the server will close the connection
}

// readH1Response reads one answer from br, its body into body (the excess
// is read and dropped). It handles Content-Length, chunked bodies and
// bodies ended by closing the connection.
func readH1Response(br *bufio.Reader, body []byte) (h1Response, error) {
	var r h1Response
	line, err := readLine(br)
	if err != nil {
		return r, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return r, fmt.Errorf("malformed HTTP status line %q", truncate(line))
	}
	if r.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return r, fmt.Errorf("malformed HTTP status line %q", truncate(line))
	}
	http10 := line[7] == '0'
	r.close = http10
	length, chunked := -1, false
	for {
		line, err = readLine(br)
		if err != nil {
			return r, err
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return r, fmt.Errorf("malformed HTTP header %q", truncate(line))
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil || length < 0 {
				return r, fmt.Errorf("malformed Content-Length %q", truncate(v))
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			switch {
			case bytes.EqualFold(v, []byte("close")):
				r.close = true
			case bytes.EqualFold(v, []byte("keep-alive")):
				r.close = false
			}
		}
	}
	switch {
	case r.status/100 == 1 || r.status == 204 || r.status == 304:
		return r, nil
	case chunked:
		err = readChunked(br, body, &r)
	case length >= 0:
		err = readBody(br, body, int64(length), &r)
	default:
		// The body ends when the server closes the connection.
		r.close = true
		err = readBody(br, body, -1, &r)
	}
	return r, err
}

// readBody reads length bytes (or to EOF when length < 0) into body from
// r.n on, counting and dropping what does not fit.
func readBody(br *bufio.Reader, body []byte, length int64, r *h1Response) error {
	want := length
	if want < 0 || want > int64(len(body)-r.n) {
		want = int64(len(body) - r.n)
	}
	n, err := io.ReadFull(br, body[r.n:r.n+int(want)])
	r.n += n
	if length < 0 {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		m, err := io.Copy(io.Discard, br)
		r.more = r.more || m > 0
		return err
	}
	if err != nil {
		return unexpectedEOF(err)
	}
	if rest := length - want; rest > 0 {
		r.more = true
		if _, err := io.CopyN(io.Discard, br, rest); err != nil {
			return unexpectedEOF(err)
		}
	}
	return nil
}

func readChunked(br *bufio.Reader, body []byte, r *h1Response) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("malformed chunk size %q", truncate(line))
		}
		if size == 0 {
			// Trailer lines, then the empty line.
			for {
				line, err := readLine(br)
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		if err := readBody(br, body, size, r); err != nil {
			return err
		}
		if line, err := readLine(br); err != nil || len(line) != 0 {
			if err == nil {
				err = errors.New("malformed chunk: no CRLF after the data")
			}
			return err
		}
	}
}

// readLine reads one line without its CRLF. Lines longer than the reader's
// buffer are an error: no status line or header of the echo contract is.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return nil, errors.New("HTTP header line too long")
		}
		return nil, unexpectedEOF(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
