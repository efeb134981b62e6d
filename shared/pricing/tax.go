package pricing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// TaxSource is the port through which a quote reads its tax inputs: the
// merchant (whose Country is the seller's, for VAT), the VAT rates, the
// distance-selling threshold state and the exchange rates. Merchant, Rates
// and ExchangeRates are meant to be cached per function (a warm function
// reads none of them); VATState is read for a consumer's goods shipped to
// another member state only.
type TaxSource interface {
	// Merchant returns the merchant's record.
	Merchant(ctx context.Context, m merchant.ID) (merchant.Merchant, error)
	// Rates returns the VAT rates: the seed and the merchant's changes.
	Rates(ctx context.Context, m merchant.ID) (*tax.Rates, error)
	// VATState returns the merchant's distance-selling state on a day.
	VATState(ctx context.Context, m merchant.ID, on time.Time) (vatledger.State, error)
	// ExchangeRates returns the latest rates on or before day, or an error
	// wrapping fx.ErrNoRates.
	ExchangeRates(ctx context.Context, m merchant.ID, day time.Time) (fx.Rates, error)
}

// RatesReader reads a merchant's VAT rates.
type RatesReader interface {
	Rates(ctx context.Context, m merchant.ID) (*tax.Rates, error)
}

// LedgerReader reads a merchant's distance-selling state.
type LedgerReader interface {
	State(ctx context.Context, m merchant.ID, on time.Time) (vatledger.State, error)
}

// DisplayLedger is a LedgerReader that keeps each merchant's
// distance-selling state of a day in memory for TTL: for a display only
// (the catalog's VAT-inclusive prices, shown to every cross-border
// consumer), so that catalog pages do not read the merchant's hot ledger
// partition on every view. The state shown may lag the ledger by TTL; a
// quote, and so the checkout, reads the ledger fresh (TaxInputs.Ledger
// without this cache). One entry per merchant: the state of the latest day
// asked. The state returned is shared: never change it. Safe for
// concurrent use; zero TTL reads through.
type DisplayLedger struct {
	Ledger LedgerReader
	TTL    time.Duration
	// Now is the clock of the entries' expiry; nil is time.Now.
	Now func() time.Time

	mu     sync.Mutex
	states map[merchant.ID]displayState
}

type displayState struct {
	day     time.Time
	state   vatledger.State
	expires time.Time
}

var _ LedgerReader = (*DisplayLedger)(nil)

// State returns the merchant's state on the calendar day of on: from
// memory when read less than TTL ago for that day, else from Ledger.
func (d *DisplayLedger) State(ctx context.Context, m merchant.ID, on time.Time) (vatledger.State, error) {
	y, mo, dd := on.Date()
	day := time.Date(y, mo, dd, 0, 0, 0, 0, time.UTC)
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	d.mu.Lock()
	e, ok := d.states[m]
	d.mu.Unlock()
	if ok && e.day.Equal(day) && now().Before(e.expires) {
		return e.state, nil
	}
	st, err := d.Ledger.State(ctx, m, on)
	if err != nil || d.TTL <= 0 {
		return st, err
	}
	d.mu.Lock()
	if d.states == nil {
		d.states = map[merchant.ID]displayState{}
	}
	d.states[m] = displayState{day: day, state: st, expires: now().Add(d.TTL)}
	d.mu.Unlock()
	return st, nil
}

// ExchangeRatesReader reads a merchant's exchange rates of a day.
type ExchangeRatesReader interface {
	On(ctx context.Context, m merchant.ID, day time.Time) (fx.Rates, error)
}

// TaxInputs is a TaxSource assembled from its stores. Merchants is
// required; without TaxRates the seed rates apply (tax.DefaultRates), without
// Ledger the default settings and no sales (below the threshold, not opted
// in), without FX no exchange rates are known.
type TaxInputs struct {
	Merchants merchant.Reader
	TaxRates  RatesReader
	Ledger    LedgerReader
	FX        ExchangeRatesReader
}

var _ TaxSource = TaxInputs{}

// Merchant reads the merchant through Merchants.
func (t TaxInputs) Merchant(ctx context.Context, m merchant.ID) (merchant.Merchant, error) {
	if t.Merchants == nil {
		return merchant.Merchant{}, errors.New("no merchant store configured for tax")
	}
	return t.Merchants.Merchant(ctx, m)
}

// Rates reads the rates through TaxRates, else the seed.
func (t TaxInputs) Rates(ctx context.Context, m merchant.ID) (*tax.Rates, error) {
	if t.TaxRates == nil {
		return tax.DefaultRates(), nil
	}
	return t.TaxRates.Rates(ctx, m)
}

// VATState reads the ledger's state, else the default settings and no
// sales.
func (t TaxInputs) VATState(ctx context.Context, m merchant.ID, on time.Time) (vatledger.State, error) {
	if t.Ledger == nil {
		return vatledger.State{Settings: vatledger.DefaultSettings()}, nil
	}
	return t.Ledger.State(ctx, m, on)
}

// ExchangeRates reads the day's rates through FX, else fx.ErrNoRates.
func (t TaxInputs) ExchangeRates(ctx context.Context, m merchant.ID, day time.Time) (fx.Rates, error) {
	if t.FX == nil {
		return fx.Rates{}, fx.ErrNoRates
	}
	return t.FX.On(ctx, m, day)
}

// Errors of a quote's tax; the HTTP layer maps them to problems.
var (
	// ErrUnknownAddress is a ship-to that is not one of the customer's
	// delivery addresses (customer.ErrUnknownAddress).
	ErrUnknownAddress = customer.ErrUnknownAddress
	// ErrNoExchangeRate: a quote in another currency than the euro needs
	// the day's rate of that currency (its VAT is stated in euros too, and
	// a distance sale is counted in euros), and none is known.
	ErrNoExchangeRate = errors.New("no exchange rate")
)

// Line error codes of the tax.
const (
	// ErrNoTaxRate: the country whose VAT applies has no rate for the
	// product's tax category on the quote's day; merchant staff must set
	// one.
	ErrNoTaxRate = "no-tax-rate"
	// ErrTaxSituation: the line's VAT cannot be decided (an unknown tax
	// category, a ship-to country that is not an ISO 3166-1 code, a
	// merchant outside the EU).
	ErrTaxSituation = "no-tax-decision"
)

// ShipTo is where a quote's goods go.
type ShipTo struct {
	// AddressID is the customer's delivery address; empty for the account
	// address or a quote without a customer.
	AddressID string `json:"addressId,omitempty"`
	// Country is the delivery country (ISO 3166-1 alpha-2).
	Country string `json:"country"`
}

// ExchangeRate is the rate a quote in another currency than the euro
// states: 1 EUR = Rate units of the quote's currency, published on Date.
type ExchangeRate struct {
	Rate decimal.Decimal `json:"rate"`
	Date time.Time       `json:"date"`
}

// QuoteTax is a quote's VAT: the ship-to and the buyer it was decided for,
// each line's VAT (the index of Quote.Lines) and the totals per rate, then
// HT, VAT and TTC, all in the quote's currency. A quote in another currency
// than the euro also states its exchange rate and its VAT in euros.
type QuoteTax struct {
	ShipTo ShipTo
	Buyer  tax.Buyer
	// Seller is the merchant's country.
	Seller string
	// PricesIncludeTax is the display rule for the buyer
	// (tax.PricesIncludeTax): TTC for consumers, HT for pros.
	PricesIncludeTax bool
	Lines            []tax.LineTax
	Summary          tax.Summary
	// ExchangeRate and VATEUR are set for a quote in another currency.
	ExchangeRate *ExchangeRate
	VATEUR       *decimal.Decimal
	// NetEUR is the quote's net amount in euros, as a distance sale counts
	// it.
	NetEUR decimal.Decimal
}

// taxInputs are what a quote's tax needs, read beside the tariff.
type taxInputs struct {
	seller   merchant.Merchant
	rates    *tax.Rates
	fx       *fx.Rates
	fxErr    error
	ledger   *vatledger.State
	buyer    tax.Buyer
	shipTo   ShipTo
	shipErr  error
	customer bool
}

// crossBorderConsumer reports whether the buyer is a consumer whose goods
// go from the seller's member state to another one: the only case that
// needs the distance-selling state.
func crossBorderConsumer(b tax.Buyer, seller, shipTo string) bool {
	return !b.Pro && tax.BetweenMemberStates(seller, shipTo)
}

// shipTo is where goods go for c and addressID: the delivery address
// (customer.Customer.Delivery), its country, else the account's country.
// Without a customer (list prices), the goods stay in the seller's country.
func shipTo(c customer.Customer, hasCustomer bool, addressID, seller string) (ShipTo, error) {
	if !hasCustomer {
		return ShipTo{Country: strings.ToUpper(seller)}, nil
	}
	d, err := c.Delivery(addressID)
	if err != nil {
		return ShipTo{}, err
	}
	country := d.Country
	if country == "" {
		country = c.Country
	}
	return ShipTo{AddressID: d.ID, Country: strings.ToUpper(country)}, nil
}

// buyerOf is the buyer the tax engine sees: the customer, or for a quote
// without a customer (merchant staff's list prices) a pro.
func buyerOf(c customer.Customer, hasCustomer bool) tax.Buyer {
	if !hasCustomer {
		return tax.Buyer{Pro: true}
	}
	return c.TaxBuyer()
}

// applyTax decides each valid line's VAT and totals them. A line whose VAT
// cannot be decided gets a line error (ErrNoTaxRate, ErrTaxSituation), which
// makes the quote invalid. It returns ErrNoExchangeRate for a quote in
// another currency than the euro without the day's rate.
func applyTax(q *Quote, products map[string]catalog.Product, in QuoteInput, ti taxInputs) (*QuoteTax, error) {
	qt := &QuoteTax{ShipTo: ti.shipTo, Buyer: ti.buyer, Seller: strings.ToUpper(ti.seller.Country),
		PricesIncludeTax: tax.PricesIncludeTax(ti.buyer), Lines: make([]tax.LineTax, len(q.Lines))}
	currency := q.Currency
	qt.NetEUR = q.Total.Decimal
	if currency != fx.EUR {
		if ti.fx == nil {
			err := ti.fxErr
			if err == nil {
				err = fx.ErrNoRates
			}
			return nil, fmt.Errorf("%w: 1 EUR in %s on %s: %w", ErrNoExchangeRate, currency, in.Date.Format(time.DateOnly), err)
		}
		rate, ok := ti.fx.Rate(fx.EUR, currency)
		net, ok2 := ti.fx.ToEUR(q.Total.Decimal, currency)
		if !ok || !ok2 {
			return nil, fmt.Errorf("%w: the rates of %s hold no %s", ErrNoExchangeRate, ti.fx.Date.Format(time.DateOnly), currency)
		}
		qt.ExchangeRate = &ExchangeRate{Rate: rate, Date: ti.fx.Date}
		qt.NetEUR = net
	}
	sit := tax.Situation{Seller: qt.Seller, ShipTo: qt.ShipTo.Country, Buyer: ti.buyer, Date: in.Date}
	if ti.ledger != nil && crossBorderConsumer(ti.buyer, qt.Seller, qt.ShipTo.Country) {
		sit.DistanceSale = ti.ledger.DistanceSale(tax.VATCountry(qt.ShipTo.Country), qt.NetEUR, in.Date)
	}
	taxed := make([]tax.LineTax, 0, len(q.Lines))
	for i := range q.Lines {
		l := &q.Lines[i]
		if l.Error != nil {
			continue
		}
		sit.Category = tax.Category(products[l.Ref].TaxCategory)
		d, err := ti.rates.Decide(sit)
		if err != nil {
			code := ErrTaxSituation
			if errors.Is(err, tax.ErrNoRate) {
				code = ErrNoTaxRate
			}
			l.Error = &LineError{Code: code, Detail: err.Error()}
			continue
		}
		qt.Lines[i] = tax.TaxLine(d, l.Total.Decimal, currency)
		taxed = append(taxed, qt.Lines[i])
	}
	qt.Summary = tax.Summarize(taxed)
	if qt.ExchangeRate != nil {
		v, _ := ti.fx.ToEUR(qt.Summary.VAT, currency)
		qt.VATEUR = &v
	}
	return qt, nil
}
