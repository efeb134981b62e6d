package tax

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/vat"
)

// RateChange is one entry of the rate table: country's rate for a tax
// category, in percent, for supplies dated From or later (until the next
// change of the same country and category). Merchant staff add them through
// the admin API; the seed is made of them too.
type RateChange struct {
	// Country is an ISO 3166-1 alpha-2 code (GR for Greece; EL is accepted
	// and read as GR).
	Country  string
	Category Category
	// Percent is the rate in percent: 20 for 20 %.
	Percent decimal.Decimal
	// From is the first calendar day the rate applies to. A seed rate whose
	// start is not in the brief has a zero From: it applies to every
	// earlier day.
	From time.Time
	// Seed is true for the rates the product ships with (DefaultRates),
	// false for a merchant's own.
	Seed bool
}

// rateChangeJSON is RateChange's wire form:
// {"country":"BE","category":"standard","percent":"21","from":"2026-01-01"}.
type rateChangeJSON struct {
	Country  string   `json:"country"`
	Category Category `json:"category"`
	Percent  string   `json:"percent"`
	From     string   `json:"from,omitempty"`
	Seed     bool     `json:"seed,omitempty"`
}

// MarshalJSON writes the change with its percent as a plain decimal string
// and From as YYYY-MM-DD (absent for a seed rate without a start date).
func (c RateChange) MarshalJSON() ([]byte, error) {
	w := rateChangeJSON{Country: c.Country, Category: c.Category, Percent: c.Percent.String(), Seed: c.Seed}
	if !c.From.IsZero() {
		w.From = c.From.Format(time.DateOnly)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON writes, with the rules of
// ParseRateChange; the error is an *InvalidRateChange naming the fields.
func (c *RateChange) UnmarshalJSON(b []byte) error {
	var w rateChangeJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	parsed, err := ParseRateChange(w.Country, string(w.Category), w.Percent, w.From)
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// FieldError names one invalid field of a rate change and says why.
type FieldError struct {
	Field  string
	Reason string
}

// InvalidRateChange lists every invalid field of a rate change.
type InvalidRateChange struct {
	Errors []FieldError
}

// Error lists the invalid fields and why.
func (e *InvalidRateChange) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid VAT rate change: " + strings.Join(parts, "; ")
}

func (e *InvalidRateChange) add(field, reason string) {
	e.Errors = append(e.Errors, FieldError{Field: field, Reason: reason})
}

func (e *InvalidRateChange) err() error {
	if len(e.Errors) == 0 {
		return nil
	}
	return e
}

const (
	reasonCountry  = "an ISO 3166-1 alpha-2 country code in upper case, such as FR or GR (EL is read as GR)"
	reasonCategory = "one of standard, intermediate, reduced, super-reduced"
	reasonPercent  = "a percentage from 0 to less than 100 with at most 4 decimals, such as \"5.5\""
	reasonFrom     = "the first day the rate applies, as YYYY-MM-DD"
)

var hundred = decimal.NewFromInt(100)

// Validate checks a merchant's rate change: a known ISO 3166-1 alpha-2
// country (EL accepted for Greece), a known category, 0 ≤ percent < 100
// with at most 4 decimals, and a From day. The error is an
// *InvalidRateChange listing every invalid field.
func (c RateChange) Validate() error {
	var e InvalidRateChange
	if !merchant.KnownCountry(vat.ISOCountry(c.Country)) || c.Country != strings.ToUpper(c.Country) {
		e.add("country", reasonCountry)
	}
	if !c.Category.Valid() {
		e.add("category", reasonCategory)
	}
	if c.Percent.IsNegative() || !c.Percent.LessThan(hundred) || !c.Percent.Round(money.MaxDecimals).Equal(c.Percent) {
		e.add("percent", reasonPercent)
	}
	if c.From.IsZero() {
		e.add("from", reasonFrom)
	}
	return e.err()
}

// ParseRateChange reads a rate change as merchant staff write it: country
// ("BE"; EL is read as GR), category ("reduced"), percent as a plain decimal
// ("5.5", money.ParsePercent's rules, below 100) and from as YYYY-MM-DD.
// The error is an *InvalidRateChange listing every invalid field.
func ParseRateChange(country, category, percent, from string) (RateChange, error) {
	var e InvalidRateChange
	c := RateChange{Country: vat.ISOCountry(country), Category: Category(category)}
	if !merchant.KnownCountry(c.Country) || country != strings.ToUpper(country) {
		e.add("country", reasonCountry)
	}
	if !c.Category.Valid() {
		e.add("category", reasonCategory)
	}
	p, err := money.ParsePercent(percent)
	if err != nil || !p.LessThan(hundred) {
		e.add("percent", reasonPercent)
	}
	c.Percent = p
	day, err := time.Parse(time.DateOnly, from)
	if err != nil || day.IsZero() {
		e.add("from", reasonFrom)
	}
	c.From = day
	if err := e.err(); err != nil {
		return RateChange{}, err
	}
	return c, nil
}

// Valid reports whether c is one of the known tax categories.
func (c Category) Valid() bool {
	switch c {
	case Standard, Intermediate, Reduced, SuperReduced:
		return true
	}
	return false
}

// rateKey identifies one history of the table.
type rateKey struct {
	country  string
	category Category
}

// Rates is a table of VAT rates per country and tax category, each with
// its effective dates. A Rates is never changed once built: With returns
// a new table, so one may be shared by concurrent requests.
type Rates struct {
	// history holds each country and category's rates, oldest first, no
	// two on the same day.
	history map[rateKey][]RateChange
}

// seed is the product's rate table: the EU standard rates (2025) from the
// brief's researched table, with the changes it dates (EE 24 from July
// 2025, FI 25.5 from September 2024, RO 21 from August 2025, SK 23 from
// 2025) and the rate each replaced, and France's four rates. No reduced rate
// of another country is seeded: merchant staff add the ones they need.
var seed = []struct{ country, category, percent, from string }{
	{"AT", "standard", "20", ""}, {"BE", "standard", "21", ""}, {"BG", "standard", "20", ""},
	{"HR", "standard", "25", ""}, {"CY", "standard", "19", ""}, {"CZ", "standard", "21", ""},
	{"DK", "standard", "25", ""},
	{"EE", "standard", "22", ""}, {"EE", "standard", "24", "2025-07-01"},
	{"FI", "standard", "24", ""}, {"FI", "standard", "25.5", "2024-09-01"},
	{"FR", "standard", "20", ""}, {"FR", "intermediate", "10", ""},
	{"FR", "reduced", "5.5", ""}, {"FR", "super-reduced", "2.1", ""},
	{"DE", "standard", "19", ""}, {"GR", "standard", "24", ""}, {"HU", "standard", "27", ""},
	{"IE", "standard", "23", ""}, {"IT", "standard", "22", ""}, {"LV", "standard", "21", ""},
	{"LT", "standard", "21", ""}, {"LU", "standard", "17", ""}, {"MT", "standard", "18", ""},
	{"NL", "standard", "21", ""}, {"PL", "standard", "23", ""}, {"PT", "standard", "23", ""},
	{"RO", "standard", "19", ""}, {"RO", "standard", "21", "2025-08-01"},
	{"SK", "standard", "20", ""}, {"SK", "standard", "23", "2025-01-01"},
	{"SI", "standard", "22", ""}, {"ES", "standard", "21", ""}, {"SE", "standard", "25", ""},
}

var defaultRates = sync.OnceValue(func() *Rates {
	r := &Rates{history: map[rateKey][]RateChange{}}
	for _, s := range seed {
		c := RateChange{Country: s.country, Category: Category(s.category), Percent: decimal.RequireFromString(s.percent), Seed: true}
		if s.from != "" {
			c.From = calendarDay(mustDay(s.from))
		}
		r.put(c)
	}
	return r
})

func mustDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// DefaultRates returns the seed table: the brief's 2025 standard rates of
// the 27 member states with their effective-date history, and France's
// 20 / 10 / 5.5 / 2.1 (standard, intermediate, reduced, super-reduced).
// The table is shared and never changes; With builds a merchant's.
func DefaultRates() *Rates { return defaultRates() }

// put records c in r's history, replacing an entry of the same day.
func (r *Rates) put(c RateChange) {
	k := rateKey{c.Country, c.Category}
	h := r.history[k]
	i, found := slices.BinarySearchFunc(h, c.From, func(e RateChange, t time.Time) int { return e.From.Compare(t) })
	if found {
		h[i] = c
	} else {
		h = slices.Insert(h, i, c)
	}
	r.history[k] = h
}

// With returns a new table: r with the merchant's changes laid over. A
// change applies from its From day: a supply dated that day or later uses
// it, until a later change. A change on the same country, category and day
// as an existing entry replaces it. Changes that do not Validate are left
// out (the admin API validates them before storing them); r is unchanged.
func (r *Rates) With(changes []RateChange) *Rates {
	out := &Rates{history: make(map[rateKey][]RateChange, len(r.history)+len(changes))}
	for k, h := range r.history {
		out.history[k] = slices.Clone(h)
	}
	for _, c := range changes {
		if c.Validate() != nil {
			continue
		}
		c.Country = vat.ISOCountry(c.Country)
		c.From = calendarDay(c.From)
		c.Seed = false
		out.put(c)
	}
	return out
}

// Rate returns country's rate for category on the calendar day of on (in
// on's own location): the entry with the latest From on or before that
// day. ok is false when the table has none. GR and EL both mean Greece.
func (r *Rates) Rate(country string, c Category, on time.Time) (decimal.Decimal, bool) {
	h := r.history[rateKey{vat.ISOCountry(country), c}]
	day := calendarDay(on)
	i, found := slices.BinarySearchFunc(h, day, func(e RateChange, t time.Time) int { return e.From.Compare(t) })
	if found {
		return h[i].Percent, true
	}
	if i == 0 {
		return decimal.Zero, false
	}
	return h[i-1].Percent, true
}

// Changes lists every entry of the table, seed and merchant's, sorted by
// country, category and From: the admin's list of rates.
func (r *Rates) Changes() []RateChange {
	var out []RateChange
	for _, h := range r.history {
		out = append(out, h...)
	}
	slices.SortFunc(out, func(a, b RateChange) int {
		if c := strings.Compare(a.Country, b.Country); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.Category), string(b.Category)); c != 0 {
			return c
		}
		return a.From.Compare(b.From)
	})
	return out
}

// calendarDay is the calendar day of t in t's own location, as midnight UTC.
// The zero time stays zero.
func calendarDay(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// StandardRate returns a country's standard VAT rate on a day in the seed
// table (DefaultRates); ok is false for a country outside the table.
func StandardRate(country string, on time.Time) (decimal.Decimal, bool) {
	return DefaultRates().Rate(country, Standard, on)
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
