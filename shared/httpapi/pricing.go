package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/pricing"
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
	// Date (YYYY-MM-DD) defaults to today; prices and rules valid on that
	// day apply.
	Date  string         `json:"date,omitempty"`
	Lines []pricing.Line `json:"lines"`
}

// QuoteResponse is a priced request.
type QuoteResponse struct {
	Customer string `json:"customer,omitempty"`
	Date     string `json:"date"`
	pricing.Quote
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
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	date := now().UTC()
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
	customerID, repID, err := customerFor(r.Caller, body.Customer)
	if err != nil {
		return err
	}
	res, err := a.Quoter.Quote(r.Context(), pricing.QuoteInput{
		Merchant: r.Merchant(), CustomerID: customerID, RepID: repID,
		Currency: currency, Date: date, Lines: body.Lines,
	})
	if err := customerAccess(r.Caller, customerID, res.Rep, err); err != nil {
		return err
	}
	if !res.Quote.Valid() {
		p := problem(http.StatusUnprocessableEntity, "invalid-lines", "Invalid lines", "some lines cannot be priced; see errors")
		for i, l := range res.Quote.Lines {
			if l.Error != nil {
				p.Errors = append(p.Errors, FieldError{Field: fmt.Sprintf("lines[%d]", i), Reason: l.Error.Code + ": " + l.Error.Detail})
			}
		}
		return p
	}
	return writeJSON(w, http.StatusOK, QuoteResponse{Customer: customerID, Date: date.Format(time.DateOnly), Quote: res.Quote})
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
