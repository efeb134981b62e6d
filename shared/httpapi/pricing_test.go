package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/pricing"
)

func (f *catalogFixture) post(t *testing.T, host, path, token, body string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Host", host)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.pricing.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func quoteBody(t *testing.T, q httpapi.QuoteRequest) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(q); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func buyerOf(customerID string) identity.Caller {
	return identity.Caller{Role: identity.Buyer, Subject: "buyer-" + customerID, Merchant: demo.Hydro, Customer: customerID}
}

func discountRules(l pricing.PricedLine) []string {
	var ids []string
	for _, a := range l.Discounts {
		ids = append(ids, a.Rule)
	}
	return ids
}

func notApplied(l pricing.PricedLine, id string) string {
	for _, n := range l.NotApplied {
		if n.ID == id {
			return n.Reason
		}
	}
	return ""
}

// customerPricedValve is a ball valve with a customer price for C0001.
func customerPricedValve(f *catalogFixture) string {
	for _, e := range f.data.CustomerPrices {
		if e.ScopeID == "C0001" && strings.HasPrefix(e.Ref, "VANNES-BILLE") {
			return e.Ref
		}
	}
	return "none"
}

// quoteCase is one line quoted for a buyer, and what its explanation must
// say.
type quoteCase struct {
	name   string
	buyer  string
	line   pricing.Line
	source pricing.Scope
	rules  []string
	net    bool
	lost   string // a source or rule that must be explained
}

// quoteCases cover every price source of the demo: a customer price with
// its quantity break, a net price rule, a buying group's net price, a "hors
// remise" product, a pallet with the order amount discount.
func quoteCases(f *catalogFixture) []quoteCase {
	valve := customerPricedValve(f)
	centri := "POMPES-CENTRI-101"
	return []quoteCase{
		{"customer price, its quantity break, then the family discount", "C0001", pricing.Line{Ref: valve, Quantity: 12},
			pricing.ScopeCustomer, []string{"source", demo.RuleFamilyValvesC0001}, false, "price-category 1"},
		{"net price rule beats the price category", "C0004", pricing.Line{Ref: demo.PumpRef, Quantity: 2},
			pricing.ScopePriceCategory, []string{demo.RuleNetPumpC0004}, true, "source"},
		{"buying group net price by quantity", "C0002", pricing.Line{Ref: centri, Quantity: 6},
			pricing.ScopeBuyingGroup, nil, true, "price-category 2"},
		{"hors remise takes nothing, not even the promotion", "C0001", pricing.Line{Ref: demo.FilterRef, Quantity: 300},
			pricing.ScopeBase, nil, false, demo.RuleFilterPromo},
		{"a pallet, then the order amount discount", "C0003", pricing.Line{Ref: "VANNES-BILLE-101", Quantity: 1, Packaging: "pallet"},
			pricing.ScopePriceCategory, []string{demo.RulePallet, demo.RuleOrder}, false, "base"},
	}
}

func TestPricingAPI_QuotesExplainEverySource(t *testing.T) {
	f := newCatalogFixture(t)
	for _, c := range quoteCases(f) {
		t.Run(c.name, func(t *testing.T) {
			tok := f.token(t, buyerOf(c.buyer))
			r := f.post(t, frHost, "/pricing/quote", tok, quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{c.line}}))
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			q := decode[httpapi.QuoteResponse](t, r)
			l := q.Lines[0].PricedLine
			if q.Customer != c.buyer || l.Source.Scope != c.source || l.Net != c.net || strings.Join(discountRules(l), ",") != strings.Join(c.rules, ",") {
				t.Fatalf("customer %s source %s net %v discounts %v\n%s", q.Customer, l.Source.Scope, l.Net, discountRules(l), r.body)
			}
			sum := decimal.Zero
			for _, a := range l.Discounts {
				sum = sum.Add(a.Amount.Decimal)
			}
			if !l.Gross.Sub(sum).Equal(l.Total.Decimal) || !q.Total.Equal(l.Total.Decimal) || l.Total.IsNegative() {
				t.Fatalf("amounts do not add up: gross %s discounts %s total %s", l.Gross, sum, l.Total)
			}
			if notApplied(l, c.lost) == "" {
				t.Errorf("%s is not explained: %+v", c.lost, l.NotApplied)
			}
		})
	}
}

// accessCase is one caller quoting for one customer.
type accessCase struct {
	name, token, customer string
	status                int
	slug                  string
	priced                string
	// outsideContract is set when docs/openapi.yaml itself refuses the
	// request (no bearer token).
	outsideContract bool
}

// accessLines are the lines of every access case.
var accessLines = []pricing.Line{{Ref: "VANNES-BILLE-101", Quantity: 1}}

// accessCases are who may quote for whom.
func accessCases(t *testing.T, f *catalogFixture) []accessCase {
	rep1 := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep1", Merchant: demo.Hydro, Rep: "R01"})
	staff := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro})
	jardin := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Jardin})
	return []accessCase{
		{"buyer, own company", f.token(t, buyer), "", 200, "", "C0001", false},
		{"buyer naming their own company", f.token(t, buyer), "C0001", 200, "", "C0001", false},
		{"buyer naming another company", f.token(t, buyer), "C0002", 403, "forbidden", "", false},
		{"rep, customer of the portfolio", rep1, "C0003", 200, "", "C0003", false},
		{"rep, customer of another rep", rep1, "C0008", 403, "forbidden", "", false},
		{"rep, unknown customer", rep1, "C9999", 403, "forbidden", "", false},
		{"rep without a customer", rep1, "", 400, "invalid-parameter", "", false},
		{"staff, any customer", staff, "C0009", 200, "", "C0009", false},
		{"staff, list prices", staff, "", 200, "", "", false},
		{"staff, unknown customer", staff, "C9999", 404, "not-found", "", false},
		{"staff of another merchant", jardin, "C0001", 401, "invalid-token", "", false},
		{"anonymous", "", "", 401, "unauthenticated", "", true},
	}
}

func TestPricingAPI_AccessMatrix(t *testing.T) {
	f := newCatalogFixture(t)
	for _, c := range accessCases(t, f) {
		t.Run(c.name, func(t *testing.T) {
			r := f.post(t, frHost, "/pricing/quote", c.token, quoteBody(t, httpapi.QuoteRequest{Customer: c.customer, Lines: accessLines}))
			if c.slug != "" {
				wantProblem(t, r, c.status, c.slug)
				return
			}
			if r.status != c.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if q := decode[httpapi.QuoteResponse](t, r); q.Customer != c.priced {
				t.Fatalf("priced for %q, want %q", q.Customer, c.priced)
			}
		})
	}
}

// badInputCase is a quote body a buyer sends and the problem it must get.
type badInputCase struct {
	name, body string
	status     int
	slug       string
	fields     []string
	// outsideContract is set when docs/openapi.yaml itself refuses the
	// request (its schema forbids the body).
	outsideContract bool
}

// badInputCases are malformed or unpriceable quote requests.
func badInputCases(t *testing.T, f *catalogFixture) []badInputCase {
	many := make([]pricing.Line, httpapi.MaxQuoteLines+1)
	for i := range many {
		many[i] = pricing.Line{Ref: "VANNES-BILLE-101", Quantity: 1}
	}
	return []badInputCase{
		{"unknown reference, zero and negative quantity, missing packaging", quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{
			{Ref: "NOPE", Quantity: 1}, {Ref: "VANNES-BILLE-101", Quantity: 0}, {Ref: "VANNES-BILLE-101", Quantity: -2},
			{Ref: demo.PumpRef, Quantity: 1, Packaging: "pallet"}, {Ref: "VANNES-BILLE-101", Quantity: 1},
		}}), 422, "invalid-lines", []string{"lines[0]", "lines[1]", "lines[2]", "lines[3]"}, true},
		{"unknown reference", quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{{Ref: "NOPE", Quantity: 1}, {Ref: "VANNES-BILLE-101", Quantity: 1}}}),
			422, "invalid-lines", []string{"lines[0]"}, false},
		{"unknown packaging", quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{{Ref: "VANNES-BILLE-101", Quantity: 1}, {Ref: demo.PumpRef, Quantity: 1, Packaging: "pallet"}}}),
			422, "invalid-lines", []string{"lines[1]"}, false},
		{"another merchant's product", quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{{Ref: "JS-001", Quantity: 1}}}), 422, "invalid-lines", []string{"lines[0]"}, false},
		{"inactive product", quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{{Ref: inactiveRef(f), Quantity: 1}}}), 422, "invalid-lines", []string{"lines[0]"}, false},
		{"not JSON", "{", 400, "invalid-body", nil, true},
		{"unknown field", `{"lines":[{"ref":"X","quantity":1}],"discount":50}`, 400, "invalid-body", nil, true},
		{"fractional quantity", `{"lines":[{"ref":"VANNES-BILLE-101","quantity":1.5}]}`, 400, "invalid-body", nil, true},
		{"no lines", `{"lines":[]}`, 400, "invalid-parameter", nil, true},
		{"too many lines", quoteBody(t, httpapi.QuoteRequest{Lines: many}), 400, "invalid-parameter", nil, true},
		{"bad date", `{"date":"26/11/2026","lines":[{"ref":"VANNES-BILLE-101","quantity":1}]}`, 400, "invalid-parameter", nil, true},
		{"bad currency", `{"currency":"euro","lines":[{"ref":"VANNES-BILLE-101","quantity":1}]}`, 400, "invalid-parameter", nil, true},
		{"currency that is not ISO 4217", `{"currency":"XYZ","lines":[{"ref":"VANNES-BILLE-101","quantity":1}]}`, 400, "invalid-parameter", nil, false},
		{"no price in that currency", `{"currency":"USD","lines":[{"ref":"VANNES-BILLE-101","quantity":1}]}`, 422, "invalid-lines", []string{"lines[0]"}, false},
		{"more than a billion units", quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{{Ref: "VANNES-BILLE-101", Quantity: pricing.MaxQuantity, Packaging: "pallet"}}}),
			422, "invalid-lines", []string{"lines[0]"}, false},
	}
}

// A packaging of 2^63−1 units, as an import could store it, never prices a
// line with a wrapped number of units (2 pallets were -2 units, gross -2):
// the line is refused.
func TestPricingAPI_APackagingOfAbsurdUnitsNeverWrapsALine(t *testing.T) {
	f := newCatalogFixture(t)
	ctx := context.Background()
	store := &dynamo.Catalog{Table: f.table}
	p, err := store.Product(ctx, demo.Hydro, "VANNES-BILLE-101")
	if err != nil {
		t.Fatal(err)
	}
	p.Packagings = []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Pallet, Units: math.MaxInt64}}
	if err := store.SaveProducts(ctx, demo.Hydro, []catalog.Product{p}); err != nil {
		t.Fatal(err)
	}
	r := f.post(t, frHost, "/pricing/quote", f.token(t, buyer), quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{
		{Ref: "VANNES-BILLE-101", Quantity: 2, Packaging: catalog.Pallet}, {Ref: "VANNES-BILLE-101", Quantity: 3}}}))
	wantProblem(t, r, http.StatusUnprocessableEntity, "invalid-lines")
	errs := decode[httpapi.Problem](t, r).Errors
	if len(errs) != 1 || errs[0].Field != "lines[0]" || !strings.HasPrefix(errs[0].Reason, pricing.ErrInvalidQuantity+": ") {
		t.Fatalf("errors %+v", errs)
	}
}

func TestPricingAPI_BadInput(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	for _, c := range badInputCases(t, f) {
		t.Run(c.name, func(t *testing.T) {
			r := f.post(t, frHost, "/pricing/quote", tok, c.body)
			wantProblem(t, r, c.status, c.slug)
			p := decode[httpapi.Problem](t, r)
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("errors on %v, want %v (%+v)", got, c.fields, p.Errors)
			}
		})
	}
}

func TestPricingAPI_ValidityDates(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	line := []pricing.Line{{Ref: "FILTRE-CART-101", Quantity: 1}}
	inPromo := decode[httpapi.QuoteResponse](t, f.post(t, frHost, "/pricing/quote", tok, quoteBody(t, httpapi.QuoteRequest{Lines: line})))
	after := decode[httpapi.QuoteResponse](t, f.post(t, frHost, "/pricing/quote", tok,
		quoteBody(t, httpapi.QuoteRequest{Date: strconv.Itoa(fixtureDay.Year()+1) + "-02-01", Lines: line})))
	if got := discountRules(inPromo.Lines[0].PricedLine); len(got) != 1 || got[0] != demo.RuleFilterPromo {
		t.Fatalf("in promotion: %v", got)
	}
	if len(after.Lines[0].Discounts) != 0 || notApplied(after.Lines[0].PricedLine, demo.RuleFilterPromo) == "" || !after.Total.GreaterThan(inPromo.Total.Decimal) {
		t.Fatalf("after the promotion: %+v", after.Lines[0])
	}
}

func TestPricingAPI_RoundTrips(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	var lines []pricing.Line
	for _, p := range f.data.Products[demo.Hydro] {
		if !p.Inactive && len(lines) < 95 {
			lines = append(lines, pricing.Line{Ref: p.Ref, Quantity: 3})
		}
	}
	body := quoteBody(t, httpapi.QuoteRequest{Lines: lines})
	f.post(t, frHost, "/pricing/quote", tok, body) // warms the storefront and rules caches
	r := f.post(t, frHost, "/pricing/quote", tok, body)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if calls := r.header.Get(httpapi.CallsHeader); calls != "2" {
		t.Errorf("a %d-line quote cost %s round trips, want 2", len(lines), calls)
	}
}

func TestCatalogAPI_ShowsEachCallerTheirOwnPrices(t *testing.T) {
	f := newCatalogFixture(t)
	valve := customerPricedValve(f)
	path := "/catalog/products/" + valve
	staff := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro})
	rep1 := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep1", Merchant: demo.Hydro, Rep: "R01"})
	cases := []struct {
		name, host, path, token string
		source                  string
		breaks                  bool
	}{
		{"buyer with a customer price and breaks", frHost, path, f.token(t, buyer), "customer", true},
		{"buyer of price category 2", frHost, path, f.token(t, buyerOf("C0003")), "price-category", false},
		{"anonymous on the open storefront: list price", beHost, path, "", "base", false},
		{"rep for a customer of the portfolio", frHost, path + "?customer=C0001", rep1, "customer", true},
		{"staff without a customer: list price", frHost, path, staff, "base", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.get(t, c.host, c.path, c.token)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			p := decode[httpapi.ProductView](t, r)
			if p.Price == nil || p.Price.Source != c.source || (len(p.Price.Breaks) > 0) != c.breaks {
				t.Fatalf("price %+v", p.Price)
			}
		})
	}
	// A buyer never sees another company's prices, a rep never outside the
	// portfolio.
	wantProblem(t, f.get(t, frHost, path+"?customer=C0002", f.token(t, buyer)), 403, "forbidden")
	wantProblem(t, f.get(t, frHost, path+"?customer=C0008", rep1), 403, "forbidden")
	// The list page shows the same price as the detail.
	tok := f.token(t, buyer)
	page := decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/categories/VANNES-BILLE/products?limit=100", tok))
	detail := decode[httpapi.ProductView](t, f.get(t, frHost, path, tok))
	for _, it := range page.Items {
		if it.Ref == valve && (it.Price == nil || !it.Price.Amount.Equal(detail.Price.Amount.Decimal)) {
			t.Fatalf("page price %+v, detail %+v", it.Price, detail.Price)
		}
	}
}
