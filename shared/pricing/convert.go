package pricing

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/money"
)

// Prices in several currencies
//
// A product has its list price (base price) in its own currency, and may
// have list prices in other currencies: a price entry of scope base with a
// currency, and no scope id, is the product's list price in that currency
// ("prix de vente" per currency). Price-category, buying-group and customer
// entries each have their currency too.
//
// A price the merchant set in the quote's currency always wins over a
// conversion: within one source (a scope and its id, such as
// "price-category 1" or "base"), a usable price in the quote's currency is
// taken as it is, and the same source's prices in other currencies are
// explained as not applied. Only when a source has no usable price in the
// quote's currency, and the request carries the day's exchange rates
// (Request.Rates), is its price in another currency converted: the
// product's own currency first, then the euro, then the others in
// alphabetical order. The converted source says so (Source.Converted: the
// currency, the price as set, the rate and its day). Without rates, such a
// price does not apply ("priced in EUR, the quote is in CHF").
//
// Sources are then ranked as always. Under MostSpecific the most specific
// source still wins, converted or not: a customer's price set in EUR,
// converted, wins over a list price the merchant set in CHF, because the
// customer's price is the more specific agreement. Under BestPrice the
// lowest offer wins, converted sources compared in the quote's currency.
//
// A converted unit price is price × PerEUR[quote] / PerEUR[from] (see
// fx.Rates.Convert), rounded half-up to ConvertedPriceDecimals decimals,
// the precision of a price the merchant writes; the line's gross amount is
// then that unit price × units rounded to the quote currency's minor units
// (money.Round), like any other. A converted entry's amount breaks (Sage
// mode 2) are converted and rounded to the minor units; its percentages
// and quantity breaks stay as they are. A discount-only entry is priced at
// the list price in its own currency, then converted as a whole; one in
// the quote's currency without a list price in that currency is priced at
// the product's converted base price.

// ConvertedPriceDecimals is the precision of a converted unit price.
const ConvertedPriceDecimals = money.MaxDecimals

// Conversion says that a source's price was set in another currency and
// converted at the day's exchange rate.
type Conversion struct {
	// From is the currency the merchant set the price in.
	From string
	// UnitPrice is the source's unit price as set, in From.
	UnitPrice money.Amount
	// Rate is the rate applied: 1 From = Rate units of the quote's
	// currency (fx.RateDecimals decimals).
	Rate decimal.Decimal
	// Date is the day of the exchange rates.
	Date time.Time
}

// conversionJSON is a Conversion as JSON: the date as YYYY-MM-DD.
type conversionJSON struct {
	From      string          `json:"from"`
	UnitPrice money.Amount    `json:"unitPrice"`
	Rate      decimal.Decimal `json:"rate"`
	Date      string          `json:"date"`
}

// MarshalJSON writes {"from","unitPrice","rate","date"}, the date as
// YYYY-MM-DD.
func (c Conversion) MarshalJSON() ([]byte, error) {
	return json.Marshal(conversionJSON{c.From, c.UnitPrice, c.Rate, c.Date.Format(time.DateOnly)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Conversion) UnmarshalJSON(b []byte) error {
	var v conversionJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	day, err := time.Parse(time.DateOnly, v.Date)
	if err != nil {
		return fmt.Errorf("conversion date: %w", err)
	}
	*c = Conversion{From: v.From, UnitPrice: v.UnitPrice, Rate: v.Rate, Date: day}
	return nil
}

// converter converts a product's prices into the quote's currency.
type converter struct {
	rates *fx.Rates
	to    string
	minor int32
}

// conversion is the Conversion of unit, set in from, and unit converted;
// ok is false without rates or without a rate for either currency.
func (c converter) conversion(unit decimal.Decimal, from string) (*Conversion, decimal.Decimal, bool) {
	if c.rates == nil {
		return nil, decimal.Zero, false
	}
	converted, ok := c.rates.Convert(unit, from, c.to)
	if !ok {
		return nil, decimal.Zero, false
	}
	rate, _ := c.rates.Rate(from, c.to)
	conv := &Conversion{From: from, UnitPrice: money.AmountIn(unit, from), Rate: rate, Date: c.rates.Date}
	return conv, converted.Round(ConvertedPriceDecimals), true
}

// entry is a copy of e for the quote's currency: its amount breaks (mode
// 2) converted, rounded to the minor units. ok is false when a break
// cannot be converted.
func (c converter) entry(e *PriceEntry) (*PriceEntry, bool) {
	ce := *e
	ce.Currency = c.to
	if e.Mode != AmountDiscount || len(e.Breaks) == 0 {
		return &ce, true
	}
	ce.Breaks = make([]Break, len(e.Breaks))
	for i, b := range e.Breaks {
		from, ok := c.rates.Convert(b.From, e.Currency, c.to)
		if !ok {
			return nil, false
		}
		ce.Breaks[i] = Break{From: from.Round(c.minor), Value: b.Value}
	}
	return &ce, true
}
