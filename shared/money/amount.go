package money

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Amount is a sum of money in one currency as the API prints it: a JSON
// string with the currency's minor units ("808.40" in EUR, "808" in JPY,
// "808.400" in KWD), as a buyer's ERP or spreadsheet expects. An amount
// that carries more decimals than the minor unit, such as a unit price of
// "0.3125", keeps them. Arithmetic and comparisons are the embedded
// decimal's.
type Amount struct {
	decimal.Decimal
	// minor is the currency's minor units, the least number of decimals
	// printed.
	minor int32
}

// NewAmount is d printed with at least minorUnits decimals; see
// MinorUnits.
func NewAmount(d decimal.Decimal, minorUnits int32) Amount {
	return Amount{Decimal: d, minor: minorUnits}
}

// AmountIn is d in currency, printed with the currency's minor units.
func AmountIn(d decimal.Decimal, currency string) Amount {
	return NewAmount(d, MinorUnits(currency))
}

// String is the amount with at least its currency's minor units, without
// exponent: "808.40", "0.3125".
func (a Amount) String() string {
	s := a.Decimal.String() // no exponent, no trailing zeros
	decimals, dot := 0, strings.IndexByte(s, '.')
	if dot >= 0 {
		decimals = len(s) - dot - 1
	}
	if decimals >= int(a.minor) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 1 + int(a.minor))
	b.WriteString(s)
	if dot < 0 {
		b.WriteByte('.')
	}
	for range int(a.minor) - decimals {
		b.WriteByte('0')
	}
	return b.String()
}

// MarshalJSON writes the amount as a JSON string; see String.
func (a Amount) MarshalJSON() ([]byte, error) {
	s := a.String()
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}
