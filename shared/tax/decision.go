package tax

import (
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/vat"
)

// Category is a product's tax category: which of a country's rates applies.
type Category string

// Tax categories. France's rates are 20 (standard), 10 (intermediate), 5.5
// (reduced) and 2.1 (super-reduced).
const (
	Standard     Category = "standard"
	Intermediate Category = "intermediate"
	Reduced      Category = "reduced"
	SuperReduced Category = "super-reduced"
)

// Regime is the VAT treatment of a line.
type Regime string

// VAT regimes.
const (
	// Domestic: the seller's country's VAT (B2B in the seller's country, or
	// a pro whose VAT number did not pass validation).
	Domestic Regime = "domestic"
	// IntraEUExempt: B2B to another member state with a valid VAT number,
	// exempt under CGI art. 262 ter I (reverse charge).
	IntraEUExempt Regime = "intra-eu-exempt"
	// Export: outside the EU, B2B or B2C, exempt under CGI art. 262 I.
	Export Regime = "export"
	// DistanceSaleOrigin: B2C to another member state below the
	// distance-selling threshold: the seller's VAT.
	DistanceSaleOrigin Regime = "distance-sale-origin"
	// DistanceSaleDestination: B2C to another member state above the
	// threshold or after the seller opted in: the destination's VAT.
	DistanceSaleDestination Regime = "distance-sale-destination"
)

// Buyer is what the engine knows of who buys.
type Buyer struct {
	// Pro is true for a professional customer, false for a consumer.
	Pro bool
	// VATNumber is the buyer's intra-EU VAT number, if any.
	VATNumber string
	// Check is the result of validating VATNumber (nil: not checked).
	Check *vat.Check
}

// DistanceSale is the merchant's distance-selling threshold state for one
// B2C sale to another member state, as the ledger decides it for the order
// (including the order itself: the supply that takes the total over the
// threshold is taxed at destination).
type DistanceSale struct {
	// Destination is true when the destination country's VAT applies.
	Destination bool
	// Reason says why, in words ("EU-wide total €10,412.50 over the €10,000
	// threshold", "opted in on 2026-01-01", "below the threshold").
	Reason string
}

// Situation is everything the engine needs to decide one line's VAT.
type Situation struct {
	// Seller is the merchant's country (ISO 3166-1 alpha-2).
	Seller string
	// ShipTo is the delivery country (ISO 3166-1 alpha-2; GR for Greece).
	ShipTo   string
	Buyer    Buyer
	Category Category
	// Date is the day of the supply: the rate in force that day applies.
	Date time.Time
	// DistanceSale is the threshold state for a B2C sale to another member
	// state; ignored otherwise.
	DistanceSale DistanceSale
}

// Decision is the VAT treatment of one line.
type Decision struct {
	Regime Regime `json:"regime"`
	// Country is the country whose VAT applies; empty when exempt.
	Country  string   `json:"country,omitempty"`
	Category Category `json:"category"`
	// Rate is the VAT rate in percent (0 when exempt).
	Rate decimal.Decimal `json:"rate"`
	// Exempt is true for the exempt regimes.
	Exempt bool `json:"exempt,omitempty"`
	// Mention is the legal mention the invoice must carry, if any.
	Mention string `json:"mention,omitempty"`
	// Reason explains the decision in words.
	Reason string `json:"reason"`
}

// ErrNoRate is returned when no rate is known for a country and category on
// a day: merchant staff must set one.
var ErrNoRate = errors.New("no VAT rate")

// LineTax is one line's VAT: its decision, its base (the line's amount
// excluding VAT), the VAT on it and the amount including VAT.
type LineTax struct {
	Decision
	Base  decimal.Decimal `json:"base"`
	VAT   decimal.Decimal `json:"vat"`
	Gross decimal.Decimal `json:"gross"`
}

// RateTotal sums the lines taxed alike: same country, rate and regime.
type RateTotal struct {
	Regime  Regime          `json:"regime"`
	Country string          `json:"country,omitempty"`
	Rate    decimal.Decimal `json:"rate"`
	Mention string          `json:"mention,omitempty"`
	Base    decimal.Decimal `json:"base"`
	VAT     decimal.Decimal `json:"vat"`
}

// Summary is an order's or a quote's VAT: totals per rate, then the amounts
// excluding VAT (HT), the VAT and including VAT (TTC).
type Summary struct {
	PerRate []RateTotal     `json:"perRate"`
	Net     decimal.Decimal `json:"net"`
	VAT     decimal.Decimal `json:"vat"`
	Gross   decimal.Decimal `json:"gross"`
}
