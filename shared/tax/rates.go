// Package tax holds VAT rates by country and tax category, with the dates
// they apply from.
package tax

import (
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/money"
)

// Rate is a VAT rate in percent, in force from a date.
type Rate struct {
	Percent decimal.Decimal
	From    time.Time
}

func r(pct string, from string) Rate {
	t := time.Time{}
	if from != "" {
		t, _ = time.Parse(time.DateOnly, from)
	}
	return Rate{Percent: decimal.RequireFromString(pct), From: t}
}

// standard holds the EU standard rates (2025), each country's history
// oldest first, from the product brief's researched table.
var standard = map[string][]Rate{
	"AT": {r("20", "")}, "BE": {r("21", "")}, "BG": {r("20", "")}, "HR": {r("25", "")},
	"CY": {r("19", "")}, "CZ": {r("21", "")}, "DK": {r("25", "")},
	"EE": {r("22", ""), r("24", "2025-07-01")},
	"FI": {r("24", ""), r("25.5", "2024-09-01")},
	"FR": {r("20", "")}, "DE": {r("19", "")}, "EL": {r("24", "")}, "GR": {r("24", "")}, "HU": {r("27", "")},
	"IE": {r("23", "")}, "IT": {r("22", "")}, "LV": {r("21", "")}, "LT": {r("21", "")},
	"LU": {r("17", "")}, "MT": {r("18", "")}, "NL": {r("21", "")}, "PL": {r("23", "")}, "PT": {r("23", "")},
	"RO": {r("19", ""), r("21", "2025-08-01")},
	"SK": {r("20", ""), r("23", "2025-01-01")},
	"SI": {r("22", "")}, "ES": {r("21", "")}, "SE": {r("25", "")},
}

// StandardRate returns a country's standard VAT rate on a day; ok is false
// for a country outside the table.
func StandardRate(country string, on time.Time) (decimal.Decimal, bool) {
	hist, ok := standard[strings.ToUpper(country)]
	if !ok {
		return decimal.Zero, false
	}
	i := sort.Search(len(hist), func(i int) bool { return hist[i].From.After(on) })
	if i == 0 {
		return decimal.Zero, false
	}
	return hist[i-1].Percent, true
}

// Inclusive adds VAT at pct percent to an amount excluding VAT, unrounded.
func Inclusive(amount, pct decimal.Decimal) decimal.Decimal {
	return amount.Add(amount.Mul(pct).Shift(-2))
}

// InclusiveUnitPrice is the price a consumer is shown (TTC) for a unit
// price excluding VAT (HT): VAT at pct percent added to the unit price,
// then rounded half-up to the currency's minor unit, so that the shelf
// shows a price one can pay. An order's VAT is computed on its lines, not
// from these rounded figures.
func InclusiveUnitPrice(unitPrice, pct decimal.Decimal, currency string) decimal.Decimal {
	return money.Round(Inclusive(unitPrice, pct), currency)
}
