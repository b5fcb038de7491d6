package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Order is what a client places: a customer and at least one line.
type Order struct {
	CustomerID string `json:"customer_id"`
	Items      []Item `json:"items"`
}

// Item is one line of an order.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Accepted is the answer to a valid order.
type Accepted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// maxItems bounds an order's lines.
const maxItems = 1000

// validate says what is wrong with an order, or nil.
func (o Order) validate() error {
	switch {
	case o.CustomerID == "":
		return errors.New("customer_id is required")
	case len(o.Items) == 0:
		return errors.New("an order has at least one item")
	case len(o.Items) > maxItems:
		return fmt.Errorf("an order has at most %d items", maxItems)
	}
	for i, it := range o.Items {
		if it.SKU == "" {
			return fmt.Errorf("items[%d]: sku is required", i)
		}
		if it.Quantity < 1 {
			return fmt.Errorf("items[%d]: quantity must be at least 1", i)
		}
	}
	return nil
}

// decodeOrder reads a JSON order strictly: unknown fields and trailing
// data are errors.
func decodeOrder(b []byte) (Order, error) {
	var o Order
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Order{}, fmt.Errorf("not a JSON order: %v", err)
	}
	if dec.More() {
		return Order{}, errors.New("not a JSON order: data after the object")
	}
	return o, o.validate()
}

// newID is a random order id.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "ord_" + hex.EncodeToString(b[:])
}
