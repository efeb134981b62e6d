// Package fx holds exchange rates ("taux de change") and converts amounts
// between currencies. Rates are the European Central Bank's reference rates,
// quoted as 1 EUR = x units of a currency, imported from the ECB's own file
// (see ParseECB) or set by merchant staff.
//
// # Pivot and precision
//
// Every conversion goes through the euro: the rate from currency A to
// currency B is PerEUR[B] / PerEUR[A] (the euro itself is 1). Rate rounds
// that ratio half-up to RateDecimals decimals. Convert multiplies before it
// divides, amount × PerEUR[B] / PerEUR[A], and rounds the one division to
// RateDecimals decimals: the result is exact to 10⁻¹⁰ of a unit, never a
// float. Callers round to the target currency's minor units with
// money.Round (ToEUR does so for euros).
//
// The package knows nothing of HTTP or storage.
package fx

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/money"
)

// EUR is the pivot currency: every rate is 1 EUR = x units.
const EUR = "EUR"

// Sources of a day's rates.
const (
	// SourceECB: imported from the ECB's reference rates file.
	SourceECB = "ecb"
	// SourceStaff: set by merchant staff.
	SourceStaff = "staff"
)

// Bounds of a day's rates and of a rate.
const (
	// RateDecimals is the precision of Rate and Convert: results are
	// rounded half-up to this many decimals.
	RateDecimals = 10
	// MaxCurrencies is the most currencies one day may quote (the ECB
	// quotes about thirty).
	MaxCurrencies = 40
	// MaxRateIntegerDigits and MaxRateDecimals bound a rate as written:
	// the ECB writes at most six significant digits (1.0823, 161.63,
	// 17580.48, 0.84153).
	MaxRateIntegerDigits = 9
	MaxRateDecimals      = 10
)

// ErrNoRates is returned when no exchange rates are known for the day
// asked (none on or before it), or a file holds none.
var ErrNoRates = errors.New("no exchange rates")

// Rates are one day's reference rates: 1 EUR = PerEUR[c] units of c.
type Rates struct {
	// Date is the day the rates were published (midnight UTC).
	Date time.Time
	// PerEUR maps an ISO 4217 code to the units of it one euro buys. The
	// euro itself is implied (1) and never listed.
	PerEUR map[string]decimal.Decimal
	// Source is SourceECB or SourceStaff.
	Source string
}

// perEUR is the number of units of c one euro buys, 1 for the euro.
func (r Rates) perEUR(c string) (decimal.Decimal, bool) {
	if c == EUR {
		return decimal.NewFromInt(1), true
	}
	d, ok := r.PerEUR[c]
	if !ok || !d.IsPositive() {
		return decimal.Zero, false
	}
	return d, true
}

// Rate is the rate from one currency to another: 1 from = Rate to,
// PerEUR[to] / PerEUR[from] rounded half-up to RateDecimals decimals.
// ok is false when either currency has no rate that day. A currency's rate
// to itself is 1.
func (r Rates) Rate(from, to string) (decimal.Decimal, bool) {
	if from == to && money.ValidCurrency(from) {
		return decimal.NewFromInt(1), true
	}
	f, ok := r.perEUR(from)
	if !ok {
		return decimal.Zero, false
	}
	t, ok := r.perEUR(to)
	if !ok {
		return decimal.Zero, false
	}
	if from == EUR {
		return t, true
	}
	return t.DivRound(f, RateDecimals), true
}

// Convert converts an amount of from into to: amount × PerEUR[to] /
// PerEUR[from], rounded half-up to RateDecimals decimals, not to the
// currency's minor units (see money.Round). ok is false when either
// currency has no rate that day.
func (r Rates) Convert(amount decimal.Decimal, from, to string) (decimal.Decimal, bool) {
	if from == to && money.ValidCurrency(from) {
		return amount, true
	}
	f, ok := r.perEUR(from)
	if !ok {
		return decimal.Zero, false
	}
	t, ok := r.perEUR(to)
	if !ok {
		return decimal.Zero, false
	}
	return amount.Mul(t).DivRound(f, RateDecimals), true
}

// ToEUR is an amount of currency in euros, rounded half-up to the cent:
// what an invoice in another currency states as its VAT in euros. ok is
// false when the currency has no rate that day.
func (r Rates) ToEUR(amount decimal.Decimal, currency string) (decimal.Decimal, bool) {
	d, ok := r.Convert(amount, currency, EUR)
	if !ok {
		return decimal.Zero, false
	}
	return money.Round(d, EUR), true
}

// Currencies are the currencies quoted that day, sorted, the euro aside.
func (r Rates) Currencies() []string {
	return slices.Sorted(maps.Keys(r.PerEUR))
}

// Day is the calendar day of t, at midnight UTC: the key of a day's rates.
// The ECB publishes its rates for a day in Frankfurt; they are filed under
// that day's date, whatever the time zone of the order.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Validate checks a day's rates: a day, a known source, from 1 to
// MaxCurrencies ISO 4217 currencies in use (not the euro), each with a
// rate above zero of at most MaxRateIntegerDigits digits before the point
// and MaxRateDecimals after it. The error names the first currency at
// fault.
func (r Rates) Validate() error {
	switch {
	case r.Date.IsZero():
		return errors.New("exchange rates without a date")
	case r.Source != SourceECB && r.Source != SourceStaff:
		return fmt.Errorf("exchange rates of unknown source %q", r.Source)
	case len(r.PerEUR) == 0:
		return errors.New("no rate: at least one currency")
	case len(r.PerEUR) > MaxCurrencies:
		return fmt.Errorf("%d currencies: at most %d", len(r.PerEUR), MaxCurrencies)
	}
	for _, c := range r.Currencies() {
		if err := checkCurrency(c); err != nil {
			return err
		}
		if err := checkRate(c, r.PerEUR[c]); err != nil {
			return err
		}
	}
	return nil
}

// checkCurrency refuses the euro and anything that is not an ISO 4217
// currency in use.
func checkCurrency(c string) error {
	switch {
	case c == EUR:
		return errors.New("EUR is the pivot (1 EUR = x units): it has no rate")
	case !money.ValidCurrency(c):
		return fmt.Errorf("%s is not an ISO 4217 currency in use", printable(c))
	}
	return nil
}

// checkRate bounds a parsed rate.
func checkRate(c string, d decimal.Decimal) error {
	limit := decimal.New(1, MaxRateIntegerDigits)
	switch {
	case !d.IsPositive():
		return fmt.Errorf("rate of %s is %s: a rate is above zero", c, d)
	case !d.LessThan(limit) || d.Exponent() < -MaxRateDecimals:
		return fmt.Errorf("rate of %s: at most %d digits before the decimal point and %d after it", c, MaxRateIntegerDigits, MaxRateDecimals)
	}
	return nil
}

// ParseRate reads the rate of currency c as written in a file or by staff:
// a plain decimal above zero ("1.0823"), at most MaxRateIntegerDigits
// digits before the point and MaxRateDecimals after it; no sign, exponent
// or spaces. The error names the currency.
func ParseRate(c, s string) (decimal.Decimal, error) {
	intDigits, decimals, ok := money.PlainDecimal(s)
	switch {
	case !ok:
		return decimal.Zero, fmt.Errorf("rate of %s is %q: a plain decimal such as \"1.0823\" (digits, at most one '.', no sign or exponent)", c, clip(s))
	case intDigits > MaxRateIntegerDigits || decimals > MaxRateDecimals:
		return decimal.Zero, fmt.Errorf("rate of %s: at most %d digits before the decimal point and %d after it", c, MaxRateIntegerDigits, MaxRateDecimals)
	}
	d := decimal.RequireFromString(s)
	if !d.IsPositive() {
		return decimal.Zero, fmt.Errorf("rate of %s is %s: a rate is above zero", c, s)
	}
	return d, nil
}

// clip bounds what an error echoes of the input.
func clip(s string) string {
	const most = 32
	if len(s) > most {
		return s[:most] + "…"
	}
	return s
}

// printable is a currency code fit to echo: quoted when it is not three
// upper-case letters, and clipped.
func printable(c string) string {
	if len(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' && c[2] <= 'Z' {
		return c
	}
	return fmt.Sprintf("%q", clip(c))
}
