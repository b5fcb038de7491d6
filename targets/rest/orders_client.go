package rest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/messages"
)

// maxReply bounds a confirmation read by the client; a longer reply is
// not one.
const maxReply = 64 << 10

// orderClient posts one order per operation to POST /orders and checks
// that the reply confirms it. The order is built once and only its id
// changes, so what each operation adds is the encoding, the exchange, the
// decoding and the check, as in a service that has its order at hand.
type orderClient struct {
	w      *Workload
	enc    messages.Encoding
	order  *messages.Order
	reply  *messages.PaymentConfirmation
	body   []byte // the encoded order, its buffer reused
	req    []byte // HTTP/1.1: header and body
	got    []byte
	reader *bytes.Reader
	clock  *messages.CodecClock
	watch  h1Watch
}

// Close drops the worker's context watch.
func (c *orderClient) Close() error {
	c.watch.release()
	return nil
}

func (w *Workload) newOrderClient(clock *messages.CodecClock) *orderClient {
	return &orderClient{
		w:      w,
		enc:    w.cfg.Encoding,
		order:  messages.NewOrder(0, w.cfg.Items),
		reply:  new(messages.PaymentConfirmation),
		got:    make([]byte, maxReply),
		reader: bytes.NewReader(nil),
		clock:  clock,
	}
}

// Do sends the order of op and checks its confirmation. The client's
// encode and decode time of measured operations goes to its clock.
func (c *orderClient) Do(ctx context.Context, op bench.Op) error {
	start := time.Now()
	messages.SetOrderID(c.order, op.Seq)
	body, err := c.enc.AppendMarshal(c.body[:0], c.order)
	if err != nil {
		return fmt.Errorf("rest: encode order %s: %w", c.order.OrderId, err)
	}
	c.body = body
	encoded := time.Since(start)
	n, err := c.post(ctx, body)
	if err != nil {
		return err
	}
	start = time.Now()
	err = c.enc.Unmarshal(c.got[:n], c.reply)
	if err == nil {
		err = messages.CheckConfirmation(c.order, c.reply)
	}
	if !op.Warmup {
		c.clock.Add(encoded + time.Since(start))
	}
	if err != nil {
		return bench.WithClass(messages.ClassBadReply, fmt.Errorf("rest: the reply to order %s: %w", c.order.OrderId, err))
	}
	return nil
}

// post sends body and reads the reply into c.got, returning its length.
func (c *orderClient) post(ctx context.Context, body []byte) (int, error) {
	if c.w.pool != nil {
		c.req = appendOrderRequest(c.req[:0], c.w.host, c.enc, body)
		r, err := c.w.pool.roundTrip(ctx, &c.watch, c.req, c.got)
		switch {
		case err != nil:
			return 0, err
		case r.status != http.StatusOK:
			return 0, orderStatusError(r.status)
		case r.more:
			return 0, bench.Errorf(messages.ClassBadReply, "rest: a reply of more than %d bytes", maxReply)
		}
		return r.n, nil
	}
	c.reader.Reset(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.w.endpoint, c.reader)
	if err != nil {
		return 0, err
	}
	req.ContentLength = int64(len(body))
	req.Header["Content-Type"] = []string{c.enc.ContentType()}
	resp, err := c.w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, orderStatusError(resp.StatusCode)
	}
	n, err := io.ReadFull(resp.Body, c.got)
	switch {
	case err == nil:
		return 0, bench.Errorf(messages.ClassBadReply, "rest: a reply of more than %d bytes", maxReply)
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		return 0, err
	}
	return n, nil
}

// orderStatusError counts a refused order (400) as an invalid message,
// other answers by their status.
func orderStatusError(status int) error {
	if status == http.StatusBadRequest {
		return bench.Errorf(messages.ClassInvalidMessage, "rest: the target refused the order as invalid (HTTP 400)")
	}
	return statusError(status)
}

// appendOrderRequest appends "POST /orders" with body to b.
func appendOrderRequest(b []byte, host string, enc messages.Encoding, body []byte) []byte {
	b = append(b, "POST "+OrdersPath+" HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUser-Agent: commsbench\r\nContent-Type: "...)
	b = append(b, enc.ContentType()...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// preflightOrders posts one order with net/http, which shows the
// answer's headers, so that a target that takes no orders, or not in
// this encoding, fails the run at once with one line saying what it
// expects.
func (w *Workload) preflightOrders(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.DialTimeout)
	defer cancel()
	order := messages.NewOrder(-1, w.cfg.Items)
	body, err := w.cfg.Encoding.Marshal(order)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", w.cfg.Encoding.ContentType())
	hc := w.client
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if w.cfg.Target != "" {
			return fmt.Errorf("rest: cannot reach the target at %s: %v; start one with 'commsbench serve rest', or drop --target to use an embedded one", w.endpoint, err)
		}
		return fmt.Errorf("rest: embedded target: %w", err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	return ordersPreflightError(w.endpoint, w.cfg.Encoding, order, resp.StatusCode, resp.Header, got)
}

// ordersPreflightError says in one line what the answer to the first
// order tells of the target, or nil when it confirmed the order.
func ordersPreflightError(endpoint string, enc messages.Encoding, order *messages.Order, status int, h http.Header, body []byte) error {
	switch status {
	case http.StatusOK:
		reply := new(messages.PaymentConfirmation)
		err := enc.Unmarshal(body, reply)
		if err == nil {
			err = messages.CheckConfirmation(order, reply)
		}
		if err != nil {
			return fmt.Errorf("rest: the target at %s did not answer the order with its %s PaymentConfirmation (see targets/messages/messages.proto): %v", endpoint, enc, err)
		}
		return nil
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return fmt.Errorf("rest: the target at %s takes no orders (HTTP %d): an echo target wants --encoding raw", endpoint, status)
	case http.StatusUnsupportedMediaType:
		var takes []string
		for _, t := range strings.Split(h.Get("Accept-Post"), ",") {
			if e, ok := messages.EncodingOfContentType(strings.TrimSpace(t)); ok {
				takes = append(takes, "--encoding "+string(e))
			}
		}
		if len(takes) == 0 {
			return fmt.Errorf("rest: the target at %s does not take %s orders (HTTP 415) and does not say what it takes", endpoint, enc.ContentType())
		}
		return fmt.Errorf("rest: the target at %s does not take %s orders: it expects %s", endpoint, enc.ContentType(), strings.Join(takes, " or "))
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	return fmt.Errorf("rest: the target at %s refused a valid %s order with HTTP %d (%s): does it take %s bodies?", endpoint, enc, status, line, enc.ContentType())
}
