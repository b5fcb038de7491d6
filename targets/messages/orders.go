package messages

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
)

// MaxItems bounds the lines of an order: a receiver refuses more, so a
// malformed message cannot make it allocate without limit.
const MaxItems = 10000

// ErrInvalid is the error of a message that decoded but breaks the
// interaction's rules (a field missing, an amount not positive).
var ErrInvalid = errors.New("invalid message")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// NewOrder makes a realistic order with items lines; seq makes its id.
func NewOrder(seq int64, items int) *Order {
	o := &Order{
		CustomerId:     "cust-7f3a9c2e-5b1d-4e8a-9c6f-2d4b8e1a3f70",
		Currency:       "EUR",
		PlacedAtUnixMs: 1764633600000,
		ShippingAddress: &Address{
			Name:       "Ada Lovelace",
			Street:     "12 St James's Square",
			City:       "London",
			PostalCode: "SW1Y 4JH",
			Country:    "GB",
		},
		Items: make([]*LineItem, items),
	}
	for i := range o.Items {
		o.Items[i] = &LineItem{
			Sku:            "SKU-" + strconv.Itoa(100000+i*7919%900000),
			Description:    "Stainless steel water bottle, 750 ml, line " + strconv.Itoa(i+1),
			Quantity:       int32(1 + i%4),
			UnitPriceCents: int64(499 + (i*1237)%9500),
		}
		o.TotalCents += int64(o.Items[i].Quantity) * o.Items[i].UnitPriceCents
	}
	SetOrderID(o, seq)
	return o
}

// SetOrderID gives o the id of operation seq, so that a reply to another
// operation cannot pass as this one's.
func SetOrderID(o *Order, seq int64) { o.OrderId = "ord-" + strconv.FormatInt(seq, 10) }

// ValidateOrder checks what the payment service needs of an order: an id,
// a customer, a currency, at least one line and at most MaxItems, every
// quantity and price positive, and a total that is the sum of the lines.
func ValidateOrder(o *Order) error {
	switch {
	case o.GetOrderId() == "":
		return invalidf("order_id is missing")
	case o.GetCustomerId() == "":
		return invalidf("order %s: customer_id is missing", o.OrderId)
	case len(o.GetCurrency()) != 3:
		return invalidf("order %s: currency %q is not a three-letter code", o.OrderId, o.Currency)
	case len(o.GetItems()) == 0:
		return invalidf("order %s has no items", o.OrderId)
	case len(o.Items) > MaxItems:
		return invalidf("order %s has %d items, more than %d", o.OrderId, len(o.Items), MaxItems)
	case o.GetTotalCents() <= 0:
		return invalidf("order %s: total_cents %d is not positive", o.OrderId, o.TotalCents)
	}
	var sum int64
	for i, it := range o.Items {
		switch {
		case it.GetSku() == "":
			return invalidf("order %s, item %d: sku is missing", o.OrderId, i)
		case it.GetQuantity() <= 0:
			return invalidf("order %s, item %d: quantity %d is not positive", o.OrderId, i, it.GetQuantity())
		case it.GetUnitPriceCents() <= 0:
			return invalidf("order %s, item %d: unit_price_cents %d is not positive", o.OrderId, i, it.GetUnitPriceCents())
		}
		sum += int64(it.Quantity) * it.UnitPriceCents
	}
	if sum != o.TotalCents {
		return invalidf("order %s: total_cents %d is not the sum of its items (%d)", o.OrderId, o.TotalCents, sum)
	}
	return nil
}

// ConfirmPayment is the payment service's work on an order: validate it
// and confirm its payment. The confirmation refers to the order by id and
// amount; its own id is derived from both, so a client can check it.
func ConfirmPayment(o *Order) (*PaymentConfirmation, error) {
	if err := ValidateOrder(o); err != nil {
		return nil, err
	}
	return &PaymentConfirmation{
		OrderId:        o.OrderId,
		ConfirmationId: ConfirmationID(o.OrderId, o.TotalCents),
		AmountCents:    o.TotalCents,
		Currency:       o.Currency,
		Status:         PaymentConfirmation_STATUS_CONFIRMED,
	}, nil
}

// ConfirmationID is the id ConfirmPayment gives an order's confirmation.
func ConfirmationID(orderID string, amount int64) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(orderID))
	return "pay-" + strconv.FormatUint(h.Sum64()^uint64(amount), 36)
}

// CheckConfirmation says whether c confirms o: its order, its amount, its
// currency, and the confirmation id ConfirmPayment would give.
func CheckConfirmation(o *Order, c *PaymentConfirmation) error {
	switch {
	case c.GetOrderId() != o.OrderId:
		return fmt.Errorf("the confirmation is for order %q, not %q", c.GetOrderId(), o.OrderId)
	case c.GetStatus() != PaymentConfirmation_STATUS_CONFIRMED:
		return fmt.Errorf("order %s: payment status %s, want confirmed", o.OrderId, c.GetStatus())
	case c.GetAmountCents() != o.TotalCents || c.GetCurrency() != o.Currency:
		return fmt.Errorf("order %s: confirmed %d %s, want %d %s", o.OrderId, c.GetAmountCents(), c.GetCurrency(), o.TotalCents, o.Currency)
	case c.GetConfirmationId() != ConfirmationID(o.OrderId, o.TotalCents):
		return fmt.Errorf("order %s: confirmation id %q is not the one its order and amount give", o.OrderId, c.GetConfirmationId())
	}
	return nil
}

// NewCredentials makes realistic credentials: a user and a bearer token
// the size of a signed JWT.
func NewCredentials(seq int64) *Credentials {
	token := make([]byte, 0, 600)
	for len(token) < 580 {
		token = strconv.AppendUint(token, uint64(seq)*2654435761+uint64(len(token)), 36)
	}
	return &Credentials{
		UserId: "user-" + strconv.FormatInt(seq, 10),
		Token:  string(token),
		Scopes: []string{"orders:write", "payments:read", "profile:read"},
	}
}

// NewValidationResult is the identity service's answer to c.
func NewValidationResult(c *Credentials) *ValidationResult {
	return &ValidationResult{UserId: c.UserId, Valid: true, GrantedScopes: c.Scopes, ExpiresAtUnixMs: 1764637200000}
}

// NewOrderPlaced is the event published once o is confirmed.
func NewOrderPlaced(o *Order) *OrderPlaced {
	return &OrderPlaced{
		EventId:          "evt-" + o.OrderId,
		OrderId:          o.OrderId,
		CustomerId:       o.CustomerId,
		TotalCents:       o.TotalCents,
		Currency:         o.Currency,
		ItemCount:        int32(len(o.Items)),
		OccurredAtUnixMs: o.PlacedAtUnixMs + 40,
	}
}

// NewInventoryUpdate reserves o's first line in a warehouse.
func NewInventoryUpdate(o *Order) *InventoryUpdate {
	u := &InventoryUpdate{Warehouse: "LHR-2", OrderId: o.OrderId}
	if len(o.Items) > 0 {
		u.Sku, u.Delta = o.Items[0].Sku, -o.Items[0].Quantity
	}
	return u
}

// DecodeValidOrder is a consumer's work on an order message: decode it
// and validate it. A message that does not decode is as invalid as one
// that breaks a rule: both wrap ErrInvalid.
func DecodeValidOrder(enc Encoding, b []byte) (*Order, error) {
	o := new(Order)
	if err := enc.Unmarshal(b, o); err != nil {
		return nil, fmt.Errorf("%w: malformed %s order: %v", ErrInvalid, enc, err)
	}
	if err := ValidateOrder(o); err != nil {
		return nil, err
	}
	return o, nil
}
