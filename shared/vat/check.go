package vat

import (
	"context"
	"time"
)

// Method is how a VAT number was checked.
type Method string

// Check methods.
const (
	// FormatOnly: the country prefix, the national pattern and, where the
	// country publishes one, the check digits. It cannot tell whether the
	// number is registered.
	FormatOnly Method = "format"
	// VIES: the European Commission's online service confirmed (or denied)
	// that the number is registered.
	VIES Method = "vies"
)

// Check is the result of validating a VAT number: when, how, and what it
// said. A customer record keeps the last one.
type Check struct {
	Number string    `json:"number"`
	At     time.Time `json:"at"`
	Method Method    `json:"method"`
	Valid  bool      `json:"valid"`
	// Detail says what was and was not checked, in words.
	Detail string `json:"detail"`
}

// For reports whether the check is about number (both normalized).
func (c *Check) For(number string) bool {
	return c != nil && Normalize(c.Number) == Normalize(number)
}

// Validator checks a VAT number; an online one (VIES) plugs in here.
type Validator interface {
	Validate(ctx context.Context, number string, now time.Time) (Check, error)
}

// Offline is the default validator: it checks the format and the check
// digits only, and says so.
type Offline struct{}

// Validate checks number's format (WellFormed).
func (Offline) Validate(_ context.Context, number string, now time.Time) (Check, error) {
	n := Normalize(number)
	c := Check{Number: n, At: now.UTC(), Method: FormatOnly, Valid: WellFormed(n)}
	if c.Valid {
		c.Detail = "the format and check digits are right; whether the number is registered was not checked (no online validator is configured)"
	} else {
		c.Detail = "not a well-formed EU VAT number: the country prefix (EL for Greece), the national format or the check digits are wrong"
	}
	return c, nil
}
