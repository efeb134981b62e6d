package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tax"
)

// PricingAPI serves the pricing routes.
type PricingAPI struct {
	Pipeline *Pipeline
	Quoter   *pricing.Quoter
	// Now is the clock for quotes without a date; nil means time.Now.
	Now func() time.Time
}

// MaxQuoteLines bounds the lines of one pricing request.
const MaxQuoteLines = 500

// Routes returns the pricing function's router.
func (a *PricingAPI) Routes() http.Handler {
	rt := NewRouter()
	rt.Handle("POST /pricing/quote", a.Pipeline.Handle(a.quote))
	return rt
}

// QuoteRequest is the body of POST /pricing/quote.
type QuoteRequest struct {
	// Customer is the account to price for: implicit for a buyer, required
	// for a rep (within their portfolio), optional for merchant staff (list
	// prices without it).
	Customer string `json:"customer,omitempty"`
	// Currency defaults to the storefront's.
	Currency string `json:"currency,omitempty"`
	// Date (YYYY-MM-DD) defaults to today in the merchant's time zone;
	// prices and rules valid on that day apply, and the VAT rates in force
	// that day.
	Date string `json:"date,omitempty"`
	// ShipTo is the id of one of the customer's delivery addresses; by
	// default the customer's default delivery address, else the account
	// address. A quote without a customer ships in the seller's country.
	ShipTo string         `json:"shipTo,omitempty"`
	Lines  []pricing.Line `json:"lines"`
}

// QuoteResponse is a priced request, with its VAT when the quoter reads the
// tax inputs (always, as the pricing function is built).
type QuoteResponse struct {
	Customer string `json:"customer,omitempty"`
	Date     string `json:"date"`
	pricing.Quote
	// Lines are the quote's lines, each with its VAT.
	Lines []QuotedLine `json:"lines"`
	// Tax is the VAT totals: per rate, then HT, VAT and TTC.
	Tax *QuoteTaxView `json:"tax,omitempty"`
	// ShipTo is where the goods go: the VAT follows it.
	ShipTo *pricing.ShipTo `json:"shipTo,omitempty"`
	// PricesIncludeTax is how the buyer is shown prices: TTC for a
	// consumer, HT for a pro (tax.PricesIncludeTax).
	PricesIncludeTax *bool `json:"pricesIncludeTax,omitempty"`
	// ExchangeRate and VATEUR are set for a quote in another currency than
	// the euro: 1 EUR = rate units, and the VAT in euros.
	ExchangeRate *ExchangeRateView `json:"exchangeRate,omitempty"`
	VATEUR       *money.Amount     `json:"vatEUR,omitempty"`
}

// QuotedLine is a priced line and its VAT.
type QuotedLine struct {
	pricing.PricedLine
	Tax *LineTaxView `json:"tax,omitempty"`
}

// LineTaxView is one line's VAT: the decision, the base (the line total
// excluding VAT), the VAT and the amount including VAT, in the quote's
// currency.
type LineTaxView struct {
	Regime tax.Regime `json:"regime"`
	// Country is the country whose VAT applies; absent when exempt.
	Country  string       `json:"country,omitempty"`
	Category tax.Category `json:"category"`
	// Rate is in percent.
	Rate    decimal.Decimal `json:"rate"`
	Base    money.Amount    `json:"base"`
	VAT     money.Amount    `json:"vat"`
	Gross   money.Amount    `json:"gross"`
	Mention string          `json:"mention,omitempty"`
	Reason  string          `json:"reason"`
}

// RateTotalView sums the lines taxed alike.
type RateTotalView struct {
	Regime  tax.Regime      `json:"regime"`
	Country string          `json:"country,omitempty"`
	Rate    decimal.Decimal `json:"rate"`
	Mention string          `json:"mention,omitempty"`
	Base    money.Amount    `json:"base"`
	VAT     money.Amount    `json:"vat"`
}

// QuoteTaxView is a quote's VAT: the totals per rate, then HT, VAT and
// TTC.
type QuoteTaxView struct {
	PerRate []RateTotalView `json:"perRate"`
	Net     money.Amount    `json:"net"`
	VAT     money.Amount    `json:"vat"`
	Gross   money.Amount    `json:"gross"`
}

// ExchangeRateView is the rate of a quote in another currency: 1 EUR =
// rate units, published on date (YYYY-MM-DD).
type ExchangeRateView struct {
	Rate decimal.Decimal `json:"rate"`
	Date string          `json:"date"`
}

// quoteResponse shows a quote and its VAT.
func quoteResponse(customerID string, date time.Time, res pricing.QuoteResult) QuoteResponse {
	q := res.Quote
	out := QuoteResponse{Customer: customerID, Date: date.Format(time.DateOnly), Quote: q, Lines: make([]QuotedLine, len(q.Lines))}
	for i, l := range q.Lines {
		out.Lines[i] = QuotedLine{PricedLine: l}
	}
	qt := res.Tax
	if qt == nil {
		return out
	}
	amount := func(d decimal.Decimal) money.Amount { return money.AmountIn(d, q.Currency) }
	for i, lt := range qt.Lines {
		out.Lines[i].Tax = &LineTaxView{Regime: lt.Regime, Country: lt.Country, Category: lt.Category, Rate: lt.Rate,
			Base: amount(lt.Base), VAT: amount(lt.VAT), Gross: amount(lt.Gross), Mention: lt.Mention, Reason: lt.Reason}
	}
	sum := &QuoteTaxView{PerRate: make([]RateTotalView, len(qt.Summary.PerRate)), Net: amount(qt.Summary.Net), VAT: amount(qt.Summary.VAT), Gross: amount(qt.Summary.Gross)}
	for i, t := range qt.Summary.PerRate {
		sum.PerRate[i] = RateTotalView{Regime: t.Regime, Country: t.Country, Rate: t.Rate, Mention: t.Mention, Base: amount(t.Base), VAT: amount(t.VAT)}
	}
	out.Tax, out.ShipTo = sum, &qt.ShipTo
	out.PricesIncludeTax = &qt.PricesIncludeTax
	if qt.ExchangeRate != nil && qt.VATEUR != nil {
		out.ExchangeRate = &ExchangeRateView{Rate: qt.ExchangeRate.Rate, Date: qt.ExchangeRate.Date.Format(time.DateOnly)}
		v := money.AmountIn(*qt.VATEUR, fx.EUR)
		out.VATEUR = &v
	}
	return out
}

func (a *PricingAPI) quote(w http.ResponseWriter, r *Request) error {
	var body QuoteRequest
	if err := decodeBody(r.Request, &body); err != nil {
		return err
	}
	if len(body.Lines) == 0 || len(body.Lines) > MaxQuoteLines {
		return InvalidParameter(fmt.Sprintf("lines must hold from 1 to %d lines", MaxQuoteLines))
	}
	if err := boundedLineRefs(body.Lines); err != nil {
		return err
	}
	// Quantities out of range are line errors of the engine (422), the
	// packaging's units being known only once the products are read.
	var date time.Time
	if body.Date != "" {
		d, err := time.Parse(time.DateOnly, body.Date)
		if err != nil {
			return InvalidParameter("date must be YYYY-MM-DD")
		}
		date = d
	}
	currency := r.Storefront.Currency
	if body.Currency != "" {
		currency = strings.ToUpper(body.Currency)
		if !money.ValidCurrency(currency) {
			return InvalidParameter("currency must be an ISO 4217 code")
		}
	}
	if body.ShipTo != "" && !catalog.ValidID(body.ShipTo) {
		return InvalidParameter("shipTo must be a delivery address id: 1 to 64 printable characters without spaces, '#' or '/'")
	}
	customerID, repID, err := customerFor(r.Caller, body.Customer)
	if err != nil {
		return err
	}
	if body.ShipTo != "" && customerID == "" {
		return InvalidParameter("shipTo names a delivery address of a customer: name the customer too (a quote without a customer ships in the seller's country)")
	}
	if date.IsZero() {
		if date, err = a.today(r); err != nil {
			return err
		}
	}
	res, err := a.Quoter.Quote(r.Context(), pricing.QuoteInput{
		Merchant: r.Merchant(), CustomerID: customerID, RepID: repID,
		Currency: currency, Date: date, Lines: body.Lines, ShipTo: body.ShipTo,
	})
	// Access first: a caller who may not see the customer learns nothing
	// of their addresses.
	var quoteErr error
	if errors.Is(err, pricing.ErrUnknownAddress) || errors.Is(err, pricing.ErrNoExchangeRate) {
		quoteErr, err = err, nil
	}
	if err := customerAccess(r.Caller, customerID, res.Rep, err); err != nil {
		return err
	}
	switch {
	case errors.Is(quoteErr, pricing.ErrUnknownAddress):
		return problem(http.StatusUnprocessableEntity, "unknown-address", "Unknown delivery address",
			"shipTo "+echo(body.ShipTo)+" is not one of the customer's delivery addresses")
	case !res.Quote.Valid():
		p := problem(http.StatusUnprocessableEntity, "invalid-lines", "Invalid lines", "some lines cannot be priced; see errors")
		for i, l := range res.Quote.Lines {
			if l.Error != nil {
				p.Errors = append(p.Errors, FieldError{Field: fmt.Sprintf("lines[%d]", i), Reason: l.Error.Code + ": " + l.Error.Detail})
			}
		}
		return p
	case quoteErr != nil:
		return problem(http.StatusUnprocessableEntity, "no-exchange-rate", "No exchange rate",
			fmt.Sprintf("no exchange rate of %s on or before %s: merchant staff must set the day's rates", currency, date.Format(time.DateOnly)))
	}
	return writeJSON(w, http.StatusOK, quoteResponse(customerID, date, res))
}

// today is the merchant's calendar day (merchant.Merchant.Today), the
// default day of a quote: a rate change from 1 January applies from
// midnight in the merchant's time zone, not in UTC. The merchant is read
// through the quoter's tax source, cached per function: the quote then
// reads it from the cache. Without a tax source, the default time zone.
func (a *PricingAPI) today(r *Request) (time.Time, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if a.Quoter.Tax == nil {
		return merchant.Merchant{}.Today(now()), nil
	}
	m, err := a.Quoter.Tax.Merchant(r.Context(), r.Merchant())
	if err != nil {
		return time.Time{}, err
	}
	return m.Today(now()), nil
}

// customerFor is whose prices a caller reads (customer.AccessFor): the
// customer account and the rep whose portfolio must hold it.
func customerFor(c identity.Caller, requested string) (customerID, repID string, err error) {
	if requested != "" && !catalog.ValidID(requested) {
		return "", "", InvalidParameter("customer must be a customer id: 1 to 64 printable characters without spaces, '#' or '/'")
	}
	a, err := customer.AccessFor(c, requested)
	return a.Customer, a.Rep, accessProblem(requested, err)
}

// customerAccess checks the caller's access once the customer and the rep
// are read (customer.Access.Check); err is the read's error, an unknown
// customer included.
func customerAccess(c identity.Caller, customerID string, rep *customer.Rep, err error) error {
	found := err == nil
	if errors.Is(err, customer.ErrUnknown) {
		found, err = false, nil
	}
	if err != nil {
		return err
	}
	a := customer.Access{Role: c.Role, Customer: customerID}
	if c.Role == identity.Rep {
		a.Rep = c.Rep
	}
	return accessProblem(customerID, a.Check(found, rep))
}

// accessProblem maps package customer's access errors to problems.
func accessProblem(customerID string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, customer.ErrNotLoggedIn):
		return Unauthenticated(err.Error())
	case errors.Is(err, customer.ErrOtherCompany):
		return Forbidden(err.Error())
	case errors.Is(err, customer.ErrCustomerRequired):
		return InvalidParameter(err.Error())
	case errors.Is(err, customer.ErrNotInPortfolio):
		return Forbidden("customer " + customerID + " is not in your portfolio")
	case errors.Is(err, customer.ErrUnknown):
		return NotFound("no customer " + customerID)
	}
	return err
}
