package httpapi

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
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
	// taxRate is set when prices are shown VAT-inclusive (TTC).
	taxRate *decimal.Decimal
	now     time.Time
}

// viewerFor reads what the caller's view needs, all at once: the rules (when
// prices show), and for a customer view their account, their price entries
// for refs and the assortments. withPrices is false where nothing is priced. A buyer always sees their own company's
// view; a rep or staff member sees a customer's with ?customer= (a rep only
// within their portfolio), the whole catalog at list prices without.
func (a *CatalogAPI) viewerFor(r *Request, aud catalog.Audience, refs []string, withPrices bool) (*viewer, error) {
	v := &viewer{aud: aud, now: a.clock().UTC()}
	repID := ""
	requested := r.URL.Query().Get("customer")
	if !r.Caller.IsAnonymous() && (requested != "" || r.Caller.Role == identity.Buyer) {
		var err error
		if v.customerID, repID, err = customerFor(r.Caller, requested); err != nil {
			return nil, err
		}
	}
	var (
		assortments          catalog.Assortments
		rulesErr, cErr, aErr error
		wg                   sync.WaitGroup
	)
	if withPrices && aud.ShowsPrices() {
		wg.Go(func() { v.rules, rulesErr = a.Prices.RuleSet(r.Context(), r.Merchant()) })
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
	if err := errors.Join(rulesErr, aErr); err != nil {
		return nil, err
	}
	c := v.tariff.Customer
	v.assortment = assortments.For(c.ID, c.BuyingGroup, c.PriceCategory)
	v.consumer = c.Kind == customer.Consumer
	if v.consumer || r.Caller.IsAnonymous() && r.Storefront.Consumers {
		if rate, ok := tax.StandardRate(r.Storefront.Country, v.now); ok {
			v.taxRate = &rate
		}
	}
	return v, nil
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
			v.tariff.Entries, v.rules, r.Storefront.Currency, v.now)
	}
	chain := r.Storefront.LanguageChain(requestedLanguage(r.Request))
	out := make([]ProductView, 0, len(visible))
	for _, p := range visible {
		pv := a.view(p, chain)
		if sp, ok := prices[p.Ref]; ok {
			pv.Price = v.price(sp, r.Storefront.Currency)
		}
		out = append(out, pv)
	}
	return out
}

// price shows a shelf price, VAT-inclusive where the viewer sees prices
// with VAT (pricing.ShelfPrice.IncludingVAT), excluding VAT otherwise.
func (v *viewer) price(sp pricing.ShelfPrice, currency string) *PriceView {
	if v.taxRate != nil {
		sp = sp.IncludingVAT(*v.taxRate, currency)
	}
	return &PriceView{Amount: sp.UnitPrice, Currency: currency, TaxIncluded: v.taxRate != nil, Source: string(sp.Source), Net: sp.Net, Breaks: sp.Breaks}
}
