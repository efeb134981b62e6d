// Package orderevent is the order event schema: what the checkout (and the
// order back office) emits when an order is placed or cancelled, and what
// the workers that follow orders (the vat-threshold worker first) read.
//
// The wire format is published as a JSON Schema in
// docs/events/order-event.v1.schema.json and described in docs/events.md.
// An event names its schema and version; additive changes (a new optional
// field) keep version 1, and readers ignore fields they do not know. A
// breaking change makes version 2, and Parse then accepts both versions for
// as long as emitters of version 1 may still have messages in flight.
package orderevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
)

// Schema is the name every order event carries in its "schema" field.
const Schema = "comptoir.order-event"

// Version is the version of the schema this package writes and reads.
const Version = 1

// Versions are the schema versions Parse accepts.
var Versions = []int{1}

// MaxBytes bounds the size of one event: well above any real order event,
// and far below an SQS message's 256 KB.
const MaxBytes = 16 << 10

// Type is what happened to the order.
type Type string

// Event types.
const (
	// Placed: the order was placed (the checkout confirmed it).
	Placed Type = "order.placed"
	// Cancelled: the order was cancelled; it no longer counts.
	Cancelled Type = "order.cancelled"
)

// CustomerKind says who bought: a professional or a consumer.
type CustomerKind string

// Customer kinds.
const (
	// Pro is a professional buyer (B2B).
	Pro CustomerKind = "pro"
	// Consumer is a private buyer (B2C, "particulier").
	Consumer CustomerKind = "consumer"
)

// Event is one order event. Its ID is unique per event (a retry of the
// same event keeps it); Order.ID is the business key: one order has one
// placement and at most one cancellation.
type Event struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	// ID identifies the event itself (1 to 64 bytes, no '#' or spaces).
	ID       string      `json:"id"`
	Type     Type        `json:"type"`
	Merchant merchant.ID `json:"merchant"`
	// OccurredAt is when the placement or the cancellation happened.
	OccurredAt time.Time `json:"occurredAt"`
	Order      Order     `json:"order"`
}

// Order is what an event says of its order. A cancellation carries the
// order as it was placed.
type Order struct {
	// ID is the order number (1 to 64 bytes, no '#' or spaces).
	ID string `json:"id"`
	// PlacedAt is when the order was placed, an instant: the ledger counts
	// the order in its calendar year in the merchant's time zone
	// (vatledger.YearIn).
	PlacedAt     time.Time    `json:"placedAt"`
	Customer     string       `json:"customer"`
	CustomerKind CustomerKind `json:"customerKind"`
	// ShipFrom and ShipTo are ISO 3166-1 alpha-2 countries (GR for Greece):
	// where the goods leave from and where they are delivered.
	ShipFrom string `json:"shipFrom"`
	ShipTo   string `json:"shipTo"`
	// Currency is the order's ISO 4217 currency; Net, VAT and Gross are in
	// it (Gross = Net + VAT).
	Currency string          `json:"currency"`
	Net      decimal.Decimal `json:"net"`
	VAT      decimal.Decimal `json:"vat"`
	Gross    decimal.Decimal `json:"gross"`
	// ExchangeRate is the ECB reference rate the order was converted with
	// (1 EUR = Rate units of Currency); nil for an order in euros.
	ExchangeRate *ExchangeRate `json:"exchangeRate,omitempty"`
	// NetEUR is the amount excluding VAT in euros: Net for an order in
	// euros, else Net ÷ Rate rounded to the cent.
	NetEUR decimal.Decimal `json:"netEUR"`
}

// ExchangeRate is a reference rate and the day it was published for.
type ExchangeRate struct {
	// Rate is how many units of the order's currency one euro buys.
	Rate decimal.Decimal `json:"rate"`
	// Date is the publication day (YYYY-MM-DD on the wire).
	Date time.Time `json:"date"`
}

// MarshalJSON writes the day as YYYY-MM-DD and the rate as a string.
func (r ExchangeRate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Rate string `json:"rate"`
		Date string `json:"date"`
	}{r.Rate.String(), r.Date.Format(time.DateOnly)})
}

// ErrInvalid is wrapped by every error Parse returns for an event that does
// not follow the schema.
var ErrInvalid = errors.New("invalid order event")

// wire is the event as it travels: amounts and times as strings, checked
// one by one by Parse.
type wire struct {
	Schema     *string `json:"schema"`
	Version    *int    `json:"version"`
	ID         *string `json:"id"`
	Type       *string `json:"type"`
	Merchant   *string `json:"merchant"`
	OccurredAt *string `json:"occurredAt"`
	Order      *struct {
		ID           *string `json:"id"`
		PlacedAt     *string `json:"placedAt"`
		Customer     *string `json:"customer"`
		CustomerKind *string `json:"customerKind"`
		ShipFrom     *string `json:"shipFrom"`
		ShipTo       *string `json:"shipTo"`
		Currency     *string `json:"currency"`
		Net          *string `json:"net"`
		VAT          *string `json:"vat"`
		Gross        *string `json:"gross"`
		ExchangeRate *struct {
			Rate *string `json:"rate"`
			Date *string `json:"date"`
		} `json:"exchangeRate"`
		NetEUR *string `json:"netEUR"`
	} `json:"order"`
}

// Parse reads and validates one event: the schema name and a version it
// knows, bounded ids, known types, RFC 3339 times, ISO countries and
// currencies, plain-decimal amounts (money.ParseAmount: no sign, no
// exponent, at most 4 decimals) with Gross = Net + VAT, an exchange rate
// exactly when the currency is not the euro, and NetEUR agreeing with Net
// (equal in euros, within a cent of Net ÷ Rate otherwise). Unknown fields
// are ignored (additive changes keep the version). Every error wraps
// ErrInvalid.
func Parse(b []byte) (Event, error) {
	if len(b) > MaxBytes {
		return Event{}, invalid("%d bytes, more than %d", len(b), MaxBytes)
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return Event{}, invalid("not a JSON object of the schema: %v", err)
	}
	p := &parser{}
	ev := Event{
		Schema:   p.str("schema", w.Schema),
		ID:       p.id("id", w.ID),
		Type:     Type(p.str("type", w.Type)),
		Merchant: merchant.ID(p.id("merchant", w.Merchant)),
	}
	if p.err == nil && ev.Schema != Schema {
		p.fail("schema %q is not %q", ev.Schema, Schema)
	}
	switch {
	case p.err != nil:
	case w.Version == nil:
		p.fail("version is missing")
	case !knownVersion(*w.Version):
		p.fail("version %d is not one of %v", *w.Version, Versions)
	default:
		ev.Version = *w.Version
	}
	if p.err == nil && ev.Type != Placed && ev.Type != Cancelled {
		p.fail("type %q is neither %q nor %q", ev.Type, Placed, Cancelled)
	}
	ev.OccurredAt = p.time("occurredAt", w.OccurredAt)
	if p.err == nil && w.Order == nil {
		p.fail("order is missing")
	}
	if p.err != nil {
		return Event{}, p.err
	}
	o := w.Order
	ev.Order = Order{
		ID:           p.id("order.id", o.ID),
		PlacedAt:     p.time("order.placedAt", o.PlacedAt),
		Customer:     p.id("order.customer", o.Customer),
		CustomerKind: CustomerKind(p.str("order.customerKind", o.CustomerKind)),
		ShipFrom:     p.country("order.shipFrom", o.ShipFrom),
		ShipTo:       p.country("order.shipTo", o.ShipTo),
		Currency:     p.str("order.currency", o.Currency),
		Net:          p.amount("order.net", o.Net),
		VAT:          p.amount("order.vat", o.VAT),
		Gross:        p.amount("order.gross", o.Gross),
		NetEUR:       p.amount("order.netEUR", o.NetEUR),
	}
	if p.err != nil {
		return Event{}, p.err
	}
	ord := &ev.Order
	switch {
	case ord.CustomerKind != Pro && ord.CustomerKind != Consumer:
		p.fail("order.customerKind %q is neither %q nor %q", ord.CustomerKind, Pro, Consumer)
	case !money.ValidCurrency(ord.Currency):
		p.fail("order.currency %q is not an ISO 4217 currency in use", truncate(ord.Currency))
	case !ord.Net.Add(ord.VAT).Equal(ord.Gross):
		p.fail("order.gross %s is not order.net %s + order.vat %s", ord.Gross, ord.Net, ord.VAT)
	}
	if p.err != nil {
		return Event{}, p.err
	}
	if ord.Currency == "EUR" {
		switch {
		case o.ExchangeRate != nil:
			p.fail("order.exchangeRate is set for an order in euros")
		case !ord.NetEUR.Equal(ord.Net):
			p.fail("order.netEUR %s is not order.net %s of an order in euros", ord.NetEUR, ord.Net)
		}
		return ev, p.err
	}
	if o.ExchangeRate == nil {
		return Event{}, invalid("order.exchangeRate is missing for an order in %s", ord.Currency)
	}
	rate := &ExchangeRate{Rate: p.rate("order.exchangeRate.rate", o.ExchangeRate.Rate)}
	if p.err == nil {
		rate.Date = p.day("order.exchangeRate.date", o.ExchangeRate.Date)
	}
	if p.err != nil {
		return Event{}, p.err
	}
	ord.ExchangeRate = rate
	converted := ord.Net.DivRound(rate.Rate, 10)
	if ord.NetEUR.Sub(converted).Abs().GreaterThan(cent) {
		return Event{}, invalid("order.netEUR %s is not order.net %s ÷ %s (%s)", ord.NetEUR, ord.Net, rate.Rate, money.Round(converted, "EUR"))
	}
	return ev, nil
}

var cent = decimal.New(1, -2)

// Years an event's times may fall in: four-digit years, so that keys built
// from them sort.
const (
	minYear = 2000
	maxYear = 9999
)

func knownVersion(v int) bool {
	for _, k := range Versions {
		if v == k {
			return true
		}
	}
	return false
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// parser reads fields and keeps the first error.
type parser struct{ err error }

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = invalid(format, args...)
	}
}

func (p *parser) str(name string, s *string) string {
	if p.err != nil {
		return ""
	}
	if s == nil || *s == "" {
		p.fail("%s is missing", name)
		return ""
	}
	return *s
}

// id reads an identifier that may become a key part: 1 to 64 bytes of
// printable characters without spaces, '#' or '/' (catalog.ValidID).
func (p *parser) id(name string, s *string) string {
	v := p.str(name, s)
	if p.err == nil && !catalog.ValidID(v) {
		p.fail("%s %q is not 1 to 64 printable bytes without spaces, '#' or '/'", name, truncate(v))
	}
	return v
}

func (p *parser) time(name string, s *string) time.Time {
	v := p.str(name, s)
	if p.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || len(v) > 40 {
		p.fail("%s %q is not an RFC 3339 time", name, truncate(v))
		return time.Time{}
	}
	if y := t.UTC().Year(); y < minYear || y > maxYear {
		p.fail("%s %q is not between the years %d and %d", name, v, minYear, maxYear)
	}
	return t
}

func (p *parser) day(name string, s *string) time.Time {
	v := p.str(name, s)
	if p.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		p.fail("%s %q is not a day (YYYY-MM-DD)", name, truncate(v))
	}
	return t
}

// country reads an ISO 3166-1 alpha-2 country code, upper case.
func (p *parser) country(name string, s *string) string {
	v := p.str(name, s)
	if p.err == nil && !ValidCountry(v) {
		p.fail("%s %q is not an ISO 3166-1 alpha-2 country (GR for Greece)", name, truncate(v))
	}
	return v
}

func (p *parser) amount(name string, s *string) decimal.Decimal {
	v := p.str(name, s)
	if p.err != nil {
		return decimal.Zero
	}
	d, err := money.ParseAmount(v)
	if err != nil {
		p.fail("%s %q: %v", name, truncate(v), err)
	}
	return d
}

// Bounds of an exchange rate: ECB rates run from 0.3 (KWD) to about 20,000
// (IDR), with up to 5 significant digits.
const (
	maxRateIntDigits = 7
	maxRateDecimals  = 10
)

func (p *parser) rate(name string, s *string) decimal.Decimal {
	v := p.str(name, s)
	if p.err != nil {
		return decimal.Zero
	}
	intPart, frac, hasPoint := strings.Cut(v, ".")
	if !digits(intPart) || hasPoint && !digits(frac) || len(intPart) > maxRateIntDigits || len(frac) > maxRateDecimals {
		p.fail("%s %q is not a plain decimal with at most %d digits before the point and %d after it", name, truncate(v), maxRateIntDigits, maxRateDecimals)
		return decimal.Zero
	}
	d := decimal.RequireFromString(v)
	if !d.IsPositive() {
		p.fail("%s is zero", name)
	}
	return d
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidCountry reports whether c is an ISO 3166-1 alpha-2 country code in
// use, in upper case (merchant.KnownCountry): GR for Greece, not EL (its
// VAT prefix), not UK (GB), not a grouping such as EU.
func ValidCountry(c string) bool { return merchant.KnownCountry(c) }

// truncate bounds what an error echoes of the input.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// Marshal writes e in the schema's wire form: the schema name and version
// set, amounts as plain decimal strings, times in RFC 3339.
func Marshal(e Event) ([]byte, error) {
	e.Schema, e.Version = Schema, Version
	type order struct {
		ID           string        `json:"id"`
		PlacedAt     string        `json:"placedAt"`
		Customer     string        `json:"customer"`
		CustomerKind CustomerKind  `json:"customerKind"`
		ShipFrom     string        `json:"shipFrom"`
		ShipTo       string        `json:"shipTo"`
		Currency     string        `json:"currency"`
		Net          string        `json:"net"`
		VAT          string        `json:"vat"`
		Gross        string        `json:"gross"`
		ExchangeRate *ExchangeRate `json:"exchangeRate,omitempty"`
		NetEUR       string        `json:"netEUR"`
	}
	o := e.Order
	mu := money.MinorUnits(o.Currency)
	return json.Marshal(struct {
		Schema     string      `json:"schema"`
		Version    int         `json:"version"`
		ID         string      `json:"id"`
		Type       Type        `json:"type"`
		Merchant   merchant.ID `json:"merchant"`
		OccurredAt string      `json:"occurredAt"`
		Order      order       `json:"order"`
	}{e.Schema, e.Version, e.ID, e.Type, e.Merchant, e.OccurredAt.Format(time.RFC3339Nano), order{
		ID: o.ID, PlacedAt: o.PlacedAt.Format(time.RFC3339Nano), Customer: o.Customer, CustomerKind: o.CustomerKind,
		ShipFrom: o.ShipFrom, ShipTo: o.ShipTo, Currency: o.Currency,
		Net: amountText(o.Net, mu), VAT: amountText(o.VAT, mu), Gross: amountText(o.Gross, mu),
		ExchangeRate: o.ExchangeRate, NetEUR: amountText(o.NetEUR, 2),
	}})
}

// amountText prints d with at least minorUnits decimals, never dropping
// one it has.
func amountText(d decimal.Decimal, minorUnits int32) string {
	if d.Equal(d.Round(minorUnits)) {
		return d.StringFixed(minorUnits)
	}
	return d.String()
}
