package money

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// Bounds of the decimals a merchant writes: prices, amount thresholds and
// percentages.
const (
	// MaxDecimals is the most decimals a price, an amount or a percentage
	// may carry.
	MaxDecimals = 4
	// MaxIntegerDigits is the most digits before the decimal point of a
	// price or an amount: below one thousand billion.
	MaxIntegerDigits = 12
)

var (
	hundred = decimal.NewFromInt(100)

	errPlain  = errors.New(`a plain decimal written as a JSON string, such as "12.50": digits, at most one '.', no sign or exponent`)
	errDigits = fmt.Errorf("at most %d digits before the decimal point and %d after it", MaxIntegerDigits, MaxDecimals)
)

// ParsePrice reads a price: a plain decimal above zero ("12.50"), with at
// most MaxDecimals decimals and MaxIntegerDigits digits before the point.
// Exponents ("1e9999"), signs and spaces are refused; the error is a reason
// fit for the merchant.
func ParsePrice(s string) (decimal.Decimal, error) {
	d, err := ParseAmount(s)
	if err == nil && !d.IsPositive() {
		return decimal.Zero, errors.New("a price above zero")
	}
	return d, err
}

// ParseAmount is ParsePrice that also accepts zero, for amount thresholds.
func ParseAmount(s string) (decimal.Decimal, error) {
	intDigits, decimals, ok := PlainDecimal(s)
	switch {
	case !ok:
		return decimal.Zero, errPlain
	case intDigits > MaxIntegerDigits || decimals > MaxDecimals:
		return decimal.Zero, errDigits
	}
	return decimal.RequireFromString(s), nil
}

// ParsePercent reads a percentage from 0 to 100 written as a plain decimal
// ("12.5"), with at most MaxDecimals decimals.
func ParsePercent(s string) (decimal.Decimal, error) {
	intDigits, decimals, ok := PlainDecimal(s)
	switch {
	case !ok:
		return decimal.Zero, errPlain
	case intDigits > 3 || decimals > MaxDecimals:
		return decimal.Zero, fmt.Errorf("a percentage from 0 to 100 with at most %d decimals", MaxDecimals)
	}
	d := decimal.RequireFromString(s)
	if d.GreaterThan(hundred) {
		return decimal.Zero, errors.New("a percentage from 0 to 100")
	}
	return d, nil
}

// PlainDecimal reports whether s is digits, optionally followed by a point
// and more digits (no sign, no exponent, no spaces), and how many digits
// stand on each side of the point.
func PlainDecimal(s string) (intDigits, decimals int, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits = i
	if intDigits == 0 {
		return 0, 0, false
	}
	if i == len(s) {
		return intDigits, 0, true
	}
	if s[i] != '.' {
		return 0, 0, false
	}
	i++
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	decimals = i - start
	if decimals == 0 || i != len(s) {
		return 0, 0, false
	}
	return intDigits, decimals, true
}
