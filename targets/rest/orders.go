package rest

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/commsbench/commsbench/targets/messages"
)

// OrdersPath is where the payment service takes orders: POST an Order in
// JSON (application/json) or protobuf (application/x-protobuf); the answer
// is its PaymentConfirmation in the same encoding, 400 when the order is
// malformed or invalid, 415 when its media type is not taken.
const OrdersPath = "/orders"

// OrdersHandler serves POST /orders, taking bodies in the encodings
// given. A body in another media type is answered 415 with an Accept-Post
// header listing those the target takes, so that a client can say which.
func OrdersHandler(accept ...messages.Encoding) http.Handler {
	types := make([]string, len(accept))
	for i, e := range accept {
		types[i] = e.ContentType()
	}
	acceptPost := strings.Join(types, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc, ok := messages.EncodingOfContentType(r.Header.Get("Content-Type"))
		if !ok || !accepts(accept, enc) {
			w.Header().Set("Accept-Post", acceptPost)
			http.Error(w, "POST /orders takes "+acceptPost, http.StatusUnsupportedMediaType)
			return
		}
		placeOrder(w, r, enc)
	})
}

func accepts(list []messages.Encoding, e messages.Encoding) bool {
	for _, a := range list {
		if a == e {
			return true
		}
	}
	return false
}

// placeOrder is the payment service's side of the interaction: decode
// the order, validate it, confirm its payment and encode the confirmation.
func placeOrder(w http.ResponseWriter, r *http.Request, enc messages.Encoding) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := bytes.NewBuffer((*bp)[:0])
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBody+1)); err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if buf.Len() > MaxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if buf.Cap() <= 1<<20 {
		*bp = buf.Bytes()[:0]
	}
	order := new(messages.Order)
	if err := enc.Unmarshal(buf.Bytes(), order); err != nil {
		http.Error(w, "malformed "+string(enc)+" order: "+err.Error(), http.StatusBadRequest)
		return
	}
	conf, err := messages.ConfirmPayment(order)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, err := enc.AppendMarshal(buf.Bytes()[:0], conf)
	if err != nil {
		http.Error(w, "encode the confirmation: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{enc.ContentType()}
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	_, _ = w.Write(out)
}

// TakeOnly makes the target take orders in the given encodings only, as
// a real service that speaks one of them would: POST /orders in another
// is answered 415 with the Accept-Post header listing those it takes.
func (s *Server) TakeOnly(accept ...messages.Encoding) {
	orders := OrdersHandler(accept...)
	s.orders.Store(&orders)
}
