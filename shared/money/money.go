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

// isoNotCLDR are the currencies whose minor unit in ISO 4217 differs from
// the digits CLDR gives them (golang.org/x/text/currency's Standard
// rounding, which follows how amounts are shown, not how they are
// invoiced): CLDR shows these without decimals, ISO 4217 and invoices carry
// two, or three for the Iraqi dinar. MRO is Mauritania's ouguiya before
// 2018 (ISO: 2).
var isoNotCLDR = map[string]int32{
	"AFN": 2, "ALL": 2, "AMD": 2, "COP": 2, "GYD": 2, "IDR": 2, "IQD": 3, "IRR": 2,
	"KPW": 2, "LAK": 2, "LBP": 2, "MGA": 2, "MMK": 2, "MNT": 2, "MRO": 2, "MUR": 2,
	"PKR": 2, "RSD": 2, "SLL": 2, "SOS": 2, "SYP": 2, "TZS": 2, "UZS": 2, "YER": 2,
}

// MinorUnits returns the number of decimals of a currency's minor unit
// (ISO 4217): 0 for JPY, 3 for KWD, 2 for EUR. It reads the figures
// golang.org/x/text/currency embeds (CLDR's, currency.Standard), except
// for the currencies listed in isoNotCLDR, where ISO 4217's figure wins.
// A code CLDR does not know (newer than its data, such as MRU or VES, or
// no currency at all) has the usual two decimals.
func MinorUnits(code string) int32 {
	c := code
	if len(c) != 3 || c[0] > 'Z' || c[1] > 'Z' || c[2] > 'Z' {
		c = strings.ToUpper(c)
	}
	if m, ok := isoNotCLDR[c]; ok {
		return m
	}
	u, err := currency.ParseISO(c)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return int32(scale)
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
