package customer

import (
	"errors"
	"slices"

	"github.com/comptoir/comptoir/shared/vat"
)

// MergeERP returns the account the ERP's row of a customer (F_COMPTET)
// makes of the stored one (nil: a new account). The ERP owns Name, Kind,
// Country, VATNumber, PriceCategory, BuyingGroup, CreditLimit, Language,
// Address, DeliveryAddresses, Payment.Terms, Rep and Dormant; the site
// keeps what it owns: the VAT number's check (VATCheck) — dropped when the
// ERP changes the number (spaces and case aside, vat.Normalize), so that
// the new one is checked again —, the payment methods the merchant
// narrowed (Payment.Methods) and the preferred warehouse. A row without
// delivery addresses, payment terms or language (Sage's F_COMPTET has no
// column for the first two) keeps the stored ones: an import never erases
// the addresses and terms staff set.
func MergeERP(stored *Customer, row Customer) Customer {
	merged := row
	merged.VATCheck, merged.Payment.Methods, merged.PreferredWarehouse = nil, nil, ""
	if stored == nil {
		return merged
	}
	if vat.Normalize(stored.VATNumber) == vat.Normalize(row.VATNumber) && stored.VATCheck != nil {
		check := *stored.VATCheck
		merged.VATCheck = &check
	}
	merged.Payment.Methods = slices.Clone(stored.Payment.Methods)
	merged.PreferredWarehouse = stored.PreferredWarehouse
	if len(row.DeliveryAddresses) == 0 {
		merged.DeliveryAddresses = slices.Clone(stored.DeliveryAddresses)
	}
	if row.Payment.Terms == nil && stored.Payment.Terms != nil {
		terms := *stored.Payment.Terms
		merged.Payment.Terms = &terms
	}
	if row.Language == "" {
		merged.Language = stored.Language
	}
	return merged
}

// ErrDormant is an account the ERP put to sleep (CT_Sommeil): it can no
// longer order.
var ErrDormant = errors.New("the customer account is dormant in the merchant's ERP: it can no longer order")

// CanOrder says whether the account may place orders: ErrDormant when the
// ERP put it to sleep.
func (c Customer) CanOrder() error {
	if c.Dormant {
		return ErrDormant
	}
	return nil
}

// WithCustomer returns the rep's portfolio with customer id in it (once),
// and whether it changed.
func (r Rep) WithCustomer(id string) (Rep, bool) {
	if r.Serves(id) {
		return r, false
	}
	r.Customers = append(slices.Clone(r.Customers), id)
	return r, true
}

// WithoutCustomer returns the rep's portfolio without customer id, and
// whether it changed.
func (r Rep) WithoutCustomer(id string) (Rep, bool) {
	if !r.Serves(id) {
		return r, false
	}
	r.Customers = slices.DeleteFunc(slices.Clone(r.Customers), func(c string) bool { return c == id })
	return r, true
}
