package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/stock"
)

// preOrderBody is valid pre-order settings of a product, a year after the
// fixture's day.
var preOrderBody = fmt.Sprintf(`{"season":"pompes-%[1]d","opens":"%[1]d-01-05","closes":"%[1]d-02-28","availableFrom":"%[1]d-04-01","cap":500,"minQuantity":2}`,
	fixtureDay.Year()+1)

func preOrderPath(ref string) string { return "/admin/products/" + ref + "/pre-order" }

func storedPreOrderProduct(t *testing.T, f *adminFixture, ref string) catalog.Product {
	t.Helper()
	p, err := (&dynamo.Catalog{Table: f.table}).Product(context.Background(), demo.Hydro, ref)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAdminPreOrder_SettingsAreSetShownToBuyersAndCleared(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	year := fixtureDay.Year() + 1
	before := storedPreOrderProduct(t, f, demo.PumpRef)

	r := f.adminDo(t, http.MethodPut, preOrderPath(demo.PumpRef), preOrderBody)
	wantStatus(t, r, http.StatusOK)
	want := fmt.Sprintf(`{"ref":"%s","preOrder":{"season":"pompes-%[2]d","opens":"%[2]d-01-05","closes":"%[2]d-02-28","availableFrom":"%[2]d-04-01","cap":500,"minQuantity":2}}`,
		demo.PumpRef, year)
	if got := strings.TrimSpace(string(r.body)); got != want {
		t.Fatalf("answered %s\nwant     %s", got, want)
	}

	// Stored: the settings, and the product's availability day with them;
	// everything else as it was.
	p := storedPreOrderProduct(t, f, demo.PumpRef)
	from := time.Date(year, 4, 1, 0, 0, 0, 0, time.UTC)
	wantSettings := catalog.PreOrder{Season: fmt.Sprintf("pompes-%d", year), Opens: time.Date(year, 1, 5, 0, 0, 0, 0, time.UTC),
		Closes: time.Date(year, 2, 28, 0, 0, 0, 0, time.UTC), AvailableFrom: from, Cap: 500, MinQuantity: 2}
	if p.PreOrder == nil || *p.PreOrder != wantSettings {
		t.Fatalf("stored settings %+v, want %+v", p.PreOrder, wantSettings)
	}
	if p.AvailableFrom == nil || !p.AvailableFrom.Equal(from) {
		t.Fatalf("stored availability day %v, want %v", p.AvailableFrom, from)
	}
	if p.Names["fr"] != before.Names["fr"] || !p.BasePrice.Equal(before.BasePrice) || p.EAN != before.EAN || len(p.Tariffs) != len(before.Tariffs) {
		t.Errorf("the product changed beyond its settings: %+v", p)
	}

	// The storefront shows the season, its days and the minimum, not the
	// cap, and the product as on pre-order until its availability day.
	buyerTok := f.token(t, buyer)
	r = f.catalogGet(t, frHost, "/catalog/products/"+demo.PumpRef, buyerTok)
	wantStatus(t, r, http.StatusOK)
	view := decode[httpapi.ProductView](t, r)
	wantView := httpapi.PreOrderView{Season: wantSettings.Season, Opens: fmt.Sprintf("%d-01-05", year), Closes: fmt.Sprintf("%d-02-28", year),
		AvailableFrom: fmt.Sprintf("%d-04-01", year), MinQuantity: 2}
	if view.PreOrder == nil || *view.PreOrder != wantView {
		t.Fatalf("storefront shows %+v, want %+v", view.PreOrder, wantView)
	}
	if strings.Contains(rawField(t, r, "preOrder"), "cap") {
		t.Errorf("the storefront shows the cap: %s", rawField(t, r, "preOrder"))
	}
	if a := view.Availability; a == nil || a.Status != stock.PreOrder || a.AvailableFrom != wantView.AvailableFrom {
		t.Errorf("availability %+v, want pre-order until %s", a, wantView.AvailableFrom)
	}
	page := decode[httpapi.ProductPage](t, f.catalogGet(t, frHost, "/catalog/categories/POMPES-CHIMIE/products", buyerTok))
	i := slices.IndexFunc(page.Items, func(v httpapi.ProductView) bool { return v.Ref == demo.PumpRef })
	if i < 0 || page.Items[i].PreOrder == nil || *page.Items[i].PreOrder != wantView {
		t.Errorf("the category's list does not show the settings: %+v", page.Items)
	}

	// New settings replace the former: no cap, no minimum.
	r = f.adminDo(t, http.MethodPut, preOrderPath(demo.PumpRef), jsonObject{
		"season": "pompes-automne", "opens": fmt.Sprintf("%d-08-01", year), "closes": fmt.Sprintf("%d-08-01", year), "availableFrom": fmt.Sprintf("%d-09-15", year),
	})
	wantStatus(t, r, http.StatusOK)
	if got := decode[httpapi.ProductPreOrderView](t, r).PreOrder; got.Cap != 0 || got.MinQuantity != 0 || got.Season != "pompes-automne" {
		t.Errorf("answered %s", r.body)
	}
	if p := storedPreOrderProduct(t, f, demo.PumpRef); p.PreOrder == nil || p.PreOrder.Cap != 0 || p.AvailableFrom == nil ||
		p.AvailableFrom.Format(time.DateOnly) != fmt.Sprintf("%d-09-15", year) {
		t.Errorf("stored %+v from %v", p.PreOrder, p.AvailableFrom)
	}
	r = f.catalogGet(t, frHost, "/catalog/products/"+demo.PumpRef, buyerTok)
	if strings.Contains(rawField(t, r, "preOrder"), "minQuantity") {
		t.Errorf("the storefront shows a minimum of none: %s", r.body)
	}

	// Deleted: both go, the storefront shows the product as ordinary;
	// deleting again is the same answer.
	for range 2 {
		r = f.adminDo(t, http.MethodDelete, preOrderPath(demo.PumpRef), nil)
		wantStatus(t, r, http.StatusNoContent)
		if len(r.body) != 0 {
			t.Errorf("204 with a body: %s", r.body)
		}
		if p := storedPreOrderProduct(t, f, demo.PumpRef); p.PreOrder != nil || p.AvailableFrom != nil {
			t.Fatalf("still stored: %+v from %v", p.PreOrder, p.AvailableFrom)
		}
	}
	r = f.catalogGet(t, frHost, "/catalog/products/"+demo.PumpRef, buyerTok)
	view = decode[httpapi.ProductView](t, r)
	if view.PreOrder != nil || view.Availability == nil || view.Availability.Status == stock.PreOrder {
		t.Errorf("after deletion the storefront shows %s", r.body)
	}
}

func TestAdminPreOrder_WrongSettingsAreRefusedFieldByField(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	valid := func(change func(b jsonObject)) jsonObject {
		b := jsonObject{"season": "jardin-2027", "opens": "2027-01-05", "closes": "2027-02-28", "availableFrom": "2027-04-01", "cap": 100, "minQuantity": 10}
		change(b)
		return b
	}
	cases := []struct {
		name   string
		body   any
		slug   string
		fields []string
	}{
		{"no season", valid(func(b jsonObject) { delete(b, "season") }), "invalid-parameter", []string{"season"}},
		{"season with a space", valid(func(b jsonObject) { b["season"] = "jardin 2027" }), "invalid-parameter", []string{"season"}},
		{"season with a slash", valid(func(b jsonObject) { b["season"] = "jardin/2027" }), "invalid-parameter", []string{"season"}},
		{"season too long", valid(func(b jsonObject) { b["season"] = strings.Repeat("s", 65) }), "invalid-parameter", []string{"season"}},
		{"no days", valid(func(b jsonObject) { delete(b, "opens"); delete(b, "closes"); delete(b, "availableFrom") }), "invalid-parameter",
			[]string{"opens", "closes", "availableFrom"}},
		{"days not as YYYY-MM-DD", valid(func(b jsonObject) {
			b["opens"], b["closes"], b["availableFrom"] = "05/01/2027", "2027-02-28T00:00:00Z", "2027-2-1"
		}), "invalid-parameter", []string{"opens", "closes", "availableFrom"}},
		{"no such day", valid(func(b jsonObject) { b["closes"] = "2027-02-30" }), "invalid-parameter", []string{"closes"}},
		{"a long string for a day", valid(func(b jsonObject) { b["opens"] = strings.Repeat("2027-01-05", 1000) }), "invalid-parameter", []string{"opens"}},
		{"closes before opens", valid(func(b jsonObject) { b["closes"] = "2027-01-04" }), "invalid-parameter", []string{"closes"}},
		{"available before closing", valid(func(b jsonObject) { b["availableFrom"] = "2027-02-27" }), "invalid-parameter", []string{"availableFrom"}},
		{"negative cap and minimum", valid(func(b jsonObject) { b["cap"], b["minQuantity"] = -1, -5 }), "invalid-parameter", []string{"cap", "minQuantity"}},
		{"cap too large", valid(func(b jsonObject) { b["cap"] = catalog.MaxPreOrderCap + 1 }), "invalid-parameter", []string{"cap"}},
		{"minimum above the cap", valid(func(b jsonObject) { b["minQuantity"] = 101 }), "invalid-parameter", []string{"minQuantity"}},
		{"everything wrong at once", jsonObject{"season": "", "opens": "x", "closes": "2027-01-01", "availableFrom": "2026-12-31", "cap": 1, "minQuantity": 2},
			"invalid-parameter", []string{"season", "opens", "availableFrom", "minQuantity"}},
		{"a cap that is no whole number", valid(func(b jsonObject) { b["cap"] = 1.5 }), "invalid-body", []string{"cap"}},
		{"a cap beyond 64 bits", `{"season":"s","opens":"2027-01-05","closes":"2027-02-28","availableFrom":"2027-04-01","cap":1e30}`, "invalid-body", []string{"cap"}},
		{"a day that is no string", valid(func(b jsonObject) { b["opens"] = 20270105 }), "invalid-body", []string{"opens"}},
		{"an unknown field", valid(func(b jsonObject) { b["maxQuantity"] = 3 }), "invalid-body", []string{"maxQuantity"}},
		{"not an object", `["jardin-2027"]`, "invalid-body", nil},
		{"no body", "", "invalid-body", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.adminDo(t, http.MethodPut, preOrderPath(demo.PumpRef), c.body)
			wantProblem(t, r, http.StatusBadRequest, c.slug)
			if c.fields != nil {
				wantFields(t, r, c.fields...)
			}
		})
	}
	if p := storedPreOrderProduct(t, f, demo.PumpRef); p.PreOrder != nil || p.AvailableFrom != nil {
		t.Errorf("refused settings were stored: %+v", p.PreOrder)
	}
}

func TestAdminPreOrder_UnknownProductsAreNotFoundAndNotCreated(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	for _, ref := range []string{"NO-SUCH-REF", "A%23B"} {
		wantProblem(t, f.adminDo(t, http.MethodPut, preOrderPath(ref), preOrderBody), http.StatusNotFound, "not-found")
		wantProblem(t, f.adminDo(t, http.MethodDelete, preOrderPath(ref), nil), http.StatusNotFound, "not-found")
	}
	// The router bounds path segments: a reference too long is refused
	// before any read.
	wantProblem(t, f.adminDo(t, http.MethodPut, preOrderPath(strings.Repeat("R", 65)), preOrderBody), http.StatusBadRequest, "invalid-parameter")
	if _, err := (&dynamo.Catalog{Table: f.table}).Product(context.Background(), demo.Hydro, "NO-SUCH-REF"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("the unknown product was created: %v", err)
	}
	// Another merchant's product is unknown on this storefront.
	wantProblem(t, f.adminDo(t, http.MethodPut, preOrderPath("JS-012"), preOrderBody), http.StatusNotFound, "not-found")
}

// Settings written while other staff change the product and its settings
// at the same time: every save is whole, the product's availability day is
// always its settings', and the other edits are kept.
func TestAdminPreOrder_ConcurrentSavesKeepSettingsAndAvailabilityTogether(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	const writers = 8
	var wg sync.WaitGroup
	statuses := make([]int, writers+1)
	for i := range writers {
		wg.Go(func() {
			var r response
			if i%4 == 3 {
				r = f.adminDo(t, http.MethodDelete, preOrderPath(demo.PumpRef), nil)
			} else {
				r = f.adminDo(t, http.MethodPut, preOrderPath(demo.PumpRef), jsonObject{
					"season": fmt.Sprintf("season-%d", i), "opens": "2027-01-01", "closes": fmt.Sprintf("2027-03-%02d", i+1),
					"availableFrom": fmt.Sprintf("2027-05-%02d", i+1), "cap": 10 * (i + 1),
				})
			}
			statuses[i] = r.status
		})
	}
	// A product edit at the same time, through the product route.
	wg.Go(func() {
		body := newProductBody("POMPES-CHIMIE")
		delete(body, "ean")
		body["names"] = jsonObject{"fr": "Pompe renommée pendant la saison"}
		statuses[writers] = f.adminDo(t, http.MethodPut, "/admin/products/"+demo.PumpRef, body).status
	})
	wg.Wait()
	won := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK, http.StatusNoContent:
			won++
		case http.StatusConflict:
			// Lost every race: allowed, and said so.
		default:
			t.Errorf("writer %d answered %d", i, s)
		}
	}
	if won == 0 {
		t.Fatal("no save went through")
	}
	p := storedPreOrderProduct(t, f, demo.PumpRef)
	switch {
	case p.PreOrder == nil && p.AvailableFrom != nil:
		t.Errorf("no settings but an availability day %v", p.AvailableFrom)
	case p.PreOrder != nil && (p.AvailableFrom == nil || !p.AvailableFrom.Equal(p.PreOrder.AvailableFrom)):
		t.Errorf("settings %+v with availability day %v", p.PreOrder, p.AvailableFrom)
	case p.PreOrder != nil:
		var i int
		if _, err := fmt.Sscanf(p.PreOrder.Season, "season-%d", &i); err != nil || p.PreOrder.Cap != int64(10*(i+1)) ||
			p.PreOrder.Closes.Day() != i+1 || statuses[i] != http.StatusOK {
			t.Errorf("stored settings %+v are not one writer's whole", p.PreOrder)
		}
	}
	if statuses[writers] == http.StatusOK && p.Names["fr"] != "Pompe renommée pendant la saison" {
		t.Errorf("the product edit was lost: %v", p.Names)
	}
}
