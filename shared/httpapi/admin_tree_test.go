package httpapi_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/merchant"
)

// adminTree reads the tree through the admin API and checks that every
// category reaches a root.
func (f *adminFixture) adminTree(t *testing.T) *catalog.Tree {
	t.Helper()
	cats := decode[struct {
		Categories []catalog.Category `json:"categories"`
	}](t, f.adminDo(t, "GET", "/admin/categories", nil)).Categories
	tree := catalog.NewTree(cats)
	for _, c := range cats {
		l := tree.Lineage(c.ID)
		if root, ok := tree.Category(l[len(l)-1]); !ok || root.ParentID != "" {
			t.Fatalf("%s does not reach a root: %v", c.ID, l)
		}
	}
	return tree
}

func TestAdminAPI_ConcurrentCategoryMovesNeverBuildACycle(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	body := func(id, parent string) jsonObject {
		return jsonObject{"names": jsonObject{"fr": id}, "parentId": parent}
	}
	for _, id := range []string{"CYC-A", "CYC-B"} {
		wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/"+id, body(id, "")), 201)
	}
	statuses := map[int]int{}
	var mu sync.Mutex
	for round := range 10 {
		var wg sync.WaitGroup
		for i := range 6 {
			id, parent := "CYC-A", "CYC-B"
			if i%2 == 1 {
				id, parent = parent, id
			}
			wg.Go(func() {
				r := f.adminDo(t, "PUT", "/admin/categories/"+id, body(id, parent))
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
				switch r.status {
				case 200:
				case 400:
					wantProblem(t, r, 400, "invalid-parameter")
				case 409:
					wantProblem(t, r, 409, "conflict")
				default:
					t.Errorf("round %d: %s under %s: %d %s", round, id, parent, r.status, r.body)
				}
			})
		}
		wg.Wait()
		tree := f.adminTree(t)
		a, _ := tree.Category("CYC-A")
		b, _ := tree.Category("CYC-B")
		if (a.ParentID == "CYC-B") == (b.ParentID == "CYC-A") {
			t.Fatalf("round %d: one move must win: A under %q, B under %q", round, a.ParentID, b.ParentID)
		}
		for _, id := range []string{"CYC-A", "CYC-B"} {
			wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/"+id, body(id, "")), 200)
		}
	}
	t.Logf("statuses of 60 concurrent moves: %v", statuses)
}

func TestAdminAPI_DeletingACategoryWhileAProductIsFiledInIt(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	outcomes := map[string]int{}
	for round := range 8 {
		id := "RACE-" + strconv.Itoa(round)
		wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/"+id, jsonObject{"names": jsonObject{"fr": id}}), 201)
		var del, put response
		var wg sync.WaitGroup
		wg.Go(func() { del = f.adminDo(t, "DELETE", "/admin/categories/"+id, nil) })
		wg.Go(func() {
			body := newProductBody(id)
			delete(body, "ean")
			put = f.adminDo(t, "PUT", "/admin/products/P-"+id, body)
		})
		wg.Wait()
		switch {
		case del.status == 204 && put.status == 400:
			wantFields(t, put, "categoryId")
			wantProblem(t, f.adminDo(t, "GET", "/admin/products/P-"+id, nil), 404, "not-found")
			outcomes["deleted first"]++
		case del.status == 409 && put.status == 201:
			wantProblem(t, del, 409, "conflict")
			if p := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/P-"+id, nil)); p.CategoryID != id {
				t.Errorf("filed in %s", p.CategoryID)
			}
			if _, ok := f.adminTree(t).Category(id); !ok {
				t.Errorf("round %d: the product's category is gone", round)
			}
			outcomes["filed first"]++
		default:
			t.Fatalf("round %d: delete %d %s, product %d %s", round, del.status, del.body, put.status, put.body)
		}
	}
	t.Logf("%v", outcomes)
}

func TestAdminAPI_AProductEditedDuringItsCategorysMoveKeepsTheEdit(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/KITS", jsonObject{"names": jsonObject{"fr": "Kits"}}), 201)
	edited := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+demo.SealKitRef, nil))
	body := jsonObject{
		"names": jsonObject{"fr": "Kit joints acide, édition 2"}, "categoryId": edited.CategoryID,
		"packagings": edited.Packagings, "minOrderQty": edited.MinOrderQty, "orderMultiple": edited.OrderMultiple,
		"taxCategory": edited.TaxCategory, "basePrice": edited.BasePrice.String(), "currency": edited.Currency,
	}
	var move, edit response
	var wg sync.WaitGroup
	wg.Go(func() {
		move = f.adminDo(t, "PUT", "/admin/categories/"+edited.CategoryID, jsonObject{"names": jsonObject{"fr": "Kits de joints"}, "parentId": "KITS"})
	})
	wg.Go(func() { edit = f.adminDo(t, "PUT", "/admin/products/"+demo.SealKitRef, body) })
	wg.Wait()
	wantStatus(t, move, 200)
	wantStatus(t, edit, 200)
	after := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+demo.SealKitRef, nil))
	if after.Names["fr"] != "Kit joints acide, édition 2" {
		t.Errorf("the edit was lost: %v", after.Names)
	}
	// Every other product of the moved category has its new families.
	page := decode[httpapi.ProductPage](t, f.catalogGet(t, beHost, "/catalog/categories/"+edited.CategoryID+"/products?limit=100", ""))
	for _, it := range page.Items {
		if it.Ref == demo.SealKitRef {
			continue
		}
		p := decode[catalog.Product](t, f.adminDo(t, "GET", "/admin/products/"+it.Ref, nil))
		if !slices.Equal(p.Families, []string{edited.CategoryID, "KITS"}) {
			t.Errorf("%s families %v", it.Ref, p.Families)
		}
	}
}

func TestAdminAPI_ATreeChangeTooLargeForOneWriteIsRefused(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	cats := []catalog.Category{{ID: "WIDE", Names: map[string]string{"fr": "Large"}}}
	for i := range catalog.MaxCategoryChanges {
		cats = append(cats, catalog.Category{ID: fmt.Sprintf("WIDE-%03d", i), ParentID: "WIDE", Names: map[string]string{"fr": "x"}})
	}
	if err := (&dynamo.Catalog{Table: f.table}).SaveCategories(context.Background(), demo.Hydro, cats); err != nil {
		t.Fatal(err)
	}
	r := f.adminDo(t, "PUT", "/admin/categories/WIDE", jsonObject{"names": jsonObject{"fr": "Large"}, "restricted": true})
	wantProblem(t, r, 409, "conflict")
	if p := decode[httpapi.Problem](t, r); !strings.Contains(p.Detail, strconv.Itoa(catalog.MaxCategoryChanges)) {
		t.Errorf("the problem does not say the bound: %q", p.Detail)
	}
	if c, _ := f.adminTree(t).Category("WIDE-000"); c.Restricted {
		t.Error("part of the change was saved")
	}
	// Restricting the sub-categories first, in smaller steps, works.
	for _, c := range cats[1:3] {
		wantStatus(t, f.adminDo(t, "PUT", "/admin/categories/"+c.ID, jsonObject{"names": c.Names, "parentId": "WIDE", "restricted": true}), 200)
	}
}

// TestAdminAPI_WriteRoundTrips pins the DynamoDB round trips of the admin
// writes (X-Dynamodb-Calls), the storefront cache being warm.
func TestAdminAPI_WriteRoundTrips(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	wantStatus(t, f.adminDo(t, "GET", "/admin/categories", nil), 200) // warms the storefront cache
	cases := []struct {
		name, method, path string
		body               any
		status, calls      int
	}{
		{"new category", "PUT", "/admin/categories/RT", jsonObject{"names": jsonObject{"fr": "RT"}, "parentId": "POMPES"}, 201, 3},
		{"renamed category", "PUT", "/admin/categories/RT", jsonObject{"names": jsonObject{"fr": "RT 2"}, "parentId": "POMPES"}, 200, 3},
		{"unchanged category", "PUT", "/admin/categories/RT", jsonObject{"names": jsonObject{"fr": "RT 2"}, "parentId": "POMPES"}, 200, 2},
		// A move of an empty category: the change, its products (none),
		// and the tree read again.
		{"moved empty category", "PUT", "/admin/categories/RT", jsonObject{"names": jsonObject{"fr": "RT 2"}, "parentId": "VANNES"}, 200, 6},
		{"deleted category", "DELETE", "/admin/categories/RT", nil, 204, 3},
		{"new storefront", "PUT", "/admin/storefronts/rt", jsonObject{"host": "rt.hydrotech-industrie.fr", "country": "FR", "language": "fr", "currency": "EUR", "mode": "open"}, 201, 2},
		{"moved storefront", "PUT", "/admin/storefronts/rt", jsonObject{"host": "rt2.hydrotech-industrie.fr", "country": "FR", "language": "fr", "currency": "EUR", "mode": "open"}, 200, 2},
		{"new assortment", "PUT", "/admin/assortments/customer/C0002", jsonObject{"categories": []string{"POMPES"}}, 201, 2},
		{"deleted assortment", "DELETE", "/admin/assortments/customer/C0002", nil, 204, 1},
	}
	for _, c := range cases {
		r := f.adminDo(t, c.method, c.path, c.body)
		wantStatus(t, r, c.status)
		if got := r.header.Get(httpapi.CallsHeader); got != strconv.Itoa(c.calls) {
			t.Errorf("%s: %s round trips, want %d", c.name, got, c.calls)
		}
	}
}

func TestAdminAPI_StorefrontHostsAccessMatrix(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	const jardinHost = "jardin-fr.localhost"
	body := func(host string) jsonObject {
		return jsonObject{"host": host, "country": "FR", "language": "fr", "currency": "EUR", "mode": "open"}
	}
	cases := []struct {
		name      string
		jardin    bool // Jardin Saison's staff, else Hydrotech's
		id, host  string
		status    int
		slug      string
		hostField bool
	}{
		{"another merchant's future host", false, "x1", "jardin-be.localhost", 403, "forbidden", true},
		{"another merchant's host in use", false, "x2", jardinHost, 403, "forbidden", true},
		{"a name below another merchant's domain", false, "x3", "shop.jardin-saison.fr", 403, "forbidden", true},
		{"a look-alike of its own domain", false, "x4", "evil-hydro-fr.localhost", 403, "forbidden", true},
		{"its domain under another's", false, "x5", "hydrotech-industrie.fr.jardin-saison.fr", 403, "forbidden", true},
		{"an unrelated domain", false, "x6", "shop.example.com", 403, "forbidden", true},
		{"a loopback address", false, "x7", "127.0.0.1", 400, "invalid-parameter", true},
		{"a loopback IPv6 address", false, "x8", "[::1]", 400, "invalid-parameter", true},
		{"its own host, held by another of its storefronts", false, "x9", beHost, 409, "conflict", true},
		{"a name below its own domain", false, "b2b", "b2b.hydro-fr.localhost", 201, "", false},
		{"its real-looking domain itself", false, "web", "hydrotech-industrie.fr", 201, "", false},
		{"the other merchant's own future host", true, "be", "jardin-be.localhost", 201, "", false},
		{"Hydrotech's host, for Jardin", true, "fr2", frHost, 403, "forbidden", true},
		{"a host taken meanwhile", false, "x10", "b2b.hydro-fr.localhost", 409, "conflict", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			host, tok := frHost, f.staff
			if c.jardin {
				host, tok = jardinHost, f.jardinStaff
			}
			r := f.do(t, f.admin, "PUT", host, "/admin/storefronts/"+c.id, tok, body(c.host))
			if c.slug == "" {
				wantStatus(t, r, c.status)
				return
			}
			wantProblem(t, r, c.status, c.slug)
			if c.hostField {
				wantFields(t, r, "host")
			}
		})
	}
	// What was refused answers for nobody; what was taken answers for its
	// merchant.
	for host, want := range map[string]int{"jardin-be.localhost": 200, "b2b.hydro-fr.localhost": 200, "shop.example.com": 404, "shop.jardin-saison.fr": 404} {
		if r := f.catalogGet(t, host, "/catalog/categories", ""); r.status != want {
			t.Errorf("%s answers %d, want %d", host, r.status, want)
		}
	}
}

func TestAdminAPI_TwoMerchantsRacingForOneHost(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	// The platform gave both merchants one domain (a mistake the host
	// claims must survive).
	acc := &dynamo.Accounts{Table: f.table}
	for _, m := range demo.Build().Merchants {
		m.Domains = append(m.Domains, "shared.example")
		if err := acc.Save(context.Background(), acc.NewBatch(m.ID).Merchant(m)); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 8 {
		host := fmt.Sprintf("r%d.shared.example", round)
		type racer struct {
			fromHost, token, id string
			m                   merchant.ID
		}
		racers := []racer{
			{frHost, f.staff, "race", demo.Hydro}, {"jardin-fr.localhost", f.jardinStaff, "race", demo.Jardin},
			{frHost, f.staff, "race2", demo.Hydro}, {"jardin-fr.localhost", f.jardinStaff, "race2", demo.Jardin},
		}
		got := make([]response, len(racers))
		var wg sync.WaitGroup
		for i, rc := range racers {
			wg.Go(func() {
				got[i] = f.do(t, f.admin, "PUT", rc.fromHost, "/admin/storefronts/"+rc.id, rc.token,
					jsonObject{"host": host, "country": "FR", "language": "fr", "currency": "EUR", "mode": "open"})
			})
		}
		wg.Wait()
		winner := -1
		for i, r := range got {
			switch r.status {
			case 200, 201:
				if winner >= 0 {
					t.Fatalf("round %d: %v and %v both hold %s", round, racers[winner], racers[i], host)
				}
				winner = i
			case 409:
				wantProblem(t, r, 409, "conflict")
			default:
				t.Fatalf("round %d: %d %s", round, r.status, r.body)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody holds %s", round, host)
		}
		holders := 0
		for _, rc := range racers[:2] {
			fronts := decode[struct {
				Storefronts []merchant.Storefront `json:"storefronts"`
			}](t, f.do(t, f.admin, "GET", rc.fromHost, "/admin/storefronts", rc.token, nil)).Storefronts
			for _, sf := range fronts {
				if sf.Host == host {
					holders++
					if sf.Merchant != racers[winner].m || sf.ID != racers[winner].id {
						t.Fatalf("round %d: %s/%s holds %s, the winner was %v", round, sf.Merchant, sf.ID, host, racers[winner])
					}
				}
			}
		}
		if holders != 1 {
			t.Fatalf("round %d: %d storefronts hold %s", round, holders, host)
		}
		if r := f.catalogGet(t, host, "/catalog/categories", ""); r.status != 200 {
			t.Fatalf("round %d: %s answers %d", round, host, r.status)
		}
	}
}
