package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/testenv"
)

// cartFixture is the cart API over a fresh table loaded with the demo,
// built as wiring.CartAPI builds it (the quoter with its tax inputs), on
// the fixture's day.
type cartFixture struct {
	handler http.Handler
	issuer  *auth.DevIssuer
	table   dynamo.Table
	data    demo.Data
	quoter  *pricing.Quoter
}

func newCartFixture(t *testing.T) *cartFixture {
	t.Helper()
	tbl := testenv.Table(t)
	data := loadCartDemo(t, tbl)
	iss, err := auth.NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(iss)
	t.Cleanup(jwks.Close)
	b := demoBackend{table: tbl, issuer: iss, jwksURL: jwks.URL}
	products := &dynamo.Catalog{Table: tbl}
	assortments := &dynamo.Assortments{Table: tbl, TTL: time.Minute}
	q := &pricing.Quoter{Store: &dynamo.Pricing{Table: tbl, TTL: time.Minute}, Products: products, Assortments: assortments, Tax: taxInputs(tbl)}
	api := &httpapi.CartAPI{
		Pipeline: b.pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}),
		Carts:    &dynamo.Carts{Table: tbl}, Quoter: q, Catalog: products, Assortments: assortments,
		Orders: &dynamo.Orders{Table: tbl, WarehousesTTL: time.Minute},
		Now:    func() time.Time { return fixtureDay },
	}
	return &cartFixture{handler: api.Routes(), issuer: iss, table: tbl, data: data, quoter: q}
}

// loadCartDemo writes Hydrotech's part of the demo that carts use (its
// storefronts, categories, accounts, tariff and assortments) with a few of
// its products only: the seed's pump and its companions, O-rings sold by
// 50, a product no longer sold and a few plain ones. It returns the demo
// with those products.
func loadCartDemo(t *testing.T, tbl dynamo.Table) demo.Data {
	t.Helper()
	ctx := context.Background()
	d := demo.Build()
	var keep []catalog.Product
	plain, rings, inactive := 0, 0, 0
	for _, p := range d.Products[demo.Hydro] {
		switch {
		case p.Ref == demo.PumpRef || p.Ref == demo.SealKitRef || p.Ref == demo.FilterRef:
		case p.Inactive && !p.ProOnly && inactive < 1:
			inactive++
		case p.Inactive || p.ProOnly || len(p.Links) > 0:
			continue
		case p.CategoryID == "ETANCH-TORIQUES" && p.MinOrderQty == 50 && rings < 1:
			rings++
		case p.MinOrderQty <= 1 && p.OrderMultiple <= 1 && plain < 8:
			plain++
		default:
			continue
		}
		keep = append(keep, p)
	}
	d.Products[demo.Hydro] = keep
	kept := map[string]bool{}
	for _, p := range keep {
		kept[p.Ref] = true
	}
	var prices []tariff.Entry
	for _, e := range d.CustomerPrices {
		if kept[e.Ref] {
			prices = append(prices, e)
		}
	}
	if err := (&dynamo.Storefronts{Table: tbl}).Save(ctx, d.Storefronts); err != nil {
		t.Fatal(err)
	}
	cat := &dynamo.Catalog{Table: tbl}
	if err := cat.SaveCategories(ctx, demo.Hydro, d.Categories[demo.Hydro]); err != nil {
		t.Fatal(err)
	}
	if err := cat.SaveProducts(ctx, demo.Hydro, keep); err != nil {
		t.Fatal(err)
	}
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(demo.Hydro).Merchant(d.Merchants[0])
	for _, pc := range d.PriceCats {
		b.PriceCategory(pc)
	}
	for _, g := range d.BuyingGroups {
		b.BuyingGroup(g)
	}
	for _, c := range d.Customers {
		b.Customer(c)
	}
	for _, r := range d.Reps {
		b.Rep(r)
	}
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	pr := &dynamo.Pricing{Table: tbl}
	if err := pr.SaveCustomerPrices(ctx, demo.Hydro, prices); err != nil {
		t.Fatal(err)
	}
	if err := pr.SaveRuleSet(ctx, demo.Hydro, d.Rules); err != nil {
		t.Fatal(err)
	}
	if err := (&dynamo.Assortments{Table: tbl}).Save(ctx, demo.Hydro, d.Assortments...); err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *cartFixture) token(t *testing.T, c identity.Caller) string {
	t.Helper()
	tok, err := f.issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a request to the cart API; body is JSON unless a Content-Type
// header says otherwise.
func (f *cartFixture) do(t *testing.T, method, path, token, body string, header ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Host", frHost)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// cartBody is the part of a CartView the tests read.
type cartBody struct {
	Customer  string     `json:"customer"`
	Owner     string     `json:"owner"`
	Version   int64      `json:"version"`
	ExpiresAt *time.Time `json:"expiresAt"`
	Currency  string     `json:"currency"`
	Lines     []struct {
		Ref       string             `json:"ref"`
		Quantity  int64              `json:"quantity"`
		Packaging string             `json:"packaging"`
		BroughtBy []string           `json:"broughtBy"`
		Chosen    bool               `json:"chosen"`
		Error     *pricing.LineError `json:"error"`
		Total     string             `json:"total"`
		UnitPrice string             `json:"unitPrice"`
		Source    *struct {
			Scope string `json:"scope"`
		} `json:"source"`
		Tax *struct {
			Rate string `json:"rate"`
			VAT  string `json:"vat"`
		} `json:"tax"`
	} `json:"lines"`
	Suggestions []struct {
		Ref string `json:"ref"`
		For string `json:"for"`
	} `json:"suggestions"`
	Total string `json:"total"`
	Tax   *struct {
		Net   string `json:"net"`
		VAT   string `json:"vat"`
		Gross string `json:"gross"`
	} `json:"tax"`
	PricesIncludeTax *bool `json:"pricesIncludeTax"`
}

// quantities maps each line "ref/packaging" to its quantity.
func (c cartBody) quantities() map[string]int64 {
	out := map[string]int64{}
	for _, l := range c.Lines {
		out[l.Ref+"/"+l.Packaging] = l.Quantity
	}
	return out
}

func (c cartBody) line(t *testing.T, ref string) int {
	t.Helper()
	for i, l := range c.Lines {
		if l.Ref == ref {
			return i
		}
	}
	t.Fatalf("no line %s in %+v", ref, c.Lines)
	return -1
}

// wantCart checks a 200 cart answer and decodes it.
func wantCart(t *testing.T, r response) cartBody {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.status, r.body)
	}
	c := decode[cartBody](t, r)
	if etag := r.header.Get("ETag"); etag != strconv.Quote(strconv.FormatInt(c.Version, 10)) {
		t.Errorf("ETag %q for version %d", etag, c.Version)
	}
	return c
}

func lineBody(customer, ref string, quantity int64, packaging string) string {
	b, _ := json.Marshal(httpapi.CartLineRequest{Customer: customer, Ref: ref, Quantity: quantity, Packaging: catalog.PackagingKind(packaging)})
	return string(b)
}

// oRing is an active O-ring of the demo: sold by unit with a minimum and
// a multiple of 50 units.
func (f *cartFixture) oRing(t *testing.T) string {
	t.Helper()
	for _, p := range f.data.Products[demo.Hydro] {
		if p.CategoryID == "ETANCH-TORIQUES" && !p.Inactive && p.MinOrderQty == 50 && p.OrderMultiple == 50 {
			return p.Ref
		}
	}
	t.Fatal("the demo has no O-ring sold by 50")
	return ""
}

// inactive is a product of the demo that is no longer sold.
func (f *cartFixture) inactive(t *testing.T) string {
	t.Helper()
	for _, p := range f.data.Products[demo.Hydro] {
		if p.Inactive && !p.ProOnly {
			return p.Ref
		}
	}
	t.Fatal("the demo has no inactive product")
	return ""
}

// TestCartAPI runs the cart's cases over one demo table: each case uses
// carts of its own (its own buyers' logins, or other customers).
func TestCartAPI(t *testing.T) {
	f := newCartFixture(t)
	for _, c := range []struct {
		name string
		run  func(*testing.T, *cartFixture)
	}{
		{"LinkedArticlesFollowTheirProduct", cartLinkedArticlesFollowTheirProduct},
		{"QuantityRulesAndRefusals", cartQuantityRulesAndRefusals},
		{"QuickOrder_JSONAndPastedCSV", cartQuickOrder_JSONAndPastedCSV},
		{"Reorder_SaysEachDifference", cartReorder_SaysEachDifference},
		{"ConcurrentWritersWithoutIfMatch_NeverLoseALine", cartConcurrentWritersWithoutIfMatch_NeverLoseALine},
		{"StaleIfMatch_ConflictWithTheCurrentCart", cartStaleIfMatch_ConflictWithTheCurrentCart},
		{"AccessMatrix", cartAccessMatrix},
		{"RoundTrips", cartRoundTrips},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, f) })
	}
}

// buyerToken signs in a buyer of the demo's first customer under a login
// of their own, so that their cart is theirs alone.
func (f *cartFixture) buyerToken(t *testing.T, login string) string {
	t.Helper()
	b := buyer
	b.Subject = login + "@plomberie-lyonnaise.fr"
	return f.token(t, b)
}

func cartLinkedArticlesFollowTheirProduct(t *testing.T, f *cartFixture) {
	tok := f.buyerToken(t, "linked")
	pump, kit := demo.PumpRef+"/unit", demo.SealKitRef+"/unit"

	empty := wantCart(t, f.do(t, http.MethodGet, "/cart", tok, ""))
	if empty.Version != 0 || len(empty.Lines) != 0 || empty.Customer != buyer.Customer || empty.Owner != "B#linked@plomberie-lyonnaise.fr" || empty.ExpiresAt != nil {
		t.Fatalf("empty cart = %+v", empty)
	}

	// Adding the pump adds its seal kit at the ratio (1 per pump).
	c := wantCart(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.PumpRef, 1, "")))
	if q := c.quantities(); len(q) != 2 || q[pump] != 1 || q[kit] != 1 {
		t.Fatalf("after adding the pump: %v, want the pump and one seal kit", q)
	}
	k := c.Lines[c.line(t, demo.SealKitRef)]
	if k.Chosen || !slices.Equal(k.BroughtBy, []string{demo.PumpRef}) {
		t.Errorf("seal kit line = %+v, want brought by the pump, not chosen", k)
	}
	if p := c.Lines[c.line(t, demo.PumpRef)]; !p.Chosen || p.Source == nil || p.Tax == nil || !decimal.RequireFromString(p.Tax.Rate).Equal(decimal.NewFromInt(20)) {
		t.Errorf("pump line = %+v, want chosen, priced with its source and 20%% VAT", p)
	}
	if c.Version != 1 || c.ExpiresAt == nil || c.Tax == nil || c.Tax.Gross == "" || c.PricesIncludeTax == nil || *c.PricesIncludeTax {
		t.Errorf("cart = version %d, expires %v, tax %+v, TTC %v; want version 1, an expiry, VAT totals, HT for a pro", c.Version, c.ExpiresAt, c.Tax, c.PricesIncludeTax)
	}
	// Optional companions come back as suggestions.
	if len(c.Suggestions) != 1 || c.Suggestions[0].Ref != demo.FilterRef || c.Suggestions[0].For != demo.PumpRef {
		t.Errorf("suggestions = %+v, want the filter for the pump", c.Suggestions)
	}

	// Raising the pump raises the kit.
	c = wantCart(t, f.do(t, http.MethodPut, "/cart/lines/"+demo.PumpRef, tok, `{"quantity":2}`))
	if q := c.quantities(); q[pump] != 2 || q[kit] != 2 {
		t.Fatalf("after raising the pump to 2: %v, want 2 kits", q)
	}
	// The kit cannot go below the ratio, nor leave, while the pumps are in.
	wantProblem(t, f.do(t, http.MethodPut, "/cart/lines/"+demo.SealKitRef, tok, `{"quantity":1}`), http.StatusUnprocessableEntity, "mandatory-companion")
	wantProblem(t, f.do(t, http.MethodDelete, "/cart/lines/"+demo.SealKitRef, tok, ""), http.StatusUnprocessableEntity, "mandatory-companion")
	// A kit raised above the need by the buyer is theirs.
	c = wantCart(t, f.do(t, http.MethodPut, "/cart/lines/"+demo.SealKitRef, tok, `{"quantity":3}`))
	if q := c.quantities(); q[kit] != 3 || !c.Lines[c.line(t, demo.SealKitRef)].Chosen {
		t.Fatalf("after setting 3 kits: %+v", c.Lines)
	}
	c = wantCart(t, f.do(t, http.MethodPut, "/cart/lines/"+demo.SealKitRef, tok, `{"quantity":2}`))

	// Removing the pump removes the kit that came with it.
	c = wantCart(t, f.do(t, http.MethodDelete, "/cart/lines/"+demo.PumpRef, tok, ""))
	if q := c.quantities(); len(q) != 1 || q[kit] != 2 {
		// The buyer had set the kit: it stays, as theirs.
		t.Fatalf("after removing the pump: %v", q)
	}
	c = wantCart(t, f.do(t, http.MethodDelete, "/cart/lines/"+demo.SealKitRef, tok, ""))
	if len(c.Lines) != 0 {
		t.Fatalf("lines left: %+v", c.Lines)
	}
	c = wantCart(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.PumpRef, 1, "")))
	c = wantCart(t, f.do(t, http.MethodDelete, "/cart/lines/"+demo.PumpRef, tok, ""))
	if len(c.Lines) != 0 {
		t.Fatalf("the kit that only followed the pump stayed: %+v", c.Lines)
	}
	wantProblem(t, f.do(t, http.MethodDelete, "/cart/lines/"+demo.PumpRef, tok, ""), http.StatusNotFound, "not-found")

	// A customer limited to an assortment without the filter gets the
	// pump and its kit, and no suggestion.
	assorted := f.token(t, identity.Caller{Role: identity.Buyer, Subject: "achats@flandres-maintenance.fr", Merchant: demo.Hydro, Customer: demo.AssortedCustomer})
	c = wantCart(t, f.do(t, http.MethodPost, "/cart/lines", assorted, lineBody("", demo.PumpRef, 1, "")))
	if q := c.quantities(); q[pump] != 1 || q[kit] != 1 || len(c.Suggestions) != 0 {
		t.Errorf("assorted customer: %v, suggestions %+v; want pump and kit, no suggestion", q, c.Suggestions)
	}
	// A consumer may not order the pro-only pump.
	consumer := f.token(t, identity.Caller{Role: identity.Buyer, Subject: "marie.martin@example.fr", Merchant: demo.Hydro, Customer: "P0001"})
	wantProblem(t, f.do(t, http.MethodPost, "/cart/lines", consumer, lineBody("", demo.PumpRef, 1, "")), http.StatusUnprocessableEntity, "product-hidden")
}

func cartQuantityRulesAndRefusals(t *testing.T, f *cartFixture) {
	tok := f.buyerToken(t, "rules")
	ring := f.oRing(t)
	nearest := func(r response) httpapi.NearestQuantities {
		t.Helper()
		wantProblem(t, r, http.StatusUnprocessableEntity, "invalid-quantity")
		var p struct {
			Nearest httpapi.NearestQuantities `json:"nearest"`
		}
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		return p.Nearest
	}
	if n := nearest(f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", ring, 30, ""))); n != (httpapi.NearestQuantities{Above: 50}) {
		t.Errorf("30 O-rings: nearest %+v, want above 50", n)
	}
	if n := nearest(f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", ring, 70, ""))); n != (httpapi.NearestQuantities{Below: 50, Above: 100}) {
		t.Errorf("70 O-rings: nearest %+v, want 50 below and 100 above", n)
	}
	if n := nearest(f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", ring, 0, ""))); n.Above != 50 {
		t.Errorf("0 O-rings: nearest %+v, want above 50", n)
	}
	wantProblem(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", "NOPE-404", 1, "")), http.StatusUnprocessableEntity, "unknown-product")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", f.inactive(t), 1, "")), http.StatusUnprocessableEntity, "product-hidden")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.PumpRef, 1, "pallet")), http.StatusUnprocessableEntity, "invalid-quantity")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", "a b", 1, "")), http.StatusBadRequest, "invalid-parameter")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.PumpRef, 1, "crate")), http.StatusBadRequest, "invalid-parameter")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/lines", tok, `{"ref":"X","quantity":1,"colour":"red"}`), http.StatusBadRequest, "invalid-body")
	wantProblem(t, f.do(t, http.MethodPut, "/cart/lines/"+ring, tok, `{"quantity":1}`, "If-Match", "3"), http.StatusBadRequest, "invalid-parameter")
	// Nothing of that was written.
	if c := wantCart(t, f.do(t, http.MethodGet, "/cart", tok, "")); c.Version != 0 {
		t.Errorf("refused changes wrote the cart: version %d", c.Version)
	}
	// 100 O-rings are fine, and so are 2 lots of 50.
	c := wantCart(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", ring, 100, "")))
	c = wantCart(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", ring, 2, "lot")))
	if q := c.quantities(); q[ring+"/unit"] != 100 || q[ring+"/lot"] != 2 {
		t.Errorf("lines = %v", q)
	}
	// Emptying the cart.
	c = wantCart(t, f.do(t, http.MethodDelete, "/cart", tok, ""))
	if len(c.Lines) != 0 || c.Version != 3 {
		t.Errorf("emptied cart = %+v, want no line at version 3", c)
	}
}

// quickBody is the part of a quick order answer the tests read.
type quickBody struct {
	Results []httpapi.QuickOrderResult `json:"results"`
	Cart    cartBody                   `json:"cart"`
}

func cartQuickOrder_JSONAndPastedCSV(t *testing.T, f *cartFixture) {
	tok := f.buyerToken(t, "quick")
	ring, gone := f.oRing(t), f.inactive(t)
	body, _ := json.Marshal(httpapi.QuickOrderRequest{Lines: []httpapi.QuickOrderLine{
		{Ref: demo.PumpRef, Quantity: 1},
		{Ref: ring, Quantity: 70},
		{Ref: "NOPE-404", Quantity: 2},
		{Ref: gone, Quantity: 1},
		{Ref: demo.PumpRef, Quantity: 1, Packaging: catalog.Pallet},
		{Ref: "a b", Quantity: 1},
		{Ref: demo.FilterRef, Quantity: 0},
	}})
	r := f.do(t, http.MethodPost, "/cart/quick-order", tok, string(body))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	q := decode[quickBody](t, r)
	want := []struct {
		outcome    string
		adjustedTo int64
	}{{"added", 0}, {"adjusted", 100}, {"unknown", 0}, {"hidden", 0}, {"not-orderable", 0}, {"invalid", 0}, {"invalid", 0}}
	if len(q.Results) != len(want) {
		t.Fatalf("results = %+v", q.Results)
	}
	for i, w := range want {
		got := q.Results[i]
		if string(got.Outcome) != w.outcome || got.AdjustedTo != w.adjustedTo || got.Line != i+1 {
			t.Errorf("line %d: %+v, want %s (adjusted to %d)", i+1, got, w.outcome, w.adjustedTo)
		}
		if w.outcome != "added" && got.Detail == "" {
			t.Errorf("line %d: %s without a detail", i+1, got.Outcome)
		}
	}
	if got := q.Cart.quantities(); len(got) != 3 || got[demo.PumpRef+"/unit"] != 1 || got[demo.SealKitRef+"/unit"] != 1 || got[ring+"/unit"] != 100 {
		t.Errorf("cart after the JSON quick order: %v", got)
	}
	if q.Cart.Version != 1 || r.header.Get("ETag") != `"1"` {
		t.Errorf("one write for the whole quick order: version %d, ETag %s", q.Cart.Version, r.header.Get("ETag"))
	}

	// The same, pasted from a French spreadsheet: ';', decimal comma, a
	// header, a fraction of a package refused.
	csv := "Référence;Quantité;Conditionnement\r\n" +
		demo.PumpRef + ";1,0\r\n" +
		ring + ";70\r\n" +
		"NOPE-404;2\r\n" +
		"\r\n" +
		demo.FilterRef + ";1;lot\r\n" +
		demo.FilterRef + ";12,5\r\n"
	r = f.do(t, http.MethodPost, "/cart/quick-order", tok, csv, "Content-Type", "text/csv; charset=utf-8")
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	q = decode[quickBody](t, r)
	wantCSV := []struct {
		line    int
		outcome string
	}{{2, "added"}, {3, "adjusted"}, {4, "unknown"}, {6, "added"}, {7, "invalid"}}
	if len(q.Results) != len(wantCSV) {
		t.Fatalf("results = %+v", q.Results)
	}
	for i, w := range wantCSV {
		if got := q.Results[i]; got.Line != w.line || string(got.Outcome) != w.outcome {
			t.Errorf("result %d = %+v, want line %d %s", i, got, w.line, w.outcome)
		}
	}
	got := q.Cart.quantities()
	if got[demo.PumpRef+"/unit"] != 2 || got[demo.SealKitRef+"/unit"] != 2 || got[ring+"/unit"] != 200 || got[demo.FilterRef+"/lot"] != 1 {
		t.Errorf("cart after the CSV quick order: %v", got)
	}
	// The filter is in the cart now: no longer suggested.
	for _, s := range q.Cart.Suggestions {
		if s.Ref == demo.FilterRef {
			t.Errorf("the filter is suggested while in the cart")
		}
	}

	// Windows-1252 text (an "é" in the header) reads as well.
	ansi := "R\xe9f\xe9rence;Qt\xe9\n" + ring + ";50\n"
	r = f.do(t, http.MethodPost, "/cart/quick-order", tok, ansi, "Content-Type", "text/plain")
	if q := decode[quickBody](t, r); r.status != http.StatusOK || len(q.Results) != 1 || q.Results[0].Outcome != "added" {
		t.Errorf("Windows-1252 paste: %d %s", r.status, r.body)
	}

	// Bounds: 501 lines, no line, another media type.
	many := strings.Repeat(ring+";50\n", 501)
	wantProblem(t, f.do(t, http.MethodPost, "/cart/quick-order", tok, many, "Content-Type", "text/csv"), http.StatusBadRequest, "invalid-parameter")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/quick-order", tok, "\n\n", "Content-Type", "text/csv"), http.StatusBadRequest, "invalid-parameter")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/quick-order", tok, `{"lines":[]}`), http.StatusBadRequest, "invalid-parameter")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/quick-order", tok, "<x/>", "Content-Type", "application/xml"), http.StatusBadRequest, "invalid-parameter")
	huge := strings.Repeat("x", httpapi.MaxBody+1)
	wantProblem(t, f.do(t, http.MethodPost, "/cart/quick-order", tok, huge, "Content-Type", "text/csv"), http.StatusRequestEntityTooLarge, "payload-too-large")
}

// placeOrder writes a past order of the buyer's company.
func (f *cartFixture) placeOrder(t *testing.T, o order.Order) {
	t.Helper()
	if err := (&dynamo.Orders{Table: f.table}).Place(context.Background(), order.Placement{Order: o}); err != nil {
		t.Fatal(err)
	}
}

// todaysUnitPrices quotes lines together for a customer on the fixture's
// day: each line's unit price, by reference.
func (f *cartFixture) todaysUnitPrices(t *testing.T, customerID string, lines []pricing.Line) map[string]money.Amount {
	t.Helper()
	res, err := f.quoter.Quote(context.Background(), pricing.QuoteInput{Merchant: demo.Hydro, CustomerID: customerID, Currency: "EUR",
		Date: time.Date(fixtureDay.Year(), fixtureDay.Month(), fixtureDay.Day(), 0, 0, 0, 0, time.UTC), Lines: lines})
	if err != nil || !res.Quote.Valid() {
		t.Fatalf("quote: %v %+v", err, res.Quote.Lines)
	}
	out := map[string]money.Amount{}
	for _, l := range res.Quote.Lines {
		out[l.Ref] = l.UnitPrice
	}
	return out
}

func cartReorder_SaysEachDifference(t *testing.T, f *cartFixture) {
	tok := f.buyerToken(t, "reorder")
	ring, gone := f.oRing(t), f.inactive(t)
	eur := func(s string) money.Amount { return money.AmountIn(decimal.RequireFromString(s), "EUR") }
	pl := func(ref string, q int64, unit money.Amount) pricing.PricedLine {
		return pricing.PricedLine{Ref: ref, Quantity: q, Packaging: catalog.Unit, Units: q, UnitPrice: unit}
	}
	// The filter's price today, in the same order: it has not changed.
	samePrice := f.todaysUnitPrices(t, buyer.Customer, []pricing.Line{
		{Ref: demo.PumpRef, Quantity: 1}, {Ref: demo.SealKitRef, Quantity: 1}, {Ref: demo.FilterRef, Quantity: 4}, {Ref: ring, Quantity: 50},
	})[demo.FilterRef]
	o := order.Order{
		ID: "20261020-REORDER1", Merchant: demo.Hydro, Customer: buyer.Customer, CustomerKind: "pro",
		PlacedBy: order.PlacedBy{Role: "buyer", ID: buyer.Subject}, PlacedAt: fixtureDay.AddDate(0, -1, 0), Status: order.Accepted,
		Storefront: "fr", ShipFrom: "FR",
		Lines: []order.Line{
			{PricedLine: pl(demo.PumpRef, 1, eur("1500.00"))},
			{PricedLine: pl(demo.SealKitRef, 1, eur("70.00")), LinkedTo: []string{demo.PumpRef}},
			{PricedLine: pl(demo.FilterRef, 4, samePrice)},
			{PricedLine: pl(ring, 30, eur("0.05"))},
			{PricedLine: pl(gone, 2, eur("10.00"))},
			{PricedLine: pl("GONE-FOREVER", 1, eur("10.00"))},
		},
		Totals: order.Totals{Currency: "EUR"},
	}
	f.placeOrder(t, o)
	other := o
	other.ID, other.Customer = "20261020-OTHERCO1", "C0002"
	f.placeOrder(t, other)

	r := f.do(t, http.MethodPost, "/cart/reorder", tok, `{"order":"20261020-REORDER1"}`)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	got := decode[struct {
		Order string                `json:"order"`
		Lines []httpapi.ReorderLine `json:"lines"`
		Cart  cartBody              `json:"cart"`
	}](t, r)
	want := []struct {
		outcome string
		added   int64
		diffs   []string
	}{
		{"added", 1, []string{"price"}},
		{"added", 1, []string{"price"}},
		{"added", 4, []string{}},
		{"adjusted", 50, []string{"quantity", "price"}},
		{"hidden", 0, []string{"unavailable"}},
		{"unknown", 0, []string{"unavailable"}},
	}
	if got.Order != o.ID || len(got.Lines) != len(want) {
		t.Fatalf("reorder = %+v", got)
	}
	for i, w := range want {
		l := got.Lines[i]
		if string(l.Outcome) != w.outcome || l.Added != w.added || !slices.Equal(l.Differences, w.diffs) {
			t.Errorf("line %d (%s): %s, added %d, differences %v; want %s, %d, %v", i, l.Ref, l.Outcome, l.Added, l.Differences, w.outcome, w.added, w.diffs)
		}
		if l.Added > 0 && l.UnitPriceNow == nil {
			t.Errorf("line %d (%s): no price today", i, l.Ref)
		}
	}
	if l := got.Lines[2]; l.UnitPriceNow == nil || !l.UnitPriceNow.Equal(samePrice.Decimal) || !l.UnitPriceThen.Equal(samePrice.Decimal) {
		t.Errorf("unchanged price: then %s, now %v", l.UnitPriceThen, l.UnitPriceNow)
	}
	if l := got.Lines[0]; !l.UnitPriceThen.Equal(decimal.NewFromInt(1500)) || l.UnitPriceNow.Equal(l.UnitPriceThen.Decimal) {
		t.Errorf("pump: then %s, now %v", l.UnitPriceThen, l.UnitPriceNow)
	}
	if !strings.Contains(string(r.body), `"unitPriceThen":"1500.00"`) {
		t.Errorf("the order's price is not printed with the currency's minor units: %s", r.body)
	}
	q := got.Cart.quantities()
	if len(q) != 4 || q[demo.PumpRef+"/unit"] != 1 || q[demo.SealKitRef+"/unit"] != 1 || q[demo.FilterRef+"/unit"] != 4 || q[ring+"/unit"] != 50 {
		t.Errorf("cart after the reorder: %v", q)
	}
	if k := got.Cart.Lines[got.Cart.line(t, demo.SealKitRef)]; k.Chosen {
		t.Errorf("the kit that came with the pump became the buyer's: %+v", k)
	}

	// Another company's order, or none, is not found; a rep reorders for
	// the order's customer within their portfolio only.
	wantProblem(t, f.do(t, http.MethodPost, "/cart/reorder", tok, `{"order":"20261020-OTHERCO1"}`), http.StatusNotFound, "not-found")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/reorder", tok, `{"order":"20261020-NOSUCH01"}`), http.StatusNotFound, "not-found")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/reorder", tok, `{"order":"a/b"}`), http.StatusBadRequest, "invalid-parameter")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/reorder", "", `{"order":"20261020-REORDER1"}`), http.StatusUnauthorized, "unauthenticated")
	rep1 := f.token(t, identity.Caller{Role: identity.Rep, Subject: "l.bernard@hydrotech.fr", Merchant: demo.Hydro, Rep: "R01"})
	rep2 := f.token(t, identity.Caller{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Merchant: demo.Hydro, Rep: "R02"})
	if r := f.do(t, http.MethodPost, "/cart/reorder", rep1, `{"order":"20261020-OTHERCO1"}`); r.status != http.StatusOK {
		t.Errorf("rep of C0002: %d %s", r.status, r.body)
	}
	wantProblem(t, f.do(t, http.MethodPost, "/cart/reorder", rep2, `{"order":"20261020-OTHERCO1"}`), http.StatusNotFound, "not-found")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/reorder", rep2, `{"customer":"C0002","order":"20261020-OTHERCO1"}`), http.StatusForbidden, "forbidden")
	wantProblem(t, f.do(t, http.MethodPost, "/cart/reorder", rep1, `{"customer":"C0001","order":"20261020-OTHERCO1"}`), http.StatusNotFound, "not-found")
}

func cartConcurrentWritersWithoutIfMatch_NeverLoseALine(t *testing.T, f *cartFixture) {
	tok := f.buyerToken(t, "tabs")
	var refs []string
	for _, p := range f.data.Products[demo.Hydro] {
		if !p.Inactive && !p.ProOnly && len(p.Links) == 0 && p.MinOrderQty <= 1 && p.OrderMultiple <= 1 && len(refs) < 8 {
			refs = append(refs, p.Ref)
		}
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make([]int, len(refs))
	for i, ref := range refs {
		wg.Go(func() {
			<-start
			r := f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", ref, int64(i+1), ""))
			statuses[i] = r.status
		})
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("writer %d: status %d", i, s)
		}
	}
	c := wantCart(t, f.do(t, http.MethodGet, "/cart", tok, ""))
	q := c.quantities()
	for i, ref := range refs {
		if q[ref+"/unit"] != int64(i+1) {
			t.Errorf("line %s = %d, want %d: a concurrent write lost it", ref, q[ref+"/unit"], i+1)
		}
	}
	if len(c.Lines) != len(refs) || c.Version != int64(len(refs)) {
		t.Errorf("cart holds %d lines at version %d, want %d at version %d", len(c.Lines), c.Version, len(refs), len(refs))
	}
}

func cartStaleIfMatch_ConflictWithTheCurrentCart(t *testing.T, f *cartFixture) {
	tok := f.buyerToken(t, "stale")
	ring := f.oRing(t)
	v1 := wantCart(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.FilterRef, 1, ""), "If-Match", `"0"`))
	if v1.Version != 1 {
		t.Fatalf("version %d", v1.Version)
	}
	// Another tab writes: version 2.
	wantCart(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", ring, 50, ""), "If-Match", `"1"`))
	// The first tab, still at version 1, is refused with the cart as it
	// stands.
	r := f.do(t, http.MethodPut, "/cart/lines/"+demo.FilterRef, tok, `{"quantity":5}`, "If-Match", `"1"`)
	wantProblem(t, r, http.StatusConflict, "cart-version-mismatch")
	p := decode[struct {
		Cart cartBody `json:"cart"`
	}](t, r)
	if p.Cart.Version != 2 || p.Cart.quantities()[ring+"/unit"] != 50 || p.Cart.quantities()[demo.FilterRef+"/unit"] != 1 || p.Cart.Tax == nil {
		t.Errorf("conflict's cart = %+v, want version 2 priced, with the other tab's O-rings", p.Cart)
	}
	// "0" holds only for a cart never written.
	wantProblem(t, f.do(t, http.MethodDelete, "/cart", tok, "", "If-Match", `"0"`), http.StatusConflict, "cart-version-mismatch")
	// With the current version the write goes through.
	c := wantCart(t, f.do(t, http.MethodPut, "/cart/lines/"+demo.FilterRef, tok, `{"quantity":5}`, "If-Match", `"2"`))
	if c.Version != 3 || c.quantities()[demo.FilterRef+"/unit"] != 5 {
		t.Errorf("cart = %+v", c)
	}
}

func cartAccessMatrix(t *testing.T, f *cartFixture) {
	rep1 := f.token(t, identity.Caller{Role: identity.Rep, Subject: "l.bernard@hydrotech.fr", Merchant: demo.Hydro, Rep: "R01"})
	staff := f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	tok := f.buyerToken(t, "access")
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/cart", ""},
		{http.MethodDelete, "/cart", ""},
		{http.MethodPost, "/cart/lines", lineBody("%s", demo.FilterRef, 1, "")},
		{http.MethodPut, "/cart/lines/" + demo.FilterRef, `{"customer":"%s","quantity":2}`},
		{http.MethodDelete, "/cart/lines/" + demo.FilterRef, ""},
		{http.MethodPost, "/cart/quick-order", `{"customer":"%s","lines":[{"ref":"` + demo.FilterRef + `","quantity":1}]}`},
	}
	cases := []struct {
		name, token, customer string
		status                int
		slug                  string
	}{
		{"anonymous", "", "", 401, "unauthenticated"},
		{"buyer naming another company", tok, "C0002", 403, "forbidden"},
		{"rep without a customer", rep1, "", 400, "invalid-parameter"},
		{"rep outside the portfolio", rep1, "C0006", 403, "forbidden"},
		{"rep naming an unknown customer", rep1, "C9999", 403, "forbidden"},
		{"staff without a customer", staff, "", 400, "invalid-parameter"},
		{"staff naming an unknown customer", staff, "C9999", 404, "not-found"},
	}
	for _, rt := range routes {
		for _, c := range cases {
			t.Run(rt.method+" "+rt.path+"/"+c.name, func(t *testing.T) {
				path, body := rt.path, rt.body
				if strings.Contains(body, "%s") {
					body = fmt.Sprintf(body, c.customer)
				} else if c.customer != "" {
					path += "?customer=" + c.customer
				}
				wantProblem(t, f.do(t, rt.method, path, c.token, body), c.status, c.slug)
			})
		}
	}
	// Nothing was written for anyone.
	for _, c := range []string{"C0002", "C0006"} {
		if r := wantCart(t, f.do(t, http.MethodGet, "/cart?customer="+c, staff, "")); r.Version != 0 {
			t.Errorf("staff cart of %s written", c)
		}
	}
	// A rep's and staff's carts for a customer are their own, not the
	// buyer's.
	wantCart(t, f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.FilterRef, 1, "")))
	repCart := wantCart(t, f.do(t, http.MethodPost, "/cart/lines", rep1, lineBody(buyer.Customer, demo.FilterRef, 3, "")))
	staffCart := wantCart(t, f.do(t, http.MethodGet, "/cart?customer="+buyer.Customer, staff, ""))
	buyerCart := wantCart(t, f.do(t, http.MethodGet, "/cart", tok, ""))
	if repCart.Owner != "R#R01" || repCart.quantities()[demo.FilterRef+"/unit"] != 3 || staffCart.Owner != "S#admin@hydrotech.fr" || len(staffCart.Lines) != 0 ||
		buyerCart.quantities()[demo.FilterRef+"/unit"] != 1 {
		t.Errorf("carts: rep %+v, staff %+v, buyer %+v", repCart, staffCart, buyerCart)
	}
}

// cartRoundTrips counts the DynamoDB operations of the cart's
// main requests once the function is warm (storefront, rules, merchant,
// VAT rates and assortments cached).
func cartRoundTrips(t *testing.T, f *cartFixture) {
	tok := f.buyerToken(t, "trips")
	calls := func(r response) int {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		n, err := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	calls(f.do(t, http.MethodGet, "/cart", tok, "")) // warm the caches
	emptyGet := calls(f.do(t, http.MethodGet, "/cart", tok, ""))
	addPump := calls(f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.PumpRef, 1, "")))
	get := calls(f.do(t, http.MethodGet, "/cart", tok, ""))
	addMore := calls(f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.FilterRef, 2, "")))
	raise := calls(f.do(t, http.MethodPost, "/cart/lines", tok, lineBody("", demo.PumpRef, 1, "")))
	t.Logf("round trips: GET /cart empty %d, with lines %d; POST /cart/lines new product with companions %d, new product %d, raise %d", emptyGet, get, addPump, addMore, raise)
	// GET: the cart, then its products and the customer's tariff at once,
	// then the optional companions to suggest.
	if emptyGet > 2 || get > 4 {
		t.Errorf("GET /cart: %d round trips empty, %d with lines; want at most 2 and 4", emptyGet, get)
	}
	// POST: the cart; its products and the tariff at once; the linked
	// articles; the write; the tariff of the companions.
	if addPump > 6 || addMore > 5 || raise > 4 {
		t.Errorf("POST /cart/lines: %d, %d, %d round trips; want at most 6, 5, 4", addPump, addMore, raise)
	}
}
