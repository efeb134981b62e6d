package httpapi_test

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/pricing"
)

func categoryIDs(t *testing.T, r response) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, c := range decode[struct {
		Categories []httpapi.CategoryView `json:"categories"`
	}](t, r).Categories {
		ids[c.ID] = true
	}
	return ids
}

func TestCatalogAPI_AssortmentLimitsEveryEndpoint(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyerOf(demo.AssortedCustomer))
	rep2 := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep2", Merchant: demo.Hydro, Rep: "R02"})

	cats := categoryIDs(t, f.get(t, frHost, "/catalog/categories", tok))
	for id, want := range map[string]bool{"ETANCH": true, "ETANCH-KITS": true, "VANNES-BILLE": true, "POMPES": false, "POMPES-CENTRI": false, "FILTRE": false} {
		if cats[id] != want {
			t.Errorf("category %s shown = %v, want %v", id, cats[id], want)
		}
	}
	// A category the tree hides has no product list; listed by name, the
	// pump is visible on its detail and in search, other pumps are not.
	wantProblem(t, f.get(t, frHost, "/catalog/categories/POMPES-CHIMIE/products?limit=100", tok), 404, "not-found")
	sawPump := false
	for _, p := range decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/search?q=pompe&limit=100", tok)).Items {
		sawPump = sawPump || p.Ref == demo.PumpRef
		if strings.HasPrefix(p.CategoryID, "POMPES") && p.Ref != demo.PumpRef {
			t.Errorf("searching pumps, the assorted customer finds %s", p.Ref)
		}
	}
	if !sawPump {
		t.Error("searching pumps, the assorted customer misses the pump listed by name")
	}
	if r := f.get(t, frHost, "/catalog/products/"+demo.PumpRef, tok); r.status != 200 {
		t.Errorf("pump listed by name: %d", r.status)
	}
	wantProblem(t, f.get(t, frHost, "/catalog/products/POMPES-CENTRI-101", tok), 404, "not-found")
	// A rep viewing as that customer sees the same limits.
	wantProblem(t, f.get(t, frHost, "/catalog/products/POMPES-CENTRI-101?customer="+demo.AssortedCustomer, rep2), 404, "not-found")
	if r := f.get(t, frHost, "/catalog/products/POMPES-CENTRI-101", rep2); r.status != 200 {
		t.Errorf("a rep without a customer sees the whole catalog: %d", r.status)
	}
	// Pricing refuses what the customer cannot see.
	r := f.post(t, frHost, "/pricing/quote", tok, quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{
		{Ref: "VANNES-BILLE-101", Quantity: 1}, {Ref: "POMPES-CENTRI-101", Quantity: 1},
	}}))
	wantProblem(t, r, 422, "invalid-lines")
	if p := decode[httpapi.Problem](t, r); len(p.Errors) != 1 || p.Errors[0].Field != "lines[1]" {
		t.Errorf("errors %+v", p.Errors)
	}
	// Other customers are not limited.
	if r := f.get(t, frHost, "/catalog/products/POMPES-CENTRI-101", f.token(t, buyer)); r.status != 200 {
		t.Errorf("unlimited buyer: %d", r.status)
	}
}

func TestCatalogAPI_ConsumersSeeTaxIncludedPricesAndNoProOnlyProducts(t *testing.T) {
	f := newCatalogFixture(t)
	consumer := f.token(t, buyerOf("P0001"))
	pro := f.token(t, buyer)
	ref := "VANNES-BILLE-101"
	var base decimal.Decimal
	for _, p := range f.data.Products[demo.Hydro] {
		if p.Ref == ref {
			base = p.BasePrice
		}
	}
	c := decode[httpapi.ProductView](t, f.get(t, frHost, "/catalog/products/"+ref, consumer))
	wantTTC := base.Mul(decimal.RequireFromString("1.2")).Round(2) // France, 20 %
	if c.Price == nil || !c.Price.TaxIncluded || !c.Price.Amount.Equal(wantTTC) {
		t.Fatalf("consumer price %+v, want %s TTC", c.Price, wantTTC)
	}
	p := decode[httpapi.ProductView](t, f.get(t, frHost, "/catalog/products/"+ref, pro))
	if p.Price == nil || p.Price.TaxIncluded {
		t.Fatalf("pro price %+v", p.Price)
	}
	wantProblem(t, f.get(t, frHost, "/catalog/products/"+demo.PumpRef, consumer), 404, "not-found")
	page := decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/categories/POMPES-CHIMIE/products", consumer))
	if len(page.Items) != 0 {
		t.Errorf("a consumer sees %d pro-only products", len(page.Items))
	}
	r := f.post(t, frHost, "/pricing/quote", consumer, quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{{Ref: demo.PumpRef, Quantity: 1}}}))
	wantProblem(t, r, 422, "invalid-lines")
	// An anonymous visitor of a storefront that sells to consumers sees TTC.
	j := decode[httpapi.ProductView](t, f.get(t, "jardin-fr.localhost", "/catalog/products/JS-001", ""))
	if j.Price == nil || !j.Price.TaxIncluded {
		t.Errorf("jardin anonymous price %+v", j.Price)
	}
}

func TestCatalogAPI_AvailabilityPerWarehouse(t *testing.T) {
	f := newCatalogFixture(t)
	ref := "VANNES-BILLE-101"
	levels := map[string]int64{}
	for _, l := range f.data.StockLevels {
		if l.Ref == ref {
			levels[l.Warehouse] = l.Available()
		}
	}
	pro := decode[httpapi.ProductView](t, f.get(t, frHost, "/catalog/products/"+ref, f.token(t, buyer)))
	if pro.Availability == nil || len(pro.Availability.Warehouses) != 3 {
		t.Fatalf("availability %+v", pro.Availability)
	}
	for _, w := range pro.Availability.Warehouses {
		if w.Available == nil || *w.Available != levels[w.Warehouse] {
			t.Errorf("warehouse %s: %v, want %d", w.Warehouse, w.Available, levels[w.Warehouse])
		}
	}
	anon := decode[httpapi.ProductView](t, f.get(t, beHost, "/catalog/products/"+ref, ""))
	for _, w := range anon.Availability.Warehouses {
		if w.Available != nil || w.Status == "" {
			t.Errorf("anonymous sees quantities: %+v", w)
		}
	}
	seed := decode[httpapi.ProductView](t, f.get(t, "jardin-fr.localhost", "/catalog/products/JS-012", ""))
	if seed.Availability == nil || seed.Availability.Status != "pre-order" || seed.Availability.AvailableFrom == "" {
		t.Errorf("seasonal seed availability %+v", seed.Availability)
	}
}
