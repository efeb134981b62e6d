package httpapi_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
)

// searchResult is every page of one search, followed to the end.
type searchResult struct {
	refs  []string
	items map[string]httpapi.ProductView
	calls []int
	pages int
}

// searchAll follows a search's cursors to the end, failing on a duplicate or
// an error.
func (f *catalogFixture) searchAll(t *testing.T, host, params, token string, header ...string) searchResult {
	t.Helper()
	res := searchResult{items: map[string]httpapi.ProductView{}}
	limit := httpapi.DefaultPageSize
	if v, err := url.ParseQuery(params); err == nil && v.Get("limit") != "" {
		limit, _ = strconv.Atoi(v.Get("limit"))
	}
	cursor := ""
	for {
		path := "/catalog/search?" + params
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := f.get(t, host, path, token, header...)
		if r.status != 200 {
			t.Fatalf("%s page %d: %d %s", path, res.pages, r.status, r.body)
		}
		calls, _ := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
		res.calls = append(res.calls, calls)
		page := decode[httpapi.ProductPage](t, r)
		for _, p := range page.Items {
			if _, dup := res.items[p.Ref]; dup {
				t.Fatalf("%s: %s listed twice", params, p.Ref)
			}
			res.items[p.Ref] = p
			res.refs = append(res.refs, p.Ref)
		}
		// Every page but the last is full.
		if page.NextCursor != "" && len(page.Items) != limit {
			t.Errorf("%s page %d holds %d hits, want %d", params, res.pages, len(page.Items), limit)
		}
		res.pages++
		if res.pages > 500 {
			t.Fatalf("%s: no end of pages", params)
		}
		if page.NextCursor == "" {
			return res
		}
		cursor = page.NextCursor
	}
}

// expectedRefs lists, from the demo data, the products whose French name
// holds every word (or whose reference starts with prefix), that keep
// passes.
func (f *catalogFixture) expectedRefs(lang string, words []string, prefix string, keep func(catalog.Product) bool) []string {
	var out []string
	for _, p := range f.data.Products[demo.Hydro] {
		if p.Inactive || !keep(p) {
			continue
		}
		name := catalog.Words(p.Names[lang])
		match := len(words) > 0
		for _, w := range words {
			match = match && slices.Contains(name, w)
		}
		if match || prefix != "" && strings.HasPrefix(p.Ref, prefix) {
			out = append(out, p.Ref)
		}
	}
	slices.Sort(out)
	return out
}

func all(catalog.Product) bool { return true }

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestCatalogSearch_FindsByReferenceEANAndNameWords(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	var sealKit catalog.Product
	for _, p := range f.data.Products[demo.Hydro] {
		if p.Ref == demo.SealKitRef {
			sealKit = p
		}
	}
	cases := []struct {
		name, params string
		header       []string
		want         []string
		// first is the reference that must come first, if any.
		first string
	}{
		{"exact reference", "q=" + demo.PumpRef, nil, []string{demo.PumpRef}, demo.PumpRef},
		{"reference prefix, any case", "q=vannes-bille-1", nil,
			f.expectedRefs("fr", nil, "VANNES-BILLE-1", all), "VANNES-BILLE-101"},
		{"EAN", "q=" + sealKit.EAN, nil, []string{demo.SealKitRef}, demo.SealKitRef},
		{"French words with accents", "q=" + url.QueryEscape("pompe ÉLECTROMAGNÉTIQUE"), nil,
			f.expectedRefs("fr", []string{"pompe", "electromagnetique"}, "", all), ""},
		{"French words without accents", "q=electromagnetique", nil,
			f.expectedRefs("fr", []string{"electromagnetique"}, "", all), ""},
		{"every word must match", "q=" + url.QueryEscape("vanne inox DN15"), nil,
			f.expectedRefs("fr", []string{"vanne", "inox", "dn15"}, "", all), ""},
		{"no product has all the words", "q=" + url.QueryEscape("vanne laiton inox"), nil, nil, ""},
		{"English with lang", "q=" + url.QueryEscape("stainless ball valve") + "&lang=en", nil,
			f.expectedRefs("en", []string{"stainless", "ball", "valve"}, "", all), ""},
		{"English with Accept-Language", "q=" + url.QueryEscape("Stainless, ball-valve"), []string{"Accept-Language", "en-GB,en;q=0.8"},
			f.expectedRefs("en", []string{"stainless", "ball", "valve"}, "", all), ""},
		{"French words do not match English names", "q=" + url.QueryEscape("vanne bille") + "&lang=en", nil, nil, ""},
		{"a language without texts falls back to the storefront's", "q=" + url.QueryEscape("vanne bille") + "&lang=it", nil,
			f.expectedRefs("fr", []string{"vanne", "bille"}, "", all), ""},
		{"a reference-like word also finds names", "q=DN200", nil,
			f.expectedRefs("fr", []string{"dn200"}, "", all), ""},
		{"reference prefix first, then names", "q=kit", nil,
			append([]string{demo.SealKitRef}, f.expectedRefs("fr", []string{"kit"}, "", func(p catalog.Product) bool { return p.Ref != demo.SealKitRef })...), demo.SealKitRef},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.searchAll(t, frHost, c.params+"&limit=7", tok, c.header...)
			if !slices.Equal(sorted(res.refs), sorted(c.want)) {
				t.Fatalf("found %d: %v\nwant %d: %v", len(res.refs), res.refs, len(c.want), c.want)
			}
			if c.first != "" && res.refs[0] != c.first {
				t.Errorf("first hit %s, want %s", res.refs[0], c.first)
			}
			for _, p := range res.items {
				if p.Price == nil || !p.Price.Amount.IsPositive() {
					t.Errorf("%s: buyer's price missing: %+v", p.Ref, p.Price)
				}
			}
		})
	}
	// The storefront's language decides when the caller names none: the
	// German extranet shows English.
	res := f.searchAll(t, deHost, "q=valve", tok)
	if want := f.expectedRefs("en", []string{"valve"}, "", all); !slices.Equal(sorted(res.refs), want) {
		t.Errorf("hydro-de: %d hits, want %d", len(res.refs), len(want))
	}
	for _, p := range res.items {
		if p.Language != "en" {
			t.Fatalf("%s shown in %s", p.Ref, p.Language)
		}
	}
}

func TestCatalogSearch_ShowsOnlyWhatTheCallerMaySee(t *testing.T) {
	f := newCatalogFixture(t)
	buyerTok := f.token(t, buyer)
	repTok := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep", Merchant: demo.Hydro, Rep: "R01"})
	sav := func(p catalog.Product) bool { return strings.HasPrefix(p.CategoryID, "SAV") }
	anonymousPartial := func(p catalog.Product) bool { return !p.ProOnly && !sav(p) }
	anonymousOpen := func(p catalog.Product) bool { return !p.ProOnly }
	// "inox" names pumps (pro-only), valves, fittings and a restricted
	// spare part; "roue" only the restricted one; SAV-ROUES by reference.
	cases := []struct {
		name, host, token, params string
		keep                      func(catalog.Product) bool
		prices                    bool
	}{
		{"partially open, anonymous", frHost, "", "q=inox", anonymousPartial, false},
		{"partially open, buyer", frHost, buyerTok, "q=inox", all, true},
		{"partially open, rep", frHost, repTok, "q=inox", all, true},
		{"open, anonymous", beHost, "", "q=inox", anonymousOpen, true},
		{"closed, buyer", deHost, buyerTok, "q=inox&lang=fr", all, true},
		{"restricted family by name, anonymous", frHost, "", "q=roue", anonymousPartial, false},
		{"restricted family by name, buyer", frHost, buyerTok, "q=roue", all, true},
		{"restricted family by reference, anonymous", frHost, "", "q=SAV-ROUES", anonymousPartial, false},
		{"restricted family by reference, open", beHost, "", "q=SAV-ROUES", anonymousOpen, true},
		{"pro-only by reference, anonymous", beHost, "", "q=" + demo.PumpRef, anonymousOpen, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, _ := catalog.ParseQuery(strings.TrimPrefix(strings.Split(c.params, "&")[0], "q="))
			prefix := ""
			if q.RefLike {
				prefix = strings.ToUpper(q.Text)
			}
			want := f.expectedRefs("fr", q.Words, prefix, c.keep)
			res := f.searchAll(t, c.host, c.params+"&limit=9", c.token)
			if !slices.Equal(sorted(res.refs), want) {
				t.Fatalf("found %d: %v\nwant %d: %v", len(res.refs), res.refs, len(want), want)
			}
			for _, p := range res.items {
				if (p.Price != nil) != c.prices {
					t.Fatalf("%s: price shown = %v, want %v", p.Ref, p.Price != nil, c.prices)
				}
			}
		})
	}
	t.Run("inactive products are never found", func(t *testing.T) {
		var inactive catalog.Product
		for _, p := range f.data.Products[demo.Hydro] {
			if p.Inactive {
				inactive = p
				break
			}
		}
		for _, q := range []string{inactive.Ref, inactive.EAN, url.QueryEscape(inactive.Names["fr"])} {
			res := f.searchAll(t, frHost, "q="+q, buyerTok)
			if _, found := res.items[inactive.Ref]; found {
				t.Errorf("inactive %s found by %s", inactive.Ref, q)
			}
		}
	})
	t.Run("closed storefront, anonymous", func(t *testing.T) {
		wantProblem(t, f.get(t, deHost, "/catalog/search?q=inox", ""), 401, "unauthenticated")
	})
	t.Run("other merchant", func(t *testing.T) {
		if res := f.searchAll(t, "jardin-fr.localhost", "q=inox", ""); len(res.refs) != 0 {
			t.Errorf("jardin found hydro's products: %v", res.refs)
		}
		if res := f.searchAll(t, frHost, "q=jardin", buyerTok); len(res.refs) != 0 {
			t.Errorf("hydro found jardin's products: %v", res.refs)
		}
	})
}

func TestCatalogSearch_PaginatesEveryHitOnceInFewRoundTrips(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	// Warm the function's storefront, rules and assortment caches.
	f.get(t, frHost, "/catalog/products/VANNES-BILLE-101", tok)
	f.get(t, frHost, "/catalog/products/VANNES-BILLE-101", "")
	for _, c := range []struct{ name, params, token string }{
		{"words, buyer", "q=inox&limit=7", tok},
		{"words, anonymous", "q=inox&limit=7", ""},
		{"references then names, buyer", "q=kit&limit=2", tok},
		{"references, buyer", "q=VANNES&limit=25", tok},
		{"references, anonymous", "q=VANNES&limit=25", ""},
		{"EAN, buyer", "q=" + f.data.Products[demo.Hydro][0].EAN, tok},
		{"EAN, one per page", "q=" + f.data.Products[demo.Hydro][0].EAN + "&limit=1", tok},
		{"one per page", "q=" + url.QueryEscape("pompe centrifuge DN50") + "&limit=1", tok},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.searchAll(t, frHost, c.params, c.token)
			if len(res.refs) == 0 {
				t.Fatal("nothing found")
			}
			// A page costs at most 3 round trips, unless products hidden
			// from the caller left it short: each further read (at most
			// 3) adds 1 to 2, and the prices of what it added 1.
			cheap := 0
			for i, calls := range res.calls {
				if calls < 1 || calls > 3+2*(catalog.MaxReads-1)+1 {
					t.Errorf("page %d cost %d DynamoDB round trips, want 1 to %d", i, calls, 3+2*(catalog.MaxReads-1)+1)
				}
				if calls <= 3 {
					cheap++
				}
			}
			if cheap*2 < len(res.calls) {
				t.Errorf("%d of %d pages cost more than 3 round trips: %v", len(res.calls)-cheap, len(res.calls), res.calls)
			}
			t.Logf("round trips per page: %v", res.calls)
		})
	}
	// A search as large as the catalog's largest family pages through
	// every hit in reference order within each part.
	// "vanne" is also a reference prefix (VANNES-…): those come first.
	res := f.searchAll(t, frHost, "q=vanne&limit=10", tok)
	byRef := f.expectedRefs("fr", nil, "VANNE", all)
	byName := f.expectedRefs("fr", []string{"vanne"}, "", func(p catalog.Product) bool { return !strings.HasPrefix(p.Ref, "VANNE") })
	if want := append(byRef, byName...); !slices.Equal(res.refs, want) || res.pages < 10 {
		t.Errorf("vanne: %d hits over %d pages, want %d, references then names, each in reference order", len(res.refs), res.pages, len(want))
	}
}

func TestCatalogSearch_RefusesBadInputWithProblems(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	first := decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/search?q=inox&limit=2", tok))
	refs := decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/search?q=VANNES&limit=2", tok))
	jardin := decode[httpapi.ProductPage](t, f.get(t, "jardin-fr.localhost", "/catalog/search?q=inox&limit=2", ""))
	jardinOwn := decode[httpapi.ProductPage](t, f.get(t, "jardin-fr.localhost", "/catalog/search?q=article&limit=2", ""))
	if first.NextCursor == "" || refs.NextCursor == "" || jardinOwn.NextCursor == "" {
		t.Fatal("expected cursors")
	}
	_ = jardin
	long := strings.Repeat("a", 101)
	cases := []struct{ name, path, slug string }{
		{"missing q", "/catalog/search", "invalid-parameter"},
		{"empty q", "/catalog/search?q=", "invalid-parameter"},
		{"q too long", "/catalog/search?q=" + long, "invalid-parameter"},
		{"q without any word", "/catalog/search?q=" + url.QueryEscape("à é"), "invalid-parameter"},
		{"limit zero", "/catalog/search?q=inox&limit=0", "invalid-parameter"},
		{"limit too big", "/catalog/search?q=inox&limit=101", "invalid-parameter"},
		{"limit not a number", "/catalog/search?q=inox&limit=ten", "invalid-parameter"},
		{"malformed cursor", "/catalog/search?q=inox&cursor=***", "invalid-cursor"},
		{"garbage cursor", "/catalog/search?q=inox&cursor=eyJzIjoiMTIzIn0", "invalid-cursor"},
		{"cursor of another search", "/catalog/search?q=vanne&cursor=" + first.NextCursor, "invalid-cursor"},
		{"cursor of another language", "/catalog/search?q=inox&lang=en&cursor=" + first.NextCursor, "invalid-cursor"},
		{"cursor of a category list", "/catalog/search?q=inox&cursor=" + decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/categories/VANNES-BILLE/products?limit=2", tok)).NextCursor, "invalid-cursor"},
		{"cursor of another merchant", "/catalog/search?q=article&cursor=" + jardinOwn.NextCursor, "invalid-cursor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, f.get(t, frHost, c.path, tok), 400, c.slug)
		})
	}
	t.Run("hydro's cursor on jardin", func(t *testing.T) {
		wantProblem(t, f.get(t, "jardin-fr.localhost", "/catalog/search?q=inox&cursor="+first.NextCursor, ""), 400, "invalid-cursor")
	})
	t.Run("100 characters are accepted", func(t *testing.T) {
		if r := f.get(t, frHost, "/catalog/search?q="+long[:100], tok); r.status != 200 {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

// TestOpenAPIContract_SearchResponsesConform validates real search
// exchanges, answers and problems, against docs/openapi.yaml.
func TestOpenAPIContract_SearchResponsesConform(t *testing.T) {
	c := loadContract(t)
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	first := decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/search?q=inox&limit=3", tok))
	for _, x := range []struct {
		name, host, path, token string
		validRequest            bool
	}{
		{"words, buyer", frHost, "/catalog/search?q=" + url.QueryEscape("vanne bille") + "&limit=5", tok, true},
		{"words, anonymous", frHost, "/catalog/search?q=inox", "", true},
		{"words, open, English", beHost, "/catalog/search?q=valve&lang=en", "", true},
		{"reference prefix", frHost, "/catalog/search?q=VANNES-BILLE&limit=100", tok, true},
		{"EAN", beHost, "/catalog/search?q=" + f.data.Products[demo.Hydro][1].EAN, "", true},
		{"next page", frHost, "/catalog/search?q=inox&limit=3&cursor=" + first.NextCursor, tok, true},
		{"nothing found", frHost, "/catalog/search?q=zzzz", tok, true},
		{"closed, anonymous", deHost, "/catalog/search?q=inox", "", true},
		{"unknown storefront", "shop.nowhere.test", "/catalog/search?q=inox", "", true},
		{"foreign cursor", frHost, "/catalog/search?q=vanne&cursor=" + first.NextCursor, tok, true},
		{"no word", frHost, "/catalog/search?q=" + url.QueryEscape("à"), tok, true},
		{"missing q", frHost, "/catalog/search", tok, false},
		{"q too long", frHost, "/catalog/search?q=" + strings.Repeat("x", 101), tok, false},
		{"limit too big", frHost, "/catalog/search?q=inox&limit=101", tok, false},
	} {
		t.Run(x.name, func(t *testing.T) {
			e := f.call(t, x.host, x.path, x.token)
			c.mustConform(t, e, x.validRequest)
			if !x.validRequest {
				if ok, _ := c.validator.ValidateHttpRequest(e.req); ok {
					t.Errorf("the document accepts %s, which the API refuses", x.path)
				}
			}
		})
	}
}
