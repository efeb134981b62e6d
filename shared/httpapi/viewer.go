package httpapi

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tax"
)

// AssortmentReader reads a merchant's assortments.
type AssortmentReader interface {
	All(ctx context.Context, m merchant.ID) (catalog.Assortments, error)
}

// viewer is the catalog as one caller sees it: whose customer view applies,
// that customer's tariff and assortment, and whether prices include VAT.
type viewer struct {
	aud        catalog.Audience
	customerID string
	tariff     pricing.CustomerTariff
	rules      pricing.RuleSet
	assortment *catalog.Assortment
	consumer   bool
	// ttc holds, when prices are shown VAT-inclusive (TTC), the VAT rate
	// of each tax category for this viewer; a category without one is
	// shown excluding VAT.
	ttc map[tax.Category]decimal.Decimal
	// fx converts prices set in another currency than the storefront's;
	// nil when the storefront sells in the merchant's currency, or no
	// rates are known.
	fx  *fx.Rates
	now time.Time
}

// viewerFor reads what the caller's view needs, all at once: the rules (when
// prices show), and for a customer view their account, their price entries
// for refs and the assortments. withPrices is false where nothing is priced. A buyer always sees their own company's
// view; a rep or staff member sees a customer's with ?customer= (a rep only
// within their portfolio), the whole catalog at list prices without.
func (a *CatalogAPI) viewerFor(r *Request, aud catalog.Audience, refs []string, withPrices bool) (*viewer, error) {
	v := &viewer{aud: aud}
	priced := withPrices && aud.ShowsPrices()
	repID := ""
	requested := r.URL.Query().Get("customer")
	if !r.Caller.IsAnonymous() && (requested != "" || r.Caller.Role == identity.Buyer) {
		var err error
		if v.customerID, repID, err = customerFor(r.Caller, requested); err != nil {
			return nil, err
		}
	}
	var (
		assortments                catalog.Assortments
		seller                     merchant.Merchant
		rulesErr, cErr, aErr, mErr error
		wg                         sync.WaitGroup
	)
	if priced {
		wg.Go(func() { v.rules, rulesErr = a.Prices.RuleSet(r.Context(), r.Merchant()) })
		if a.Tax != nil {
			// The seller's country and time zone (cached per function).
			wg.Go(func() { seller, mErr = a.Tax.Merchant(r.Context(), r.Merchant()) })
		}
	}
	if v.customerID != "" {
		wg.Go(func() { v.tariff, cErr = a.Prices.CustomerTariff(r.Context(), r.Merchant(), v.customerID, refs, repID) })
		wg.Go(func() { assortments, aErr = a.Assortments.All(r.Context(), r.Merchant()) })
	}
	wg.Wait()
	if v.customerID != "" {
		if err := customerAccess(r.Caller, v.customerID, v.tariff.Rep, cErr); err != nil {
			return nil, err
		}
	}
	if err := errors.Join(rulesErr, aErr, mErr); err != nil {
		return nil, err
	}
	c := v.tariff.Customer
	v.assortment = assortments.For(c.ID, c.BuyingGroup, c.PriceCategory)
	v.consumer = c.Kind == customer.Consumer
	if priced {
		// Prices, rules and VAT rates of the merchant's calendar day.
		v.now = seller.Today(a.clock())
		var err error
		switch {
		case v.customerID != "":
			v.ttc, err = a.displayRates(r, seller, c.TaxBuyer(), &c, v.now)
		case r.Caller.IsAnonymous() && r.Storefront.Consumers:
			v.ttc, err = a.displayRates(r, seller, tax.Buyer{}, nil, v.now)
		}
		if err != nil {
			return nil, err
		}
		if v.fx, err = a.shelfRates(r, seller, v.now); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// shelfRates are the exchange rates a storefront selling in another
// currency than the merchant's shows converted prices with (cached per
// function); nil when it sells in the merchant's currency, or when the
// merchant has no rates yet (prices set in another currency then show no
// price, as before).
func (a *CatalogAPI) shelfRates(r *Request, seller merchant.Merchant, day time.Time) (*fx.Rates, error) {
	if a.Tax == nil || seller.Currency == "" || seller.Currency == r.Storefront.Currency {
		return nil, nil
	}
	rates, err := a.Tax.ExchangeRates(r.Context(), r.Merchant(), day)
	switch {
	case errors.Is(err, fx.ErrNoRates):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &rates, nil
}

// displayRates is the VAT rate of each tax category that a buyer is shown
// prices with, or nil when prices are shown excluding VAT: the display rule
// (tax.PricesIncludeTax: TTC for consumers, HT for pros) and the tax
// engine's decision (tax.Rates.Decide) as the checkout will make it. The
// seller is the merchant (its record's country); the ship-to is the
// customer's default delivery address, or for c nil (an anonymous visitor
// of a storefront that sells to consumers) the storefront's country. When
// the goods go to another member state, the merchant's distance-selling
// state decides between the seller's and the destination's rate. The
// merchant and the rates are cached per function, and so is the state in
// the catalog function (a display may lag the ledger by CACHE_TTL; the
// quote reads it fresh). Without a TaxSource, the seed rates apply and the
// storefront's country is the seller's.
func (a *CatalogAPI) displayRates(r *Request, seller merchant.Merchant, b tax.Buyer, c *customer.Customer, now time.Time) (map[tax.Category]decimal.Decimal, error) {
	if !tax.PricesIncludeTax(b) {
		return nil, nil
	}
	ctx, m := r.Context(), r.Merchant()
	rates, from := tax.DefaultRates(), r.Storefront.Country
	if a.Tax != nil {
		var err error
		if rates, err = a.Tax.Rates(ctx, m); err != nil {
			return nil, err
		}
		from = seller.Country
	}
	sit := tax.Situation{Seller: from, ShipTo: r.Storefront.Country, Buyer: b, Date: now}
	if c != nil {
		to, err := c.ShipTo("")
		if err != nil {
			return nil, err
		}
		if sit.ShipTo = to.Country; sit.ShipTo == "" {
			sit.ShipTo = c.Country
		}
	}
	if a.Tax != nil && tax.BetweenMemberStates(from, sit.ShipTo) {
		st, err := a.Tax.VATState(ctx, m, now)
		if err != nil {
			return nil, err
		}
		sit.DistanceSale = st.DistanceSale(tax.VATCountry(sit.ShipTo), decimal.Zero, now)
	}
	out := make(map[tax.Category]decimal.Decimal, 4)
	for _, cat := range []tax.Category{tax.Standard, tax.Intermediate, tax.Reduced, tax.SuperReduced} {
		sit.Category = cat
		if d, err := rates.Decide(sit); err == nil {
			out[cat] = d.Rate
		}
	}
	return out, nil
}

func (a *CatalogAPI) clock() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// sees reports whether the product is visible in this view: the portal's
// rules, the customer's assortment, and no pro-only products for consumers.
func (v *viewer) sees(p catalog.Product) bool {
	return v.aud.SeesProduct(p) && v.assortment.Allows(p) && !(p.ProOnly && v.consumer)
}

// present filters products to the visible ones and turns them into views with
// the viewer's prices.
func (a *CatalogAPI) present(r *Request, v *viewer, products []catalog.Product) []ProductView {
	visible := make([]catalog.Product, 0, len(products))
	for _, p := range products {
		if v.sees(p) {
			visible = append(visible, p)
		}
	}
	var prices map[string]pricing.ShelfPrice
	if v.aud.ShowsPrices() && len(visible) > 0 {
		c := v.tariff.Customer
		prices = pricing.ShelfPrices(visible, pricing.Customer{ID: c.ID, PriceCategory: c.PriceCategory, BuyingGroup: c.BuyingGroup},
			v.tariff.Entries, v.rules, r.Storefront.Currency, v.now, v.fx)
	}
	chain := r.Storefront.LanguageChain(requestedLanguage(r.Request))
	out := make([]ProductView, 0, len(visible))
	for _, p := range visible {
		pv := a.view(p, chain)
		if sp, ok := prices[p.Ref]; ok {
			pv.Price = v.price(sp, r.Storefront.Currency, tax.Category(p.TaxCategory))
		}
		out = append(out, pv)
	}
	return out
}

// price shows a shelf price, VAT-inclusive at the rate of the product's
// tax category where the viewer sees prices with VAT
// (pricing.ShelfPrice.IncludingVAT), excluding VAT otherwise.
func (v *viewer) price(sp pricing.ShelfPrice, currency string, category tax.Category) *PriceView {
	if category == "" {
		category = tax.Standard
	}
	rate, ttc := v.ttc[category]
	if ttc {
		sp = sp.IncludingVAT(rate, currency)
	}
	return &PriceView{Amount: sp.UnitPrice, Currency: currency, TaxIncluded: ttc, Source: string(sp.Source), Net: sp.Net, Breaks: sp.Breaks}
}
