// Package pricing is the tariff engine ("gestion tarifaire"): it prices order
// lines for one customer from every price source (base price, price category,
// buying group, customer price) and every discount rule, without ever
// stacking discounts by accident, and explains each result.
//
// # Precedence
//
// Under the default policy, MostSpecific, the most specific price source wins:
// customer > buying group > price category > base. The winning source's own
// discount (Sage's AC_Remise and its quantity or amount breaks) applies first,
// then the merchant's discount rules in priority order (lowest number first);
// a rule with Stop ends the chain for that line. A net price (a source whose
// mode is NetByQuantity, or a NetPrice rule) is final: nothing else applies.
// A product that is "hors remise" takes no discount of any kind, order-level
// ones included; its source price still applies.
//
// Under BestPrice, every price source and every discount is a separate offer
// and the lowest line amount wins; discounts never stack in that mode, so
// adding a rule can only lower a price.
//
// Order-amount rules come after the line rules. Their threshold is the order's
// gross amount: the sum of the gross amounts (before any discount) of the lines
// that are not "hors remise", so that a line discount never makes an order
// fall below a threshold.
//
// # Rounding
//
// Amounts are exact decimals. A line's gross amount (unit price × units) is
// rounded half-up to the currency's minor unit, then each discount amount is
// rounded the same way before it is subtracted: the explanation's amounts
// always add up to the line total, and the line totals to the quote total. The
// unit price shown is the line total divided by the units, to four decimals,
// for information. Every amount is printed with at least its currency's
// minor units (money.Amount).
//
// # Bounds
//
// A line holds from 1 to MaxQuantity packages and at most MaxLineUnits
// units: a packaging of absurd units is a line error, never a wrapped
// number. A rule's percentages run from 0 to 100, its prices and amounts are
// plain decimals of at most money.MaxIntegerDigits digits and
// money.MaxDecimals decimals, it has at most MaxTiers breaks (see
// Rule.Validate and ParseRule), so no rule can outgrow its storage item.
package pricing

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/tariff"
)

// Policy is the merchant's precedence setting.
type Policy string

const (
	// MostSpecific: the most specific price source wins, then discounts in
	// priority order. The default.
	MostSpecific Policy = "most-specific"
	// BestPrice: the lowest of all offers wins, never stacked.
	BestPrice Policy = "best-price"
)

// The price entry types live in package tariff, shared with the catalog
// that stores price-category and buying-group entries beside each product.
type (
	// Scope is the kind of price source.
	Scope = tariff.Scope
	// EntryMode is how a price entry's breaks are read (AC_QteMont).
	EntryMode = tariff.Mode
	// Break is one step of a tier table.
	Break = tariff.Break
	// Validity is an optional date range.
	Validity = tariff.Validity
	// PriceEntry is one price source for one product.
	PriceEntry = tariff.Entry
)

// Price sources and entry modes, as in package tariff.
const (
	ScopeCustomer      = tariff.Customer
	ScopeBuyingGroup   = tariff.BuyingGroup
	ScopePriceCategory = tariff.PriceCategory
	ScopeBase          = tariff.Base
	Simple             = tariff.Simple
	QuantityDiscount   = tariff.QuantityDiscount
	AmountDiscount     = tariff.AmountDiscount
	NetByQuantity      = tariff.NetByQuantity
)

// specificity orders scopes, most specific first.
var specificity = map[Scope]int{ScopeCustomer: 0, ScopeBuyingGroup: 1, ScopePriceCategory: 2, ScopeBase: 3}

// RuleKind is the type of a discount rule.
type RuleKind string

const (
	// Percent is a simple percentage off.
	Percent RuleKind = "percent"
	// QuantityTiers is a percentage by quantity break ("paliers").
	QuantityTiers RuleKind = "quantity-tiers"
	// LineAmountTiers is a percentage by line amount break.
	LineAmountTiers RuleKind = "line-amount-tiers"
	// OrderAmountTiers is a percentage by order amount break.
	OrderAmountTiers RuleKind = "order-amount-tiers"
	// NetPrice is a final unit price, optionally by quantity break.
	NetPrice RuleKind = "net-price"
	// PackagingDiscount is a percentage off, or a price per package, for one
	// packaging type (unit, lot, pallet).
	PackagingDiscount RuleKind = "packaging"
)

// Who says which customers a rule is for; empty fields match everyone.
type Who struct {
	Customer      string `json:"customer,omitempty"`
	PriceCategory string `json:"priceCategory,omitempty"`
	BuyingGroup   string `json:"buyingGroup,omitempty"`
}

// Target says which products a rule is for: one reference, or one family
// (a category and everything below it); empty matches every product.
type Target struct {
	Ref    string `json:"ref,omitempty"`
	Family string `json:"family,omitempty"`
}

// Rule is a merchant discount rule.
type Rule struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Priority int      `json:"priority"`
	Stop     bool     `json:"stop,omitempty"`
	Who      Who      `json:"who"`
	Target   Target   `json:"target"`
	Kind     RuleKind `json:"kind"`
	// Percent is the percentage off for Percent and PackagingDiscount.
	Percent decimal.Decimal `json:"percent"`
	// Tiers are the breaks of tiered and net-price rules.
	Tiers []Break `json:"tiers,omitempty"`
	// Price is the net unit price of a NetPrice rule without tiers, or the
	// price of one package for a PackagingDiscount.
	Price decimal.Decimal `json:"price"`
	// Packaging is the packaging type a PackagingDiscount is for.
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
	// Currency of the rule's amounts (prices, amount thresholds); rules in
	// another currency than the quote's do not apply. Empty for pure
	// percentages by quantity.
	Currency string   `json:"currency,omitempty"`
	Validity Validity `json:"validity"`
}

// Product is what pricing needs to know of a product.
type Product struct {
	Ref string
	// Families are the product's category and all its ancestors.
	Families   []string
	BasePrice  decimal.Decimal
	Currency   string
	NoDiscount bool
	Packagings []catalog.Packaging
}

// Customer is what pricing needs to know of a customer.
type Customer struct {
	ID            string
	PriceCategory string
	BuyingGroup   string
}

// Bounds of a line.
const (
	// MaxQuantity is the most packages a line may hold.
	MaxQuantity = 1_000_000_000
	// MaxLineUnits is the most units a line may hold: its quantity times
	// the units of its packaging.
	MaxLineUnits = 1_000_000_000
)

// Line is one line to price.
type Line struct {
	Ref string `json:"ref"`
	// Quantity is a number of packages.
	Quantity  int64                 `json:"quantity"`
	Packaging catalog.PackagingKind `json:"packaging,omitempty"`
}

// Request is a pricing request.
type Request struct {
	Customer Customer
	Currency string
	Date     time.Time
	Policy   Policy
	Lines    []Line
	// Rates are the exchange rates of the quote's day, for prices set only
	// in another currency than the quote's; nil: no conversion, such a
	// price does not apply.
	Rates *fx.Rates
}

// Tariff is everything the engine reads: the products of the lines, every
// price entry of those products for this customer, and the rules.
type Tariff struct {
	Products map[string]Product
	// Entries are keyed by product reference.
	Entries map[string][]PriceEntry
	Rules   []Rule
}
