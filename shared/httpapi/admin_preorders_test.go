package httpapi_test

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
)

// seasonAt is when staff read and convert in these tests.
var seasonAt = time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)

// preOrdersAdmin is the admin API over the demo with its pre-order book,
// as the admin function wires it, and the order store the pre-orders are
// placed with.
type preOrdersAdmin struct {
	*adminFixture
	orders *dynamo.Orders
}

func newPreOrdersAdmin(t *testing.T, book order.PreOrderBook) preOrdersAdmin {
	t.Helper()
	b := newDemoBackend(t)
	tbl := b.table
	orders := &dynamo.Orders{Table: tbl}
	if book == nil {
		book = &dynamo.Orders{Table: tbl, WarehousesTTL: time.Minute}
	}
	fronts := &dynamo.Storefronts{Table: tbl, TTL: time.Minute}
	api := &httpapi.AdminAPI{
		Pipeline: b.pipeline(fronts), Catalog: &dynamo.Catalog{Table: tbl}, Storefronts: fronts,
		Assortments: &dynamo.Assortments{Table: tbl}, Pricing: &dynamo.Pricing{Table: tbl},
		PreOrders: book, Now: func() time.Time { return seasonAt },
	}
	f := &adminFixture{admin: api.Routes(), issuer: b.issuer, table: tbl}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	f.jardinStaff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	return preOrdersAdmin{adminFixture: f, orders: orders}
}

// placePreOrder places a pre-order of customer in season "ete-2027",
// counted in shard, through the order store as a checkout does.
func (f preOrdersAdmin) placePreOrder(t *testing.T, id, customer string, shard int, lines ...order.Line) order.Order {
	t.Helper()
	o := order.Order{
		ID: id, Merchant: demo.Hydro, Customer: customer, CustomerKind: "pro",
		PlacedBy: order.PlacedBy{Role: "buyer", ID: "buyer-" + customer}, PlacedAt: seasonAt.AddDate(0, -2, 0),
		Status: order.AwaitingPayment, Storefront: "fr", ShipFrom: "FR", Lines: lines,
		Shipping: order.Shipping{Method: "standard", Country: "FR"}, Payment: order.Payment{Method: payment.Card},
		Totals: order.Totals{Currency: "EUR"},
		Kind:   order.PreOrderKind,
		PreOrder: &order.PreOrderInfo{
			Season: "ete-2027", Shard: shard,
			Closes:        time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
			AvailableFrom: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		},
	}
	if err := f.orders.Place(context.Background(), order.Placement{Order: o}); err != nil {
		t.Fatal(err)
	}
	return o
}

func unitsOf(ref string, units int64) order.Line {
	return order.Line{PricedLine: pricing.PricedLine{Ref: ref, Quantity: units, Units: units}}
}

// getWith sends GET path as staff with the Accept header given.
func (f preOrdersAdmin) getWith(t *testing.T, path, accept string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = frHost
	req.Header.Set("Authorization", "Bearer "+f.staff)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	f.admin.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func readTotalsCSV(t *testing.T, r response) [][]string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q, want text/csv: %s", ct, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename=pre-orders-ete-2027.csv` {
		t.Errorf("Content-Disposition %q", cd)
	}
	cr := csv.NewReader(strings.NewReader(string(r.body)))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return rows
}

// Staff read a season's totals as placed, per product and per customer
// and product, as JSON or as a ";"-separated file (?format=csv or Accept:
// text/csv); a season without pre-orders has empty lists; a season that
// is not an id and an unknown format are 400.
func TestAdminPreOrders_TotalsAsJSONOrCSV(t *testing.T) {
	t.Parallel()
	f := newPreOrdersAdmin(t, nil)
	f.placePreOrder(t, "20270105-AAAAAAA1", "C0002", 2, unitsOf(demo.PumpRef, 4))
	f.placePreOrder(t, "20270105-AAAAAAA2", "C0003", 9, unitsOf(demo.PumpRef, 2), unitsOf(demo.SealKitRef, 5))
	f.placePreOrder(t, "20270105-AAAAAAA3", "C0002", 14, unitsOf(demo.SealKitRef, 1))

	r := f.adminDo(t, "GET", "/admin/pre-orders/ete-2027/totals", nil)
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	want := order.SeasonTotals{
		Season: "ete-2027",
		Products: []order.ProductTotal{
			{Ref: demo.SealKitRef, Units: 6, Lines: 2},
			{Ref: demo.PumpRef, Units: 6, Lines: 2},
		},
		Customers: []order.CustomerTotal{
			{Customer: "C0002", Ref: demo.SealKitRef, Units: 1, Lines: 1},
			{Customer: "C0002", Ref: demo.PumpRef, Units: 4, Lines: 1},
			{Customer: "C0003", Ref: demo.SealKitRef, Units: 5, Lines: 1},
			{Customer: "C0003", Ref: demo.PumpRef, Units: 2, Lines: 1},
		},
		Units: 12,
	}
	if got := decode[order.SeasonTotals](t, r); !reflect.DeepEqual(got, want) {
		t.Errorf("totals = %+v, want %+v", got, want)
	}

	wantRows := [][]string{
		order.TotalsCSVHeader,
		{"ete-2027", "product", "", demo.SealKitRef, "6", "2"},
		{"ete-2027", "product", "", demo.PumpRef, "6", "2"},
		{"ete-2027", "customer", "C0002", demo.SealKitRef, "1", "1"},
		{"ete-2027", "customer", "C0002", demo.PumpRef, "4", "1"},
		{"ete-2027", "customer", "C0003", demo.SealKitRef, "5", "1"},
		{"ete-2027", "customer", "C0003", demo.PumpRef, "2", "1"},
	}
	for _, c := range []struct{ name, path, accept string }{
		{"format", "/admin/pre-orders/ete-2027/totals?format=csv", ""},
		{"accept", "/admin/pre-orders/ete-2027/totals", "application/json;q=0.5, text/csv"},
	} {
		r := f.getWith(t, c.path, c.accept)
		wantStatus(t, r, http.StatusOK)
		if rows := readTotalsCSV(t, r); !reflect.DeepEqual(rows, wantRows) {
			t.Errorf("%s: rows = %q, want %q", c.name, rows, wantRows)
		}
	}
	r = f.getWith(t, "/admin/pre-orders/ete-2027/totals?format=json", "text/csv")
	wantStatus(t, r, http.StatusOK)
	if got := decode[order.SeasonTotals](t, r); got.Units != 12 {
		t.Errorf("format=json answered %s", r.body)
	}

	r = f.adminDo(t, "GET", "/admin/pre-orders/hiver-2027/totals", nil)
	wantStatus(t, r, http.StatusOK)
	if body := strings.TrimSpace(string(r.body)); body != `{"season":"hiver-2027","products":[],"customers":[],"units":0}` {
		t.Errorf("a season without pre-orders answered %s", body)
	}
	for _, path := range []string{
		"/admin/pre-orders/a%23b/totals",
		"/admin/pre-orders/" + strings.Repeat("s", 65) + "/totals",
		"/admin/pre-orders/ete-2027/totals?format=xml",
		"/admin/pre-orders/ete-2027/totals?format=csv&format=json",
	} {
		wantProblem(t, f.adminDo(t, "GET", path, nil), http.StatusBadRequest, "invalid-parameter")
	}
}

// Staff convert a season's pre-orders, limit by limit: each is served as
// the checkout serves an order (the customer's preferred warehouse, the
// storefront's, then the others), what stock lacks is backordered, the
// answer says what is left; the totals stay as they were; a call when
// all are converted converts nothing.
func TestAdminPreOrders_ConvertServesFromStockThenBackorders(t *testing.T) {
	t.Parallel()
	f := newPreOrdersAdmin(t, nil)
	ctx := context.Background()
	// The pump: 12 in Lyon (1, the French storefront's), 8 in Lille (2,
	// C0004's), 5 in Strasbourg (3).
	a := f.placePreOrder(t, "20270105-AAAAAAA1", "C0002", 1, unitsOf(demo.PumpRef, 15))
	b := f.placePreOrder(t, "20270105-AAAAAAA2", "C0004", 4, unitsOf(demo.PumpRef, 10))
	c := f.placePreOrder(t, "20270105-AAAAAAA3", "C0003", 7, unitsOf(demo.PumpRef, 20))
	before := f.adminDo(t, "GET", "/admin/pre-orders/ete-2027/totals", nil)

	r := f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", jsonObject{"limit": 2})
	wantStatus(t, r, http.StatusOK)
	if got, want := decode[order.ConvertResult](t, r), (order.ConvertResult{Converted: []string{a.ID, b.ID}, Remaining: 1}); !reflect.DeepEqual(got, want) {
		t.Errorf("first call = %+v, want %+v", got, want)
	}
	r = f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", nil)
	wantStatus(t, r, http.StatusOK)
	if got, want := decode[order.ConvertResult](t, r), (order.ConvertResult{Converted: []string{c.ID}, Backordered: 20}); !reflect.DeepEqual(got, want) {
		t.Errorf("second call = %+v, want %+v", got, want)
	}
	r = f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", jsonObject{})
	wantStatus(t, r, http.StatusOK)
	if body := strings.TrimSpace(string(r.body)); body != `{"converted":[],"backordered":0,"remaining":0}` {
		t.Errorf("a call with nothing left answered %s", body)
	}

	staff := order.PlacedBy{Role: "staff", ID: "admin@hydrotech.fr"}
	for _, w := range []struct {
		id          string
		allocs      []order.Allocation
		backordered int64
	}{
		{a.ID, []order.Allocation{{Warehouse: "1", Units: 12}, {Warehouse: "2", Units: 3}}, 0},
		{b.ID, []order.Allocation{{Warehouse: "2", Units: 5}, {Warehouse: "3", Units: 5}}, 0},
		{c.ID, nil, 20},
	} {
		got, err := f.orders.Order(ctx, demo.Hydro, w.id)
		if err != nil {
			t.Fatal(err)
		}
		l := got.Lines[0]
		if !reflect.DeepEqual(l.Allocations, w.allocs) || l.Backordered != w.backordered {
			t.Errorf("%s: %v + %d backordered, want %v + %d", w.id, l.Allocations, l.Backordered, w.allocs, w.backordered)
		}
		if p := got.PreOrder; p.ConvertedAt == nil || !p.ConvertedAt.Equal(seasonAt) || p.ConvertedBy == nil || *p.ConvertedBy != staff {
			t.Errorf("%s: converted %v by %v, want %s by %v", w.id, p.ConvertedAt, p.ConvertedBy, seasonAt, staff)
		}
	}
	levels, err := f.orders.Levels(ctx, demo.Hydro, []string{demo.PumpRef})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range levels[demo.PumpRef] {
		if l.Available() != 0 {
			t.Errorf("pump in %s: %d available, want 0", l.Warehouse, l.Available())
		}
	}
	after := f.adminDo(t, "GET", "/admin/pre-orders/ete-2027/totals", nil)
	if string(after.body) != string(before.body) {
		t.Errorf("totals after conversion %s, before %s", after.body, before.body)
	}
}

// A limit out of 1..100, a body that is not the expected JSON and a
// season that is not an id are 400, and nothing is converted.
func TestAdminPreOrders_ConvertRefusesBadInput(t *testing.T) {
	t.Parallel()
	book := &recordingBook{}
	f := newPreOrdersAdmin(t, book)
	for _, limit := range []int{0, -1, 101} {
		r := f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", jsonObject{"limit": limit})
		wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
		wantFields(t, r, "limit")
	}
	for _, body := range []string{`{"limit":"ten"}`, `{"limit":2.5}`, `{"lmit":2}`, `[]`, `{"limit":2} {}`} {
		wantProblem(t, f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", body), http.StatusBadRequest, "invalid-body")
	}
	wantProblem(t, f.adminDo(t, "POST", "/admin/pre-orders/a%23b/convert", nil), http.StatusBadRequest, "invalid-parameter")
	if len(book.calls) != 0 {
		t.Errorf("the book was called %d times", len(book.calls))
	}
}

// recordingBook records the conversions asked of it and answers err.
type recordingBook struct {
	calls []conversionCall
	err   error
}

type conversionCall struct {
	m      merchant.ID
	season string
	prefer []string
	limit  int
	by     order.PlacedBy
	at     time.Time
}

func (b *recordingBook) Totals(context.Context, merchant.ID, string) (order.SeasonTotals, error) {
	return order.SeasonTotals{}, b.err
}

func (b *recordingBook) Convert(_ context.Context, m merchant.ID, season string, prefer []string, limit int, by order.PlacedBy, at time.Time) (order.ConvertResult, error) {
	b.calls = append(b.calls, conversionCall{m, season, prefer, limit, by, at})
	return order.ConvertResult{Converted: []string{}}, b.err
}

// The conversion is asked of the book with the storefront's warehouse,
// the staff member, the clock and 50 when no limit is given; stock that
// kept changing is 503 busy with Retry-After.
func TestAdminPreOrders_ConvertAsksTheBookAndTellsBusy(t *testing.T) {
	t.Parallel()
	book := &recordingBook{}
	f := newPreOrdersAdmin(t, book)
	wantStatus(t, f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", nil), http.StatusOK)
	wantStatus(t, f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", jsonObject{"limit": 100}), http.StatusOK)
	staff := order.PlacedBy{Role: "staff", ID: "admin@hydrotech.fr"}
	want := []conversionCall{
		{demo.Hydro, "ete-2027", []string{"1"}, order.ConvertDefault, staff, seasonAt},
		{demo.Hydro, "ete-2027", []string{"1"}, 100, staff, seasonAt},
	}
	if !reflect.DeepEqual(book.calls, want) {
		t.Errorf("calls = %+v, want %+v", book.calls, want)
	}

	book.err = order.ErrBusy
	r := f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", nil)
	wantProblem(t, r, http.StatusServiceUnavailable, "busy")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	book.err = errors.New("the table is gone")
	wantProblem(t, f.adminDo(t, "POST", "/admin/pre-orders/ete-2027/convert", nil), http.StatusInternalServerError, "internal")
}

// The pre-order exchanges, successes and problems, conform to
// docs/openapi.yaml.
func TestAdminPreOrders_ResponsesConformToTheContract(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	f := newPreOrdersAdmin(t, nil)
	f.placePreOrder(t, "20270105-AAAAAAA1", "C0002", 2, unitsOf(demo.PumpRef, 4))
	cases := []struct {
		method, path string
		body         any
		status       int
		validRequest bool
	}{
		{"GET", "/admin/pre-orders/ete-2027/totals", nil, 200, true},
		{"GET", "/admin/pre-orders/ete-2027/totals?format=csv", nil, 200, true},
		{"GET", "/admin/pre-orders/ete-2027/totals?format=xml", nil, 400, false},
		{"POST", "/admin/pre-orders/ete-2027/convert", jsonObject{"limit": 101}, 400, false},
		{"POST", "/admin/pre-orders/ete-2027/convert", jsonObject{"limit": 10}, 200, true},
		{"POST", "/admin/pre-orders/ete-2027/convert", nil, 200, true},
	}
	for _, tc := range cases {
		var body []byte
		var sent any
		if tc.body != nil {
			body = []byte(toJSON(t, tc.body))
			sent = string(body)
		}
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Host = frHost
		if tc.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+f.staff)
		e := exchange{req: req, body: body, resp: f.do(t, f.admin, tc.method, frHost, tc.path, f.staff, sent)}
		if e.resp.status != tc.status {
			t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, e.resp.status, tc.status, e.resp.body)
		}
		c.mustConform(t, e, tc.validRequest)
		if !tc.validRequest {
			c.mustRefuse(t, e)
		}
	}
}
