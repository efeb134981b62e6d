// Package vatledger holds the rules of the EU distance-selling threshold
// (ventes à distance, Directive 2006/112/EC art. 59c and art. 14(4), the
// One-Stop Shop since 1 July 2021): which orders count, how a merchant's
// ledger of B2C sales to other member states adds up, and when the
// destination country's VAT applies instead of the merchant's own.
//
// The rule, as the law stands: one EU-wide threshold of €10,000 (excluding
// VAT) for the intra-EU B2C distance sales of goods, counted over the
// current and the previous calendar year. When the previous year's total
// exceeded it, or the current year's total exceeds it, the destination's VAT
// applies. Art. 59c says the seller's country applies while the total "does
// not exceed" the threshold: a total of exactly €10,000.00 does not exceed
// it, €10,000.01 does. The supply that takes the total over the threshold
// is itself taxed at destination ("as from that time"; the Commission's
// 2020 explanatory notes on the e-commerce VAT package, §3.4, read it so):
// DistanceSale counts the order being decided.
//
// A seller may opt in to destination taxation (binding for two calendar
// years): from the opt-in's day every such sale is taxed at destination.
//
// Before 2021 each member state had its own threshold (€35,000 for most,
// €100,000 for DE, NL and LU). Settings.CountryThresholds configures such a
// regime per destination: a country listed there is judged on its own
// total against its own threshold, with the same current-or-previous-year
// reading, instead of on the EU-wide total. The EU-wide total counts every
// distance sale, to every destination.
//
// Years are the seller's calendar years (art. 59c counts "the current and
// the preceding calendar year" of the supplier): an order counts in the
// calendar year of its placement in the merchant's time zone (YearIn with
// merchant.Merchant.Location). For a merchant in Paris, an order placed at
// 00:30 on 1 January (23:30 UTC the day before) counts in the new year; one
// placed on 31 December at 23:30 (22:30 UTC) in the year that is ending.
// The day a sale is decided on is the merchant's day (merchant.Today), so
// DistanceSale reads the same years the orders were counted in.
package vatledger

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/tax"
)

// EU is the scope of the EU-wide total, beside the per-country totals.
const EU = "EU"

// DefaultEUThreshold is art. 59c's threshold: €10,000 excluding VAT.
var DefaultEUThreshold = decimal.NewFromInt(10_000)

// ErrConflict is returned when other writers kept changing the ledger
// through every attempt of a write; nothing was written.
var ErrConflict = errors.New("the distance-selling ledger was changed concurrently")

// Settings are a merchant's distance-selling settings.
type Settings struct {
	// EUThreshold is the EU-wide threshold in euros (€10,000 by law).
	EUThreshold decimal.Decimal `json:"euThreshold"`
	// CountryThresholds are per-destination thresholds in euros (the
	// regime before 2021, e.g. BE 35000): a destination listed here is
	// judged on its own total against its own threshold.
	CountryThresholds map[string]decimal.Decimal `json:"countryThresholds,omitempty"`
	// OptIn is the merchant's option for destination taxation, nil when
	// the merchant has not opted in.
	OptIn *OptIn `json:"optIn,omitempty"`
	// Version counts the saves of the settings (optimistic concurrency);
	// 0 for settings never saved.
	Version int64 `json:"version,omitempty"`
}

// OptIn is an option for destination taxation of every distance sale
// (binding for two calendar years, art. 59c(3)).
type OptIn struct {
	// From is the first day the option applies to.
	From time.Time `json:"from"`
	// By names the staff member who recorded it.
	By string `json:"by"`
}

// DefaultSettings are the rule as the law stands: the EU-wide €10,000
// threshold, no per-country threshold, no opt-in.
func DefaultSettings() Settings { return Settings{EUThreshold: DefaultEUThreshold} }

// Bounds of the settings.
const (
	// maxByBytes bounds the name of who opted in.
	maxByBytes = 128
)

// maxThreshold bounds a threshold: a billion euros.
var maxThreshold = decimal.NewFromInt(1_000_000_000)

// ErrInvalidSettings is wrapped by every error of Settings.Validate.
var ErrInvalidSettings = errors.New("invalid distance-selling settings")

// Validate checks the settings: thresholds above zero in euros and cents
// (below a billion), per-country thresholds only for member states, an
// opt-in with its day and who recorded it.
func (s Settings) Validate() error {
	if err := validThreshold(s.EUThreshold); err != nil {
		return fmt.Errorf("%w: euThreshold %s", ErrInvalidSettings, err)
	}
	for _, c := range slices.Sorted(maps.Keys(s.CountryThresholds)) {
		if !InEU(c) {
			return fmt.Errorf("%w: countryThresholds: %q is not a member state (ISO code, GR for Greece)", ErrInvalidSettings, c)
		}
		if err := validThreshold(s.CountryThresholds[c]); err != nil {
			return fmt.Errorf("%w: countryThresholds.%s %s", ErrInvalidSettings, c, err)
		}
	}
	if o := s.OptIn; o != nil {
		switch {
		case o.From.IsZero():
			return fmt.Errorf("%w: optIn.from is missing", ErrInvalidSettings)
		case strings.TrimSpace(o.By) == "" || len(o.By) > maxByBytes:
			return fmt.Errorf("%w: optIn.by must name who opted in (1 to %d bytes)", ErrInvalidSettings, maxByBytes)
		}
	}
	return nil
}

func validThreshold(d decimal.Decimal) error {
	switch {
	case !d.IsPositive():
		return errors.New("must be above zero")
	case !d.Equal(d.Round(2)):
		return errors.New("must be in euros and cents")
	case d.GreaterThanOrEqual(maxThreshold):
		return fmt.Errorf("must be below %s", maxThreshold)
	}
	return nil
}

// threshold returns the scope a destination is judged in and its
// threshold: the country's own when it has one, else the EU-wide one.
func (s Settings) threshold(shipTo string) (scope string, limit decimal.Decimal) {
	if t, ok := s.CountryThresholds[shipTo]; ok {
		return shipTo, t
	}
	return EU, s.EUThreshold
}

// State is a merchant's threshold state as of a day: its settings and its
// totals, net of VAT in euros, per calendar year and per scope (a
// destination country, or EU for the EU-wide total). DistanceSale reads the
// year of its day and the previous one.
type State struct {
	Settings Settings
	Totals   map[int]map[string]decimal.Decimal
}

// Total is the total of a year and scope, zero when none is recorded.
func (s State) Total(year int, scope string) decimal.Decimal {
	return s.Totals[year][scope]
}

// Year is the calendar year of a day given as midnight UTC, the form
// merchant.Today returns the merchant's day in: the year of that day.
func Year(day time.Time) int { return day.UTC().Year() }

// YearIn is the calendar year an instant counts in for a merchant in time
// zone loc: the year of its date there. A nil loc is UTC.
func YearIn(t time.Time, loc *time.Location) int {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Year()
}

// DistanceSale decides whether a B2C sale to shipTo, another member state,
// of orderNetEUR (excluding VAT, in euros) on the day on is taxed at
// destination: when the merchant opted in from that day or earlier; when
// the previous or the current calendar year's total of the sale's scope
// already exceeds its threshold; or when this sale takes the current year's
// total over it (art. 59c, "as from that time"). A total equal to the
// threshold does not exceed it.
func (s State) DistanceSale(shipTo string, orderNetEUR decimal.Decimal, on time.Time) tax.DistanceSale {
	if o := s.Settings.OptIn; o != nil && !day(on).Before(day(o.From)) {
		return tax.DistanceSale{Destination: true, Reason: fmt.Sprintf("opted in to destination taxation from %s (by %s)", o.From.Format(time.DateOnly), o.By)}
	}
	scope, limit := s.Settings.threshold(shipTo)
	what := "EU-wide distance sales"
	if scope != EU {
		what = "distance sales to " + scope
	}
	y := Year(on)
	prev, cur := s.Total(y-1, scope), s.Total(y, scope)
	switch after := cur.Add(orderNetEUR); {
	case prev.GreaterThan(limit):
		return tax.DistanceSale{Destination: true, Reason: fmt.Sprintf("%s of %d, %s, exceeded the %s threshold", what, y-1, EUR(prev), EUR(limit))}
	case cur.GreaterThan(limit):
		return tax.DistanceSale{Destination: true, Reason: fmt.Sprintf("%s of %d, %s, exceed the %s threshold", what, y, EUR(cur), EUR(limit))}
	case after.GreaterThan(limit):
		return tax.DistanceSale{Destination: true, Reason: fmt.Sprintf("%s of %d reach %s with this order, over the %s threshold: taxed at destination from this sale (art. 59c)", what, y, EUR(after), EUR(limit))}
	default:
		return tax.DistanceSale{Reason: fmt.Sprintf("%s of %d, %s with this order, do not exceed the %s threshold", what, y, EUR(after), EUR(limit))}
	}
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Alert tells merchant staff that a total went over its threshold: from
// then on, B2C sales in its scope are taxed at destination. There is one
// per year and scope (its ID), however many orders or workers saw it.
type Alert struct {
	ID        string          `json:"id"`
	At        time.Time       `json:"at"`
	Year      int             `json:"year"`
	Scope     string          `json:"scope"`
	Total     decimal.Decimal `json:"total"`
	Threshold decimal.Decimal `json:"threshold"`
	Text      string          `json:"text"`
}

// AlertID is the id of the alert of a year and scope.
func AlertID(year int, scope string) string { return fmt.Sprintf("%d-%s", year, scope) }

// Exceeded returns an alert, at the instant at, for every total of the
// given years that exceeds its threshold: the EU-wide total against the
// EU-wide threshold, and the total of each country with its own threshold
// against it. The caller keeps the first alert of each ID.
func (s State) Exceeded(at time.Time, years ...int) []Alert {
	var out []Alert
	for _, y := range years {
		scopes := append([]string{EU}, slices.Sorted(maps.Keys(s.Settings.CountryThresholds))...)
		for _, scope := range scopes {
			limit := s.Settings.EUThreshold
			what := "EU-wide distance sales"
			if scope != EU {
				limit, what = s.Settings.CountryThresholds[scope], "Distance sales to "+scope
			}
			total := s.Total(y, scope)
			if !total.GreaterThan(limit) {
				continue
			}
			out = append(out, Alert{
				ID: AlertID(y, scope), At: at, Year: y, Scope: scope, Total: total, Threshold: limit,
				Text: fmt.Sprintf("%s of %d reached %s, over the %s threshold: B2C sales in this scope are taxed at destination from now on, and for the whole of %d (art. 59c).", what, y, EUR(total), EUR(limit), y+1),
			})
		}
	}
	return out
}

// EUR prints an amount in euros for people: "€10,412.50".
func EUR(d decimal.Decimal) string {
	s := money.Round(d, "EUR").StringFixed(2)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + "€" + b.String() + "." + cents
}

// InEU reports whether country is a member state by its ISO 3166-1
// alpha-2 code in upper case, as order events and the ledger's keys write
// it (GR for Greece; EL, its VAT prefix, is not a country code here).
func InEU(country string) bool { return orderevent.ValidCountry(country) && tax.InEU(country) }

// Counts reports whether an order feeds the ledger: a sale to a consumer,
// shipped from one member state to another, each country read as VAT
// reads it (tax.VATCountry: Monaco is France, art. 7 of the Directive, as
// quotes decide). So a sale shipped from Germany to Monaco counts, for
// France; one from France to Monaco is domestic and does not.
func Counts(o orderevent.Order) bool {
	return o.CustomerKind == orderevent.Consumer && tax.BetweenMemberStates(o.ShipFrom, o.ShipTo)
}

// Destination is the member state whose totals an order counts in: its
// ship-to country as VAT reads it (tax.VATCountry: FR for Monaco).
func Destination(o orderevent.Order) string { return tax.VATCountry(o.ShipTo) }
