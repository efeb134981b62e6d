// Package money holds currency facts, explicit rounding, the way amounts are
// printed and the text a merchant may write for a price or a percentage.
// Amounts are decimal.Decimal, never floats.
package money

import (
	"strings"
	"sync"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
)

// zeroDecimals, threeDecimals and fourDecimals list the ISO 4217 currencies
// whose minor unit is not the usual two decimals. They are ISO's figures,
// not CLDR's: CLDR (golang.org/x/text/currency's Standard rounding) shows
// some currencies without decimals (IQD, COP, IDR...) that ISO 4217 and
// invoices carry with two or three.
var (
	zeroDecimals  = map[string]bool{"BIF": true, "CLP": true, "DJF": true, "GNF": true, "ISK": true, "JPY": true, "KMF": true, "KRW": true, "PYG": true, "RWF": true, "UGX": true, "UYI": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true}
	threeDecimals = map[string]bool{"BHD": true, "IQD": true, "JOD": true, "KWD": true, "LYD": true, "OMR": true, "TND": true}
	fourDecimals  = map[string]bool{"CLF": true, "UYW": true}
)

// MinorUnits returns the number of decimals of a currency's minor unit
// (ISO 4217): 0 for JPY, 3 for KWD, 2 otherwise.
func MinorUnits(currency string) int32 {
	c := currency
	if len(c) != 3 || c[0] > 'Z' || c[1] > 'Z' || c[2] > 'Z' {
		c = strings.ToUpper(c)
	}
	switch {
	case zeroDecimals[c]:
		return 0
	case threeDecimals[c]:
		return 3
	case fourDecimals[c]:
		return 4
	}
	return 2
}

// Round rounds an amount half-up (away from zero on a tie) to the currency's
// minor unit. shopspring's Round is half away from zero, which for the
// positive amounts of a price list is half-up.
func Round(amount decimal.Decimal, currency string) decimal.Decimal {
	return amount.Round(MinorUnits(currency))
}

// newerThanCLDR are ISO 4217 codes introduced after the CLDR release that
// golang.org/x/text embeds: Mauritania's ouguiya (MRU, 2018), Venezuela's
// bolívar soberano (VES, 2018), Sierra Leone's leone (SLE, 2022),
// Zimbabwe Gold (ZWG, 2024) and the Caribbean guilder (XCG, 2025).
var newerThanCLDR = []string{"MRU", "VES", "SLE", "ZWG", "XCG"}

// tender is the set of ISO 4217 codes of the currencies that are legal
// tender somewhere today, from CLDR's data in golang.org/x/text.
var tender = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, c := range newerThanCLDR {
		set[c] = true
	}
	for it := currency.Query(); it.Next(); {
		set[it.Unit().String()] = true
	}
	return set
})

// ValidCurrency reports whether c is the upper-case ISO 4217 code of a
// currency in use as legal tender: EUR, JPY or KWD, but neither a code
// that is merely well formed (XYZ), nor a fund, metal or test code (XAU,
// XTS, XXX), nor a withdrawn currency (FRF).
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return tender()[c]
}
