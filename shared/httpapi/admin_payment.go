package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
)

// The back office's payment routes (see Routes): how a customer may pay
// (methods, on-account terms, credit limit) and which warehouse serves it
// first, and the merchant's reading of "fin de mois" terms.

// CustomerPaymentAdmin changes a customer's payment account
// (dynamo.Customers).
type CustomerPaymentAdmin interface {
	// UpdatePayment reads the customer, lets update set its Payment,
	// CreditLimit and PreferredWarehouse, and stores these only over the
	// account as read; unknown customers are customer.ErrUnknown, a write
	// that kept losing races is customer.ErrChanged.
	// It returns the account as stored with its outstanding.
	UpdatePayment(ctx context.Context, m merchant.ID, id string, update func(*customer.Customer) error) (customer.Customer, decimal.Decimal, error)
	// PaymentAccount reads the customer and its outstanding on account
	// ("encours", in the merchant's currency), as of every write
	// acknowledged before; unknown customers are customer.ErrUnknown.
	PaymentAccount(ctx context.Context, m merchant.ID, id string) (customer.Customer, decimal.Decimal, error)
}

// MerchantSettingsAdmin stores the merchant's own settings on its record
// and lists its warehouses (dynamo.Merchants).
type MerchantSettingsAdmin interface {
	// SetMonthEnd stores how the merchant counts "N jours fin de mois"
	// over its record as read; other functions read it within CACHE_TTL.
	// An unknown merchant is merchant.ErrUnknown, a write that kept
	// losing races matches merchant.ErrConflict.
	SetMonthEnd(ctx context.Context, m merchant.ID, method payment.MonthEndMethod) (merchant.Merchant, error)
	// Warehouses lists the merchant's warehouses ("dépôts").
	Warehouses(ctx context.Context, m merchant.ID) ([]stock.Warehouse, error)
}

// maxMethods bounds a list of payment methods, each named once.
const maxMethods = 10

// CustomerPaymentInput is the body of PUT /admin/customers/{id}/payment:
// the whole payment account of the customer, which replaces the stored
// one.
type CustomerPaymentInput struct {
	// Terms are the on-account terms' id ("30-eom", "45-eom", "60-net",
	// "30-after-delivery"); null or absent: the customer may not pay on
	// account.
	Terms *string `json:"terms"`
	// Methods narrow the storefront's methods for the customer ("card",
	// "transfer"); absent or empty: the storefront's.
	Methods []string `json:"methods"`
	// CreditLimit is the authorised outstanding amount ("encours
	// autorisé"), a plain decimal in the merchant's currency, zero or more;
	// zero allows no order on account.
	CreditLimit string `json:"creditLimit"`
	// PreferredWarehouse is the warehouse the customer's orders are served
	// from first; null, absent or "": none.
	PreferredWarehouse *string `json:"preferredWarehouse"`
}

// CustomerPaymentView is a customer's payment account as the back office
// shows it.
type CustomerPaymentView struct {
	Customer string `json:"customer"`
	// Terms are the on-account terms' id, null when the customer may not
	// pay on account; TermsLabel is their French wording.
	Terms      *string `json:"terms"`
	TermsLabel string  `json:"termsLabel,omitempty"`
	// Methods narrow the storefront's methods; empty: the storefront's.
	Methods []payment.Method `json:"methods"`
	// CreditLimit is in Currency, the merchant's.
	CreditLimit money.Amount `json:"creditLimit"`
	Currency    string       `json:"currency"`
	// Outstanding is what the customer's orders on account owe and no one
	// has marked paid yet (staff, or the ERP's acknowledgement file): the
	// amount the checkout adds an order on account to before comparing
	// with CreditLimit.
	Outstanding money.Amount `json:"outstanding"`
	// Available is what orders on account may still add: CreditLimit less
	// Outstanding, zero when that is negative or when the customer may not
	// pay on account (no Terms).
	Available money.Amount `json:"available"`
	// PreferredWarehouse is null when none is preferred.
	PreferredWarehouse *string `json:"preferredWarehouse"`
}

func customerPaymentView(c customer.Customer, outstanding decimal.Decimal, currency string) CustomerPaymentView {
	available := decimal.Zero
	if c.Payment.Terms != nil {
		available = decimal.Max(decimal.Zero, c.CreditLimit.Sub(outstanding))
	}
	v := CustomerPaymentView{
		Customer: c.ID, Methods: []payment.Method{}, CreditLimit: money.AmountIn(c.CreditLimit, currency), Currency: currency,
		Outstanding: money.AmountIn(outstanding, currency), Available: money.AmountIn(available, currency),
	}
	if t := c.Payment.Terms; t != nil {
		id := t.String()
		v.Terms, v.TermsLabel = &id, t.Label()
	}
	v.Methods = append(v.Methods, c.Payment.Methods...)
	if w := c.PreferredWarehouse; w != "" {
		v.PreferredWarehouse = &w
	}
	return v
}

// errTermsRefused refuses on-account terms the customer cannot have: terms
// beyond the legal maximum, or terms for a consumer.
type errTermsRefused struct{ reason string }

func (e errTermsRefused) Error() string { return e.reason }

// paymentTermsRefused is the 422 answering an errTermsRefused.
func paymentTermsRefused(reason string) *Problem {
	p := problem(http.StatusUnprocessableEntity, "payment-terms-refused", "Payment terms refused", reason)
	p.Errors = []FieldError{{Field: "terms", Reason: reason}}
	return p
}

// merchantCurrency is the merchant's currency, which its credit limits and
// on-account orders are in: read from its record (cached), EUR for a
// merchant without one.
func (a *AdminAPI) merchantCurrency(ctx context.Context, m merchant.ID) (string, error) {
	_, mr, err := a.merchantToday(ctx, m)
	if err != nil {
		return "", err
	}
	if mr.Currency == "" {
		return "EUR", nil
	}
	return mr.Currency, nil
}

// knownWarehouse checks that id is one of the merchant's warehouses,
// adding a field error when it is not; "" (none) is always fine.
func (a *AdminAPI) knownWarehouse(ctx context.Context, m merchant.ID, fe *fieldErrors, field, id string) error {
	if id == "" || fe.has(field) {
		return nil
	}
	var list []stock.Warehouse
	if a.Settings != nil {
		var err error
		if list, err = a.Settings.Warehouses(ctx, m); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(list))
	for _, w := range list {
		if w.ID == id {
			return nil
		}
		ids = append(ids, w.ID)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		fe.add(field, "not one of the merchant's warehouses: it has none")
		return nil
	}
	fe.add(field, "not one of the merchant's warehouses ("+strings.Join(ids, ", ")+")")
	return nil
}

// parseAmountIn reads a plain decimal amount of zero or more with at most
// the currency's minor units, adding a field error when it is not one.
func parseAmountIn(fe *fieldErrors, field, s, currency string) decimal.Decimal {
	d, err := money.ParseAmount(s)
	if err != nil {
		fe.add(field, "an amount of zero or more as a plain decimal string, such as \"12.50\": "+err.Error())
		return decimal.Zero
	}
	if minor := money.MinorUnits(currency); -d.Exponent() > minor && !d.Equal(d.Round(minor)) {
		fe.add(field, fmt.Sprintf("at most %d decimals in %s", minor, currency))
	}
	return d
}

// parseMethods reads the payment methods a buyer may choose by card or
// transfer: each once, on account excluded (it comes with terms).
func parseMethods(fe *fieldErrors, field string, in []string) []payment.Method {
	var out []payment.Method
	for i, s := range in {
		f := field + "[" + strconv.Itoa(i) + "]"
		m, err := payment.ParseMethod(s)
		switch {
		case err != nil || m == payment.OnAccount:
			reason := "card or transfer"
			if m == payment.OnAccount {
				reason += ": paying on account comes with payment terms, not with a method"
			}
			fe.add(f, reason)
		case slices.Contains(out, m):
			fe.add(f, "named twice")
		default:
			out = append(out, m)
		}
	}
	return out
}

// putCustomerPayment replaces a customer's payment account: on-account
// terms (within the legal maximums, for pros only: 422
// payment-terms-refused), the methods, the credit limit in the merchant's
// currency and the preferred warehouse (one of the merchant's). One
// conditional write over the account as read with its outstanding; 200
// with the account as stored and that outstanding.
func (a *AdminAPI) putCustomerPayment(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	if !catalog.ValidID(id) {
		return NotFound("no customer " + echo(id))
	}
	var in CustomerPaymentInput
	fe := &fieldErrors{}
	if err := decodeFields(r.Request, fe, map[string]any{
		"terms": &in.Terms, "methods": &in.Methods, "creditLimit": &in.CreditLimit, "preferredWarehouse": &in.PreferredWarehouse,
	}); err != nil {
		return err
	}
	currency, err := a.merchantCurrency(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	var terms *payment.Terms
	var refused error
	if in.Terms != nil && !fe.has("terms") {
		t, err := payment.ParseTerms(*in.Terms)
		switch {
		case errors.Is(err, payment.ErrBeyondLegalMaximum):
			refused = errTermsRefused{reason: err.Error()}
		case err != nil:
			fe.add("terms", "payment terms such as 30-eom, 45-eom, 60-net or 30-after-delivery, or null for none")
		default:
			terms = &t
		}
	}
	var methods []payment.Method
	if len(in.Methods) > maxMethods {
		fe.add("methods", fmt.Sprintf("at most %d entries: card and transfer, each once", maxMethods))
	} else if !fe.has("methods") {
		methods = parseMethods(fe, "methods", in.Methods)
	}
	var limit decimal.Decimal
	if !fe.has("creditLimit") {
		if in.CreditLimit == "" {
			fe.add("creditLimit", "is required: the authorised outstanding amount in "+currency+", such as \"15000.00\" (\"0\" allows no order on account)")
		} else {
			limit = parseAmountIn(fe, "creditLimit", in.CreditLimit, currency)
		}
	}
	warehouse := ""
	if in.PreferredWarehouse != nil {
		warehouse = *in.PreferredWarehouse
	}
	if err := a.knownWarehouse(r.Context(), r.Merchant(), fe, "preferredWarehouse", warehouse); err != nil {
		return err
	}
	if err := fe.err(); err != nil {
		return err
	}
	if refused != nil {
		return paymentTermsRefused(refused.Error())
	}
	if a.CustomerPayments == nil {
		return errors.New("customer payment: no customer store configured")
	}
	c, outstanding, err := a.CustomerPayments.UpdatePayment(r.Context(), r.Merchant(), id, func(c *customer.Customer) error {
		if terms != nil && c.Kind != customer.Pro {
			return errTermsRefused{reason: "customer " + strconv.Quote(id) + " is a consumer: paying on account is for professional customers only"}
		}
		c.Payment = customer.PaymentAccount{Methods: methods, Terms: terms}
		c.CreditLimit, c.PreferredWarehouse = limit, warehouse
		return nil
	})
	var termsRefused errTermsRefused
	switch {
	case errors.Is(err, customer.ErrUnknown):
		return NotFound("no customer " + echo(id))
	case errors.As(err, &termsRefused):
		return paymentTermsRefused(termsRefused.reason)
	case errors.Is(err, customer.ErrChanged):
		return Conflict("the customer's account was being changed at the same time; try again")
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, customerPaymentView(c, outstanding, currency))
}

// customerPayment answers a customer's payment account with its
// outstanding on account and what orders on account may still add (1
// round trip, the merchant's record aside).
func (a *AdminAPI) customerPayment(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	if !catalog.ValidID(id) {
		return NotFound("no customer " + echo(id))
	}
	currency, err := a.merchantCurrency(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if a.CustomerPayments == nil {
		return errors.New("customer payment: no customer store configured")
	}
	c, outstanding, err := a.CustomerPayments.PaymentAccount(r.Context(), r.Merchant(), id)
	switch {
	case errors.Is(err, customer.ErrUnknown):
		return NotFound("no customer " + echo(id))
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, customerPaymentView(c, outstanding, currency))
}

// PaymentSettingsInput is the body of PUT /admin/payment/settings.
type PaymentSettingsInput struct {
	// MonthEnd is how "N jours fin de mois" is counted: "eom-then-days"
	// or "days-then-eom".
	MonthEnd string `json:"monthEnd"`
}

// PaymentSettingsView is the merchant's payment settings as the back
// office shows them.
type PaymentSettingsView struct {
	MonthEnd payment.MonthEndMethod `json:"monthEnd"`
	// MonthEndLabel is the method's French wording.
	MonthEndLabel string `json:"monthEndLabel"`
}

// putPaymentSettings stores the merchant's reading of end-of-month payment
// terms on its record (one conditional write over the record as read).
// Checkouts of this merchant read it from their cached merchant record:
// they apply it within CACHE_TTL.
func (a *AdminAPI) putPaymentSettings(w http.ResponseWriter, r *Request) error {
	var in PaymentSettingsInput
	fe := &fieldErrors{}
	if err := decodeFields(r.Request, fe, map[string]any{"monthEnd": &in.MonthEnd}); err != nil {
		return err
	}
	method, err := payment.ParseMonthEndMethod(in.MonthEnd)
	if err != nil && !fe.has("monthEnd") {
		fe.add("monthEnd", "is required: eom-then-days (end of the invoice's month, then N days) or days-then-eom (N days, then end of that month)")
	}
	if err := fe.err(); err != nil {
		return err
	}
	if a.Settings == nil {
		return errors.New("payment settings: no merchant store configured")
	}
	mr, err := a.Settings.SetMonthEnd(r.Context(), r.Merchant(), method)
	switch {
	case errors.Is(err, merchant.ErrUnknown):
		return NotFound("the merchant's record is not set up; the platform operator creates it")
	case errors.Is(err, payment.ErrUnknownMonthEndMethod):
		return InvalidParameter(err.Error())
	case errors.Is(err, merchant.ErrConflict):
		return Conflict("the merchant's record was being changed at the same time; try again")
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, PaymentSettingsView{MonthEnd: mr.MonthEnd, MonthEndLabel: mr.MonthEnd.Label()})
}
