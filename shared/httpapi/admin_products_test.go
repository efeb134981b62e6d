package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

// searchRefs returns the references an anonymous visitor of the open
// Belgian storefront finds for q, with the names shown.
func (f *adminFixture) searchRefs(t *testing.T, q string) map[string]string {
	t.Helper()
	r := f.catalogGet(t, beHost, "/catalog/search?limit=100&q="+url.QueryEscape(q), "")
	wantStatus(t, r, 200)
	out := map[string]string{}
	for _, p := range decode[httpapi.ProductPage](t, r).Items {
		out[p.Ref] = p.Name
	}
	return out
}

// TestAdminAPI_ConcurrentProductSavesLeaveNoStaleSearchEntry: 20 concurrent
// PUTs of one product under different names, then one that makes it
// inactive and pro-only. No earlier name finds it, and while it is active
// a search shows it as its detail does.
func TestAdminAPI_ConcurrentProductSavesLeaveNoStaleSearchEntry(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	const ref = "RACE-1"
	path := "/admin/products/" + ref
	body := func(name string, price int) jsonObject {
		b := newProductBody("VANNES-BILLE")
		b["names"] = jsonObject{"fr": name + " vanne", "en": name + " valve"}
		b["ean"] = "3769990009994"
		b["basePrice"] = strconv.Itoa(price) + ".00"
		delete(b, "links")
		return b
	}
	wantStatus(t, f.adminDo(t, "PUT", path, body("Zorglub", 10)), 201)
	const writers = 20
	names := []string{"Zorglub"}
	for i := range writers {
		names = append(names, fmt.Sprintf("Racename%02d", i))
	}
	results := make([]response, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { results[i] = f.adminDo(t, "PUT", path, body(names[i+1], 100+i)) })
	}
	wg.Wait()
	saved := 0
	for i, r := range results {
		switch r.status {
		case 200:
			saved++
		case 409:
			wantProblem(t, r, 409, "conflict")
		default:
			t.Errorf("writer %d: %d %s", i, r.status, r.body)
		}
	}
	if saved == 0 {
		t.Fatal("no concurrent save succeeded")
	}

	// Active: every earlier name but the last saved is gone, and the
	// search shows what the detail shows, price included.
	wantStatus(t, f.adminDo(t, "PUT", path, body("Stablename", 555)), 200)
	for _, n := range names {
		if got := f.searchRefs(t, n); got[ref] != "" {
			t.Errorf("%s is still found by its former name %q", ref, n)
		}
	}
	tok := f.token(t, buyer)
	detail := decode[httpapi.ProductView](t, f.catalogGet(t, frHost, "/catalog/products/"+ref, tok))
	for _, q := range []string{ref, "3769990009994", "Stablename"} {
		page := decode[httpapi.ProductPage](t, f.catalogGet(t, frHost, "/catalog/search?q="+url.QueryEscape(q), tok))
		if len(page.Items) != 1 || page.Items[0].Name != "Stablename vanne" || page.Items[0].Price == nil || detail.Price == nil ||
			page.Items[0].Price.Amount.String() != detail.Price.Amount.String() {
			t.Errorf("search %q: %+v, detail %+v", q, page.Items, detail)
		}
	}

	// Inactive and pro-only: found by nothing.
	last := body("Hiddenname", 999)
	last["inactive"], last["proOnly"] = true, true
	wantStatus(t, f.adminDo(t, "PUT", path, last), 200)
	for _, q := range append(names, "Stablename", "Hiddenname", ref, "3769990009994") {
		if _, found := f.searchRefs(t, q)[ref]; found {
			t.Errorf("an inactive, pro-only product is found by %q", q)
		}
		page := decode[httpapi.ProductPage](t, f.catalogGet(t, frHost, "/catalog/search?q="+url.QueryEscape(q), tok))
		for _, p := range page.Items {
			if p.Ref == ref {
				t.Errorf("a buyer finds the inactive product by %q", q)
			}
		}
	}
}

func TestAdminAPI_EANIsUniquePerMerchant(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	withEAN := func(ean string) jsonObject {
		b := newProductBody("VANNES-BILLE")
		b["ean"] = ean
		delete(b, "links")
		return b
	}
	wantTaken := func(t *testing.T, r response, owner string) {
		t.Helper()
		wantProblem(t, r, 409, "conflict")
		wantFields(t, r, "ean")
		if p := decode[httpapi.Problem](t, r); p.Errors[0].Reason != "already the EAN of product "+strconv.Quote(owner) {
			t.Errorf("reason %q, want the owner %s", p.Errors[0].Reason, owner)
		}
	}
	const ean = "3769990009994"
	wantStatus(t, f.adminDo(t, "PUT", "/admin/products/EAN-A", withEAN(ean)), 201)
	wantTaken(t, f.adminDo(t, "PUT", "/admin/products/EAN-B", withEAN(ean)), "EAN-A")
	wantProblem(t, f.adminDo(t, "GET", "/admin/products/EAN-B", nil), 404, "not-found")
	// An EAN of the demo, held by an inactive product too.
	pump := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+demo.PumpRef, nil))
	wantTaken(t, f.adminDo(t, "PUT", "/admin/products/EAN-B", withEAN(pump.EAN)), demo.PumpRef)
	var inactive catalog.Product
	for _, p := range demo.Build().Products[demo.Hydro] {
		if p.Inactive {
			inactive = p
			break
		}
	}
	wantTaken(t, f.adminDo(t, "PUT", "/admin/products/EAN-B", withEAN(inactive.EAN)), inactive.Ref)

	// Changing A's EAN frees the former one.
	wantStatus(t, f.adminDo(t, "PUT", "/admin/products/EAN-A", withEAN("3769990009987")), 200)
	wantStatus(t, f.adminDo(t, "PUT", "/admin/products/EAN-B", withEAN(ean)), 201)
	// Another merchant has EANs of its own.
	jardin := newProductBody("SEMIS")
	jardin["ean"] = ean
	delete(jardin, "links")
	wantStatus(t, f.do(t, f.admin, "PUT", "jardin-fr.localhost", "/admin/products/EAN-J", f.jardinStaff, jardin), 201)

	// Products racing for one EAN: exactly one wins each time.
	for round := range 5 {
		contested := fmt.Sprintf("376999001%03d", round)
		d, _ := catalog.EAN13CheckDigit(contested)
		contested += string(d)
		refs := []string{fmt.Sprintf("EAN-R%d-1", round), fmt.Sprintf("EAN-R%d-2", round)}
		results := make([]response, len(refs))
		var wg sync.WaitGroup
		for i, ref := range refs {
			wg.Go(func() { results[i] = f.adminDo(t, "PUT", "/admin/products/"+ref, withEAN(contested)) })
		}
		wg.Wait()
		switch {
		case results[0].status == 201 && results[1].status == 409:
			wantTaken(t, results[1], refs[0])
		case results[1].status == 201 && results[0].status == 409:
			wantTaken(t, results[0], refs[1])
		default:
			t.Fatalf("round %d: %d %s / %d %s", round, results[0].status, results[0].body, results[1].status, results[1].body)
		}
	}
}

// ghostCategory is a catalog whose tree also lists a category that is not
// stored: what a request sees when the category is deleted between its read
// of the tree and its write.
type ghostCategory struct{ *dynamo.Catalog }

func (g ghostCategory) Categories(ctx context.Context, m merchant.ID) ([]catalog.Category, error) {
	cats, err := g.Catalog.Categories(ctx, m)
	return append(cats, catalog.Category{ID: "GHOST", Names: map[string]string{"fr": "Fantôme"}}), err
}

func TestAdminAPI_ProductFiledInADeletedCategoryIsRefused(t *testing.T) {
	t.Parallel()
	b := newDemoBackend(t)
	admin := (&httpapi.AdminAPI{
		Pipeline: b.pipeline(&dynamo.Storefronts{Table: b.table, TTL: time.Minute}), Catalog: ghostCategory{&dynamo.Catalog{Table: b.table}},
	}).Routes()
	f := &adminFixture{admin: admin, issuer: b.issuer}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	for _, tc := range []struct{ name, ref string }{{"a new product", "GHOST-1"}, {"a product moved there", demo.SealKitRef}} {
		body := newProductBody("GHOST")
		delete(body, "links")
		delete(body, "ean")
		r := f.adminDo(t, "PUT", "/admin/products/"+tc.ref, body)
		wantProblem(t, r, 400, "invalid-parameter")
		wantFields(t, r, "categoryId")
	}
	if r := f.adminDo(t, "GET", "/admin/products/GHOST-1", nil); r.status != 404 {
		t.Errorf("the refused product was stored: %d", r.status)
	}
	if p := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+demo.SealKitRef, nil)); p.CategoryID != "ETANCH-KITS" {
		t.Errorf("the refused move was stored: %s", p.CategoryID)
	}
}

func TestAdminAPI_ProductPutRoundTrips(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	noLinks := newProductBody("VANNES-BILLE")
	delete(noLinks, "links")
	wantStatus(t, f.adminDo(t, "GET", "/admin/categories", nil), 200) // the storefront cache warm
	for _, tc := range []struct {
		name   string
		body   jsonObject
		status int
		calls  string
	}{
		// The product, then the tree, then the transaction.
		{"create", noLinks, 201, "3"},
		{"the same again: nothing to write", noLinks, 200, "2"},
		// The linked products are read with the product.
		{"with links", newProductBody("VANNES-BILLE"), 200, "4"},
	} {
		r := f.adminDo(t, "PUT", "/admin/products/CALLS-1", tc.body)
		wantStatus(t, r, tc.status)
		if got := r.header.Get(httpapi.CallsHeader); got != tc.calls {
			t.Errorf("%s: %s round trips, want %s", tc.name, got, tc.calls)
		}
	}
}
