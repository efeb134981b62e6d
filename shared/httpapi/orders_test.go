package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
)

// ordersTestRef is the product the fixture's orders take from stock: 60 units
// in warehouse 1, 40 in warehouse 2.
const ordersTestRef = "ORDERS-TEST-1"

// ordersAPIFixture is the orders API over a fresh table loaded with the demo,
// and orders placed through the store (their stock taken).
type ordersAPIFixture struct {
	api    http.Handler
	orders *dynamo.Orders
	b      demoBackend
	// base is a day ten days ago at 23:30 UTC: already the next day in
	// the merchant's time zone (Europe/Paris).
	base time.Time
}

func newOrdersAPIFixture(t *testing.T) *ordersAPIFixture {
	t.Helper()
	b := newDemoBackend(t)
	acc := &dynamo.Accounts{Table: b.table}
	batch := acc.NewBatch(demo.Hydro).
		StockLevel(stock.Level{Ref: ordersTestRef, Warehouse: "1", OnHand: 60, Min: 5, Max: 100}).
		StockLevel(stock.Level{Ref: ordersTestRef, Warehouse: "2", OnHand: 40, Min: 5, Max: 100})
	if err := acc.Save(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	orders := &dynamo.Orders{Table: b.table}
	api := &httpapi.OrdersAPI{
		Pipeline: b.pipeline(&dynamo.Storefronts{Table: b.table}), Orders: orders, History: orders,
		Accounts: &dynamo.Pricing{Table: b.table}, Merchants: &dynamo.Merchants{Table: b.table},
		Cursors: testCursors(t),
	}
	d := time.Now().UTC().AddDate(0, 0, -10)
	base := time.Date(d.Year(), d.Month(), d.Day(), 23, 30, 0, 0, time.UTC)
	return &ordersAPIFixture{api: api.Routes(), orders: orders, b: b, base: base}
}

// place places an order of customer at placedAt taking units of ordersTestRef
// from the warehouses (split as allocs), and returns it as placed.
func (f *ordersAPIFixture) place(t *testing.T, id, customer string, placedAt time.Time, method payment.Method, backordered int64, allocs ...order.Allocation) order.Order {
	t.Helper()
	o := testOrder(t, id, customer, placedAt, method, backordered, allocs...)
	if err := f.orders.Place(context.Background(), order.Placement{Order: o}); err != nil {
		t.Fatal(err)
	}
	return o
}

// testOrder is an order of the demo merchant for customer, of units of
// ordersTestRef at 12.50 EUR (the allocations' and the backordered ones)
// plus 9.90 EUR of shipping, at 20 % VAT; paid by method, accepted on
// 30 days end of month when that is on account.
func testOrder(t *testing.T, id, customer string, placedAt time.Time, method payment.Method, backordered int64, allocs ...order.Allocation) order.Order {
	t.Helper()
	units := backordered
	for _, a := range allocs {
		units += a.Units
	}
	eur := func(s string) money.Amount { return money.AmountIn(decimal.RequireFromString(s), "EUR") }
	total := decimal.NewFromInt(units).Mul(decimal.RequireFromString("12.5"))
	lt := tax.TaxLine(tax.Decision{Regime: tax.Domestic, Country: "FR", Category: tax.Standard, Rate: decimal.NewFromInt(20), Reason: "domestic"}, total, "EUR")
	ship := order.ShippingTax([]tax.LineTax{lt}, decimal.RequireFromString("9.9"), "EUR")
	sum := tax.Summarize(append([]tax.LineTax{lt}, ship...))
	o := order.Order{
		ID: id, Merchant: demo.Hydro, Customer: customer, CustomerKind: "pro", CustomerName: "Company " + customer,
		PlacedBy: order.PlacedBy{Role: "buyer", ID: "sub-" + customer}, PlacedAt: placedAt,
		Status: order.AwaitingPayment, Reference: "PO-" + id, Storefront: "fr", ShipFrom: "FR",
		Lines: []order.Line{{
			PricedLine: pricing.PricedLine{Ref: ordersTestRef, Quantity: units, Packaging: "unit", Units: units,
				UnitPrice: eur("12.5"), Gross: money.AmountIn(total, "EUR"), Total: money.AmountIn(total, "EUR"), Discounts: []pricing.Applied{}},
			Name: "Vanne test", Tax: lt, Allocations: allocs, Backordered: backordered,
		}},
		Shipping: order.Shipping{Method: "standard", Country: "FR", Cost: decimal.RequireFromString("9.9"), Tax: ship},
		Payment:  order.Payment{Method: method},
		Totals:   order.Totals{Currency: "EUR", Goods: total, Shipping: decimal.RequireFromString("9.9"), Tax: sum, NetEUR: sum.Net},
	}
	if method == payment.OnAccount {
		terms := payment.ThirtyDaysEndOfMonth
		due, err := payment.DueDate(terms, payment.EndOfMonthThenDays, payment.Dates{Invoice: placedAt})
		if err != nil {
			t.Fatal(err)
		}
		o.Status, o.Payment.Terms, o.Payment.Due = order.Accepted, &terms, &due
		o.Mentions = []string{payment.RecoveryIndemnityMention}
	}
	return o
}

func (f *ordersAPIFixture) token(t *testing.T, c identity.Caller) string {
	t.Helper()
	if c.Role == "" {
		return ""
	}
	c.Merchant = demo.Hydro
	tok, err := f.b.issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *ordersAPIFixture) do(t *testing.T, method, path, token string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Host", frHost)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// available is what the warehouses hold of ordersTestRef now.
func (f *ordersAPIFixture) available(t *testing.T) map[string]int64 {
	t.Helper()
	levels, err := f.orders.Levels(context.Background(), demo.Hydro, []string{ordersTestRef})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, l := range levels[ordersTestRef] {
		out[l.Warehouse] = l.Available()
	}
	return out
}

func orderIDs(items []httpapi.OrderSummaryView) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

var (
	ordersBuyerC0001 = identity.Caller{Role: identity.Buyer, Subject: "achat@plomberie-lyonnaise.fr", Customer: "C0001"}
	ordersBuyerC0006 = identity.Caller{Role: identity.Buyer, Subject: "achat@meunier.fr", Customer: "C0006"}
	ordersRepR01     = identity.Caller{Role: identity.Rep, Subject: "l.bernard@hydrotech.fr", Rep: "R01"}
	ordersRepR02     = identity.Caller{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Rep: "R02"}
	ordersStaff      = identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr"}
)

func orderAlloc(w string, units int64) order.Allocation {
	return order.Allocation{Warehouse: w, Units: units}
}

// A buyer sees their company's orders, a rep those of their portfolio,
// staff every order of their merchant; nobody anything else, and an order
// the caller may not see is 404 as an unknown one.
func TestOrdersAPI_AccessMatrix(t *testing.T) {
	f := newOrdersAPIFixture(t)
	mine := f.place(t, "20260101-AAAAAAA1", "C0001", f.base, payment.Card, 0, orderAlloc("1", 2))
	other := f.place(t, "20260101-AAAAAAA2", "C0006", f.base.Add(time.Hour), payment.Card, 0, orderAlloc("1", 1))
	cases := []struct {
		name   string
		caller identity.Caller
		method string
		path   string
		status int
		slug   string
		// list is the orders a 200 list holds.
		list []string
	}{
		{"anonymous list", identity.Caller{}, "GET", "/orders", 401, "unauthenticated", nil},
		{"anonymous detail", identity.Caller{}, "GET", "/orders/" + mine.ID, 401, "unauthenticated", nil},
		{"anonymous cancel", identity.Caller{}, "POST", "/orders/" + mine.ID + "/cancel", 401, "unauthenticated", nil},
		{"anonymous export", identity.Caller{}, "GET", "/orders/export", 401, "unauthenticated", nil},
		{"buyer, own company", ordersBuyerC0001, "GET", "/orders", 200, "", []string{mine.ID}},
		{"buyer naming their company", ordersBuyerC0001, "GET", "/orders?customer=C0001", 200, "", []string{mine.ID}},
		{"buyer naming another company", ordersBuyerC0001, "GET", "/orders?customer=C0006", 403, "forbidden", nil},
		{"buyer, own order", ordersBuyerC0001, "GET", "/orders/" + mine.ID, 200, "", nil},
		{"buyer, another company's order", ordersBuyerC0001, "GET", "/orders/" + other.ID, 404, "not-found", nil},
		{"buyer cancelling another company's order", ordersBuyerC0001, "POST", "/orders/" + other.ID + "/cancel", 404, "not-found", nil},
		{"buyer export", ordersBuyerC0001, "GET", "/orders/export", 403, "forbidden", nil},
		{"other buyer, own company", ordersBuyerC0006, "GET", "/orders", 200, "", []string{other.ID}},
		{"rep without a customer", ordersRepR01, "GET", "/orders", 400, "invalid-parameter", nil},
		{"rep, portfolio customer", ordersRepR01, "GET", "/orders?customer=C0001", 200, "", []string{mine.ID}},
		{"rep, customer outside the portfolio", ordersRepR01, "GET", "/orders?customer=C0006", 403, "forbidden", nil},
		{"rep, unknown customer", ordersRepR01, "GET", "/orders?customer=C9999", 403, "forbidden", nil},
		{"rep, portfolio order", ordersRepR01, "GET", "/orders/" + mine.ID, 200, "", nil},
		{"rep, order outside the portfolio", ordersRepR01, "GET", "/orders/" + other.ID, 404, "not-found", nil},
		{"other rep, their order", ordersRepR02, "GET", "/orders/" + other.ID, 200, "", nil},
		{"other rep, order outside their portfolio", ordersRepR02, "GET", "/orders/" + mine.ID, 404, "not-found", nil},
		{"rep cancelling outside the portfolio", ordersRepR02, "POST", "/orders/" + mine.ID + "/cancel", 404, "not-found", nil},
		{"rep export", ordersRepR01, "GET", "/orders/export", 403, "forbidden", nil},
		{"staff, every order", ordersStaff, "GET", "/orders", 200, "", []string{other.ID, mine.ID}},
		{"staff, one customer", ordersStaff, "GET", "/orders?customer=C0006", 200, "", []string{other.ID}},
		{"staff, any order", ordersStaff, "GET", "/orders/" + other.ID, 200, "", nil},
		{"staff, unknown order", ordersStaff, "GET", "/orders/20260101-ZZZZZZZZ", 404, "not-found", nil},
		{"staff, malformed order number", ordersStaff, "GET", "/orders/a%23b", 404, "not-found", nil},
		{"staff, order number too long", ordersStaff, "GET", "/orders/" + strings.Repeat("9", 65), 400, "invalid-parameter", nil},
		{"no such route", ordersStaff, "DELETE", "/orders/" + mine.ID, 405, "method-not-allowed", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(t, c.method, c.path, f.token(t, c.caller))
			if c.slug != "" {
				wantProblem(t, r, c.status, c.slug)
				return
			}
			wantStatus(t, r, c.status)
			if c.list != nil {
				if got := orderIDs(decode[httpapi.OrderPage](t, r).Items); !slices.Equal(got, c.list) {
					t.Errorf("orders %v, want %v", got, c.list)
				}
			}
		})
	}
	// Another merchant's staff: their token is refused on this storefront.
	jardin, err := f.b.issuer.Sign(identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, f.do(t, "GET", "/orders/"+mine.ID, jardin), 401, "invalid-token")
}

// A company's history is newest first, page by page; a page's cursor
// opens only for the caller and the filters it was issued for.
func TestOrdersAPI_HistoryNewestFirstByPage(t *testing.T) {
	f := newOrdersAPIFixture(t)
	var want []string
	for i := range 5 {
		o := f.place(t, "2026010"+string(rune('1'+i))+"-PAGE0000", "C0001", f.base.AddDate(0, 0, -i), payment.Card, 0, orderAlloc("2", 1))
		want = append(want, o.ID)
	}
	f.place(t, "20260101-OTHER000", "C0006", f.base, payment.Card, 0, orderAlloc("2", 1))
	buyer := f.token(t, ordersBuyerC0001)
	var got []string
	path, pages := "/orders?limit=2", 0
	var firstCursor string
	for {
		r := f.do(t, "GET", path, buyer)
		wantStatus(t, r, 200)
		page := decode[httpapi.OrderPage](t, r)
		pages++
		got = append(got, orderIDs(page.Items)...)
		for _, it := range page.Items {
			if it.Customer != "C0001" || it.Gross.String() != "26.88" || it.Currency != "EUR" || it.Backorders {
				t.Errorf("summary %+v", it)
			}
			if _, err := time.Parse(time.RFC3339, it.PlacedAt); err != nil {
				t.Errorf("placedAt %q", it.PlacedAt)
			}
		}
		if page.NextCursor == "" {
			break
		}
		if firstCursor == "" {
			firstCursor = page.NextCursor
		}
		if pages > 5 {
			t.Fatal("the pages never end")
		}
		path = "/orders?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("%d pages of %v, want 3 pages of %v", pages, got, want)
	}
	// The raw JSON shows amounts with the currency's minor units.
	raw := f.do(t, "GET", "/orders?limit=1", buyer)
	if !strings.Contains(string(raw.body), `"gross":"26.88"`) || !strings.Contains(string(raw.body), `"net":"22.40"`) {
		t.Errorf("amounts not printed with two decimals: %s", raw.body)
	}
	q := url.QueryEscape(firstCursor)
	for name, c := range map[string]struct {
		caller identity.Caller
		path   string
	}{
		"another company's buyer":    {ordersBuyerC0006, "/orders?cursor=" + q},
		"the rep, for the same list": {ordersRepR01, "/orders?customer=C0001&cursor=" + q},
		"another status filter":      {ordersBuyerC0001, "/orders?status=accepted&cursor=" + q},
		"another date filter":        {ordersBuyerC0001, "/orders?from=2020-01-01&cursor=" + q},
		"an edited cursor":           {ordersBuyerC0001, "/orders?cursor=" + edited(q)},
		"an empty cursor":            {ordersBuyerC0001, "/orders?cursor="},
		"a cursor of another list":   {ordersBuyerC0001, "/orders?customer=C0001&status=cancelled&cursor=" + q},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, f.do(t, "GET", c.path, f.token(t, c.caller)), 400, "invalid-cursor")
		})
	}
	if first, _, cut := strings.Cut(q, "."); cut {
		// A cursor in several sealed parts opens only whole.
		wantProblem(t, f.do(t, "GET", "/orders?cursor="+first, buyer), 400, "invalid-cursor")
	}
	for _, limit := range []string{"0", "101", "ten", "-1"} {
		wantProblem(t, f.do(t, "GET", "/orders?limit="+limit, buyer), 400, "invalid-parameter")
	}
	wantStatus(t, f.do(t, "GET", "/orders?limit=100", buyer), 200)
}

// Status and dates filter the history; the days are the merchant's (an
// order placed at 23:30 UTC is on the next day in Paris); bad filters are
// 400.
func TestOrdersAPI_HistoryFilters(t *testing.T) {
	f := newOrdersAPIFixture(t)
	late := f.place(t, "20260101-LATE0000", "C0001", f.base, payment.OnAccount, 0, orderAlloc("1", 1))                // next day in Paris
	before := f.place(t, "20260101-EARLY000", "C0001", f.base.Add(-2*time.Hour), payment.Card, 0, orderAlloc("1", 1)) // same day in Paris
	older := f.place(t, "20260101-OLDER000", "C0001", f.base.AddDate(0, 0, -3), payment.Card, 0, orderAlloc("1", 1))
	staff := f.token(t, ordersStaff)
	wantStatus(t, f.do(t, "POST", "/orders/"+older.ID+"/cancel", staff), 200)
	paris, _ := time.LoadLocation("Europe/Paris")
	day := func(t time.Time) string { return t.In(paris).Format(time.DateOnly) }
	cases := []struct {
		name, query string
		want        []string
	}{
		{"no filter", "", []string{late.ID, before.ID, older.ID}},
		{"accepted", "status=accepted", []string{late.ID}},
		{"awaiting payment", "status=awaiting-payment", []string{before.ID}},
		{"cancelled", "status=cancelled", []string{older.ID}},
		{"the Paris day after base", "from=" + day(late.PlacedAt) + "&to=" + day(late.PlacedAt), []string{late.ID}},
		{"base's Paris day", "from=" + day(before.PlacedAt) + "&to=" + day(before.PlacedAt), []string{before.ID}},
		{"from only", "from=" + day(before.PlacedAt), []string{late.ID, before.ID}},
		{"to only", "to=" + day(before.PlacedAt), []string{before.ID, older.ID}},
		{"dates and status", "from=" + day(older.PlacedAt) + "&status=awaiting-payment", []string{before.ID}},
		{"nothing in range", "from=2020-01-01&to=2020-01-31", []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, who := range []struct {
				token, extra string
			}{{f.token(t, ordersBuyerC0001), ""}, {f.token(t, ordersRepR01), "customer=C0001&"}, {staff, ""}} {
				r := f.do(t, "GET", "/orders?"+who.extra+c.query, who.token)
				wantStatus(t, r, 200)
				if got := orderIDs(decode[httpapi.OrderPage](t, r).Items); !slices.Equal(got, c.want) {
					t.Errorf("%s: orders %v, want %v", who.extra, got, c.want)
				}
			}
		})
	}
	for _, bad := range []string{"status=shipped", "status=Accepted", "from=2026-13-01", "from=01/12/2026", "to=2026-1-1",
		"from=1999-12-31", "from=2026-12-02&to=2026-12-01", "customer=" + strings.Repeat("C", 65)} {
		t.Run("bad "+bad, func(t *testing.T) {
			wantProblem(t, f.do(t, "GET", "/orders?"+bad, staff), 400, "invalid-parameter")
		})
	}
}

// The detail shows the warehouse split, the backorder, the due date, the
// VAT per rate with its mentions and the totals, as the checkout does.
func TestOrdersAPI_Detail(t *testing.T) {
	f := newOrdersAPIFixture(t)
	o := f.place(t, "20260101-DETAIL00", "C0001", f.base, payment.OnAccount, 3, orderAlloc("1", 4), orderAlloc("2", 2))
	r := f.do(t, "GET", "/orders/"+o.ID, f.token(t, ordersBuyerC0001))
	wantStatus(t, r, 200)
	v := decode[httpapi.OrderView](t, r)
	if v.ID != o.ID || v.Status != order.Accepted || v.Customer != "C0001" || v.Reference != "PO-"+o.ID || !v.Backorders {
		t.Errorf("order %+v", v)
	}
	if v.PlacedAt != o.PlacedAt.Format(time.RFC3339) {
		t.Errorf("placedAt %q", v.PlacedAt)
	}
	l := v.Lines[0]
	if len(v.Lines) != 1 || l.Units != 9 || l.Backordered != 3 || !slices.Equal(l.Allocations, []order.Allocation{orderAlloc("1", 4), orderAlloc("2", 2)}) {
		t.Errorf("line %+v", l)
	}
	if v.Payment.Method != payment.OnAccount || v.Payment.TermsLabel != "30 jours fin de mois" || v.Payment.Due == nil ||
		v.Payment.Due.Day != o.Payment.Due.Day.Format(time.DateOnly) || v.Payment.Due.Estimated {
		t.Errorf("payment %+v", v.Payment)
	}
	if !slices.Contains(v.Mentions, payment.RecoveryIndemnityMention) {
		t.Errorf("mentions %v", v.Mentions)
	}
	// 9 units × 12.50 = 112.50 + 9.90 delivery = 122.40 HT, 24.48 VAT.
	var raw struct {
		Lines []struct {
			UnitPrice, Total string
			Tax              struct{ VAT string }
		}
		Shipping struct{ Cost, VAT, Gross string }
		Totals   struct {
			Goods, Shipping, Net, VAT, Gross string
			PerRate                          []struct{ Rate, Base, VAT string }
		}
	}
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Lines[0].UnitPrice != "12.50" || raw.Lines[0].Total != "112.50" || raw.Lines[0].Tax.VAT != "22.50" {
		t.Errorf("line amounts %+v", raw.Lines[0])
	}
	if raw.Shipping.Cost != "9.90" || raw.Shipping.VAT != "1.98" || raw.Shipping.Gross != "11.88" {
		t.Errorf("shipping %+v", raw.Shipping)
	}
	tt := raw.Totals
	if tt.Goods != "112.50" || tt.Shipping != "9.90" || tt.Net != "122.40" || tt.VAT != "24.48" || tt.Gross != "146.88" ||
		len(tt.PerRate) != 1 || tt.PerRate[0].Base != "122.40" || tt.PerRate[0].VAT != "24.48" {
		t.Errorf("totals %+v", tt)
	}
}

// Cancelling gives the order's stock back, once: a second cancellation is
// 409 not-cancellable and gives nothing more.
func TestOrdersAPI_CancelGivesStockBackOnce(t *testing.T) {
	f := newOrdersAPIFixture(t)
	if got := f.available(t); got["1"] != 60 || got["2"] != 40 {
		t.Fatalf("stock before %v", got)
	}
	byBuyer := f.place(t, "20260101-CANCEL01", "C0001", f.base, payment.Card, 0, orderAlloc("1", 50), orderAlloc("2", 5))
	byRep := f.place(t, "20260101-CANCEL02", "C0001", f.base, payment.Card, 0, orderAlloc("2", 10))
	if got := f.available(t); got["1"] != 10 || got["2"] != 25 {
		t.Fatalf("stock after placing %v", got)
	}
	buyer := f.token(t, ordersBuyerC0001)
	r := f.do(t, "POST", "/orders/"+byBuyer.ID+"/cancel", buyer)
	wantStatus(t, r, 200)
	v := decode[httpapi.OrderView](t, r)
	if v.Status != order.Cancelled || v.CancelledBy == nil || *v.CancelledBy != (httpapi.PlacedByView{Role: "buyer", ID: ordersBuyerC0001.Subject}) || v.CancelledAt == "" {
		t.Errorf("cancelled order %+v", v)
	}
	if got := f.available(t); got["1"] != 60 || got["2"] != 30 {
		t.Errorf("stock after the cancellation %v, want 60 and 30", got)
	}
	wantProblem(t, f.do(t, "POST", "/orders/"+byBuyer.ID+"/cancel", buyer), 409, "not-cancellable")
	wantProblem(t, f.do(t, "POST", "/orders/"+byBuyer.ID+"/cancel", f.token(t, ordersStaff)), 409, "not-cancellable")
	if got := f.available(t); got["1"] != 60 || got["2"] != 30 {
		t.Errorf("stock after the second cancellation %v, want 60 and 30", got)
	}
	// The rep cancels an order of their portfolio.
	r = f.do(t, "POST", "/orders/"+byRep.ID+"/cancel", f.token(t, ordersRepR01))
	wantStatus(t, r, 200)
	if v := decode[httpapi.OrderView](t, r); v.CancelledBy == nil || v.CancelledBy.Role != "rep" || v.CancelledBy.ID != "R01" {
		t.Errorf("cancelled by %+v", v.CancelledBy)
	}
	if got := f.available(t); got["1"] != 60 || got["2"] != 40 {
		t.Errorf("stock after both cancellations %v", got)
	}
	// The detail shows it cancelled.
	if v := decode[httpapi.OrderView](t, f.do(t, "GET", "/orders/"+byRep.ID, buyer)); v.Status != order.Cancelled {
		t.Errorf("status %s", v.Status)
	}
	wantProblem(t, f.do(t, "POST", "/orders/20260101-NOSUCH00/cancel", buyer), 404, "not-found")
}

// Staff export the orders as CSV, one row per line, filtered like the
// list.
func TestOrdersAPI_ExportCSV(t *testing.T) {
	f := newOrdersAPIFixture(t)
	a := f.place(t, "20260101-EXPORT01", "C0001", f.base, payment.Card, 0, orderAlloc("1", 3), orderAlloc("2", 1))
	b := f.place(t, "20260101-EXPORT02", "C0006", f.base.Add(time.Minute), payment.OnAccount, 2, orderAlloc("1", 1))
	staff := f.token(t, ordersStaff)
	read := func(t *testing.T, query string) [][]string {
		t.Helper()
		r := f.do(t, "GET", "/orders/export"+query, staff)
		wantStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("content type %q", ct)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatalf("not CSV: %v\n%s", err, r.body)
		}
		if !slices.Equal(rows[0], order.CSVHeader) {
			t.Fatalf("header %v", rows[0])
		}
		return rows[1:]
	}
	rows := read(t, "")
	if len(rows) != 2 || rows[0][0] != b.ID || rows[1][0] != a.ID {
		t.Fatalf("rows %v", rows)
	}
	col := slices.Index(order.CSVHeader, "warehouses")
	if rows[1][col] != "1:3|2:1" || rows[0][slices.Index(order.CSVHeader, "backordered")] != "2" {
		t.Errorf("warehouse split / backorder %v", rows)
	}
	if rows[1][slices.Index(order.CSVHeader, "order_gross")] != "71.88" {
		t.Errorf("order gross %q", rows[1][slices.Index(order.CSVHeader, "order_gross")])
	}
	if rows := read(t, "?customer=C0001"); len(rows) != 1 || rows[0][0] != a.ID {
		t.Errorf("one customer: %v", rows)
	}
	if rows := read(t, "?status=accepted"); len(rows) != 1 || rows[0][0] != b.ID {
		t.Errorf("accepted: %v", rows)
	}
	if rows := read(t, "?from=2020-01-01&to=2020-01-31"); len(rows) != 0 {
		t.Errorf("nothing in range: %v", rows)
	}
	wantProblem(t, f.do(t, "GET", "/orders/export?status=nope", staff), 400, "invalid-parameter")
}

// edited changes the last character of a cursor.
func edited(c string) string {
	last := byte('A')
	if c[len(c)-1] == 'A' {
		last = 'B'
	}
	return c[:len(c)-1] + string(last)
}

// Every amount of an order's view is printed in the order's currency,
// whatever the decimals its stored lines carry; an order in another
// currency than the euro states its rate and its net amount in euros.
func TestNewOrderView_AmountsInTheOrdersCurrency(t *testing.T) {
	d := decimal.RequireFromString
	lt := tax.TaxLine(tax.Decision{Regime: tax.Domestic, Country: "FR", Category: tax.Standard, Rate: d("20")}, d("1500"), "JPY")
	ship := order.ShippingTax([]tax.LineTax{lt}, d("500"), "JPY")
	o := order.Order{
		ID: "20261202-JPY00000", Customer: "C0001", PlacedAt: time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("Paris", 3600)),
		Status: order.AwaitingPayment, Shipping: order.Shipping{Country: "FR", Cost: d("500"), Tax: ship},
		Lines: []order.Line{{
			// As read back from the table: the amounts lost their minor units.
			PricedLine: pricing.PricedLine{Ref: "X", Quantity: 3, Units: 3, UnitPrice: money.NewAmount(d("500"), 0), Total: money.NewAmount(d("1500"), 0),
				Discounts: []pricing.Applied{{Rule: "r1", Amount: money.NewAmount(d("0"), 0)}}},
			Tax: lt,
		}},
		Payment: order.Payment{Method: payment.Transfer, Instructions: "Virement"},
		Totals: order.Totals{Currency: "JPY", Goods: d("1500"), Shipping: d("500"), Tax: tax.Summarize(append([]tax.LineTax{lt}, ship...)),
			ExchangeRate: &pricing.ExchangeRate{Rate: d("160"), Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, NetEUR: d("12.5")},
	}
	b, err := json.Marshal(httpapi.NewOrderView(o))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"placedAt":"2026-12-02T08:00:00Z"`, `"unitPrice":"500"`, `"total":"1500"`, `"gross":"2400"`, `"vat":"400"`,
		`"netEUR":"12.50"`, `"exchangeRate":{"rate":"160","date":"2026-12-01"}`, `"allocations":[]`, `"backordered":0`, `"label":"Virement"`} {
		if !strings.Contains(s, want) {
			t.Errorf("view lacks %s:\n%s", want, s)
		}
	}
	o.Totals.Currency = "EUR"
	o.Totals.ExchangeRate = nil
	b, _ = json.Marshal(httpapi.NewOrderView(o))
	if s := string(b); !strings.Contains(s, `"unitPrice":"500.00"`) || !strings.Contains(s, `"gross":"2400.00"`) || strings.Contains(s, "netEUR") {
		t.Errorf("euro view: %s", s)
	}
}

// Staff list every order of the merchant across the month partitions, with
// no to: pages of any size cross the month boundary and hold every order
// once, newest first. A cursor whose month the list no longer walks (the
// clock moved past the months it reads) is 400 invalid-cursor, not a 500.
func TestOrdersAPI_StaffHistoryAcrossMonths(t *testing.T) {
	f := newOrdersAPIFixture(t)
	now := time.Now().UTC()
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var want []string
	customers := []string{"C0001", "C0006"}
	for i := range 3 {
		o := f.place(t, "20260102-THIS000"+strconv.Itoa(i), customers[i%2], now.Add(-time.Duration(i+1)*time.Minute), payment.Card, 0, orderAlloc("2", 1))
		want = append(want, o.ID)
	}
	for i := range 3 {
		o := f.place(t, "20260101-PREV000"+strconv.Itoa(i), customers[i%2], monthStart.Add(-time.Duration(i+1)*time.Hour), payment.Card, 0, orderAlloc("2", 1))
		want = append(want, o.ID)
	}
	staff := f.token(t, ordersStaff)
	walk := func(t *testing.T, query string) ([]string, string) {
		t.Helper()
		var got []string
		var firstCursor string
		path := "/orders?" + query
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("the pages never end")
			}
			r := f.do(t, "GET", path, staff)
			wantStatus(t, r, 200)
			page := decode[httpapi.OrderPage](t, r)
			got = append(got, orderIDs(page.Items)...)
			if page.NextCursor == "" {
				return got, firstCursor
			}
			if firstCursor == "" {
				firstCursor = page.NextCursor
			}
			path = "/orders?" + query + "&cursor=" + url.QueryEscape(page.NextCursor)
		}
	}
	var prevMonthCursor string
	for _, limit := range []string{"1", "2", "3", "4", "100"} {
		t.Run("limit "+limit, func(t *testing.T) {
			got, first := walk(t, "limit="+limit)
			if !slices.Equal(got, want) {
				t.Errorf("orders %v, want %v", got, want)
			}
			if limit == "3" {
				prevMonthCursor = first // the first page ends with the month
			}
		})
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	from := monthStart.AddDate(0, -1, 0).In(paris).Format(time.DateOnly)
	if got, _ := walk(t, "limit=2&from="+from); !slices.Equal(got, want) {
		t.Errorf("from %s: orders %v, want %v", from, got, want)
	}
	if prevMonthCursor == "" {
		t.Fatal("no cursor after the first page of 3")
	}
	// Thirty months later the cursor's month is out of the 24 months the
	// list walks without from.
	later := &dynamo.Orders{Table: f.b.table, Now: func() time.Time { return now.AddDate(0, 30, 0) }}
	api := &httpapi.OrdersAPI{
		Pipeline: f.b.pipeline(&dynamo.Storefronts{Table: f.b.table}), Orders: later, History: later,
		Accounts: &dynamo.Pricing{Table: f.b.table}, Merchants: &dynamo.Merchants{Table: f.b.table},
		Cursors: testCursors(t),
	}
	req := httptest.NewRequest("GET", "/orders?limit=3&cursor="+url.QueryEscape(prevMonthCursor), nil)
	req.Header.Set("Host", frHost)
	req.Header.Set("Authorization", "Bearer "+staff)
	rec := httptest.NewRecorder()
	api.Routes().ServeHTTP(rec, req)
	wantProblem(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, 400, "invalid-cursor")
}

// Staff mark an order paid (card, transfer or on account); buyers and reps
// may not; an order paid or cancelled already is 409 not-settleable, and
// the status filter finds the paid orders.
func TestOrdersAPI_MarkPaid(t *testing.T) {
	f := newOrdersAPIFixture(t)
	card := f.place(t, "20260101-PAID0001", "C0001", f.base, payment.Card, 0, orderAlloc("1", 1))
	account := f.place(t, "20260101-PAID0002", "C0001", f.base.Add(time.Minute), payment.OnAccount, 0, orderAlloc("1", 1))
	gone := f.place(t, "20260101-PAID0003", "C0001", f.base.Add(2*time.Minute), payment.Card, 0, orderAlloc("1", 1))
	staff := f.token(t, ordersStaff)
	wantStatus(t, f.do(t, "POST", "/orders/"+gone.ID+"/cancel", staff), 200)
	for name, c := range map[string]struct {
		caller identity.Caller
		status int
		slug   string
	}{
		"anonymous":               {identity.Caller{}, 401, "unauthenticated"},
		"the company's buyer":     {ordersBuyerC0001, 403, "forbidden"},
		"another company's buyer": {ordersBuyerC0006, 403, "forbidden"},
		"the portfolio's rep":     {ordersRepR01, 403, "forbidden"},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, f.do(t, "POST", "/orders/"+card.ID+"/paid", f.token(t, c.caller)), c.status, c.slug)
		})
	}
	for _, o := range []order.Order{card, account} {
		r := f.do(t, "POST", "/orders/"+o.ID+"/paid", staff)
		wantStatus(t, r, 200)
		if v := decode[httpapi.OrderView](t, r); v.ID != o.ID || v.Status != order.Paid {
			t.Errorf("order %s after payment: %s %s", o.ID, v.ID, v.Status)
		}
		if v := decode[httpapi.OrderView](t, f.do(t, "GET", "/orders/"+o.ID, f.token(t, ordersBuyerC0001))); v.Status != order.Paid {
			t.Errorf("detail of %s: status %s", o.ID, v.Status)
		}
	}
	wantProblem(t, f.do(t, "POST", "/orders/"+card.ID+"/paid", staff), 409, "not-settleable")
	wantProblem(t, f.do(t, "POST", "/orders/"+gone.ID+"/paid", staff), 409, "not-settleable")
	wantProblem(t, f.do(t, "POST", "/orders/20260101-NOSUCH00/paid", staff), 404, "not-found")
	wantProblem(t, f.do(t, "POST", "/orders/"+strings.Repeat("9", 65)+"/paid", staff), 400, "invalid-parameter")
	r := f.do(t, "GET", "/orders?status=paid", staff)
	wantStatus(t, r, 200)
	if got := orderIDs(decode[httpapi.OrderPage](t, r).Items); !slices.Equal(got, []string{account.ID, card.ID}) {
		t.Errorf("paid orders %v, want %v", got, []string{account.ID, card.ID})
	}
	if rows := strings.Count(string(f.do(t, "GET", "/orders/export?status=paid", staff).body), "\n"); rows != 3 {
		t.Errorf("export of the paid orders: %d lines, want the header and 2 rows", rows)
	}
}
