package messages

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// samples are one realistic value of every message.
func samples() map[string]proto.Message {
	o := NewOrder(42, 3)
	c, _ := ConfirmPayment(o)
	cred := NewCredentials(42)
	return map[string]proto.Message{
		"Order":               o,
		"PaymentConfirmation": c,
		"Credentials":         cred,
		"ValidationResult":    NewValidationResult(cred),
		"OrderPlaced":         NewOrderPlaced(o),
		"InventoryUpdate":     NewInventoryUpdate(o),
	}
}

func TestRoundTrip(t *testing.T) {
	for name, m := range samples() {
		for _, enc := range []Encoding{JSON, Protobuf} {
			t.Run(name+"/"+string(enc), func(t *testing.T) {
				b, err := enc.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				got := m.ProtoReflect().New().Interface()
				if err := enc.Unmarshal(b, got); err != nil {
					t.Fatalf("decode %d bytes: %v", len(b), err)
				}
				if !proto.Equal(got, m) {
					t.Errorf("round trip changed the message:\n got %v\nwant %v", got, m)
				}
				// The buffer-reusing form writes the same bytes after what
				// the buffer held.
				again, err := enc.AppendMarshal([]byte("x"), m)
				if err != nil || string(again[1:]) != string(b) {
					t.Errorf("AppendMarshal: %q, %v; want x%q", again, err, b)
				}
			})
		}
	}
}

func TestRawCarriesNoMessages(t *testing.T) {
	if _, err := Raw.Marshal(NewOrder(1, 1)); err == nil {
		t.Error("raw marshalled a message")
	}
	if err := Raw.Unmarshal([]byte{1}, new(Order)); err == nil {
		t.Error("raw unmarshalled a message")
	}
}

func TestJSONNamesFieldsAsTheProto(t *testing.T) {
	b, err := JSON.Marshal(NewOrder(7, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"order_id":"ord-7"`, `"unit_price_cents":`, `"shipping_address":{`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}

func TestOrderSizeGrowsWithItems(t *testing.T) {
	prev := 0
	for _, n := range []int{1, 3, 10, 100} {
		b, _ := Protobuf.Marshal(NewOrder(1, n))
		if len(b) <= prev {
			t.Errorf("%d items: %d bytes, not more than %d", n, len(b), prev)
		}
		prev = len(b)
		if err := ValidateOrder(NewOrder(1, n)); err != nil {
			t.Errorf("%d items: %v", n, err)
		}
	}
}

func TestValidateOrder(t *testing.T) {
	for _, c := range []struct {
		name   string
		break_ func(o *Order)
		want   string // in the error; "" for valid
	}{
		{"valid", func(*Order) {}, ""},
		{"no id", func(o *Order) { o.OrderId = "" }, "order_id is missing"},
		{"no customer", func(o *Order) { o.CustomerId = "" }, "customer_id is missing"},
		{"bad currency", func(o *Order) { o.Currency = "euro" }, "three-letter"},
		{"no items", func(o *Order) { o.Items = nil }, "no items"},
		{"too many items", func(o *Order) { o.Items = make([]*LineItem, MaxItems+1) }, "more than"},
		{"zero total", func(o *Order) { o.TotalCents = 0 }, "not positive"},
		{"negative price", func(o *Order) { o.Items[1].UnitPriceCents = -5 }, "item 1: unit_price_cents -5"},
		{"zero quantity", func(o *Order) { o.Items[0].Quantity = 0 }, "item 0: quantity 0"},
		{"no sku", func(o *Order) { o.Items[2].Sku = "" }, "item 2: sku"},
		{"nil item", func(o *Order) { o.Items[2] = nil }, "item 2: sku"},
		{"wrong total", func(o *Order) { o.TotalCents++ }, "not the sum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := NewOrder(3, 3)
			c.break_(o)
			conf, err := ConfirmPayment(o)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if err := CheckConfirmation(o, conf); err != nil {
					t.Errorf("the confirmation does not check: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want ErrInvalid saying %q", err, c.want)
			}
		})
	}
}

func TestCheckConfirmation(t *testing.T) {
	o := NewOrder(5, 2)
	for _, c := range []struct {
		name   string
		change func(c *PaymentConfirmation)
		want   string
	}{
		{"other order", func(c *PaymentConfirmation) { c.OrderId = "ord-6" }, `not "ord-5"`},
		{"declined", func(c *PaymentConfirmation) { c.Status = PaymentConfirmation_STATUS_DECLINED }, "want confirmed"},
		{"other amount", func(c *PaymentConfirmation) { c.AmountCents-- }, "confirmed"},
		{"made-up id", func(c *PaymentConfirmation) { c.ConfirmationId = "pay-1" }, "confirmation id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf, _ := ConfirmPayment(o)
			c.change(conf)
			if err := CheckConfirmation(o, conf); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestEncodingNames(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Encoding
		ok   bool
	}{
		{"raw", Raw, true}, {"json", JSON, true}, {"protobuf", Protobuf, true},
		{"proto", "", false}, {"JSON", "", false}, {"", "", false},
	} {
		got, err := ParseEncoding(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseEncoding(%q) = %q, %v", c.in, got, err)
		}
	}
	for _, c := range []struct {
		ct   string
		want Encoding
		ok   bool
	}{
		{"application/json", JSON, true},
		{"application/json; charset=utf-8", JSON, true},
		{"application/x-protobuf", Protobuf, true},
		{"application/protobuf", Protobuf, true},
		{"text/plain", "", false},
		{"", "", false},
	} {
		got, ok := EncodingOfContentType(c.ct)
		if got != c.want || ok != c.ok {
			t.Errorf("EncodingOfContentType(%q) = %q, %v", c.ct, got, ok)
		}
		if ok && got.ContentType() != strings.SplitN(c.ct, ";", 2)[0] && c.ct != "application/protobuf" {
			t.Errorf("%s: content type %q, want %q", got, got.ContentType(), c.ct)
		}
	}
}

// FuzzDecodeOrder: whatever arrives, decoding and confirming an order
// answers or refuses; it never panics, and what it confirms checks.
func FuzzDecodeOrder(f *testing.F) {
	for _, enc := range []Encoding{JSON, Protobuf} {
		b, _ := enc.Marshal(NewOrder(1, 3))
		f.Add(b)
	}
	f.Add([]byte(`{"orderId":"x","items":[null]}`))
	f.Add([]byte{0x1a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, enc := range []Encoding{JSON, Protobuf} {
			o := new(Order)
			if enc.Unmarshal(b, o) != nil {
				continue
			}
			c, err := ConfirmPayment(o)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s: an invalid order gave %v, not ErrInvalid", enc, err)
				}
				continue
			}
			if err := CheckConfirmation(o, c); err != nil {
				t.Fatalf("%s: %v", enc, err)
			}
		}
	})
}

func TestNameSuffix(t *testing.T) {
	for _, c := range []struct {
		options map[string]any
		want    string
	}{
		{nil, ""}, // a result of an older version
		{map[string]any{"http2": true}, ""},
		{map[string]any{"encoding": "raw"}, ""},
		{map[string]any{"encoding": "json"}, " · json"},
		{map[string]any{"encoding": "protobuf"}, " · protobuf"},
	} {
		if got := NameSuffix(c.options); got != c.want {
			t.Errorf("NameSuffix(%v) = %q, want %q", c.options, got, c.want)
		}
	}
}

// TestConfirmEncodedAndCheckReply: a responder's confirmation of an
// encoded order passes the sender's check, in both encodings; a
// malformed or invalid order is refused as invalid, and a reply that is
// no confirmation of the order sent fails the check.
func TestConfirmEncodedAndCheckReply(t *testing.T) {
	for _, enc := range []Encoding{JSON, Protobuf} {
		t.Run(string(enc), func(t *testing.T) {
			s := NewOrderSender(enc, 3, new(CodecClock))
			req, err := s.AppendEncoded(nil, 7, false)
			if err != nil {
				t.Fatal(err)
			}
			reply, err := ConfirmEncoded(enc, req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CheckReply(reply, new(PaymentConfirmation)); err != nil {
				t.Errorf("the confirmation of the order sent: %v", err)
			}

			bad := NewOrder(7, 3)
			bad.Currency = ""
			badReq, _ := enc.Marshal(bad)
			for name, b := range map[string][]byte{"malformed": req[:len(req)/2], "invalid": badReq} {
				if _, err := ConfirmEncoded(enc, b); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s order: error %v, want ErrInvalid", name, err)
				}
			}

			other, _ := ConfirmPayment(NewOrder(8, 3))
			otherReply, _ := enc.Marshal(other)
			for name, b := range map[string][]byte{"another order's": otherReply, "the order echoed": req} {
				if _, err := s.CheckReply(b, new(PaymentConfirmation)); err == nil {
					t.Errorf("%s reply passed the check", name)
				}
			}
		})
	}
}
