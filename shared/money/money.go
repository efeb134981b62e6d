// Package money holds currency facts and explicit rounding. Amounts are
// decimal.Decimal, never floats.
package money

import (
	"strings"

	"github.com/shopspring/decimal"
)

// zeroDecimals and threeDecimals list the ISO 4217 currencies whose minor
// unit is not the usual two decimals.
var (
	zeroDecimals  = map[string]bool{"BIF": true, "CLP": true, "DJF": true, "GNF": true, "ISK": true, "JPY": true, "KMF": true, "KRW": true, "PYG": true, "RWF": true, "UGX": true, "UYI": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true}
	threeDecimals = map[string]bool{"BHD": true, "IQD": true, "JOD": true, "KWD": true, "LYD": true, "OMR": true, "TND": true}
)

// MinorUnits returns the number of decimals of a currency's minor unit
// (ISO 4217): 0 for JPY, 3 for KWD, 2 otherwise.
func MinorUnits(currency string) int32 {
	c := strings.ToUpper(currency)
	switch {
	case zeroDecimals[c]:
		return 0
	case threeDecimals[c]:
		return 3
	}
	return 2
}

// Round rounds an amount half-up (away from zero on a tie) to the currency's
// minor unit. shopspring's Round is half away from zero, which for the
// positive amounts of a price list is half-up.
func Round(amount decimal.Decimal, currency string) decimal.Decimal {
	return amount.Round(MinorUnits(currency))
}

// ValidCurrency reports whether c looks like an ISO 4217 code.
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
