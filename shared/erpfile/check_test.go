package erpfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/vat"
)

// checkRecord checks a record against the domain's rules, independently of
// how the reader decoded it: what a record must be for the appliers to
// store it.
func checkRecord(r erp.Record) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	set := 0
	for _, p := range []bool{r.Category != nil, r.Product != nil, r.Customer != nil, r.Rep != nil, r.PriceCategory != nil,
		r.Price != nil, r.QuantityBreak != nil, r.FamilyDiscount != nil, r.Warehouse != nil, r.Stock != nil, r.Rate != nil, r.Ack != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		bad("%d payloads set", set)
	}
	if r.Line < 1 || r.Key == "" || !utf8.ValidString(r.Key) {
		bad("line %d key %q", r.Line, r.Key)
	}
	ref := func(what, s string) {
		if !catalog.ValidRef(s) {
			bad("%s %q is not a valid reference", what, s)
		}
	}
	id := func(what, s string, optional bool) {
		if !(optional && s == "") && !catalog.ValidID(s) {
			bad("%s %q is not a valid id", what, s)
		}
	}
	label := func(what, s string, optional bool) {
		if !(optional && s == "") && (s == "" || !catalog.PlainText(s) || utf8.RuneCountInString(s) > 200) {
			bad("%s %q is not a plain label", what, s)
		}
	}
	names := func(n map[string]string) {
		if len(n) == 0 {
			bad("no name")
		}
		for l, s := range n {
			if !catalog.KnownLanguage(l) {
				bad("language %q", l)
			}
			label("name", s, false)
		}
	}
	amount := func(what string, d interface{ String() string }) {
		if _, err := money.ParseAmount(d.String()); err != nil {
			bad("%s %s: %v", what, d, err)
		}
	}
	switch r.Kind {
	case erp.KindCategories:
		c := r.Category
		id("category", c.ID, false)
		id("parent", c.ParentID, true)
		names(c.Names)
		if c.Position < 0 || c.Position > catalog.MaxPosition || c.ParentID == c.ID {
			bad("category %+v", c)
		}
	case erp.KindProducts:
		p := r.Product
		ref("ref", p.Ref)
		id("category", p.CategoryID, false)
		names(p.Names)
		amount("base price", p.BasePrice)
		// Quantities and packagings may be left out (0, none): the stored
		// product's are kept.
		if !money.ValidCurrency(p.Currency) || p.EAN != "" && !catalog.ValidEAN13(p.EAN) || p.MinOrderQty != 0 && !catalog.ValidQuantity(p.MinOrderQty) ||
			p.OrderMultiple != 0 && !catalog.ValidQuantity(p.OrderMultiple) || len(p.Packagings) > 10 || len(p.Links) > 50 {
			bad("product %+v", p)
		}
		for _, pk := range p.Packagings {
			if pk.Kind != catalog.Unit && pk.Kind != catalog.Lot && pk.Kind != catalog.Pallet || !catalog.ValidQuantity(pk.Units) || pk.Kind == catalog.Unit && pk.Units != 1 {
				bad("packaging %+v", pk)
			}
		}
		for _, l := range p.Links {
			ref("link", l.Ref)
			if l.Ref == p.Ref || l.Kind != catalog.Mandatory && l.Kind != catalog.Optional || !l.Ratio.IsPositive() {
				bad("link %+v", l)
			}
		}
	case erp.KindCustomers:
		c := r.Customer
		ref("customer", c.ID)
		label("name", c.Name, false)
		id("price category", c.PriceCategory, true)
		id("buying group", c.BuyingGroup, true)
		id("rep", c.Rep, true)
		amount("credit limit", c.CreditLimit)
		if !merchant.KnownCountry(c.Country) || c.VATNumber != "" && !vat.WellFormed(c.VATNumber) || c.Kind != "pro" && c.Kind != "consumer" ||
			c.Language != "" && !catalog.KnownLanguage(c.Language) {
			bad("customer %+v", c)
		}
		if t := c.Payment.Terms; t != nil {
			if _, err := payment.ParseTerms(t.String()); err != nil {
				bad("terms %v", err)
			}
		}
		label("address", c.Address.Line1, true)
		label("city", c.Address.City, true)
		label("postal code", c.Address.PostalCode, true)
	case erp.KindReps:
		id("rep", r.Rep.ID, false)
		label("rep name", r.Rep.Name, false)
		for _, c := range r.Rep.Customers {
			ref("portfolio customer", c)
		}
	case erp.KindPriceCategories:
		id("price category", r.PriceCategory.ID, false)
		label("price category name", r.PriceCategory.Name, false)
	case erp.KindPrices:
		e := r.Price
		ref("ref", e.Ref)
		checkScope(e.Scope, e.ScopeID, bad)
		amount("price", e.Price)
		if _, err := money.ParsePercent(e.Discount.String()); err != nil || e.Mode < tariff.Simple || e.Mode > tariff.NetByQuantity || !money.ValidCurrency(e.Currency) {
			bad("entry %+v", e)
		}
	case erp.KindQuantityBreaks:
		q := r.QuantityBreak
		ref("ref", q.Ref)
		checkScope(q.Scope, q.ScopeID, bad)
		amount("from", q.Break.From)
		amount("value", q.Break.Value)
	case erp.KindFamilyDiscounts:
		if ps := erp.FamilyDiscountRule(*r.FamilyDiscount).Validate(); len(ps) > 0 {
			bad("rule: %v", ps)
		}
	case erp.KindWarehouses:
		w := r.Warehouse
		id("warehouse", w.ID, false)
		label("warehouse name", w.Name, false)
		if w.Country != "" && !merchant.KnownCountry(w.Country) {
			bad("country %q", w.Country)
		}
	case erp.KindStock:
		l := r.Stock
		ref("ref", l.Ref)
		id("warehouse", l.Warehouse, false)
		if l.Reserved < 0 || l.Min < 0 || l.Max < 0 || l.Max > 0 && l.Min > l.Max || l.SiteOrders != 0 {
			bad("level %+v", l)
		}
	case erp.KindExchangeRates:
		x := r.Rate
		if !money.ValidCurrency(x.Currency) || x.Currency == "EUR" || !x.PerEUR.IsPositive() || x.Date.IsZero() ||
			!strings.HasPrefix(r.Key, x.Date.Format("2006-01-02")) {
			bad("rate %+v", x)
		}
	case erp.KindAcknowledgements:
		a := r.Ack
		id("order", a.Order, false)
		if a.Ref != "" {
			ref("ref", a.Ref)
		}
		if a.Shipped != nil && (*a.Shipped < 0 || a.Ref == "") || a.Invoice != "" && a.InvoiceDate.IsZero() ||
			a.Status != "" && a.Status != erp.AckCancelled || len(a.ERPNumber) > 64 || len(a.Invoice) > 64 {
			bad("acknowledgement %+v", a)
		}
	default:
		bad("kind %q", r.Kind)
	}
	return errors.Join(errs...)
}

func checkScope(s tariff.Scope, id string, bad func(string, ...any)) {
	switch s {
	case tariff.Customer:
		if !catalog.ValidRef(id) {
			bad("customer %q", id)
		}
	case tariff.PriceCategory, tariff.BuyingGroup:
		if !catalog.ValidID(id) {
			bad("scope id %q", id)
		}
	default:
		bad("scope %q", s)
	}
}
