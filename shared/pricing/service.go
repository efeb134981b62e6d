package pricing

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// RuleSet is a merchant's discount rules and precedence setting.
type RuleSet struct {
	Policy Policy `json:"policy"`
	Rules  []Rule `json:"rules"`
}

// CustomerTariff is what pricing reads of one customer: the account, the
// customer's own price entries for some products and, when asked, the rep
// whose portfolio must hold the customer.
type CustomerTariff struct {
	Customer customer.Customer
	Entries  map[string]tariff.Entry
	Rep      *customer.Rep
}

// ErrUnknownCustomer is returned when the customer account does not exist;
// it is customer.ErrUnknown.
var ErrUnknownCustomer = customer.ErrUnknown

// Store is the pricing storage port.
type Store interface {
	// RuleSet returns the merchant's rules and policy.
	RuleSet(ctx context.Context, m merchant.ID) (RuleSet, error)
	// CustomerTariff returns the customer's account and price entries for
	// refs, and the rep repID when it is not empty (nil when unknown).
	CustomerTariff(ctx context.Context, m merchant.ID, customerID string, refs []string, repID string) (CustomerTariff, error)
}

// ProductSource reads products by reference.
type ProductSource interface {
	// Products returns the products that exist among refs.
	Products(ctx context.Context, m merchant.ID, refs []string) (map[string]catalog.Product, error)
}

// AssortmentSource reads a merchant's assortments.
type AssortmentSource interface {
	All(ctx context.Context, m merchant.ID) (catalog.Assortments, error)
}

// Quoter prices requests from storage: it reads the products, the customer's
// tariff, the rules and the assortments concurrently, then runs the engine.
// A product the customer may not see (outside their assortment, or pro-only
// for a consumer) is priced as an unknown reference.
//
// With Tax set, every quote carries its VAT (QuoteResult.Tax). The merchant,
// the VAT rates and, for a quote in another currency than the euro, the
// exchange rates are read beside the tariff (cached per function: a warm
// function reads none of them). The distance-selling state is read only
// for a consumer whose goods go to another member state, as soon as the
// customer's account is read, while the products are still being read: at
// most one round trip more than the quote without tax.
type Quoter struct {
	Store       Store
	Products    ProductSource
	Assortments AssortmentSource
	// Tax reads the tax inputs; nil prices without VAT.
	Tax TaxSource
}

// QuoteInput is a pricing request before its data are read.
type QuoteInput struct {
	Merchant merchant.ID
	// CustomerID is empty for a list-price quote.
	CustomerID string
	// RepID, when set, is read too so that the caller can check the
	// portfolio.
	RepID    string
	Currency string
	Date     time.Time
	Lines    []Line
	// ShipTo is one of the customer's delivery addresses; empty for the
	// default one (else the account address). A quote without a customer
	// ships in the seller's country.
	ShipTo string
}

// QuoteResult is a quote with the customer and rep it was made for.
type QuoteResult struct {
	Quote    Quote
	Customer customer.Customer
	Rep      *customer.Rep
	// Tax is the quote's VAT; nil without a TaxSource or when a line could
	// not be priced.
	Tax *QuoteTax
}

// Quote reads what the lines need and prices them. Inactive products are
// priced as unknown references. When the customer and rep are read, the
// result carries them even with an error, so that the caller checks access
// before it tells anything: an error wrapping ErrUnknownAddress (a ship-to
// not among the customer's addresses) or ErrNoExchangeRate.
func (q *Quoter) Quote(ctx context.Context, in QuoteInput) (QuoteResult, error) {
	refs := make([]string, 0, len(in.Lines))
	seen := map[string]bool{}
	for _, l := range in.Lines {
		if !seen[l.Ref] && catalog.ValidRef(l.Ref) {
			seen[l.Ref] = true
			refs = append(refs, l.Ref)
		}
	}
	var (
		products    map[string]catalog.Product
		ct          CustomerTariff
		rules       RuleSet
		assortments catalog.Assortments
		ti          taxInputs
		errs        [8]error
		wg          sync.WaitGroup
	)
	withTax := q.Tax != nil
	sellerRead := make(chan struct{})
	wg.Go(func() { products, errs[0] = q.Products.Products(ctx, in.Merchant, refs) })
	wg.Go(func() { rules, errs[1] = q.Store.RuleSet(ctx, in.Merchant) })
	if withTax {
		wg.Go(func() {
			defer close(sellerRead)
			ti.seller, errs[4] = q.Tax.Merchant(ctx, in.Merchant)
		})
		wg.Go(func() { ti.rates, errs[5] = q.Tax.Rates(ctx, in.Merchant) })
		if in.Currency != fx.EUR {
			wg.Go(func() { errs[7] = ti.readFX(ctx, q.Tax, in) })
		}
	}
	if in.CustomerID != "" {
		wg.Go(func() {
			ct, errs[2] = q.Store.CustomerTariff(ctx, in.Merchant, in.CustomerID, refs, in.RepID)
			if !withTax || errs[2] != nil || ct.Customer.Kind == customer.Pro {
				return
			}
			// A consumer: the distance-selling state is needed when the
			// goods leave the seller's member state for another one.
			<-sellerRead
			to, err := shipTo(ct.Customer, true, in.ShipTo, ti.seller.Country)
			if err == nil && errs[4] == nil && crossBorderConsumer(ct.Customer.TaxBuyer(), ti.seller.Country, to.Country) {
				var st vatledger.State
				if st, errs[6] = q.Tax.VATState(ctx, in.Merchant, in.Date); errs[6] == nil {
					ti.ledger = &st
				}
			}
		})
		if q.Assortments != nil {
			wg.Go(func() { assortments, errs[3] = q.Assortments.All(ctx, in.Merchant) })
		}
	}
	wg.Wait()
	res := QuoteResult{Customer: ct.Customer, Rep: ct.Rep}
	if err := errors.Join(errs[:]...); err != nil {
		return res, err
	}
	c := ct.Customer
	limit := assortments.For(c.ID, c.BuyingGroup, c.PriceCategory)
	for ref, p := range products {
		if !limit.Allows(p) || p.ProOnly && c.Kind == customer.Consumer {
			delete(products, ref)
		}
	}
	if withTax {
		var err error
		if ti.shipTo, err = shipTo(c, in.CustomerID != "", in.ShipTo, ti.seller.Country); err != nil {
			return res, err
		}
		ti.buyer = buyerOf(c, in.CustomerID != "")
		if ti.fx == nil && in.Currency == fx.EUR && foreignPrices(products, in.Currency) {
			// A euro quote of a product priced in another currency only:
			// the rates convert it (read once per function, cached).
			if err := ti.readFX(ctx, q.Tax, in); err != nil {
				return res, err
			}
		}
	}
	req := Request{
		Customer: Customer{ID: ct.Customer.ID, PriceCategory: ct.Customer.PriceCategory, BuyingGroup: ct.Customer.BuyingGroup},
		Currency: in.Currency, Date: in.Date, Policy: rules.Policy, Lines: in.Lines, Rates: ti.fx,
	}
	res.Quote = Price(req, BuildTariff(products, ct.Entries, rules.Rules))
	if !withTax || !res.Quote.Valid() {
		return res, nil
	}
	qt, err := applyTax(&res.Quote, products, in, ti)
	if err != nil {
		return res, err
	}
	if res.Quote.Valid() {
		res.Tax = qt
	}
	return res, nil
}

// readFX reads the exchange rates of the quote's day. Their absence
// (fx.ErrNoRates) is kept in fxErr, for the quote to report when it needs
// them (ErrNoExchangeRate); any other error (the store failing) is
// returned: it is not the merchant's missing rates.
func (ti *taxInputs) readFX(ctx context.Context, src TaxSource, in QuoteInput) error {
	r, err := src.ExchangeRates(ctx, in.Merchant, in.Date)
	switch {
	case errors.Is(err, fx.ErrNoRates):
		ti.fxErr = err
		return nil
	case err != nil:
		return err
	}
	ti.fx = &r
	return nil
}

// foreignPrices reports whether a product is priced in another currency
// than currency, in its base price or a shared tariff entry.
func foreignPrices(products map[string]catalog.Product, currency string) bool {
	for _, p := range products {
		if p.Currency != "" && p.Currency != currency {
			return true
		}
		for _, e := range p.Tariffs {
			if e.Currency != "" && e.Currency != currency {
				return true
			}
		}
	}
	return false
}

// BuildTariff assembles the engine's input from catalog products (with their
// shared tariffs), a customer's own entries and the rules. Inactive products
// are left out.
func BuildTariff(products map[string]catalog.Product, customerEntries map[string]tariff.Entry, rules []Rule) Tariff {
	t := Tariff{Products: make(map[string]Product, len(products)), Entries: make(map[string][]PriceEntry, len(products)), Rules: rules}
	for ref, p := range products {
		if p.Inactive {
			continue
		}
		fam := p.Families
		if len(fam) == 0 {
			fam = []string{p.CategoryID}
		}
		t.Products[ref] = Product{Ref: ref, Families: fam, BasePrice: p.BasePrice, Currency: p.Currency, NoDiscount: p.NoDiscount, Packagings: p.Packagings}
		entries := append([]PriceEntry(nil), p.Tariffs...)
		if e, ok := customerEntries[ref]; ok {
			entries = append(entries, e)
		}
		t.Entries[ref] = entries
	}
	return t
}

// PriceBreak is the unit price from a quantity on.
type PriceBreak struct {
	MinQuantity int64        `json:"minQuantity"`
	UnitPrice   money.Amount `json:"unitPrice"`
}

// ShelfPrice is a product's price as a catalog page shows it to one customer:
// the unit price excluding VAT at the minimum order quantity, and the
// quantity breaks.
type ShelfPrice struct {
	UnitPrice money.Amount `json:"unitPrice"`
	Source    Scope        `json:"source"`
	Net       bool         `json:"net"`
	Breaks    []PriceBreak `json:"breaks,omitempty"`
}

// IncludingVAT is the shelf price as a consumer is shown it (TTC): VAT at
// pct percent added to the unit price and to every break, each rounded to
// the currency's minor unit (see tax.InclusiveUnitPrice).
func (sp ShelfPrice) IncludingVAT(pct decimal.Decimal, currency string) ShelfPrice {
	minor := money.MinorUnits(currency)
	ttc := func(a money.Amount) money.Amount {
		return money.NewAmount(tax.InclusiveUnitPrice(a.Decimal, pct, currency), minor)
	}
	out := sp
	out.UnitPrice = ttc(sp.UnitPrice)
	if sp.Breaks != nil {
		out.Breaks = make([]PriceBreak, len(sp.Breaks))
		for i, b := range sp.Breaks {
			out.Breaks[i] = PriceBreak{MinQuantity: b.MinQuantity, UnitPrice: ttc(b.UnitPrice)}
		}
	}
	return out
}

// ShelfPrices prices each product by the unit, at its minimum order quantity
// and at every quantity break that concerns it, for one customer. Order-level
// discounts depend on the whole order and are left to the cart. A price set
// in another currency than currency is converted with rates, as a quote
// converts it (nil: not converted, and such a product has no shelf price).
func ShelfPrices(products []catalog.Product, c Customer, customerEntries map[string]tariff.Entry, rules RuleSet, currency string, date time.Time, rates *fx.Rates) map[string]ShelfPrice {
	byRef := make(map[string]catalog.Product, len(products))
	for _, p := range products {
		byRef[p.Ref] = p
	}
	t := BuildTariff(byRef, customerEntries, lineRules(rules.Rules))
	out := make(map[string]ShelfPrice, len(products))
	for _, p := range products {
		pp, ok := t.Products[p.Ref]
		if !ok {
			continue
		}
		minQty := int64(max(p.MinOrderQty, 1))
		qtys := []int64{minQty}
		for _, q := range breakQuantities(pp, t.Entries[p.Ref], t.Rules, c) {
			if q > minQty {
				qtys = append(qtys, q)
			}
		}
		lines := make([]Line, len(qtys))
		for i, q := range qtys {
			lines[i] = Line{Ref: p.Ref, Quantity: q}
		}
		quote := Price(Request{Customer: c, Currency: currency, Date: date, Policy: rules.Policy, Lines: lines, Rates: rates}, t)
		first := quote.Lines[0]
		if first.Error != nil {
			continue
		}
		sp := ShelfPrice{UnitPrice: first.UnitPrice, Source: first.Source.Scope, Net: first.Net}
		prev := first.UnitPrice
		for _, l := range quote.Lines[1:] {
			if l.Error == nil && !l.UnitPrice.Equal(prev.Decimal) {
				sp.Breaks = append(sp.Breaks, PriceBreak{MinQuantity: l.Quantity, UnitPrice: l.UnitPrice})
				prev = l.UnitPrice
			}
		}
		out[p.Ref] = sp
	}
	return out
}

// lineRules drops order-amount rules, which a single product cannot reach.
func lineRules(rules []Rule) []Rule {
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		if r.Kind != OrderAmountTiers {
			out = append(out, r)
		}
	}
	return out
}

// breakQuantities lists the quantities at which a product's price may change
// for the customer: the breaks of its entries and of its quantity rules.
func breakQuantities(p Product, entries []PriceEntry, rules []Rule, c Customer) []int64 {
	set := map[int64]bool{}
	add := func(bs []Break) {
		for _, b := range bs {
			if b.From.IsPositive() && b.From.IsInteger() && b.From.LessThanOrEqual(maxLineUnitsDec) {
				set[b.From.IntPart()] = true
			}
		}
	}
	for i := range entries {
		if e := &entries[i]; concerns(e, c) && (e.Mode == QuantityDiscount || e.Mode == NetByQuantity) {
			add(e.Breaks)
		}
	}
	l := lineCtx{req: Request{Customer: c}, product: p}
	for _, r := range rules {
		if (r.Kind == QuantityTiers || r.Kind == NetPrice) && l.matches(r) {
			add(r.Tiers)
		}
	}
	out := make([]int64, 0, len(set))
	for q := range set {
		out = append(out, q)
	}
	slices.Sort(out)
	return out
}
