package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
)

// testCursorKey is the fixtures' fixed CURSOR_KEY.
var testCursorKey = bytes.Repeat([]byte{0x5c}, cursor.KeySize)

func testCursors(t testing.TB) *cursor.Sealer {
	t.Helper()
	s, err := cursor.New(testCursorKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// listing is every page of a product list, followed to the end.
type listing struct {
	refs  []string
	sizes []int
	calls []int
}

// walk follows a list's cursors to the end, failing on an error or a
// product listed twice.
func (f *catalogFixture) walk(t *testing.T, host, path, token string) listing {
	t.Helper()
	var l listing
	seen := map[string]bool{}
	next := ""
	for range 200 {
		p := path
		if next != "" {
			p += "&cursor=" + next
		}
		r := f.get(t, host, p, token)
		if r.status != 200 {
			t.Fatalf("%s page %d: %d %s", p, len(l.sizes), r.status, r.body)
		}
		calls, _ := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
		l.calls = append(l.calls, calls)
		page := decode[httpapi.ProductPage](t, r)
		l.sizes = append(l.sizes, len(page.Items))
		for _, it := range page.Items {
			if seen[it.Ref] {
				t.Fatalf("%s: %s listed twice", path, it.Ref)
			}
			seen[it.Ref] = true
			l.refs = append(l.refs, it.Ref)
		}
		if page.NextCursor == "" {
			return l
		}
		next = page.NextCursor
	}
	t.Fatalf("%s: no end of pages", path)
	return l
}

// demoRefs lists the demo's Hydrotech products that keep passes, in
// reference order.
func (f *catalogFixture) demoRefs(keep func(catalog.Product) bool) []string {
	var out []string
	for _, p := range f.data.Products[demo.Hydro] {
		if !p.Inactive && keep(p) {
			out = append(out, p.Ref)
		}
	}
	slices.Sort(out)
	return out
}

func inCategories(prefixes ...string) func(catalog.Product) bool {
	return func(p catalog.Product) bool {
		for _, pre := range prefixes {
			if p.CategoryID == pre || strings.HasPrefix(p.CategoryID, pre+"-") {
				return true
			}
		}
		return false
	}
}

func TestCatalogAPI_EveryPageIsFullButTheLast(t *testing.T) {
	f := newCatalogFixture(t)
	buyerTok := f.token(t, buyer)
	consumer := f.token(t, buyerOf("P0001"))
	notPro := func(p catalog.Product) bool { return !p.ProOnly }
	cases := []struct {
		name, host, path, token string
		want                    []string
		sizes                   []int
	}{
		// VANNES-BILLE holds 72 products, one of them inactive.
		{"71 visible of 72, pages of 50", frHost, "/catalog/categories/VANNES-BILLE/products?limit=50", buyerTok,
			f.demoRefs(inCategories("VANNES-BILLE")), []int{50, 21}},
		{"71 visible of 72, pages of 51", frHost, "/catalog/categories/VANNES-BILLE/products?limit=51", buyerTok,
			f.demoRefs(inCategories("VANNES-BILLE")), []int{51, 20}},
		{"71 visible of 72, pages of 71", frHost, "/catalog/categories/VANNES-BILLE/products?limit=71", buyerTok,
			f.demoRefs(inCategories("VANNES-BILLE")), []int{71}},
		// Two of the three pump families are pro-only: a consumer sees the
		// centrifugal pumps only.
		{"a consumer among pro-only pumps", frHost, "/catalog/categories/POMPES/products?limit=20", consumer,
			f.demoRefs(func(p catalog.Product) bool { return inCategories("POMPES")(p) && notPro(p) }), nil},
		{"an anonymous visitor among pro-only pumps", beHost, "/catalog/categories/POMPES/products?limit=30", "",
			f.demoRefs(func(p catalog.Product) bool { return inCategories("POMPES")(p) && notPro(p) }), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := f.walk(t, c.host, c.path, c.token)
			if !slices.Equal(l.refs, c.want) {
				t.Fatalf("listed %d: %v\nwant %d: %v", len(l.refs), l.refs, len(c.want), c.want)
			}
			limit := 20
			if i := strings.Index(c.path, "limit="); i >= 0 {
				limit, _ = strconv.Atoi(c.path[i+len("limit="):])
			}
			for i, n := range l.sizes[:len(l.sizes)-1] {
				if n != limit {
					t.Errorf("page %d holds %d products, want %d (pages %v)", i, n, limit, l.sizes)
				}
			}
			if c.sizes != nil && !slices.Equal(l.sizes, c.sizes) {
				t.Errorf("pages of %v, want %v", l.sizes, c.sizes)
			}
		})
	}
}

func TestCatalogAPI_ParentCategoryListsItsSubtree(t *testing.T) {
	f := newCatalogFixture(t)
	buyerTok := f.token(t, buyer)
	assorted := f.token(t, buyerOf(demo.AssortedCustomer))
	// R02's portfolio holds the assorted customer.
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep2", Merchant: demo.Hydro, Rep: "R02"})
	cases := []struct {
		name, host, path, token string
		want                    []string
	}{
		{"valves, buyer", frHost, "/catalog/categories/VANNES/products?limit=25", buyerTok, f.demoRefs(inCategories("VANNES"))},
		{"valves, anonymous", frHost, "/catalog/categories/VANNES/products?limit=100", "", f.demoRefs(inCategories("VANNES"))},
		{"pumps, buyer", frHost, "/catalog/categories/POMPES/products?limit=100", buyerTok, f.demoRefs(inCategories("POMPES"))},
		{"spare parts, buyer", frHost, "/catalog/categories/SAV/products?limit=7", buyerTok, f.demoRefs(inCategories("SAV"))},
		{"spare parts, open storefront", beHost, "/catalog/categories/SAV/products?limit=7", "", f.demoRefs(inCategories("SAV"))},
		{"a leaf lists its own products", frHost, "/catalog/categories/VANNES-PAPILLON/products?limit=100", buyerTok, f.demoRefs(inCategories("VANNES-PAPILLON"))},
		// The assortment holds every valve and seal, and the acid pump
		// by name, which its hidden category does not list.
		{"valves, assorted customer", frHost, "/catalog/categories/VANNES/products?limit=30", assorted, f.demoRefs(inCategories("VANNES"))},
		{"valves, rep viewing as the assorted customer", frHost, "/catalog/categories/VANNES/products?limit=30&customer=" + demo.AssortedCustomer, rep, f.demoRefs(inCategories("VANNES"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if l := f.walk(t, c.host, c.path, c.token); !slices.Equal(l.refs, c.want) {
				t.Errorf("listed %d: %v\nwant %d: %v", len(l.refs), l.refs, len(c.want), c.want)
			}
		})
	}
	hidden := []struct{ name, host, path, token string }{
		{"a restricted family, anonymous", frHost, "/catalog/categories/SAV/products", ""},
		{"below a restricted family, anonymous", frHost, "/catalog/categories/SAV-MOTEURS/products", ""},
		{"a family outside the assortment", frHost, "/catalog/categories/POMPES/products", assorted},
		{"a leaf outside the assortment, though one of its products is in", frHost, "/catalog/categories/POMPES-CHIMIE/products", assorted},
		{"a leaf outside the assortment, with a cursor", frHost, "/catalog/categories/FILTRE-CART/products?limit=1", assorted},
		{"outside the assortment, for a rep viewing as the customer", frHost, "/catalog/categories/POMPES-CENTRI/products?customer=" + demo.AssortedCustomer, rep},
	}
	for _, c := range hidden {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, f.get(t, c.host, c.path, c.token), 404, "not-found")
		})
	}
	t.Run("the assorted customer still finds the pump listed by name", func(t *testing.T) {
		if r := f.get(t, frHost, "/catalog/products/"+demo.PumpRef, assorted); r.status != 200 {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

// TestCatalogAPI_ListRoundTrips counts the DynamoDB round trips of warm
// pages: a leaf's, a parent's and a search's.
func TestCatalogAPI_ListRoundTrips(t *testing.T) {
	f := newCatalogFixture(t)
	buyerTok := f.token(t, buyer)
	// Warm the storefront, rules and assortment caches.
	f.get(t, frHost, "/catalog/products/VANNES-BILLE-101", buyerTok)
	f.get(t, beHost, "/catalog/products/VANNES-BILLE-101", "")
	for _, c := range []struct {
		name, host, path, token string
		calls                   int
	}{
		// The tree and the category's products, then the buyer's tariff.
		{"leaf, buyer", frHost, "/catalog/categories/VANNES-BILLE/products?limit=20", buyerTok, 3},
		{"leaf, anonymous", beHost, "/catalog/categories/VANNES-BILLE/products?limit=20", "", 2},
		// The tree and VANNES's own products, its three sub-categories',
		// then the buyer's tariff.
		{"parent, buyer", frHost, "/catalog/categories/VANNES/products?limit=20", buyerTok, 6},
		{"parent, anonymous", beHost, "/catalog/categories/VANNES/products?limit=20", "", 5},
		// The reference and word indexes, then the buyer's tariff.
		{"search, buyer", frHost, "/catalog/search?q=vanne&limit=20", buyerTok, 3},
		{"search of words, anonymous", beHost, "/catalog/search?q=" + "vanne%20inox&limit=20", "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The header counts every attempt, an SDK retry included: on a
			// busy machine a request may be retried, so the page's cost is
			// the fewest of three reads.
			least := -1
			for range 3 {
				r := f.get(t, c.host, c.path, c.token)
				if r.status != 200 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				n, err := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
				if err != nil {
					t.Fatalf("%s: %v", httpapi.CallsHeader, err)
				}
				if least < 0 || n < least {
					least = n
				}
				if least == c.calls {
					break
				}
			}
			if least != c.calls {
				t.Errorf("%s cost %d round trips, want %d", c.path, least, c.calls)
			}
			t.Logf("%s: %d round trips", c.name, least)
		})
	}
}

func TestCatalogAPI_CursorsOpenOnlyWhereIssued(t *testing.T) {
	f := newCatalogFixture(t)
	buyerTok := f.token(t, buyer)
	otherBuyer := f.token(t, buyerOf("C0003"))
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep", Merchant: demo.Hydro, Rep: "R01"})
	const list = "/catalog/categories/VANNES-BILLE/products?limit=2"
	next := func(host, path, token string) string {
		t.Helper()
		r := f.get(t, host, path, token)
		page := decode[httpapi.ProductPage](t, r)
		if r.status != 200 || page.NextCursor == "" {
			t.Fatalf("%s: %d, no cursor: %s", path, r.status, r.body)
		}
		return page.NextCursor
	}
	frBuyer := next(frHost, list, buyerTok)
	beBuyer := next(beHost, list, buyerTok)
	frAnon := next(frHost, list, "")
	repView := next(frHost, list+"&customer=C0001", rep)
	search := next(frHost, "/catalog/search?q=vanne&limit=2", buyerTok)
	edited := []byte(frBuyer)
	edited[len(edited)/2] = map[bool]byte{true: 'B', false: 'A'}[edited[len(edited)/2] == 'A']
	oldStyle := base64.RawURLEncoding.EncodeToString([]byte(`{"s":"7b0c0f5e2a1d3c4b","a":"VANNES-BILLE-102"}`))

	ok := []struct{ name, host, path, token string }{
		{"the buyer's own cursor", frHost, list + "&cursor=" + frBuyer, buyerTok},
		{"another page size", frHost, "/catalog/categories/VANNES-BILLE/products?limit=9&cursor=" + frBuyer, buyerTok},
		{"the anonymous visitor's own cursor", frHost, list + "&cursor=" + frAnon, ""},
		{"the rep's own view", frHost, list + "&customer=C0001&cursor=" + repView, rep},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			if r := f.get(t, c.host, c.path, c.token); r.status != 200 {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
	refused := []struct{ name, host, path, token, slug string }{
		{"hydro-fr's cursor on hydro-be", beHost, list + "&cursor=" + frBuyer, buyerTok, "invalid-cursor"},
		{"hydro-be's cursor on hydro-fr", frHost, list + "&cursor=" + beBuyer, buyerTok, "invalid-cursor"},
		{"a buyer's cursor, anonymous", frHost, list + "&cursor=" + frBuyer, "", "invalid-cursor"},
		{"an anonymous cursor, buyer", frHost, list + "&cursor=" + frAnon, buyerTok, "invalid-cursor"},
		{"another buyer's cursor", frHost, list + "&cursor=" + frBuyer, otherBuyer, "invalid-cursor"},
		{"a rep's cursor for another customer view", frHost, list + "&customer=C0002&cursor=" + repView, rep, "invalid-cursor"},
		{"a rep's cursor without the customer view", frHost, list + "&cursor=" + repView, rep, "invalid-cursor"},
		{"another category", frHost, "/catalog/categories/VANNES-PAPILLON/products?cursor=" + frBuyer, buyerTok, "invalid-cursor"},
		{"a search's cursor on a category", frHost, list + "&cursor=" + search, buyerTok, "invalid-cursor"},
		{"a category's cursor on a search", frHost, "/catalog/search?q=vanne&cursor=" + frBuyer, buyerTok, "invalid-cursor"},
		{"another merchant", "jardin-fr.localhost", "/catalog/categories/SEMIS/products?cursor=" + frAnon, "", "invalid-cursor"},
		{"an edited byte", frHost, list + "&cursor=" + string(edited), buyerTok, "invalid-cursor"},
		{"truncated", frHost, list + "&cursor=" + frBuyer[:len(frBuyer)-3], buyerTok, "invalid-cursor"},
		{"the former readable cursors", frHost, list + "&cursor=" + oldStyle, buyerTok, "invalid-cursor"},
		{"a query that does not decode", frHost, list + "&cursor=%%%%", buyerTok, "invalid-cursor"},
		{"a search query that does not decode", frHost, "/catalog/search?q=vanne&cursor=%%%%", buyerTok, "invalid-cursor"},
		{"an empty cursor", frHost, list + "&cursor=", buyerTok, "invalid-cursor"},
		{"two cursors", frHost, list + "&cursor=" + frBuyer + "&cursor=" + frBuyer, buyerTok, "invalid-cursor"},
		{"a cursor of 10,000 characters", frHost, list + "&cursor=" + strings.Repeat("A", 10000), buyerTok, "invalid-cursor"},
		{"another parameter that does not decode", frHost, list + "&lang=%zz", buyerTok, "invalid-parameter"},
		{"a product detail query that does not decode", frHost, "/catalog/products/VANNES-BILLE-101?lang=%%", buyerTok, "invalid-parameter"},
		{"a category tree query that does not decode", frHost, "/catalog/categories?lang=%", buyerTok, "invalid-parameter"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			r := f.get(t, c.host, c.path, c.token)
			wantProblem(t, r, 400, c.slug)
			// The storefront is cached: a refused cursor costs no read.
			if calls := r.header.Get(httpapi.CallsHeader); calls != "0" && c.host != "jardin-fr.localhost" {
				t.Errorf("refused after %s round trips", calls)
			}
		})
	}
}

func TestCatalogAPI_CursorsRevealNothing(t *testing.T) {
	f := newCatalogFixture(t)
	// An anonymous walk, one product per page, over a category holding an
	// inactive product: no cursor names a product, visible or not.
	var refs []string
	for _, p := range f.data.Products[demo.Hydro] {
		refs = append(refs, p.Ref)
	}
	path := "/catalog/categories/VANNES-BILLE/products?limit=1"
	next, lengths := "", map[int]bool{}
	for pages := 0; pages < 80; pages++ {
		p := path
		if next != "" {
			p += "&cursor=" + next
		}
		page := decode[httpapi.ProductPage](t, f.get(t, frHost, p, ""))
		if page.NextCursor == "" {
			break
		}
		next = page.NextCursor
		lengths[len(next)] = true
		raw, err := base64.RawURLEncoding.DecodeString(next)
		if err != nil {
			t.Fatalf("cursor %q is not base64url: %v", next, err)
		}
		for _, ref := range refs {
			if bytes.Contains(raw, []byte(ref)) || strings.Contains(next, ref) {
				t.Fatalf("cursor %q names %s", next, ref)
			}
		}
		if bytes.Contains(raw, []byte("VANNES")) || bytes.Contains(raw, []byte(`"a"`)) {
			t.Fatalf("cursor %q holds readable text", next)
		}
	}
	if len(lengths) != 1 {
		t.Errorf("cursor lengths %v tell positions apart", lengths)
	}
}
