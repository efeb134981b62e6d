package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// taxFixture is the catalog and pricing APIs over the demo, built as the
// functions are (wiring): with their tax inputs, on the fixture's day.
type taxFixture struct {
	*catalogFixture
	backend demoBackend
	ledger  *dynamo.VATLedger
	rates   *dynamo.ExchangeRates
}

// taxInputs are fresh stores of the tax inputs, with empty caches: a new
// function instance.
func taxInputs(tbl dynamo.Table) pricing.TaxInputs {
	return pricing.TaxInputs{
		Merchants: &dynamo.Merchants{Table: tbl, TTL: time.Minute},
		TaxRates:  &dynamo.TaxRates{Table: tbl, TTL: time.Minute},
		Ledger:    &dynamo.VATLedger{Table: tbl},
		FX:        &dynamo.ExchangeRates{Table: tbl, TTL: time.Minute},
	}
}

// handlers builds the pricing and catalog handlers of a new function
// instance: every cache empty.
func (b demoBackend) taxHandlers(t testing.TB) (quotes, cat http.Handler) {
	tbl := b.table
	now := func() time.Time { return fixtureDay }
	prices := &dynamo.Pricing{Table: tbl, TTL: time.Minute}
	assortments := &dynamo.Assortments{Table: tbl, TTL: time.Minute}
	inputs := taxInputs(tbl)
	p := &httpapi.PricingAPI{Pipeline: b.pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}), Now: now,
		Quoter: &pricing.Quoter{Store: prices, Products: &dynamo.Catalog{Table: tbl}, Assortments: assortments, Tax: inputs}}
	c := &httpapi.CatalogAPI{Pipeline: b.pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}), Catalog: &dynamo.Catalog{Table: tbl},
		Prices: prices, Assortments: assortments, Now: now, Cursors: testCursors(t), Tax: inputs}
	return p.Routes(), c.Routes()
}

func newTaxFixture(t testing.TB) *taxFixture {
	t.Helper()
	b := newDemoBackend(t)
	quotes, cat := b.taxHandlers(t)
	f := &catalogFixture{handler: cat, pricing: quotes, issuer: b.issuer, data: demo.Build(), table: b.table}
	return &taxFixture{catalogFixture: f, backend: b, ledger: &dynamo.VATLedger{Table: b.table}, rates: &dynamo.ExchangeRates{Table: b.table}}
}

// quote sends a quote as caller and checks the exchange against the
// contract; want is the status expected.
func (f *taxFixture) quote(t *testing.T, caller identity.Caller, q httpapi.QuoteRequest, want int) (httpapi.QuoteResponse, response) {
	t.Helper()
	e := f.postQuote(t, frHost, f.token(t, caller), quoteBody(t, q))
	if e.resp.status != want {
		t.Fatalf("status %d, want %d: %s", e.resp.status, want, e.resp.body)
	}
	c := loadContract(t)
	c.mustConform(t, e, true)
	if want != http.StatusOK {
		return httpapi.QuoteResponse{}, e.resp
	}
	if _, bad := c.minorUnitViolations(t, c.responseSchema(t, http.MethodPost, "/pricing/quote", http.StatusOK), e.resp.body); len(bad) > 0 {
		t.Errorf("amounts without their minor units:\n\t%s", strings.Join(bad, "\n\t"))
	}
	q2 := decodeQuote(t, e.resp)
	checkTaxAddsUp(t, q2)
	return q2, e.resp
}

// decodeQuote decodes a quote.
func decodeQuote(t *testing.T, r response) httpapi.QuoteResponse {
	t.Helper()
	return decode[httpapi.QuoteResponse](t, r)
}

// checkTaxAddsUp checks a quote's VAT arithmetic: each line's base is its
// total, its VAT base × rate rounded to the minor unit, its gross base +
// VAT; the totals per rate are the sums of their lines, and net, VAT and
// gross the sums of all lines, net being the quote's total.
func checkTaxAddsUp(t *testing.T, q httpapi.QuoteResponse) {
	t.Helper()
	if q.Tax == nil || q.ShipTo == nil || q.PricesIncludeTax == nil {
		t.Fatalf("a quote without its VAT: tax %v shipTo %v pricesIncludeTax %v", q.Tax, q.ShipTo, q.PricesIncludeTax)
	}
	type key struct {
		regime  tax.Regime
		country string
		rate    string
	}
	base, vat := map[key]decimal.Decimal{}, map[key]decimal.Decimal{}
	var net, v, gross decimal.Decimal
	for i, l := range q.Lines {
		lt := l.Tax
		if lt == nil {
			t.Fatalf("line %d has no tax", i)
		}
		want := money.Round(lt.Base.Mul(lt.Rate).Div(decimal.NewFromInt(100)), q.Currency)
		if !lt.Base.Equal(l.Total.Decimal) || !lt.VAT.Equal(want) || !lt.Gross.Equal(lt.Base.Add(lt.VAT.Decimal)) {
			t.Errorf("line %d: base %s (total %s), VAT %s (want %s), gross %s", i, lt.Base, l.Total, lt.VAT, want, lt.Gross)
		}
		k := key{lt.Regime, lt.Country, lt.Rate.String()}
		base[k], vat[k] = base[k].Add(lt.Base.Decimal), vat[k].Add(lt.VAT.Decimal)
		net, v, gross = net.Add(lt.Base.Decimal), v.Add(lt.VAT.Decimal), gross.Add(lt.Gross.Decimal)
	}
	if len(q.Tax.PerRate) != len(base) {
		t.Errorf("%d totals per rate for %d distinct rates: %+v", len(q.Tax.PerRate), len(base), q.Tax.PerRate)
	}
	for _, r := range q.Tax.PerRate {
		k := key{r.Regime, r.Country, r.Rate.String()}
		if !r.Base.Equal(base[k]) || !r.VAT.Equal(vat[k]) {
			t.Errorf("rate %+v: base %s VAT %s, the lines sum to %s and %s", k, r.Base, r.VAT, base[k], vat[k])
		}
	}
	if !q.Tax.Net.Equal(net) || !q.Tax.Net.Equal(q.Total.Decimal) || !q.Tax.VAT.Equal(v) || !q.Tax.Gross.Equal(gross) || !q.Tax.Gross.Equal(net.Add(v)) {
		t.Errorf("totals net %s VAT %s gross %s; the lines sum to %s, %s, %s; quote total %s", q.Tax.Net, q.Tax.VAT, q.Tax.Gross, net, v, gross, q.Total)
	}
}

// sale is a consumer's order shipped from France to shipTo, placed on the
// fixture's day, as the checkout will emit it.
func sale(id, shipTo, net string) orderevent.Event {
	n := decimal.RequireFromString(net)
	return orderevent.Event{
		Schema: orderevent.Schema, Version: orderevent.Version, ID: "ev-" + id, Type: orderevent.Placed,
		Merchant: demo.Hydro, OccurredAt: fixtureDay.Add(-time.Hour),
		Order: orderevent.Order{ID: id, PlacedAt: fixtureDay.Add(-time.Hour), Customer: "P-" + id, CustomerKind: orderevent.Consumer,
			ShipFrom: "FR", ShipTo: shipTo, Currency: "EUR", Net: n, VAT: decimal.Zero, Gross: n, NetEUR: n},
	}
}

// valveLine is one unit of a ball valve (standard rate).
var valveLine = []pricing.Line{{Ref: "VANNES-BILLE-101", Quantity: 1}}

// taxCase is one buyer and ship-to, and the VAT its line must get.
type taxCase struct {
	name     string
	customer string
	shipTo   string
	regime   tax.Regime
	country  string
	rate     string
	mention  string
	reason   string // a part of the line's reason
	ttc      bool
	shipID   string
	shipCtry string
}

func TestQuoteTax_EveryCaseOfTheEngine(t *testing.T) {
	f := newTaxFixture(t)
	ctx := context.Background()
	check := func(t *testing.T, c taxCase) httpapi.QuoteResponse {
		t.Helper()
		q, _ := f.quote(t, buyerOf(c.customer), httpapi.QuoteRequest{ShipTo: c.shipTo, Lines: valveLine}, http.StatusOK)
		lt := q.Lines[0].Tax
		if lt.Regime != c.regime || lt.Country != c.country || !lt.Rate.Equal(decimal.RequireFromString(c.rate)) || lt.Category != tax.Standard {
			t.Fatalf("tax %+v, want %s %s %s%%", lt, c.regime, c.country, c.rate)
		}
		if !strings.Contains(lt.Mention, c.mention) || c.mention == "" && lt.Mention != "" || !strings.Contains(lt.Reason, c.reason) {
			t.Errorf("mention %q reason %q, want mention %q and a reason with %q", lt.Mention, lt.Reason, c.mention, c.reason)
		}
		if *q.PricesIncludeTax != c.ttc || q.ShipTo.AddressID != c.shipID || q.ShipTo.Country != c.shipCtry {
			t.Errorf("pricesIncludeTax %v ship-to %+v, want %v %s/%s", *q.PricesIncludeTax, q.ShipTo, c.ttc, c.shipID, c.shipCtry)
		}
		if q.ExchangeRate != nil || q.VATEUR != nil {
			t.Errorf("a euro quote states an exchange rate: %+v %v", q.ExchangeRate, q.VATEUR)
		}
		return q
	}
	for _, c := range []taxCase{
		{"FR to FR, pro", "C0001", "", tax.Domestic, "FR", "20", "", "seller's country", false, "", "FR"},
		{"FR to BE, pro with a valid VAT number", demo.BEProTwoSites, "", tax.IntraEUExempt, "", "0", tax.MentionIntraEU, "valid", false, "antwerpen", "BE"},
		{"FR to BE, pro whose VAT number fails its check", demo.BEProInvalidVAT, "", tax.Domestic, "FR", "20", "", "did not pass validation", false, "", "BE"},
		{"a Belgian pro's French delivery address", demo.BEProTwoSites, "lille", tax.Domestic, "FR", "20", "", "FR", false, "lille", "FR"},
		{"a Belgian pro's Belgian address named", demo.BEProTwoSites, "antwerpen", tax.IntraEUExempt, "", "0", tax.MentionReverseCharge, "", false, "antwerpen", "BE"},
		{"FR to CH, pro", demo.CHPro, "", tax.Export, "", "0", tax.MentionExport, "outside the EU", false, "", "CH"},
		{"FR to US, consumer", demo.USConsumer, "", tax.Export, "", "0", tax.MentionExport, "outside the EU", true, "", "US"},
		{"FR to FR, consumer", "P0001", "", tax.Domestic, "FR", "20", "", "consumer", true, "", "FR"},
	} {
		t.Run(c.name, func(t *testing.T) { check(t, c) })
	}

	// FR to BE, consumer: below the EU-wide threshold, then the quote that
	// takes the total over it, then over it.
	below := taxCase{"", demo.BEConsumer, "", tax.DistanceSaleOrigin, "FR", "20", "", "threshold", true, "", "BE"}
	t.Run("FR to BE, consumer below the threshold", func(t *testing.T) {
		q := check(t, below)
		if !q.Total.LessThan(decimal.NewFromInt(1000)) {
			t.Fatalf("the valve costs %s: the threshold cases assume less than 1,000", q.Total)
		}
	})
	if err := f.ledger.Apply(ctx, demo.Hydro, defaultZone, []orderevent.Event{sale("O1", "BE", "6000.00"), sale("O2", "DE", "4000.00")}); err != nil {
		t.Fatal(err)
	}
	t.Run("FR to BE, consumer at the threshold: this quote takes the total over it", func(t *testing.T) {
		check(t, taxCase{"", demo.BEConsumer, "", tax.DistanceSaleDestination, "BE", "21", "", "art. 59c", true, "", "BE"})
	})
	if err := f.ledger.Apply(ctx, demo.Hydro, defaultZone, []orderevent.Event{sale("O3", "IT", "0.01")}); err != nil {
		t.Fatal(err)
	}
	t.Run("FR to BE, consumer above the threshold", func(t *testing.T) {
		check(t, taxCase{"", demo.BEConsumer, "", tax.DistanceSaleDestination, "BE", "21", "", "exceed", true, "", "BE"})
	})

	// FR to DE, consumer: a merchant whose sales are over the threshold
	// anyway; a second merchant, opted in, is shown by the ledger's rules.
	t.Run("FR to DE, consumer after opt-in", func(t *testing.T) {
		// A fresh ledger (the sales above are cancelled) and then the
		// opt-in.
		var cancel []orderevent.Event
		for _, id := range []string{"O1", "O2", "O3"} {
			e := sale(id, map[string]string{"O1": "BE", "O2": "DE", "O3": "IT"}[id], map[string]string{"O1": "6000.00", "O2": "4000.00", "O3": "0.01"}[id])
			e.ID, e.Type, e.OccurredAt = e.ID+"-cancelled", orderevent.Cancelled, fixtureDay.Add(-time.Minute)
			cancel = append(cancel, e)
		}
		if err := f.ledger.Apply(ctx, demo.Hydro, defaultZone, cancel); err != nil {
			t.Fatal(err)
		}
		check(t, taxCase{"", demo.DEConsumer, "", tax.DistanceSaleOrigin, "FR", "20", "", "threshold", true, "", "DE"})
		if _, err := f.ledger.UpdateSettings(ctx, demo.Hydro, func(s *vatledger.Settings) error {
			s.OptIn = &vatledger.OptIn{From: fixtureDay.AddDate(0, 0, -1), By: "admin@hydrotech.fr"}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		check(t, taxCase{"", demo.DEConsumer, "", tax.DistanceSaleDestination, "DE", "19", "", "opted in", true, "", "DE"})
	})
}

func TestQuoteTax_ShipToAndItsProblems(t *testing.T) {
	f := newTaxFixture(t)
	staff := identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro}
	rep2 := identity.Caller{Role: identity.Rep, Subject: "rep2", Merchant: demo.Hydro, Rep: "R02"}

	_, r := f.quote(t, buyerOf(demo.BEProTwoSites), httpapi.QuoteRequest{ShipTo: "paris", Lines: valveLine}, http.StatusUnprocessableEntity)
	wantProblem(t, r, http.StatusUnprocessableEntity, "unknown-address")
	// Another customer's address is not this one's.
	_, r = f.quote(t, buyerOf("C0001"), httpapi.QuoteRequest{ShipTo: "lille", Lines: valveLine}, http.StatusUnprocessableEntity)
	wantProblem(t, r, http.StatusUnprocessableEntity, "unknown-address")
	// Access comes first: a rep outside the portfolio learns nothing of
	// the customer's addresses.
	for _, id := range []string{"lille", "paris"} {
		_, r = f.quote(t, rep2, httpapi.QuoteRequest{Customer: demo.BEProTwoSites, ShipTo: id, Lines: valveLine}, http.StatusForbidden)
		wantProblem(t, r, http.StatusForbidden, "forbidden")
	}
	// Staff: any customer's address; none without a customer.
	q, _ := f.quote(t, staff, httpapi.QuoteRequest{Customer: demo.BEProTwoSites, ShipTo: "lille", Lines: valveLine}, http.StatusOK)
	if q.ShipTo.AddressID != "lille" || q.Lines[0].Tax.Regime != tax.Domestic {
		t.Errorf("staff for the Lille depot: %+v %+v", q.ShipTo, q.Lines[0].Tax)
	}
	list, _ := f.quote(t, staff, httpapi.QuoteRequest{Lines: valveLine}, http.StatusOK)
	if lt := list.Lines[0].Tax; list.Customer != "" || lt.Regime != tax.Domestic || lt.Country != "FR" || *list.PricesIncludeTax || list.ShipTo.Country != "FR" || list.ShipTo.AddressID != "" {
		t.Errorf("list-price quote: %+v, ship-to %+v", lt, list.ShipTo)
	}
	_, r = f.quote(t, staff, httpapi.QuoteRequest{ShipTo: "lille", Lines: valveLine}, http.StatusBadRequest)
	wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
	// A ship-to that cannot be an id is refused before any read.
	for _, bad := range []string{strings.Repeat("x", 65), "a b", "a#b", "a/b"} {
		e := f.postQuote(t, frHost, f.token(t, buyerOf(demo.BEProTwoSites)), quoteBody(t, httpapi.QuoteRequest{ShipTo: bad, Lines: valveLine}))
		wantProblem(t, e.resp, http.StatusBadRequest, "invalid-parameter")
		if e.resp.header.Get(httpapi.CallsHeader) != "0" && e.resp.header.Get(httpapi.CallsHeader) != "1" {
			t.Errorf("%q: %s round trips", bad, e.resp.header.Get(httpapi.CallsHeader))
		}
	}
}

// withCategories saves products with other tax categories than standard and
// returns their references: one intermediate, one reduced.
func withCategories(t *testing.T, f *taxFixture) (intermediate, reduced string) {
	t.Helper()
	ctx := context.Background()
	store := &dynamo.Catalog{Table: f.table}
	var changed []catalog.Product
	for _, p := range f.data.Products[demo.Hydro] {
		if p.Inactive || p.ProOnly || p.Ref == "VANNES-BILLE-101" || p.Currency != "EUR" || len(changed) == 2 {
			continue
		}
		got, err := store.Product(ctx, demo.Hydro, p.Ref)
		if err != nil {
			t.Fatal(err)
		}
		got.TaxCategory = []string{"intermediate", "reduced"}[len(changed)]
		changed = append(changed, got)
	}
	if err := store.SaveProducts(ctx, demo.Hydro, changed); err != nil {
		t.Fatal(err)
	}
	return changed[0].Ref, changed[1].Ref
}

func TestQuoteTax_TotalsPerRateAndALineWithoutARate(t *testing.T) {
	f := newTaxFixture(t)
	ctx := context.Background()
	inter, reduced := withCategories(t, f)
	lines := []pricing.Line{{Ref: "VANNES-BILLE-101", Quantity: 3}, {Ref: inter, Quantity: 7}, {Ref: reduced, Quantity: 11}, {Ref: "VANNES-BILLE-101", Quantity: 1}}
	q, _ := f.quote(t, buyerOf("C0001"), httpapi.QuoteRequest{Lines: lines}, http.StatusOK)
	var rates []string
	for _, r := range q.Tax.PerRate {
		rates = append(rates, r.Country+" "+r.Rate.String())
	}
	if strings.Join(rates, ",") != "FR 20,FR 10,FR 5.5" {
		t.Errorf("totals per rate %v, want FR 20, 10 and 5.5", rates)
	}
	// A Belgian consumer over the threshold: Belgium's reduced rate is not
	// in the table, so that line cannot be taxed and the quote is refused.
	if err := f.ledger.Apply(ctx, demo.Hydro, defaultZone, []orderevent.Event{sale("O1", "BE", "10000.01")}); err != nil {
		t.Fatal(err)
	}
	_, r := f.quote(t, buyerOf(demo.BEConsumer), httpapi.QuoteRequest{Lines: lines}, http.StatusUnprocessableEntity)
	wantProblem(t, r, http.StatusUnprocessableEntity, "invalid-lines")
	p := decode[httpapi.Problem](t, r)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
		if !strings.HasPrefix(e.Reason, pricing.ErrNoTaxRate+": ") || !strings.Contains(e.Reason, "BE") {
			t.Errorf("%s: %s", e.Field, e.Reason)
		}
	}
	if strings.Join(fields, ",") != "lines[1],lines[2]" {
		t.Errorf("errors on %v, want the intermediate and reduced lines: %+v", fields, p.Errors)
	}
	// Once staff set Belgium's rates, the quote is taxed at them.
	if err := (&dynamo.TaxRates{Table: f.table}).Put(ctx, demo.Hydro, tax.RateChange{Country: "BE", Category: tax.Intermediate, Percent: decimal.NewFromInt(12), From: fixtureDay.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := (&dynamo.TaxRates{Table: f.table}).Put(ctx, demo.Hydro, tax.RateChange{Country: "BE", Category: tax.Reduced, Percent: decimal.NewFromInt(6), From: fixtureDay.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	quotes, _ := f.backend.taxHandlers(t) // a new function: the rates are read afresh
	f.pricing = quotes
	q, _ = f.quote(t, buyerOf(demo.BEConsumer), httpapi.QuoteRequest{Lines: lines}, http.StatusOK)
	rates = rates[:0]
	for _, r := range q.Tax.PerRate {
		rates = append(rates, string(r.Regime)+" "+r.Country+" "+r.Rate.String())
	}
	if strings.Join(rates, ",") != "distance-sale-destination BE 21,distance-sale-destination BE 12,distance-sale-destination BE 6" {
		t.Errorf("totals per rate %v", rates)
	}
}

func TestQuoteTax_AQuoteInAnotherCurrency(t *testing.T) {
	f := newTaxFixture(t)
	ctx := context.Background()
	// The valve has a list price in dollars, set by the merchant.
	store := &dynamo.Catalog{Table: f.table}
	valve, err := store.Product(ctx, demo.Hydro, "VANNES-BILLE-101")
	if err != nil {
		t.Fatal(err)
	}
	valve.Tariffs = append(valve.Tariffs, tariff.Entry{Scope: tariff.Base, Ref: valve.Ref, Currency: "USD", Price: decimal.RequireFromString("99.00"), Mode: tariff.Simple})
	if err := store.SaveProducts(ctx, demo.Hydro, []catalog.Product{valve}); err != nil {
		t.Fatal(err)
	}
	// Before any rates: the line has its dollar price, but the VAT cannot
	// be stated in euros.
	_, r := f.quote(t, buyerOf("C0001"), httpapi.QuoteRequest{Currency: "USD", Date: "2025-01-02", Lines: valveLine}, http.StatusUnprocessableEntity)
	wantProblem(t, r, http.StatusUnprocessableEntity, "no-exchange-rate")

	day, err := f.rates.On(ctx, demo.Hydro, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	staff := identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro}
	for _, c := range []struct {
		currency string
		caller   identity.Caller
		price    string // the list price, when the merchant set one in the currency
	}{{"USD", staff, "99"}, {"JPY", buyerOf("C0001"), ""}} {
		t.Run(c.currency, func(t *testing.T) {
			q, _ := f.quote(t, c.caller, httpapi.QuoteRequest{Currency: c.currency, Lines: valveLine}, http.StatusOK)
			rate := day.PerEUR[c.currency]
			if q.Currency != c.currency || q.ExchangeRate == nil || !q.ExchangeRate.Rate.Equal(rate) || q.ExchangeRate.Date != day.Date.Format(time.DateOnly) || q.VATEUR == nil {
				t.Fatalf("currency %s exchange rate %+v vatEUR %v; want %s of %s", q.Currency, q.ExchangeRate, q.VATEUR, rate, day.Date.Format(time.DateOnly))
			}
			if c.price != "" && !q.Lines[0].Source.UnitPrice.Equal(decimal.RequireFromString(c.price)) {
				t.Errorf("the merchant's %s price is %s, the line's source %s", c.currency, c.price, q.Lines[0].Source.UnitPrice)
			}
			want := money.Round(q.Tax.VAT.Div(rate), "EUR")
			if !q.VATEUR.Equal(want) || !q.Tax.VAT.IsPositive() {
				t.Errorf("VAT %s %s is %s EUR, want %s", q.Tax.VAT, c.currency, q.VATEUR, want)
			}
		})
	}
	// A Belgian consumer's quote in dollars counts toward the threshold in
	// euros: 9,990 EUR sold, and a quote worth more than 10 EUR crosses it.
	if err := f.ledger.Apply(ctx, demo.Hydro, defaultZone, []orderevent.Event{sale("O1", "BE", "9990.00")}); err != nil {
		t.Fatal(err)
	}
	q, _ := f.quote(t, buyerOf(demo.BEConsumer), httpapi.QuoteRequest{Currency: "USD", Lines: []pricing.Line{{Ref: "VANNES-BILLE-101", Quantity: 1}}}, http.StatusOK)
	eur := money.Round(q.Total.Div(day.PerEUR["USD"]), "EUR")
	if !eur.GreaterThan(decimal.NewFromInt(10)) || q.Lines[0].Tax.Regime != tax.DistanceSaleDestination || q.Lines[0].Tax.Country != "BE" {
		t.Errorf("a quote of %s EUR after 9,990 EUR: %+v", eur, q.Lines[0].Tax)
	}
	if !strings.Contains(q.Lines[0].Tax.Reason, "10,0") {
		t.Errorf("the reason does not give the total in euros: %s", q.Lines[0].Tax.Reason)
	}
}

func TestQuoteTax_RoundTrips(t *testing.T) {
	f := newTaxFixture(t)
	calls := func(t *testing.T, h http.Handler, customer string, q httpapi.QuoteRequest) int {
		t.Helper()
		f.pricing = h
		r := f.post(t, frHost, "/pricing/quote", f.token(t, buyerOf(customer)), quoteBody(t, q))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		n, err := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		name      string
		customer  string
		currency  string
		extraWarm int
		extraCold int
	}{
		{"pro, domestic", "C0001", "", 0, 2},
		{"pro, intra-EU", demo.BEProTwoSites, "", 0, 2},
		{"consumer, domestic", "P0001", "", 0, 2},
		{"consumer, distance sale", demo.BEConsumer, "", 1, 3},
		{"consumer, export", demo.USConsumer, "", 0, 2},
		{"pro, in dollars", "C0001", "USD", 0, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The baseline: the same quote in euros, priced without VAT.
			untaxed := newQuoterWithoutTax(f.backend)
			base := calls(t, untaxed, c.customer, httpapi.QuoteRequest{Lines: valveLine}) // cold, then warm
			baseWarm := calls(t, untaxed, c.customer, httpapi.QuoteRequest{Lines: valveLine})
			h, _ := f.backend.taxHandlers(t)
			q := httpapi.QuoteRequest{Currency: c.currency, Lines: valveLine}
			cold := calls(t, h, c.customer, q)
			warm := calls(t, h, c.customer, q)
			t.Logf("%s: %d round trips cold (%d without tax), %d warm (%d without tax)", c.name, cold, base, warm, baseWarm)
			// Warm, the merchant, its rates and the exchange rates are
			// cached: only a distance sale reads the ledger.
			if warm-baseWarm != c.extraWarm {
				t.Errorf("tax costs %d round trips warm, want %d", warm-baseWarm, c.extraWarm)
			}
			// Cold, the merchant and its rates are read once (in parallel
			// with the tariff), the exchange rates for another currency,
			// the ledger for a distance sale.
			if cold-base != c.extraCold {
				t.Errorf("tax costs %d round trips cold, want %d", cold-base, c.extraCold)
			}
		})
	}
}

// newQuoterWithoutTax is the pricing handler of a new function instance
// that prices without VAT: the baseline of the round trips tax adds.
func newQuoterWithoutTax(b demoBackend) http.Handler {
	tbl := b.table
	p := &httpapi.PricingAPI{Pipeline: b.pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}), Now: func() time.Time { return fixtureDay },
		Quoter: &pricing.Quoter{Store: &dynamo.Pricing{Table: tbl, TTL: time.Minute}, Products: &dynamo.Catalog{Table: tbl}, Assortments: &dynamo.Assortments{Table: tbl, TTL: time.Minute}}}
	return p.Routes()
}

func TestCatalogAPI_VATInclusivePricesFollowTheTaxEngine(t *testing.T) {
	f := newTaxFixture(t)
	ctx := context.Background()
	_, reduced := withCategories(t, f)
	_, f.handler = f.backend.taxHandlers(t)
	show := func(t *testing.T, host, ref, token string) *httpapi.PriceView {
		t.Helper()
		r := f.get(t, host, "/catalog/products/"+ref, token)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		p := decode[httpapi.ProductView](t, r).Price
		if p == nil {
			t.Fatalf("no price: %s", r.body)
		}
		return p
	}
	// The price excluding VAT a consumer's TTC is computed from: what an
	// anonymous visitor of the open Belgian storefront (which does not sell
	// to consumers) is shown, the same rules applying.
	ht := func(t *testing.T, ref string) decimal.Decimal {
		p := show(t, beHost, ref, "")
		if p.TaxIncluded {
			t.Fatalf("anonymous on %s: %+v", beHost, p)
		}
		return p.Amount.Decimal
	}
	cases := []struct {
		name, ref, customer string
		ttc                 bool
		rate                string
	}{
		{"a French consumer", "VANNES-BILLE-101", "P0001", true, "20"},
		{"a French consumer, a reduced-rate product", reduced, "P0001", true, "5.5"},
		{"a Belgian consumer under the threshold: the French rate", "VANNES-BILLE-101", demo.BEConsumer, true, "20"},
		{"a German consumer under the threshold: the French rate", reduced, demo.DEConsumer, true, "5.5"},
		{"an American consumer: an export, no VAT", "VANNES-BILLE-101", demo.USConsumer, true, "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := show(t, frHost, c.ref, f.token(t, buyerOf(c.customer)))
			want := tax.InclusiveUnitPrice(ht(t, c.ref), decimal.RequireFromString(c.rate), "EUR")
			if !p.TaxIncluded || !p.Amount.Equal(want) {
				t.Fatalf("price %+v, want %s TTC at %s%%", p, want, c.rate)
			}
		})
	}
	for _, pro := range []string{"C0001", demo.BEProTwoSites, demo.CHPro} {
		if p := show(t, frHost, "VANNES-BILLE-101", f.token(t, buyerOf(pro))); p.TaxIncluded {
			t.Errorf("pro %s is shown %+v", pro, p)
		}
	}
	// Over the threshold, a Belgian consumer is shown Belgium's rate.
	if err := f.ledger.Apply(ctx, demo.Hydro, defaultZone, []orderevent.Event{sale("O1", "BE", "10000.01")}); err != nil {
		t.Fatal(err)
	}
	be := f.token(t, buyerOf(demo.BEConsumer))
	if p, want := show(t, frHost, "VANNES-BILLE-101", be), tax.InclusiveUnitPrice(ht(t, "VANNES-BILLE-101"), decimal.NewFromInt(21), "EUR"); !p.TaxIncluded || !p.Amount.Equal(want) {
		t.Errorf("over the threshold: %+v, want %s", p, want)
	}
	// Belgium has no reduced rate in the table: that product is shown
	// excluding VAT rather than at a wrong rate.
	if p := show(t, frHost, reduced, be); p.TaxIncluded || !p.Amount.Equal(ht(t, reduced)) {
		t.Errorf("no Belgian reduced rate: %+v", p)
	}
	// An anonymous visitor of a storefront that sells to consumers sees its
	// country's rate.
	var jardin catalog.Product
	for _, p := range f.data.Products[demo.Jardin] {
		if p.Ref == "JS-001" {
			jardin = p
		}
	}
	if p := show(t, "jardin-fr.localhost", "JS-001", ""); !p.TaxIncluded || !p.Amount.Equal(tax.InclusiveUnitPrice(jardin.BasePrice, decimal.NewFromInt(20), "EUR")) {
		t.Errorf("anonymous on jardin-fr: %+v (list price %s)", p, jardin.BasePrice)
	}
}

// defaultZone is the time zone of a merchant whose record names none.
var defaultZone = merchant.Merchant{}.Location()
