package httpapi_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// newStockDiffAdmin is the admin API over the demo with the ERP stock
// store, as the admin function wires it.
func newStockDiffAdmin(t *testing.T) *adminFixture {
	t.Helper()
	b := newDemoBackend(t)
	tbl := b.table
	fronts := &dynamo.Storefronts{Table: tbl, TTL: time.Minute}
	api := &httpapi.AdminAPI{
		Pipeline: b.pipeline(fronts), Catalog: &dynamo.Catalog{Table: tbl}, Storefronts: fronts,
		Assortments: &dynamo.Assortments{Table: tbl}, Pricing: &dynamo.Pricing{Table: tbl},
		StockDifferences: &dynamo.ERPStock{Table: tbl},
	}
	f := &adminFixture{admin: api.Routes(), issuer: b.issuer, table: tbl}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	f.jardinStaff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	return f
}

// countStock applies an ERP stock file of merchant m counting levels.
func countStock(t *testing.T, f *adminFixture, m merchant.ID, job string, at time.Time, levels ...stock.Level) {
	t.Helper()
	c := erp.Chunk{Merchant: m, Job: job, Kind: erp.KindStock}
	for i, l := range levels {
		c.Records = append(c.Records, erp.Record{Kind: erp.KindStock, Line: i + 2, Stamp: at, Key: l.Ref + "|" + l.Warehouse, Stock: &l})
	}
	s := &dynamo.ERPStock{Table: f.table, Now: func() time.Time { return at }}
	if _, _, err := s.Apply(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// Staff read the differences of their merchant's last counts, as JSON and
// as a ";"-separated file; a count equal to the theoretical stock is not
// listed.
func TestAdminStockDifferences_ListsTheLastCountsDifferences(t *testing.T) {
	t.Parallel()
	f := newStockDiffAdmin(t)
	r := f.adminDo(t, http.MethodGet, "/admin/stock/differences", nil)
	wantStatus(t, r, http.StatusOK)
	type list struct {
		Differences []httpapi.StockDifferenceView `json:"differences"`
	}
	if d := decode[list](t, r).Differences; d == nil || len(d) != 0 {
		t.Fatalf("no count yet: %s", r.body)
	}
	at := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	// The first count of a new level has nothing to compare with.
	countStock(t, f, demo.Hydro, "job-1", at, stock.Level{Ref: "AUDIT-1", Warehouse: "1", OnHand: 10})
	countStock(t, f, demo.Hydro, "job-2", at.Add(time.Hour),
		stock.Level{Ref: "AUDIT-1", Warehouse: "1", OnHand: 7},
		stock.Level{Ref: "AUDIT-2", Warehouse: "1", OnHand: 5})
	countStock(t, f, demo.Hydro, "job-3", at.Add(2*time.Hour), stock.Level{Ref: "AUDIT-2", Warehouse: "1", OnHand: 5})
	countStock(t, f, demo.Jardin, "job-j1", at, stock.Level{Ref: "JS-001", Warehouse: "1", OnHand: 1})
	countStock(t, f, demo.Jardin, "job-j2", at.Add(time.Hour), stock.Level{Ref: "JS-001", Warehouse: "1", OnHand: 3})

	got := decode[list](t, f.adminDo(t, http.MethodGet, "/admin/stock/differences", nil)).Differences
	want := []httpapi.StockDifferenceView{{Ref: "AUDIT-1", Warehouse: "1", ERPLevel: 7, Theoretical: 10, Difference: -3, Job: "job-2", At: at.Add(time.Hour)}}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("differences = %+v, want %+v", got, want)
	}
	r = f.adminDo(t, http.MethodGet, "/admin/stock/differences?format=csv", nil)
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	rows, err := func() ([][]string, error) {
		cr := csv.NewReader(strings.NewReader(string(r.body)))
		cr.Comma = ';'
		return cr.ReadAll()
	}()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{stock.DifferencesCSVHeader, {"AUDIT-1", "1", "7", "10", "-3", "job-2", "2026-12-02T08:00:00Z"}}
	if len(rows) != 2 || strings.Join(rows[0], ";") != strings.Join(wantRows[0], ";") || strings.Join(rows[1], ";") != strings.Join(wantRows[1], ";") {
		t.Errorf("CSV rows = %q, want %q", rows, wantRows)
	}
	jardin := f.do(t, f.admin, http.MethodGet, "jardin-fr.localhost", "/admin/stock/differences", f.jardinStaff, nil)
	wantStatus(t, jardin, http.StatusOK)
	if d := decode[list](t, jardin).Differences; len(d) != 1 || d[0].Ref != "JS-001" || d[0].Difference != 2 {
		t.Errorf("Jardin's differences = %+v", d)
	}
	wantProblem(t, f.adminDo(t, http.MethodGet, "/admin/stock/differences?format=xml", nil), http.StatusBadRequest, "invalid-parameter")
}

// The JSON list comes a page at a time: ?limit= and the next page's
// cursor walk every difference once, in order, and so do the CSV pages by
// their Link header; a cursor the list never gave and a limit out of
// bounds are refused.
func TestAdminStockDifferences_Pages(t *testing.T) {
	t.Parallel()
	f := newStockDiffAdmin(t)
	at := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	refs := []string{"PAGE-1", "PAGE-2", "PAGE-3", "PAGE-4", "PAGE-5"}
	var first, second []stock.Level
	for _, ref := range refs {
		first = append(first, stock.Level{Ref: ref, Warehouse: "1", OnHand: 10})
		second = append(second, stock.Level{Ref: ref, Warehouse: "1", OnHand: 9})
	}
	countStock(t, f, demo.Hydro, "job-1", at, first...)
	countStock(t, f, demo.Hydro, "job-2", at.Add(time.Hour), second...)

	var got []string
	pages := 0
	for path := "/admin/stock/differences?limit=2"; path != ""; pages++ {
		if pages > len(refs) {
			t.Fatalf("more pages than differences: %v", got)
		}
		page := decode[httpapi.StockDifferencesPage](t, f.adminDo(t, http.MethodGet, path, nil))
		if len(page.Differences) > 2 {
			t.Fatalf("a page of %d with limit 2", len(page.Differences))
		}
		for _, d := range page.Differences {
			if d.Difference != -1 {
				t.Errorf("%s: difference %d, want -1", d.Ref, d.Difference)
			}
			got = append(got, d.Ref)
		}
		path = ""
		if page.Next != "" {
			path = "/admin/stock/differences?limit=2&cursor=" + page.Next
		}
	}
	if strings.Join(got, ",") != strings.Join(refs, ",") || pages != 3 {
		t.Errorf("%d pages gave %v, want %v in 3", pages, got, refs)
	}
	// As CSV, the same pages follow the Link header; each page is a file
	// with its header line.
	got, pages = nil, 0
	for path := "/admin/stock/differences?format=csv&limit=2"; path != ""; pages++ {
		if pages > len(refs) {
			t.Fatalf("more CSV pages than differences: %v", got)
		}
		r := f.adminDo(t, http.MethodGet, path, nil)
		wantStatus(t, r, http.StatusOK)
		cr := csv.NewReader(strings.NewReader(string(r.body)))
		cr.Comma = ';'
		rows, err := cr.ReadAll()
		if err != nil || len(rows) < 2 || len(rows) > 3 || strings.Join(rows[0], ";") != strings.Join(stock.DifferencesCSVHeader, ";") {
			t.Fatalf("CSV page %s: %q, %v", path, rows, err)
		}
		for _, row := range rows[1:] {
			got = append(got, row[0])
		}
		path = ""
		if link := r.header.Get("Link"); link != "" {
			target, ok := strings.CutSuffix(link, `>; rel="next"`)
			if !ok || !strings.HasPrefix(target, "</admin/stock/differences?") {
				t.Fatalf("Link %q", link)
			}
			path = strings.TrimPrefix(target, "<")
		}
	}
	if strings.Join(got, ",") != strings.Join(refs, ",") || pages != 3 {
		t.Errorf("%d CSV pages gave %v, want %v in 3", pages, got, refs)
	}
	if r := f.adminDo(t, http.MethodGet, "/admin/stock/differences?format=csv", nil); r.header.Get("Link") != "" || strings.Count(string(r.body), "\n") != len(refs)+1 {
		t.Errorf("the whole CSV: Link %q, %s", r.header.Get("Link"), r.body)
	}
	for _, bad := range []string{"!!", "Zm9v", strings.Repeat("A", 300)} {
		wantProblem(t, f.adminDo(t, http.MethodGet, "/admin/stock/differences?cursor="+bad, nil), http.StatusBadRequest, "invalid-cursor")
	}
	for _, bad := range []string{"0", "1001", "x"} {
		wantProblem(t, f.adminDo(t, http.MethodGet, "/admin/stock/differences?limit="+bad, nil), http.StatusBadRequest, "invalid-parameter")
	}
}

// The differences are for staff of the merchant: anonymous 401, buyers and
// reps 403, another merchant's staff 401, staff 200.
func TestAccessMatrix_AdminStockDifferences(t *testing.T) {
	t.Parallel()
	f := newStockDiffAdmin(t)
	buyer := f.token(t, identity.Caller{Role: identity.Buyer, Subject: "achat@meunier.fr", Merchant: demo.Hydro, Customer: "C0006"})
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Merchant: demo.Hydro, Rep: "R02"})
	var cases []routeAccess
	for _, path := range []string{"/admin/stock/differences", "/admin/stock/differences?format=csv"} {
		cases = append(cases,
			routeAccess{"anonymous", "", http.MethodGet, path, "", 401, "unauthenticated"},
			routeAccess{"buyer", buyer, http.MethodGet, path, "", 403, "forbidden"},
			routeAccess{"rep", rep, http.MethodGet, path, "", 403, "forbidden"},
			routeAccess{"another merchant's staff", f.jardinStaff, http.MethodGet, path, "", 401, "invalid-token"},
			routeAccess{"staff", f.staff, http.MethodGet, path, "", 200, ""},
		)
	}
	checkRouteAccess(t, func(method, path, token, body string) response {
		return f.do(t, f.admin, method, frHost, path, token, nil)
	}, cases)
}
