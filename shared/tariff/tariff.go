// Package tariff holds price entries ("tarifs"): a customer's, a buying
// group's or a price category's price for one product, with its own discount
// scheme, in Sage 100's terms (F_ARTCLIENT, F_TARIFQTE). The pricing engine
// reads them; the catalog stores the shared ones beside each product.
package tariff

import (
	"time"

	"github.com/shopspring/decimal"
)

// Scope is the kind of price source.
type Scope string

const (
	// Customer is a price for one customer (F_ARTCLIENT with CT_Num).
	Customer Scope = "customer"
	// BuyingGroup is a buying group's tariff ("tarif centrale").
	BuyingGroup Scope = "buying-group"
	// PriceCategory is a price category's tariff (F_ARTCLIENT with
	// AC_Categorie).
	PriceCategory Scope = "price-category"
	// Base is the product's list price (AR_PrixVen). An entry of scope
	// Base, without a scope id, is the product's list price in the entry's
	// currency: a price the merchant set in that currency, which wins over
	// converting the product's own base price (see package pricing).
	Base Scope = "base"
)

// Mode is how a price entry's breaks are read (Sage's AC_QteMont).
type Mode int

const (
	// Simple: the entry's price and its percentage discount (mode 0).
	Simple Mode = 0
	// QuantityDiscount: a percentage by quantity break (mode 1).
	QuantityDiscount Mode = 1
	// AmountDiscount: a percentage by line amount break (mode 2).
	AmountDiscount Mode = 2
	// NetByQuantity: a net unit price by quantity break, final (mode 3).
	NetByQuantity Mode = 3
)

// Break is one step of a tier table: from this quantity (in units) or amount
// on, Value applies (a percentage, or a net unit price).
type Break struct {
	From  decimal.Decimal `json:"from"`
	Value decimal.Decimal `json:"value"`
}

// Validity is an optional date range, inclusive, compared on calendar days
// in UTC. A zero bound is open.
type Validity struct {
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Covers reports whether the day of t is within the range.
func (v Validity) Covers(t time.Time) bool {
	day := t.UTC().Truncate(24 * time.Hour)
	if !v.From.IsZero() && day.Before(v.From.UTC().Truncate(24*time.Hour)) {
		return false
	}
	if !v.Until.IsZero() && day.After(v.Until.UTC().Truncate(24*time.Hour)) {
		return false
	}
	return true
}

// Entry is one price source for one product: a customer's, a buying
// group's or a price category's price and its own discount scheme, or the
// product's list price in one more currency (scope Base).
type Entry struct {
	Scope   Scope  `json:"scope"`
	ScopeID string `json:"scopeId"`
	Ref     string `json:"ref"`
	// Currency of Price and of amount breaks. An entry in another currency
	// than the quote's applies only converted, when its source has no price
	// in the quote's currency and the day's exchange rates are known.
	Currency string `json:"currency"`
	// Price is the unit price excluding VAT; zero means the product's base
	// price (a discount-only entry).
	Price decimal.Decimal `json:"price"`
	// Discount is a percentage off (AC_Remise), used in Simple mode.
	Discount decimal.Decimal `json:"discount"`
	Mode     Mode            `json:"mode"`
	Breaks   []Break         `json:"breaks,omitempty"`
	Validity Validity        `json:"validity"`
}
