package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tax"
)

// handlersAt builds the pricing and catalog handlers of a new function
// instance (every cache empty) whose clock reads now, with inputs as the
// tax inputs.
func (b demoBackend) handlersAt(t testing.TB, now time.Time, inputs pricing.TaxInputs) *catalogFixture {
	tbl := b.table
	clock := func() time.Time { return now }
	prices := &dynamo.Pricing{Table: tbl, TTL: time.Minute}
	assortments := &dynamo.Assortments{Table: tbl, TTL: time.Minute}
	p := &httpapi.PricingAPI{Pipeline: b.pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}), Now: clock,
		Quoter: &pricing.Quoter{Store: prices, Products: &dynamo.Catalog{Table: tbl}, Assortments: assortments, Tax: inputs}}
	c := &httpapi.CatalogAPI{Pipeline: b.pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}), Catalog: &dynamo.Catalog{Table: tbl},
		Prices: prices, Assortments: assortments, Now: clock, Cursors: testCursors(t), Tax: inputs}
	return &catalogFixture{handler: c.Routes(), pricing: p.Routes(), issuer: b.issuer, data: demo.Build(), table: tbl}
}

// A quote without a date is of the merchant's calendar day: at 23:30 UTC
// on 31 December it is already 1 January in Paris, and France's new rate
// from 1 January applies; for a merchant whose zone is UTC, still the old
// one. The catalog's VAT-inclusive prices follow the same day.
func TestQuoteTax_DefaultDayIsTheMerchantsCalendarDay(t *testing.T) {
	b := newDemoBackend(t)
	ctx := context.Background()
	year := fixtureDay.Year()
	newYear := time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := (&dynamo.TaxRates{Table: b.table}).Put(ctx, demo.Hydro, tax.RateChange{Country: "FR", Category: tax.Standard, Percent: decimal.NewFromInt(21), From: newYear}); err != nil {
		t.Fatal(err)
	}
	eve := time.Date(year, 12, 31, 23, 30, 0, 0, time.UTC)
	check := func(t *testing.T, f *catalogFixture, rate, day string) {
		t.Helper()
		r := f.post(t, frHost, "/pricing/quote", f.token(t, buyerOf("C0001")), quoteBody(t, httpapi.QuoteRequest{Lines: valveLine}))
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		q := decodeQuote(t, r)
		checkTaxAddsUp(t, q)
		if q.Date != day || q.Lines[0].Tax.Rate.String() != rate {
			t.Errorf("quote of %s at %s%%, want %s at %s%%", q.Date, q.Lines[0].Tax.Rate, day, rate)
		}
		// A French consumer is shown the valve at that day's rate too.
		view := f.get(t, frHost, "/catalog/products/VANNES-BILLE-101", f.token(t, buyerOf("P0001")))
		if view.status != http.StatusOK {
			t.Fatalf("%d %s", view.status, view.body)
		}
		ht := decimal.Zero
		for _, p := range f.data.Products[demo.Hydro] {
			if p.Ref == "VANNES-BILLE-101" {
				ht = p.BasePrice
			}
		}
		p := decode[httpapi.ProductView](t, view).Price
		if want := tax.InclusiveUnitPrice(ht, decimal.RequireFromString(rate), "EUR"); p == nil || !p.TaxIncluded || !p.Amount.Equal(want) {
			t.Errorf("catalog price %+v, want %s TTC", p, want)
		}
	}
	t.Run("Paris, by default", func(t *testing.T) {
		check(t, b.handlersAt(t, eve, taxInputs(b.table)), "21", newYear.Format(time.DateOnly))
	})
	t.Run("a merchant in UTC", func(t *testing.T) {
		acc := &dynamo.Accounts{Table: b.table}
		m := demo.Build().Merchants[0]
		if m.ID != demo.Hydro {
			t.Fatalf("first demo merchant %s", m.ID)
		}
		m.TimeZone = "UTC"
		if err := acc.Save(ctx, acc.NewBatch(demo.Hydro).Merchant(m)); err != nil {
			t.Fatal(err)
		}
		check(t, b.handlersAt(t, eve, taxInputs(b.table)), "20", eve.Format(time.DateOnly))
	})
}
