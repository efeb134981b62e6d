package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tax"
)

// jardinBE opens a Belgian storefront of the demo's Jardin Saison (a
// French merchant) that sells to consumers.
func jardinBE(t *testing.T, b demoBackend) string {
	t.Helper()
	const host = "jardin-be.localhost"
	err := (&dynamo.Storefronts{Table: b.table}).Save(context.Background(), []merchant.Storefront{{ID: "be", Merchant: demo.Jardin, Host: host,
		Country: "BE", Language: "fr", Currency: "EUR", Mode: merchant.Open, MerchantLanguage: "fr", Consumers: true}})
	if err != nil {
		t.Fatal(err)
	}
	return host
}

// jardinProduct is the demo's product ref of Jardin Saison.
func jardinProduct(f *catalogFixture, ref string) catalog.Product {
	for _, p := range f.data.Products[demo.Jardin] {
		if p.Ref == ref {
			return p
		}
	}
	return catalog.Product{}
}

// An anonymous visitor of a French merchant's Belgian storefront is shown
// what a Belgian consumer pays at checkout: the French rate while the
// merchant is under the distance-selling threshold, the Belgian one once
// it is over.
func TestCatalogAPI_VATForAnonymousVisitorsIsTheSellersUntilTheThreshold(t *testing.T) {
	b := newDemoBackend(t)
	host := jardinBE(t, b)
	f := b.handlersAt(t, fixtureDay, taxInputs(b.table))
	ht := jardinProduct(f, "JS-001").BasePrice
	show := func(t *testing.T) *httpapi.PriceView {
		t.Helper()
		r := f.get(t, host, "/catalog/products/JS-001", "")
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return decode[httpapi.ProductView](t, r).Price
	}
	if p, want := show(t), tax.InclusiveUnitPrice(ht, decimal.NewFromInt(20), "EUR"); p == nil || !p.TaxIncluded || !p.Amount.Equal(want) {
		t.Fatalf("under the threshold: %+v, want %s (FR 20%%)", p, want)
	}
	e := sale("J1", "BE", "10000.01")
	e.Merchant = demo.Jardin
	if err := (&dynamo.VATLedger{Table: b.table}).Apply(context.Background(), demo.Jardin, defaultZone, []orderevent.Event{e}); err != nil {
		t.Fatal(err)
	}
	if p, want := show(t), tax.InclusiveUnitPrice(ht, decimal.NewFromInt(21), "EUR"); p == nil || !p.TaxIncluded || !p.Amount.Equal(want) {
		t.Errorf("over the threshold: %+v, want %s (BE 21%%)", p, want)
	}
}

// A storefront selling in Swiss francs shows a product priced in euros
// converted at the merchant's exchange rates of the day, as a quote would
// price it, and says the price is in francs.
func TestCatalogAPI_AStorefrontInAnotherCurrencyShowsConvertedPrices(t *testing.T) {
	b := newDemoBackend(t)
	const host = "jardin-ch.localhost"
	err := (&dynamo.Storefronts{Table: b.table}).Save(context.Background(), []merchant.Storefront{{ID: "ch", Merchant: demo.Jardin, Host: host,
		Country: "CH", Language: "fr", Currency: "CHF", Mode: merchant.Open, MerchantLanguage: "fr"}})
	if err != nil {
		t.Fatal(err)
	}
	f := b.handlersAt(t, fixtureDay, taxInputs(b.table))
	rates, err := (&dynamo.ExchangeRates{Table: b.table}).On(context.Background(), demo.Jardin, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	ht := jardinProduct(f, "JS-001").BasePrice
	converted, ok := rates.Convert(ht, "EUR", "CHF")
	if !ok {
		t.Fatal("the demo's rates have no CHF")
	}
	r := f.get(t, host, "/catalog/products/JS-001", "")
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	p := decode[httpapi.ProductView](t, r).Price
	if want := money.Round(converted.Round(pricing.ConvertedPriceDecimals), "CHF"); p == nil || p.Currency != "CHF" || !p.Amount.Equal(want) || p.TaxIncluded {
		t.Errorf("price %+v, want %s CHF excluding VAT (%s EUR at %s)", p, want, ht, rates.PerEUR["CHF"])
	}
}
