package pricing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/money"
)

// Quote is the result of pricing a request.
type Quote struct {
	Currency string       `json:"currency"`
	Policy   Policy       `json:"policy"`
	Lines    []PricedLine `json:"lines"`
	// Gross is the sum of the valid lines' gross amounts, Discount the sum of
	// their discounts, Total the sum of their totals: Gross − Discount = Total.
	Gross    money.Amount `json:"gross"`
	Discount money.Amount `json:"discount"`
	Total    money.Amount `json:"total"`
	// OrderGross is the amount order-amount tiers are compared with.
	OrderGross money.Amount `json:"orderGross"`
}

// Valid reports whether every line could be priced.
func (q Quote) Valid() bool {
	for _, l := range q.Lines {
		if l.Error != nil {
			return false
		}
	}
	return true
}

// PricedLine is one priced line with its explanation.
type PricedLine struct {
	Ref       string                `json:"ref"`
	Quantity  int64                 `json:"quantity"`
	Packaging catalog.PackagingKind `json:"packaging"`
	// Units is Quantity times the packaging's units.
	Units int64 `json:"units"`
	// Error is set when the line could not be priced; nothing else is then.
	Error *LineError `json:"error,omitempty"`
	// Source is the price source that won.
	Source *Source `json:"source,omitempty"`
	// Gross is the winning source's unit price × units, rounded.
	Gross money.Amount `json:"gross"`
	// Discounts applied, in order; Gross − Σ amounts = Total.
	Discounts []Applied    `json:"discounts"`
	Total     money.Amount `json:"total"`
	// UnitPrice is Total / Units to four decimals, for information.
	UnitPrice money.Amount `json:"unitPrice"`
	// Net is true when a net price fixed the line: nothing else applied.
	Net bool `json:"net"`
	// NotApplied are the other sources and rules that matched the line but
	// did not apply, each with the reason, and for a source its unit price.
	NotApplied []NotApplied `json:"notApplied"`
}

// LineError says why a line could not be priced.
type LineError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Line error codes.
const (
	ErrUnknownReference = "unknown-reference"
	ErrInvalidQuantity  = "invalid-quantity"
	ErrUnknownPackaging = "unknown-packaging"
	ErrNoPrice          = "no-price"
)

// Source is a price source as offered for a line.
type Source struct {
	Scope   Scope  `json:"scope"`
	ScopeID string `json:"scopeId,omitempty"`
	// UnitPrice is the source's unit price for the line's quantity, before
	// any discount.
	UnitPrice money.Amount `json:"unitPrice"`
	// Net is set for a net price by quantity (Sage mode 3).
	Net bool `json:"net,omitempty"`
	// Converted is set when the price was set in another currency and
	// converted at the day's exchange rate (see Conversion).
	Converted *Conversion `json:"converted,omitempty"`
	entry     *PriceEntry // nil for the product's own base price
	name      string
}

// String names the source as explanations do: "price-category PC1", "base".
func (s Source) String() string {
	if s.name != "" {
		return s.name
	}
	if s.ScopeID == "" {
		return string(s.Scope)
	}
	return string(s.Scope) + " " + s.ScopeID
}

// Applied is one discount applied to a line.
type Applied struct {
	// Rule is the rule's id, or "source" for the winning source's own
	// discount.
	Rule    string          `json:"rule"`
	Name    string          `json:"name"`
	Kind    string          `json:"kind"`
	Percent decimal.Decimal `json:"percent,omitzero"`
	// Amount is what the discount took off the line, rounded.
	Amount money.Amount `json:"amount"`
	Reason string       `json:"reason"`
}

// NotApplied is a source or rule that matched a line but did not apply.
type NotApplied struct {
	// What is "source" or "rule".
	What   string `json:"what"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
	// UnitPrice is a source's unit price for the line, before any
	// discount, so that a buyer sees what each other source offered; nil
	// for a rule, and for a discount-only entry without a base price in its
	// currency.
	UnitPrice *money.Amount `json:"unitPrice,omitempty"`
	// Currency is set when UnitPrice is in another currency than the
	// quote's.
	Currency string `json:"currency,omitempty"`
}

// ruleNotApplied explains why a rule (or "source", the winning source's own
// discount) did not apply.
func ruleNotApplied(id, reason string) NotApplied {
	return NotApplied{What: "rule", ID: id, Reason: reason}
}

// sourceNotApplied explains why a usable source did not win.
func sourceNotApplied(s *Source, reason string) NotApplied {
	return NotApplied{What: "source", ID: s.String(), Reason: reason, UnitPrice: &s.UnitPrice}
}

var hundred = decimal.NewFromInt(100)

// Price prices every line of the request from the tariff. It never fails as
// a whole: a line that cannot be priced carries an error.
func Price(req Request, t Tariff) Quote {
	if req.Policy == "" {
		req.Policy = MostSpecific
	}
	rules := slices.Clone(t.Rules)
	slices.SortStableFunc(rules, func(a, b Rule) int {
		if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	q := Quote{Currency: req.Currency, Policy: req.Policy, Lines: make([]PricedLine, len(req.Lines))}
	day := req.Date.Format(time.DateOnly)
	minor := money.MinorUnits(req.Currency)
	var orderGross, grossSum, totalSum decimal.Decimal

	// First pass: validate lines and find their sources; the order gross is
	// taken at each line's most specific source, before any discount.
	type prepared struct {
		product Product
		units   int64
		sources []Source
		lost    []NotApplied
		// gross is the line's amount at its most specific source.
		gross decimal.Decimal
	}
	preps := make([]*prepared, len(req.Lines))
	for i, l := range req.Lines {
		pl := &q.Lines[i]
		pl.Ref, pl.Quantity, pl.Packaging = l.Ref, l.Quantity, l.Packaging
		if pl.Packaging == "" {
			pl.Packaging = catalog.Unit
		}
		p, ok := t.Products[l.Ref]
		switch {
		case !ok && !catalog.ValidRef(l.Ref):
			// Not echoed: it may be anything the caller sent.
			pl.Error = &LineError{ErrUnknownReference, "no product has this reference: 1 to 64 characters, no spaces or '#'"}
			continue
		case !ok:
			pl.Error = &LineError{ErrUnknownReference, fmt.Sprintf("no product %q", l.Ref)}
			continue
		}
		if l.Quantity <= 0 || l.Quantity > MaxQuantity {
			pl.Error = &LineError{ErrInvalidQuantity, "quantity must be a whole number from 1 to 1,000,000,000"}
			continue
		}
		per, ok := packagingUnits(p, pl.Packaging)
		switch {
		case !ok && pl.Packaging != catalog.Unit && pl.Packaging != catalog.Lot && pl.Packaging != catalog.Pallet:
			// Not echoed: it may be anything the caller sent.
			pl.Error = &LineError{ErrUnknownPackaging, "packaging must be unit, lot or pallet"}
			continue
		case !ok:
			pl.Error = &LineError{ErrUnknownPackaging, fmt.Sprintf("%s is not sold by %s", p.Ref, pl.Packaging)}
			continue
		}
		// Checked before multiplying, so that the product never wraps.
		if per > MaxLineUnits/l.Quantity {
			pl.Error = &LineError{ErrInvalidQuantity, fmt.Sprintf("%d × %s of %d units is more than 1,000,000,000 units in one line", l.Quantity, pl.Packaging, per)}
			continue
		}
		pl.Units = l.Quantity * per
		sources, lost := sourcesFor(p, t.Entries[p.Ref], req, pl.Units, minor)
		if len(sources) == 0 {
			pl.Error = &LineError{ErrNoPrice, fmt.Sprintf("%s has no price in %s", p.Ref, req.Currency)}
			continue
		}
		gross := grossOf(sources[0], pl.Units, req.Currency)
		preps[i] = &prepared{product: p, units: pl.Units, sources: sources, lost: lost, gross: gross}
		if !p.NoDiscount {
			orderGross = orderGross.Add(gross)
		}
	}
	q.OrderGross = money.NewAmount(orderGross, minor)

	orderWhy := map[string]orderTier{}
	// What keeps a rule from the whole request is the same for every line.
	ruleBlock := make([]string, len(rules))
	for i, r := range rules {
		switch {
		case !r.Validity.Covers(req.Date):
			ruleBlock[i] = "not valid on " + day
		case r.Currency != "" && r.Currency != req.Currency:
			ruleBlock[i] = "rule amounts are in " + r.Currency + ", the quote is in " + req.Currency
		case r.Percent.IsNegative() || r.Percent.GreaterThan(hundred):
			ruleBlock[i] = "invalid percentage " + r.Percent.String()
		}
	}
	for i, pr := range preps {
		if pr == nil {
			continue
		}
		pl := &q.Lines[i]
		ln := lineCtx{req: req, day: day, minor: minor, product: pr.product, line: req.Lines[i], packaging: pl.Packaging,
			units: pr.units, unitsDec: decimal.NewFromInt(pr.units), gross0: pr.gross,
			orderGross: orderGross, orderWhy: orderWhy, ruleBlock: ruleBlock, lost: pr.lost}
		var r result
		if req.Policy == BestPrice {
			r = ln.bestPrice(pr.sources, rules)
		} else {
			r = ln.mostSpecific(pr.sources, rules)
		}
		src := r.source
		pl.Source, pl.Gross, pl.Discounts, pl.Total, pl.Net = &src, money.NewAmount(r.gross, minor), r.applied, money.NewAmount(r.total, minor), r.net
		pl.NotApplied = r.notApplied
		if pl.Discounts == nil {
			pl.Discounts = []Applied{}
		}
		if pl.NotApplied == nil {
			pl.NotApplied = []NotApplied{}
		}
		pl.UnitPrice = money.NewAmount(r.total.DivRound(ln.unitsDec, 4), minor)
		grossSum = grossSum.Add(r.gross)
		totalSum = totalSum.Add(r.total)
	}
	q.Gross, q.Total, q.Discount = money.NewAmount(grossSum, minor), money.NewAmount(totalSum, minor), money.NewAmount(grossSum.Sub(totalSum), minor)
	return q
}

func packagingUnits(p Product, kind catalog.PackagingKind) (int64, bool) {
	for _, pk := range p.Packagings {
		if pk.Kind == kind && pk.Units > 0 {
			return int64(pk.Units), true
		}
	}
	if kind == catalog.Unit && len(p.Packagings) == 0 {
		return 1, true
	}
	return 0, false
}

// sourcesFor returns the usable price sources of a product for the request,
// most specific first, and the entries that cannot be used with the reason
// and, where it has one, their unit price. minor is the quote currency's
// minor units. A source priced only in another currency is converted with
// the request's rates (see Conversion).
func sourcesFor(p Product, entries []PriceEntry, req Request, units int64, minor int32) ([]Source, []NotApplied) {
	sources := make([]Source, 0, 4)
	var lost []NotApplied
	unitsDec := decimal.NewFromInt(units)
	conv := converter{rates: req.Rates, to: req.Currency, minor: minor}
	// list is the product's list price in a currency: its base price, or
	// the first base entry in that currency valid that day.
	list := func(currency string) (decimal.Decimal, bool) {
		if currency == p.Currency {
			return p.BasePrice, !p.BasePrice.IsNegative()
		}
		for i := range entries {
			if e := &entries[i]; e.Ref == p.Ref && isListPrice(e) && e.Currency == currency && e.Price.IsPositive() && e.Validity.Covers(req.Date) {
				return e.Price, true
			}
		}
		return decimal.Zero, false
	}
	// inQuote lists the sources (scope and id) priced in the quote's
	// currency; foreign are the usable prices in another currency, one of
	// which is converted for a source that has none in the quote's.
	// Most products have a handful of sources: the buffer keeps the list
	// off the heap.
	var inQuoteBuf [4]string
	inQuote := inQuoteBuf[:0]
	type foreignPrice struct {
		id, currency string
		unit         decimal.Decimal
		net          bool
		entry        *PriceEntry // nil for the product's base price
	}
	var foreign []foreignPrice
	for i := range entries {
		e := &entries[i]
		if e.Ref != p.Ref || !concerns(e, req.Customer) {
			continue
		}
		id := entryName(e)
		listPrice, hasList := list(e.Currency)
		unit, net, priced := entryUnitPrice(e, listPrice, hasList, unitsDec)
		var conversion *Conversion
		if !priced && e.Price.Sign() <= 0 && e.Currency == req.Currency && p.Currency != e.Currency && !p.BasePrice.IsNegative() && e.Mode != NetByQuantity {
			// A discount-only entry in the quote's currency, without a list
			// price in it: the product's base price, converted.
			if c, u, ok := conv.conversion(p.BasePrice, p.Currency); ok {
				unit, priced, conversion = u, true, c
			}
		}
		var why string
		switch {
		case isListPrice(e) && e.Currency == p.Currency:
			why = "the product's list price in " + p.Currency + " is its base price"
		case !e.Validity.Covers(req.Date):
			why = "not valid on " + req.Date.Format(time.DateOnly)
		case !priced && p.Currency != e.Currency:
			why = "discount-only entry, and the base price is not in " + e.Currency
		case !priced:
			why = "discount-only entry, and the product has no base price"
		case unit.IsNegative():
			why = "price " + unit.String() + " is negative"
			priced = false
		case e.Currency != req.Currency:
			foreign = append(foreign, foreignPrice{id: id, currency: e.Currency, unit: unit, net: net, entry: e})
			continue
		}
		if why != "" {
			na := NotApplied{What: "source", ID: id, Reason: why}
			if priced {
				na.UnitPrice = new(money.AmountIn(unit, e.Currency))
				if e.Currency != req.Currency {
					na.Currency = e.Currency
				}
			}
			lost = append(lost, na)
			continue
		}
		inQuote = append(inQuote, id)
		sources = append(sources, Source{Scope: e.Scope, UnitPrice: money.NewAmount(unit, minor), Net: net, Converted: conversion, entry: e, name: id, ScopeID: e.ScopeID})
	}
	switch {
	case p.BasePrice.IsNegative():
	case p.Currency == req.Currency:
		inQuote = append(inQuote, string(ScopeBase))
		sources = append(sources, Source{Scope: ScopeBase, UnitPrice: money.NewAmount(p.BasePrice, minor)})
	default:
		foreign = append(foreign, foreignPrice{id: string(ScopeBase), currency: p.Currency, unit: p.BasePrice})
	}
	if p.Currency != req.Currency && p.BasePrice.IsNegative() {
		lost = append(lost, NotApplied{What: "source", ID: string(ScopeBase), Reason: fmt.Sprintf("list price is in %s, the quote is in %s", p.Currency, req.Currency)})
	}
	// The product's own currency first, then the euro, then the others.
	slices.SortStableFunc(foreign, func(a, b foreignPrice) int {
		rank := func(c string) int {
			switch c {
			case p.Currency:
				return 0
			case fx.EUR:
				return 1
			}
			return 2
		}
		if c := cmp.Compare(rank(a.currency), rank(b.currency)); c != 0 {
			return c
		}
		return strings.Compare(a.currency, b.currency)
	})
	var converted []foreignPrice
	for _, f := range foreign {
		prev := slices.IndexFunc(converted, func(c foreignPrice) bool { return c.id == f.id })
		var why string
		switch {
		case req.Rates == nil && f.entry == nil:
			why = fmt.Sprintf("list price is in %s, the quote is in %s", f.currency, req.Currency)
		case req.Rates == nil:
			why = "priced in " + f.currency + ", the quote is in " + req.Currency
		case slices.Contains(inQuote, f.id):
			why = "a price in " + req.Currency + " is set for " + f.id + ": it wins over conversion"
		case prev >= 0:
			why = "converted from " + converted[prev].currency + " instead"
		}
		var c *Conversion
		var unit decimal.Decimal
		e := f.entry
		if why == "" {
			var ok bool
			if c, unit, ok = conv.conversion(f.unit, f.currency); ok && e != nil {
				e, ok = conv.entry(e)
			}
			if !ok {
				why = "priced in " + f.currency + ", and no exchange rate from " + f.currency + " to " + req.Currency + " on " + req.Date.Format(time.DateOnly)
			}
		}
		if why != "" {
			lost = append(lost, NotApplied{What: "source", ID: f.id, Reason: why, UnitPrice: new(money.AmountIn(f.unit, f.currency)), Currency: f.currency})
			continue
		}
		converted = append(converted, f)
		s := Source{Scope: ScopeBase, UnitPrice: money.NewAmount(unit, minor), Net: f.net, Converted: c, entry: e, name: f.id}
		if e != nil {
			s.Scope, s.ScopeID = e.Scope, e.ScopeID
		}
		sources = append(sources, s)
	}
	slices.SortStableFunc(sources, func(a, b Source) int { return specificity[a.Scope] - specificity[b.Scope] })
	return sources, lost
}

// entryName names an entry as explanations do: "price-category 1", "base".
func entryName(e *PriceEntry) string {
	if e.ScopeID == "" {
		return string(e.Scope)
	}
	return string(e.Scope) + " " + e.ScopeID
}

// isListPrice reports whether an entry is a list price in its currency: a
// base entry without a scope id.
func isListPrice(e *PriceEntry) bool { return e.Scope == ScopeBase && e.ScopeID == "" }

// entryUnitPrice is a price entry's unit price for a line of units, in the
// entry's currency: its own price, or for a discount-only entry the
// product's list price in the entry's currency (hasList is false when
// there is none; priced is then false), or for a net price by quantity the
// break reached. net is set for a net price.
func entryUnitPrice(e *PriceEntry, list decimal.Decimal, hasList bool, units decimal.Decimal) (unit decimal.Decimal, net, priced bool) {
	unit, priced = e.Price, true
	if unit.Sign() <= 0 {
		unit, priced = list, hasList
	}
	if e.Mode == NetByQuantity {
		if b, ok := pickBreak(e.Breaks, units); ok {
			return b.Value, true, true
		}
		net = !e.Price.IsZero()
	}
	return unit, net, priced
}

// concerns reports whether a price entry is for this customer: a
// customer's, buying group's or price category's entry of the customer, or
// a list price (a base entry without a scope id) for everyone.
func concerns(e *PriceEntry, c Customer) bool {
	switch e.Scope {
	case ScopeCustomer:
		return e.ScopeID == c.ID && c.ID != ""
	case ScopeBuyingGroup:
		return e.ScopeID == c.BuyingGroup && c.BuyingGroup != ""
	case ScopePriceCategory:
		return e.ScopeID == c.PriceCategory && c.PriceCategory != ""
	case ScopeBase:
		return e.ScopeID == ""
	}
	return false
}

func grossOf(s Source, units int64, currency string) decimal.Decimal {
	return money.Round(s.UnitPrice.Mul(decimal.NewFromInt(units)), currency)
}

// pickBreak returns the break with the greatest From not above v.
func pickBreak(breaks []Break, v decimal.Decimal) (Break, bool) {
	var best Break
	found := false
	for _, b := range breaks {
		if b.From.LessThanOrEqual(v) && (!found || b.From.GreaterThan(best.From)) {
			best, found = b, true
		}
	}
	return best, found
}

// percentOf is pct percent of amount, exact.
func percentOf(amount, pct decimal.Decimal) decimal.Decimal { return amount.Mul(pct).Shift(-2) }

// clampPercent keeps a percentage within 0..100, so no discount can make a
// price negative.
func clampPercent(p decimal.Decimal) decimal.Decimal {
	if p.IsNegative() {
		return decimal.Zero
	}
	if p.GreaterThan(hundred) {
		return hundred
	}
	return p
}
