package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/tariff"
)

// adminFixture is the admin API beside the catalog API over a fresh table
// loaded with the demo. The admin function has its own stores, cached as
// deployed; the catalog reads storefronts and assortments uncached, so that
// it shows every write at once (deployed, it would within CACHE_TTL).
type adminFixture struct {
	admin, catalog http.Handler
	issuer         *auth.DevIssuer
	staff          string // Hydrotech staff
	jardinStaff    string // the other merchant's staff
	table          dynamo.Table
}

func newAdminFixture(t *testing.T) *adminFixture {
	t.Helper()
	b := newDemoBackend(t)
	tbl, iss, pipeline := b.table, b.issuer, b.pipeline
	adminFronts := &dynamo.Storefronts{Table: tbl, TTL: time.Minute}
	admin := &httpapi.AdminAPI{
		Pipeline: pipeline(adminFronts), Catalog: &dynamo.Catalog{Table: tbl},
		Storefronts: adminFronts, Assortments: &dynamo.Assortments{Table: tbl, TTL: time.Minute},
		Pricing: &dynamo.Pricing{Table: tbl, TTL: time.Minute},
	}
	cat := &httpapi.CatalogAPI{
		Pipeline: pipeline(&dynamo.Storefronts{Table: tbl}), Catalog: &dynamo.Catalog{Table: tbl},
		Prices: &dynamo.Pricing{Table: tbl}, Assortments: &dynamo.Assortments{Table: tbl},
		Now: func() time.Time { return fixtureDay },
	}
	f := &adminFixture{admin: admin.Routes(), catalog: cat.Routes(), issuer: iss, table: tbl}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	f.jardinStaff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	return f
}

func (f *adminFixture) token(t *testing.T, c identity.Caller) string {
	t.Helper()
	tok, err := f.issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a request to h; body is sent as is when a string, as JSON
// otherwise, and not at all when nil.
func (f *adminFixture) do(t *testing.T, h http.Handler, method, host, path, token string, body any) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(j))
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Host", host)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// adminDo calls the admin API as Hydrotech staff on the French storefront.
func (f *adminFixture) adminDo(t *testing.T, method, path string, body any) response {
	t.Helper()
	return f.do(t, f.admin, method, frHost, path, f.staff, body)
}

func (f *adminFixture) catalogGet(t *testing.T, host, path, token string) response {
	t.Helper()
	return f.do(t, f.catalog, http.MethodGet, host, path, token, nil)
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.body)
	}
}

func adminBuyer(customerID string) identity.Caller {
	return identity.Caller{Role: identity.Buyer, Subject: "buyer-" + customerID, Merchant: demo.Hydro, Customer: customerID}
}

type jsonObject = map[string]any

// newProductBody is a valid product body filed in categoryID.
func newProductBody(categoryID string) jsonObject {
	return jsonObject{
		"names":        jsonObject{"fr": "Vanne guillotine inox DN100", "en": "Stainless knife gate valve DN100"},
		"descriptions": jsonObject{"fr": "Pour boues et fluides chargés."},
		"categoryId":   categoryID,
		"ean":          "3769990009994",
		"attributes":   jsonObject{"diametre": "DN100"},
		"images":       []any{"https://cdn.hydrotech.example/p/vg-100.jpg"},
		"packagings":   []any{jsonObject{"kind": "unit", "units": 1}, jsonObject{"kind": "pallet", "units": 20}},
		"minOrderQty":  1, "orderMultiple": 1,
		"taxCategory": "standard",
		"basePrice":   "100.00",
		"currency":    "EUR",
		"links": []any{
			jsonObject{"ref": demo.SealKitRef, "kind": "mandatory", "ratio": "2"},
			jsonObject{"ref": demo.FilterRef, "kind": "optional", "ratio": "0.5"},
		},
	}
}

func TestAdminAPI_OnlyTheMerchantsStaffGetsIn(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	callers := []struct {
		name, token string
		status      int
		slug        string
	}{
		{"anonymous", "", 401, "unauthenticated"},
		{"buyer", f.token(t, buyer), 403, "forbidden"},
		{"rep", f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep", Merchant: demo.Hydro, Rep: "R01"}), 403, "forbidden"},
		{"other merchant's staff", f.jardinStaff, 401, "invalid-token"},
		{"staff", f.staff, 0, ""},
	}
	category := jsonObject{"names": jsonObject{"fr": "Matrice"}, "parentId": "VANNES", "position": 9}
	storefront := jsonObject{"host": "ch.hydrotech-industrie.fr", "country": "CH", "language": "fr", "currency": "CHF", "mode": "closed"}
	// Endpoints in an order where each staff call succeeds; the staff
	// status says the refused callers wrote nothing before (201, not 200).
	endpoints := []struct {
		method, path string
		body         any
		staff        int
	}{
		{"GET", "/admin/categories", nil, 200},
		{"PUT", "/admin/categories/MATRICE", category, 201},
		{"PUT", "/admin/categories/MATRICE-VIDE", category, 201},
		{"DELETE", "/admin/categories/MATRICE-VIDE", nil, 204},
		{"PUT", "/admin/products/MATRICE-1", newProductBody("MATRICE"), 201},
		{"GET", "/admin/products/MATRICE-1", nil, 200},
		{"GET", "/admin/assortments", nil, 200},
		{"PUT", "/admin/assortments/buying-group/ACHATPRO", jsonObject{"categories": []string{"MATRICE"}}, 201},
		{"DELETE", "/admin/assortments/buying-group/ACHATPRO", nil, 204},
		{"GET", "/admin/storefronts", nil, 200},
		{"PUT", "/admin/storefronts/ch", storefront, 201},
	}
	for _, e := range endpoints {
		t.Run(e.method+" "+e.path, func(t *testing.T) {
			for _, c := range callers {
				r := f.do(t, f.admin, e.method, frHost, e.path, c.token, e.body)
				if c.slug == "" {
					if r.status != e.staff {
						t.Fatalf("%s: status %d, want %d: %s", c.name, r.status, e.staff, r.body)
					}
					continue
				}
				t.Logf("%s", c.name)
				wantProblem(t, r, c.status, c.slug)
			}
		})
	}
	t.Run("unknown route and wrong method", func(t *testing.T) {
		wantProblem(t, f.adminDo(t, "GET", "/admin/nothing", nil), 404, "not-found")
		wantProblem(t, f.adminDo(t, "POST", "/admin/categories", nil), 405, "method-not-allowed")
		wantProblem(t, f.adminDo(t, "PATCH", "/admin/products/"+demo.PumpRef, "{}"), 405, "method-not-allowed")
	})
}

func TestAdminAPI_CreatedCategoryAndProductShowInTheCatalog(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	r := f.adminDo(t, "PUT", "/admin/categories/VANNES-GUILLOTINE",
		jsonObject{"names": jsonObject{"fr": "Vannes guillotine", "en": "Knife gate valves"}, "parentId": "VANNES", "position": 3})
	wantStatus(t, r, 201)
	r = f.adminDo(t, "PUT", "/admin/products/VG-100", newProductBody("VANNES-GUILLOTINE"))
	wantStatus(t, r, 201)
	stored := decode[catalog.Product](t, r)
	if !slices.Equal(stored.Families, []string{"VANNES-GUILLOTINE", "VANNES"}) || len(stored.Tariffs) != 0 {
		t.Errorf("stored families %v, tariffs %v", stored.Families, stored.Tariffs)
	}
	if got := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/VG-100", nil)); got.BasePrice.String() != "100" || len(got.Links) != 2 {
		t.Errorf("read back %+v", got)
	}

	// Plomberie Lyonnaise sees it with its links, and the family discount
	// on valves applies through the computed families.
	buyerTok := f.token(t, buyer)
	r = f.catalogGet(t, frHost, "/catalog/products/VG-100", buyerTok)
	wantStatus(t, r, 200)
	p := decode[httpapi.ProductView](t, r)
	if p.CategoryID != "VANNES-GUILLOTINE" || p.Name != "Vanne guillotine inox DN100" || p.EAN != "3769990009994" || len(p.Packagings) != 2 {
		t.Errorf("product %+v", p)
	}
	if len(p.Links) != 2 || p.Links[0].Ref != demo.SealKitRef || p.Links[0].Kind != catalog.Mandatory || !p.Links[0].Ratio.Equal(decimal.NewFromInt(2)) ||
		p.Links[1].Ref != demo.FilterRef || p.Links[1].Kind != catalog.Optional || p.Links[1].Ratio.String() != "0.5" {
		t.Errorf("links %+v", p.Links)
	}
	if p.Price == nil || !p.Price.Amount.Equal(decimal.NewFromInt(95)) {
		t.Errorf("price %+v, want 95 (100 less the valves family discount of 5%%)", p.Price)
	}
	if cats := categoryIDs(t, f.catalogGet(t, frHost, "/catalog/categories", "")); !cats["VANNES-GUILLOTINE"] {
		t.Error("the new category is not in the tree")
	}
	page := decode[httpapi.ProductPage](t, f.catalogGet(t, frHost, "/catalog/categories/VANNES-GUILLOTINE/products", ""))
	if len(page.Items) != 1 || page.Items[0].Ref != "VG-100" || page.Items[0].Price != nil {
		t.Errorf("anonymous page %+v", page.Items)
	}

	// Replacing it with another category re-files it.
	body := newProductBody("VANNES-BILLE")
	delete(body, "links")
	wantStatus(t, f.adminDo(t, "PUT", "/admin/products/VG-100", body), 200)
	if page := decode[httpapi.ProductPage](t, f.catalogGet(t, frHost, "/catalog/categories/VANNES-GUILLOTINE/products", "")); len(page.Items) != 0 {
		t.Errorf("still listed in its former category: %+v", page.Items)
	}
	if p := decode[httpapi.ProductView](t, f.catalogGet(t, frHost, "/catalog/products/VG-100", buyerTok)); p.CategoryID != "VANNES-BILLE" || len(p.Links) != 0 {
		t.Errorf("after replace %+v", p)
	}
}

func TestAdminAPI_ReplacingAProductKeepsItsTariffs(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	before := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+demo.PumpRef, nil))
	if len(before.Tariffs) == 0 || len(before.Links) != 2 {
		t.Fatalf("the demo pump has tariffs and links: %+v", before)
	}
	body := jsonObject{
		"names":       jsonObject{"fr": "Pompe d'extraction d'acide, série 2", "en": "Acid extraction pump, series 2"},
		"categoryId":  "POMPES-CHIMIE",
		"packagings":  []any{jsonObject{"kind": "unit", "units": 1}},
		"minOrderQty": 1, "orderMultiple": 1, "taxCategory": "standard",
		"basePrice": "2000.00", "currency": "eur", "proOnly": true,
		"links": []any{jsonObject{"ref": demo.SealKitRef, "kind": "mandatory", "ratio": "1"}},
	}
	r := f.adminDo(t, "PUT", "/admin/products/"+demo.PumpRef, body)
	wantStatus(t, r, 200)
	after := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+demo.PumpRef, nil))
	if !tariffsEqual(after.Tariffs, before.Tariffs) {
		t.Errorf("tariffs changed:\n%+v\n%+v", before.Tariffs, after.Tariffs)
	}
	if after.Currency != "EUR" || !after.BasePrice.Equal(decimal.NewFromInt(2000)) || len(after.Links) != 1 || after.EAN != "" ||
		!slices.Equal(after.Families, []string{"POMPES-CHIMIE", "POMPES"}) {
		t.Errorf("after %+v", after)
	}
	// Price category 1 still takes 12% off the new list price.
	p := decode[httpapi.ProductView](t, f.catalogGet(t, frHost, "/catalog/products/"+demo.PumpRef, f.token(t, buyer)))
	if p.Price == nil || !p.Price.Amount.Equal(decimal.NewFromInt(1760)) || p.Price.Source != string(tariff.PriceCategory) {
		t.Errorf("price %+v, want 1760 from the price category", p.Price)
	}
	// Tariffs in the body are refused: they come from the ERP.
	body["tariffs"] = before.Tariffs
	r = f.adminDo(t, "PUT", "/admin/products/"+demo.PumpRef, body)
	wantProblem(t, r, 400, "invalid-body")
	wantFields(t, r, "tariffs")
}

func tariffsEqual(a, b []tariff.Entry) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestAdminAPI_AssortmentChangesTheCustomersView(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	tok := f.token(t, adminBuyer(demo.AssortedCustomer))
	visible := func(ref string) bool {
		t.Helper()
		r := f.catalogGet(t, frHost, "/catalog/products/"+ref, tok)
		if r.status != 200 && r.status != 404 {
			t.Fatalf("%s: %d %s", ref, r.status, r.body)
		}
		return r.status == 200
	}
	if visible("POMPES-CENTRI-101") || !visible("VANNES-BILLE-101") {
		t.Fatal("the demo assortment limits the customer to seals and valves")
	}
	path := "/admin/assortments/customer/" + demo.AssortedCustomer
	r := f.adminDo(t, "PUT", path, jsonObject{"categories": []string{"POMPES"}, "products": []string{demo.SealKitRef, demo.SealKitRef}})
	wantStatus(t, r, 200)
	if a := decode[catalog.Assortment](t, r); !slices.Equal(a.Products, []string{demo.SealKitRef}) {
		t.Errorf("saved %+v", a)
	}
	if !visible("POMPES-CENTRI-101") || visible("VANNES-BILLE-101") || !visible(demo.SealKitRef) {
		t.Error("the new assortment does not show pumps and the seal kit only")
	}
	cats := categoryIDs(t, f.catalogGet(t, frHost, "/catalog/categories", tok))
	if !cats["POMPES-CENTRI"] || cats["VANNES"] {
		t.Errorf("categories %v", cats)
	}
	list := decode[struct {
		Assortments []catalog.Assortment `json:"assortments"`
	}](t, f.adminDo(t, "GET", "/admin/assortments", nil)).Assortments
	if len(list) != 1 || !slices.Equal(list[0].Categories, []string{"POMPES"}) {
		t.Errorf("listed %+v", list)
	}
	wantStatus(t, f.adminDo(t, "DELETE", path, nil), 204)
	if !visible("POMPES-CENTRI-101") || !visible("VANNES-BILLE-101") {
		t.Error("without an assortment the customer sees the whole catalog")
	}
	wantProblem(t, f.adminDo(t, "DELETE", path, nil), 404, "not-found")
	// A price category's assortment limits its customers (C0001 is in 1).
	wantStatus(t, f.adminDo(t, "PUT", "/admin/assortments/price-category/1", jsonObject{"categories": []string{"FILTRE"}}), 201)
	if r := f.catalogGet(t, frHost, "/catalog/products/VANNES-BILLE-101", f.token(t, buyer)); r.status != 404 {
		t.Errorf("price category 1 still sees valves: %d", r.status)
	}
}

func TestAdminAPI_StorefrontChanges(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	list := decode[struct {
		Storefronts []merchant.Storefront `json:"storefronts"`
	}](t, f.adminDo(t, "GET", "/admin/storefronts", nil)).Storefronts
	if len(list) != 3 || list[0].ID != "be" || list[2].ID != "fr" {
		t.Fatalf("storefronts %+v", list)
	}
	wantStatus(t, f.catalogGet(t, frHost, "/catalog/categories", ""), 200)

	t.Run("closing the portal", func(t *testing.T) {
		r := f.adminDo(t, "PUT", "/admin/storefronts/fr", jsonObject{"host": "Hydro-FR.localhost", "country": "fr", "language": "fr", "currency": "EUR", "mode": "closed"})
		wantStatus(t, r, 200)
		if sf := decode[merchant.Storefront](t, r); sf.Mode != merchant.Closed || sf.Merchant != demo.Hydro || sf.Host != frHost || sf.Country != "FR" || sf.MerchantLanguage != "fr" {
			t.Errorf("saved %+v", sf)
		}
		wantProblem(t, f.catalogGet(t, frHost, "/catalog/categories", ""), 401, "unauthenticated")
		wantStatus(t, f.catalogGet(t, frHost, "/catalog/categories", f.token(t, buyer)), 200)
	})
	t.Run("hosts are unique across the deployment", func(t *testing.T) {
		r := f.adminDo(t, "PUT", "/admin/storefronts/fr", jsonObject{"host": beHost, "country": "FR", "language": "fr", "currency": "EUR", "mode": "open"})
		wantProblem(t, r, 409, "conflict")
		wantFields(t, r, "host")
		// Another merchant's hosts are not under Hydrotech's domains.
		r = f.adminDo(t, "PUT", "/admin/storefronts/lu", jsonObject{"host": "jardin-fr.localhost", "country": "LU", "language": "fr", "currency": "EUR", "mode": "open"})
		wantProblem(t, r, 403, "forbidden")
		wantFields(t, r, "host")
		// Jardin's staff cannot take Hydrotech's host, even for a
		// storefront with the same id.
		r = f.do(t, f.admin, "PUT", "jardin-fr.localhost", "/admin/storefronts/fr", f.jardinStaff,
			jsonObject{"host": frHost, "country": "FR", "language": "fr", "currency": "EUR", "mode": "open"})
		wantProblem(t, r, 403, "forbidden")
		wantStatus(t, f.catalogGet(t, "jardin-fr.localhost", "/catalog/categories", ""), 200)
		wantStatus(t, f.catalogGet(t, frHost, "/catalog/categories", f.token(t, buyer)), 200)
		// The merchant is never taken from the body.
		r = f.do(t, f.admin, "PUT", "jardin-fr.localhost", "/admin/storefronts/es", f.jardinStaff,
			jsonObject{"host": "hydro-es.localhost", "country": "ES", "language": "es", "currency": "EUR", "mode": "open", "merchant": "hydro"})
		wantProblem(t, r, 400, "invalid-body")
		wantFields(t, r, "merchant")
	})
	t.Run("a new storefront and a moved host", func(t *testing.T) {
		r := f.adminDo(t, "PUT", "/admin/storefronts/at", jsonObject{"host": "AT.Hydrotech-Industrie.fr.", "country": "AT", "language": "de", "currency": "EUR", "mode": "open"})
		wantStatus(t, r, 201)
		if sf := decode[merchant.Storefront](t, r); sf.MerchantLanguage != "fr" || sf.Merchant != demo.Hydro || sf.Host != "at.hydrotech-industrie.fr" {
			t.Errorf("created %+v", sf)
		}
		wantStatus(t, f.catalogGet(t, "at.hydrotech-industrie.fr", "/catalog/products/"+demo.SealKitRef, ""), 200)
		// The admin function resolves beHost once (and caches it), then
		// moves it: its own cache is dropped at once.
		wantStatus(t, f.do(t, f.admin, "GET", beHost, "/admin/storefronts", f.staff, nil), 200)
		r = f.adminDo(t, "PUT", "/admin/storefronts/be", jsonObject{"host": "belgique.hydrotech-industrie.fr", "country": "BE", "language": "nl", "currency": "EUR", "mode": "open", "consumers": true})
		wantStatus(t, r, 200)
		wantProblem(t, f.do(t, f.admin, "GET", beHost, "/admin/storefronts", f.staff, nil), 404, "unknown-storefront")
		wantProblem(t, f.catalogGet(t, beHost, "/catalog/categories", ""), 404, "unknown-storefront")
		wantStatus(t, f.catalogGet(t, "belgique.hydrotech-industrie.fr", "/catalog/categories", ""), 200)
		// The released host can be taken again.
		r = f.adminDo(t, "PUT", "/admin/storefronts/at", jsonObject{"host": beHost, "country": "AT", "language": "de", "currency": "EUR", "mode": "open"})
		wantStatus(t, r, 200)
	})
}

func TestAdminAPI_DeletingACategory(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	cases := []struct {
		name, id string
		status   int
		slug     string
	}{
		{"with products", "VANNES-BILLE", 409, "conflict"},
		{"with sub-categories", "VANNES", 409, "conflict"},
		{"unknown", "NOPE", 404, "not-found"},
		{"the other merchant's", "SEMIS", 404, "not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, f.adminDo(t, "DELETE", "/admin/categories/"+c.id, nil), c.status, c.slug)
		})
	}
	t.Run("empty", func(t *testing.T) {
		wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/VIDE", jsonObject{"names": jsonObject{"fr": "Vide"}}), 201)
		wantStatus(t, f.adminDo(t, "DELETE", "/admin/categories/VIDE", nil), 204)
		if cats := categoryIDs(t, f.catalogGet(t, beHost, "/catalog/categories", "")); cats["VIDE"] || !cats["VANNES"] {
			t.Errorf("categories after delete %v", cats)
		}
		wantProblem(t, f.adminDo(t, "DELETE", "/admin/categories/VIDE", nil), 404, "not-found")
	})
}

func TestAdminAPI_MovingACategoryRefreshesItsProductsAndRestrictions(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	assorted := f.token(t, adminBuyer(demo.AssortedCustomer))
	wantStatus(t, f.catalogGet(t, frHost, "/catalog/products/"+demo.SealKitRef, assorted), 200)
	wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/KITS", jsonObject{"names": jsonObject{"fr": "Kits"}, "position": 7}), 201)
	r := f.adminDo(t, "PUT", "/admin/categories/ETANCH-KITS", jsonObject{"names": jsonObject{"fr": "Kits de joints", "en": "Seal kits"}, "parentId": "KITS"})
	wantStatus(t, r, 200)
	// Every product of the moved category has its new families.
	page := decode[httpapi.ProductPage](t, f.catalogGet(t, beHost, "/catalog/categories/ETANCH-KITS/products?limit=100", ""))
	if len(page.Items) < 20 {
		t.Fatalf("ETANCH-KITS lists %d products", len(page.Items))
	}
	for _, item := range page.Items {
		p := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+item.Ref, nil))
		if !slices.Equal(p.Families, []string{"ETANCH-KITS", "KITS"}) {
			t.Fatalf("%s families %v", p.Ref, p.Families)
		}
	}
	// The seal kit left ETANCH, which the assorted customer may see.
	wantProblem(t, f.catalogGet(t, frHost, "/catalog/products/"+demo.SealKitRef, assorted), 404, "not-found")
	// Moving under its own descendant is refused.
	r = f.adminDo(t, "PUT", "/admin/categories/KITS", jsonObject{"names": jsonObject{"fr": "Kits"}, "parentId": "ETANCH-KITS"})
	wantProblem(t, r, 400, "invalid-parameter")
	wantFields(t, r, "parentId")

	// Restricting the new parent restricts what is below it.
	wantStatus(t, f.catalogGet(t, frHost, "/catalog/products/"+demo.SealKitRef, ""), 200)
	wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/KITS", jsonObject{"names": jsonObject{"fr": "Kits"}, "position": 7, "restricted": true}), 200)
	cats := decode[struct {
		Categories []catalog.Category `json:"categories"`
	}](t, f.adminDo(t, "GET", "/admin/categories", nil)).Categories
	for _, c := range cats {
		if (c.ID == "KITS" || c.ID == "ETANCH-KITS") != c.Restricted && c.ID != "SAV" && c.ParentID != "SAV" {
			t.Errorf("%s restricted = %v", c.ID, c.Restricted)
		}
	}
	wantProblem(t, f.catalogGet(t, frHost, "/catalog/products/"+demo.SealKitRef, ""), 404, "not-found")
	// A category created below a restricted one is restricted whatever
	// its body says.
	r = f.adminDo(t, "PUT", "/admin/categories/SAV-JOINTS", jsonObject{"names": jsonObject{"fr": "Joints SAV"}, "parentId": "SAV", "restricted": false})
	wantStatus(t, r, 201)
	if c := decode[catalog.Category](t, r); !c.Restricted {
		t.Errorf("SAV-JOINTS is not restricted")
	}
}

// wantFields checks that a problem's errors name exactly these fields.
func wantFields(t *testing.T, r response, fields ...string) {
	t.Helper()
	p := decode[httpapi.Problem](t, r)
	var got []string
	for _, e := range p.Errors {
		if e.Reason == "" {
			t.Errorf("field %s has no reason", e.Field)
		}
		got = append(got, e.Field)
	}
	slices.Sort(got)
	slices.Sort(fields)
	if !slices.Equal(got, fields) {
		t.Errorf("fields %v, want %v: %s", got, fields, r.body)
	}
}

func TestAdminAPI_RefusesInvalidInputListingEveryField(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	product := func(change func(jsonObject)) jsonObject {
		b := newProductBody("VANNES-BILLE")
		change(b)
		return b
	}
	set := func(kv ...any) func(jsonObject) {
		return func(b jsonObject) {
			for i := 0; i+1 < len(kv); i += 2 {
				b[kv[i].(string)] = kv[i+1]
			}
		}
	}
	storefront := func(change func(jsonObject)) jsonObject {
		b := jsonObject{"host": "hydro-it.localhost", "country": "IT", "language": "it", "currency": "EUR", "mode": "open"}
		change(b)
		return b
	}
	const (
		bad   = "invalid-parameter"
		shape = "invalid-body"
	)
	cases := []struct {
		name, method, path string
		body               any
		slug               string
		fields             []string
	}{
		// Categories.
		{"category without names", "PUT", "/admin/categories/NEW", jsonObject{"position": 1}, bad, []string{"names"}},
		{"category with a bad language, parent and position", "PUT", "/admin/categories/NEW",
			jsonObject{"names": jsonObject{"FR!": "x", "fr": "ok"}, "parentId": "NOPE", "position": -1}, bad, []string{"names.FR!", "parentId", "position"}},
		{"category its own parent", "PUT", "/admin/categories/NEW", jsonObject{"names": jsonObject{"fr": "x"}, "parentId": "NEW"}, bad, []string{"parentId"}},
		{"category cycle", "PUT", "/admin/categories/POMPES", jsonObject{"names": jsonObject{"fr": "x"}, "parentId": "POMPES-CHIMIE"}, bad, []string{"parentId"}},
		{"category id with #", "PUT", "/admin/categories/A%23B", jsonObject{"names": jsonObject{"fr": "x"}}, bad, []string{"id"}},
		{"category fields of the wrong type", "PUT", "/admin/categories/NEW",
			jsonObject{"names": "Pompes", "position": "one", "restricted": "yes", "families": []string{}}, shape, []string{"families", "names", "position", "restricted"}},
		{"category body not JSON", "PUT", "/admin/categories/NEW", "{names:", shape, nil},
		{"category body an array", "PUT", "/admin/categories/NEW", "[]", shape, nil},
		{"category body empty", "PUT", "/admin/categories/NEW", "", shape, nil},
		{"category body null", "PUT", "/admin/categories/NEW", "null", shape, nil},
		{"category two bodies", "PUT", "/admin/categories/NEW", `{"names":{"fr":"a"}} {}`, shape, nil},
		// Products.
		{"product empty", "PUT", "/admin/products/ADM-1", jsonObject{}, bad,
			[]string{"basePrice", "categoryId", "currency", "minOrderQty", "names", "orderMultiple", "packagings", "taxCategory"}},
		{"product unknown category", "PUT", "/admin/products/ADM-1", product(set("categoryId", "NOPE")), bad, []string{"categoryId"}},
		{"product other merchant's category", "PUT", "/admin/products/ADM-1", product(set("categoryId", "SEMIS")), bad, []string{"categoryId"}},
		{"product EAN check digit", "PUT", "/admin/products/ADM-1", product(set("ean", "3769990009995")), bad, []string{"ean"}},
		{"product EAN length", "PUT", "/admin/products/ADM-1", product(set("ean", "376999000999")), bad, []string{"ean"}},
		{"product EAN letters", "PUT", "/admin/products/ADM-1", product(set("ean", "37699900099A1")), bad, []string{"ean"}},
		{"product no packaging", "PUT", "/admin/products/ADM-1", product(set("packagings", []any{})), bad, []string{"packagings"}},
		{"product bad packagings", "PUT", "/admin/products/ADM-1", product(set("packagings", []any{
			jsonObject{"kind": "box", "units": 6}, jsonObject{"kind": "unit", "units": 2}, jsonObject{"kind": "lot", "units": 0},
			jsonObject{"kind": "pallet", "units": 10}, jsonObject{"kind": "pallet", "units": 10},
		})), bad, []string{"packagings[0].kind", "packagings[1].units", "packagings[2].units", "packagings[4]"}},
		{"product packaging unknown field", "PUT", "/admin/products/ADM-1", product(set("packagings", []any{jsonObject{"kind": "unit", "units": 1, "weight": 3}})), shape, []string{"packagings"}},
		{"product quantities", "PUT", "/admin/products/ADM-1", product(set("minOrderQty", 0, "orderMultiple", -5)), bad, []string{"minOrderQty", "orderMultiple"}},
		{"product price as a number", "PUT", "/admin/products/ADM-1", product(set("basePrice", 12.5)), shape, []string{"basePrice"}},
		{"product negative price", "PUT", "/admin/products/ADM-1", product(set("basePrice", "-1")), bad, []string{"basePrice"}},
		{"product price not a decimal", "PUT", "/admin/products/ADM-1", product(set("basePrice", "1e3")), bad, []string{"basePrice"}},
		{"product currency", "PUT", "/admin/products/ADM-1", product(set("currency", "EURO")), bad, []string{"currency"}},
		{"product tax category", "PUT", "/admin/products/ADM-1", product(set("taxCategory", "")), bad, []string{"taxCategory"}},
		{"product image", "PUT", "/admin/products/ADM-1", product(set("images", []string{"ftp://cdn/x.jpg", "https://cdn.example/ok.jpg", "/relative.jpg"})), bad, []string{"images[0]", "images[2]"}},
		{"product bad links", "PUT", "/admin/products/ADM-1", product(set("links", []any{
			jsonObject{"ref": "ADM-1", "kind": "mandatory", "ratio": "1"},
			jsonObject{"ref": "NOPE-1", "kind": "optional", "ratio": "1"},
			jsonObject{"ref": demo.SealKitRef, "kind": "maybe", "ratio": "0"},
			jsonObject{"ref": demo.FilterRef, "kind": "optional", "ratio": "-2"},
			jsonObject{"ref": "JS-001", "kind": "optional", "ratio": "1"},
		})), bad, []string{"links[0].ref", "links[1].ref", "links[2].kind", "links[2].ratio", "links[3].ratio", "links[4].ref"}},
		{"product link ratio as a number", "PUT", "/admin/products/ADM-1", product(set("links", []any{jsonObject{"ref": demo.SealKitRef, "kind": "mandatory", "ratio": 1}})), shape, []string{"links.ratio"}},
		{"product server fields", "PUT", "/admin/products/ADM-1", product(set("families", []string{"X"}, "ref", "OTHER")), shape, []string{"families", "ref"}},
		{"product names of the wrong type", "PUT", "/admin/products/ADM-1", product(set("names", jsonObject{"fr": 3}, "inactive", "no")), shape, []string{"inactive", "names"}},
		{"product empty names", "PUT", "/admin/products/ADM-1", product(set("names", jsonObject{"fr": "  "})), bad, []string{"names"}},
		{"product long name", "PUT", "/admin/products/ADM-1", product(set("names", jsonObject{"fr": strings.Repeat("é", 201)})), bad, []string{"names.fr"}},
		{"product many errors at once", "PUT", "/admin/products/ADM-1", product(set("categoryId", "NOPE", "ean", "1", "currency", "", "minOrderQty", 0)), bad,
			[]string{"categoryId", "currency", "ean", "minOrderQty"}},
		// Assortments.
		{"assortment scope", "PUT", "/admin/assortments/region/NORD", jsonObject{"categories": []string{"POMPES"}}, bad, []string{"scope"}},
		{"assortment empty", "PUT", "/admin/assortments/customer/C0001", jsonObject{}, bad, []string{"categories"}},
		{"assortment unknown entries", "PUT", "/admin/assortments/customer/C0001", jsonObject{"categories": []string{"POMPES", "NOPE", "SEMIS"}, "products": []string{"NOPE-1", "JS-001", demo.PumpRef}}, bad,
			[]string{"categories[1]", "categories[2]", "products[0]", "products[1]"}},
		{"assortment wrong type", "PUT", "/admin/assortments/customer/C0001", jsonObject{"categories": "POMPES"}, shape, []string{"categories"}},
		{"assortment unknown field", "PUT", "/admin/assortments/customer/C0001", jsonObject{"categories": []string{"POMPES"}, "scope": "customer"}, shape, []string{"scope"}},
		// Storefronts.
		{"storefront empty", "PUT", "/admin/storefronts/it", jsonObject{}, bad, []string{"country", "currency", "host", "language", "mode"}},
		{"storefront mode", "PUT", "/admin/storefronts/it", storefront(set("mode", "half-open")), bad, []string{"mode"}},
		{"storefront host with a scheme", "PUT", "/admin/storefronts/it", storefront(set("host", "https://shop.example.it")), bad, []string{"host"}},
		{"storefront host with a port", "PUT", "/admin/storefronts/it", storefront(set("host", "shop.example.it:8443")), bad, []string{"host"}},
		{"storefront codes", "PUT", "/admin/storefronts/it", storefront(set("country", "Italy", "language", "italian", "currency", "EU")), bad, []string{"country", "currency", "language"}},
		{"storefront codes that are not real", "PUT", "/admin/storefronts/it", storefront(set("country", "UK", "language", "xx", "currency", "XYZ")), bad, []string{"country", "currency", "language"}},
		{"storefront private-use country", "PUT", "/admin/storefronts/it", storefront(set("country", "XK")), bad, []string{"country"}},
		{"storefront IPv4 host", "PUT", "/admin/storefronts/it", storefront(set("host", "127.0.0.1")), bad, []string{"host"}},
		{"storefront IPv6 host", "PUT", "/admin/storefronts/it", storefront(set("host", "::1")), bad, []string{"host"}},
		{"storefront bracketed IPv6 host", "PUT", "/admin/storefronts/it", storefront(set("host", "[::1]")), bad, []string{"host"}},
		{"storefront host with two final dots", "PUT", "/admin/storefronts/it", storefront(set("host", "it.hydrotech-industrie.fr..")), bad, []string{"host"}},
		{"storefront host of one label", "PUT", "/admin/storefronts/it", storefront(set("host", "localhost")), bad, []string{"host"}},
		{"storefront host too long", "PUT", "/admin/storefronts/it", storefront(set("host", strings.Repeat("a.", 130)+"hydrotech-industrie.fr")), bad, []string{"host"}},
		{"storefront id too long", "PUT", "/admin/storefronts/" + strings.Repeat("s", 65), storefront(set()), bad, []string{"id"}},
		{"category id too long", "PUT", "/admin/categories/" + strings.Repeat("C", 3000), jsonObject{"names": jsonObject{"fr": "x"}}, bad, []string{"id"}},
		{"category parent id too long", "PUT", "/admin/categories/NEW", jsonObject{"names": jsonObject{"fr": "x"}, "parentId": strings.Repeat("P", 3000)}, bad, []string{"parentId"}},
		{"category position 2^63-1", "PUT", "/admin/categories/NEW", jsonObject{"names": jsonObject{"fr": "x"}, "position": int64(9223372036854775807)}, bad, []string{"position"}},
		{"category position 2^63", "PUT", "/admin/categories/NEW", `{"names":{"fr":"x"},"position":9223372036854775808}`, shape, []string{"position"}},
		{"category position past the bound", "PUT", "/admin/categories/NEW", jsonObject{"names": jsonObject{"fr": "x"}, "position": 1_000_001}, bad, []string{"position"}},
		{"assortment scope id too long", "PUT", "/admin/assortments/customer/" + strings.Repeat("C", 3000), jsonObject{"categories": []string{"POMPES"}}, bad, []string{"scopeId"}},
		{"assortment category id too long", "PUT", "/admin/assortments/customer/C0001", jsonObject{"categories": []string{strings.Repeat("C", 3000), "POMPES"}}, bad, []string{"categories[0]"}},
		{"assortment too many entries, repeats included", "PUT", "/admin/assortments/customer/C0001", jsonObject{"products": slices.Repeat([]string{demo.PumpRef}, 1001)}, bad, []string{"products"}},
		{"storefront consumers not a boolean", "PUT", "/admin/storefronts/it", storefront(set("consumers", "yes")), shape, []string{"consumers"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.adminDo(t, c.method, c.path, c.body)
			wantProblem(t, r, 400, c.slug)
			if c.fields != nil {
				wantFields(t, r, c.fields...)
			}
		})
	}
	t.Run("nothing was written", func(t *testing.T) {
		wantProblem(t, f.adminDo(t, "GET", "/admin/products/ADM-1", nil), 404, "not-found")
		wantProblem(t, f.adminDo(t, "GET", "/admin/products/JS-001", nil), 404, "not-found")
		cats := decode[struct {
			Categories []catalog.Category `json:"categories"`
		}](t, f.adminDo(t, "GET", "/admin/categories", nil)).Categories
		for _, c := range cats {
			if c.ID == "NEW" || c.ID == "POMPES" && c.ParentID != "" {
				t.Errorf("category written: %+v", c)
			}
		}
		as := decode[struct {
			Assortments []catalog.Assortment `json:"assortments"`
		}](t, f.adminDo(t, "GET", "/admin/assortments", nil)).Assortments
		if len(as) != 1 {
			t.Errorf("assortments %+v", as)
		}
		fronts := decode[struct {
			Storefronts []merchant.Storefront `json:"storefronts"`
		}](t, f.adminDo(t, "GET", "/admin/storefronts", nil)).Storefronts
		if len(fronts) != 3 {
			t.Errorf("storefronts %+v", fronts)
		}
	})
}

// adminRoutes is an admin API over tbl without a token verifier, for tests
// that only call it anonymously (the router coverage of openapi_test.go).
func adminRoutes(tbl dynamo.Table) http.Handler {
	fronts := &dynamo.Storefronts{Table: tbl}
	return (&httpapi.AdminAPI{
		Pipeline: &httpapi.Pipeline{Storefronts: fronts, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))},
		Catalog:  &dynamo.Catalog{Table: tbl}, Storefronts: fronts, Assortments: &dynamo.Assortments{Table: tbl},
		Pricing: &dynamo.Pricing{Table: tbl},
	}).Routes()
}

// TestAdminAPI_ResponsesConformToTheContract validates admin exchanges,
// successes and problems, against docs/openapi.yaml.
func TestAdminAPI_ResponsesConformToTheContract(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	f := newAdminFixture(t)
	buyerTok := f.token(t, buyer)
	cases := []struct {
		method, path, token string
		body                any
		status              int
		validRequest        bool
	}{
		{"GET", "/admin/categories", f.staff, nil, 200, true},
		{"PUT", "/admin/categories/CONTRAT", f.staff, jsonObject{"names": jsonObject{"fr": "Contrat"}, "parentId": "SAV", "position": 2}, 201, true},
		{"PUT", "/admin/products/CONTRAT-1", f.staff, newProductBody("CONTRAT"), 201, true},
		{"GET", "/admin/products/CONTRAT-1", f.staff, nil, 200, true},
		{"GET", "/admin/products/" + demo.PumpRef, f.staff, nil, 200, true},
		{"GET", "/admin/products/NOPE-1", f.staff, nil, 404, true},
		{"PUT", "/admin/assortments/price-category/2", f.staff, jsonObject{"categories": []string{"CONTRAT"}, "products": []string{demo.PumpRef}}, 201, true},
		{"GET", "/admin/assortments", f.staff, nil, 200, true},
		{"DELETE", "/admin/assortments/price-category/2", f.staff, nil, 204, true},
		{"GET", "/admin/storefronts", f.staff, nil, 200, true},
		{"PUT", "/admin/storefronts/de", f.staff, jsonObject{"host": deHost, "country": "DE", "language": "de", "currency": "EUR", "mode": "partially-open"}, 200, true},
		{"PUT", "/admin/storefronts/de", f.staff, jsonObject{"host": beHost, "country": "DE", "language": "de", "currency": "EUR", "mode": "open"}, 409, true},
		{"DELETE", "/admin/categories/CONTRAT", f.staff, nil, 409, true},
		{"PUT", "/admin/products/CONTRAT-2", f.staff, jsonObject{"names": jsonObject{"fr": "x"}}, 400, false},
		{"GET", "/admin/categories", "", nil, 401, false},
		{"GET", "/admin/categories", buyerTok, nil, 403, true},
		{"GET", "/admin/pricing", f.staff, nil, 200, true},
		{"PUT", "/admin/pricing/rules/PALIER-X", f.staff, jsonObject{"name": "Paliers", "kind": "quantity-tiers", "priority": 3, "stop": true,
			"who": jsonObject{"priceCategory": "2"}, "target": jsonObject{"family": "VANNES"},
			"tiers": []jsonObject{{"from": "10", "value": "4"}}, "validity": jsonObject{"from": "2026-01-01T00:00:00Z"}}, 201, true},
		{"PUT", "/admin/pricing/rules/PALIER-X", f.staff, jsonObject{"kind": "quantity-tiers"}, 400, true},
		{"PUT", "/admin/pricing/policy", f.staff, jsonObject{"policy": "best-price"}, 200, true},
		{"DELETE", "/admin/pricing/rules/PALIER-X", f.staff, nil, 204, true},
		{"DELETE", "/admin/pricing/rules/PALIER-X", f.staff, nil, 404, true},
	}
	for _, tc := range cases {
		var body []byte
		if tc.body != nil {
			body, _ = json.Marshal(tc.body)
		}
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Host = frHost
		if tc.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		var sent any
		if tc.body != nil {
			sent = string(body)
		}
		e := exchange{req: req, body: body, resp: f.do(t, f.admin, tc.method, frHost, tc.path, tc.token, sent)}
		if e.resp.status != tc.status {
			t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, e.resp.status, tc.status, e.resp.body)
		}
		c.mustConform(t, e, tc.validRequest)
	}
}
