package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/testenv"
)

// catalogFixture is the catalog and pricing APIs over a fresh table loaded
// with the demo, on a fixed day (the 26th of November of this year, inside
// the demo's year-end promotion).
type catalogFixture struct {
	handler http.Handler
	pricing http.Handler
	issuer  *auth.DevIssuer
	data    demo.Data
	table   dynamo.Table
}

// fixtureDay is the clock of the fixture's APIs.
var fixtureDay = time.Date(time.Now().Year(), 11, 26, 12, 0, 0, 0, time.UTC)

// demoBackend is a fresh table loaded with the demo, and a dev issuer whose
// JWKS the fixtures' pipelines verify tokens against.
type demoBackend struct {
	table   dynamo.Table
	issuer  *auth.DevIssuer
	jwksURL string
}

func newDemoBackend(t testing.TB) demoBackend {
	t.Helper()
	tbl := testenv.Table(t)
	if _, err := demo.Load(context.Background(), tbl); err != nil {
		t.Fatal(err)
	}
	iss, err := auth.NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(iss)
	t.Cleanup(jwks.Close)
	return demoBackend{table: tbl, issuer: iss, jwksURL: jwks.URL}
}

// pipeline is a request pipeline resolving hosts with storefronts.
func (b demoBackend) pipeline(storefronts httpapi.StorefrontResolver) *httpapi.Pipeline {
	return &httpapi.Pipeline{
		Storefronts: storefronts,
		Tokens:      &auth.Verifier{Issuer: b.issuer.Issuer, Audience: b.issuer.Audience, Keys: &auth.JWKS{URL: b.jwksURL}},
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

func newCatalogFixture(t testing.TB) *catalogFixture {
	t.Helper()
	b := newDemoBackend(t)
	tbl, iss := b.table, b.issuer
	pipeline := func() *httpapi.Pipeline { return b.pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}) }
	prices := &dynamo.Pricing{Table: tbl, TTL: time.Minute}
	now := func() time.Time { return fixtureDay }
	assortments := &dynamo.Assortments{Table: tbl, TTL: time.Minute}
	api := &httpapi.CatalogAPI{Pipeline: pipeline(), Catalog: &dynamo.Catalog{Table: tbl}, Prices: prices, Assortments: assortments, Now: now, Cursors: testCursors(t)}
	quotes := &httpapi.PricingAPI{Pipeline: pipeline(), Now: now,
		Quoter: &pricing.Quoter{Store: prices, Products: &dynamo.Catalog{Table: tbl}, Assortments: assortments}}
	return &catalogFixture{handler: api.Routes(), pricing: quotes.Routes(), issuer: iss, data: demo.Build(), table: tbl}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *catalogFixture) get(t *testing.T, host, path, token string, header ...string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Host", host)
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

func (f *catalogFixture) token(t testing.TB, c identity.Caller) string {
	t.Helper()
	tok, err := f.issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func wantProblem(t *testing.T, r response, status int, slug string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	p := decode[httpapi.Problem](t, r)
	if p.Type != httpapi.ProblemBase+slug || p.Status != status {
		t.Fatalf("problem = %+v, want type %s", p, slug)
	}
}

const (
	frHost = "hydro-fr.localhost" // partially open
	beHost = "hydro-be.localhost" // open
	deHost = "hydro-de.localhost" // closed
)

var buyer = identity.Caller{Role: identity.Buyer, Subject: "achat@plomberie-lyonnaise.fr", Merchant: demo.Hydro, Customer: "C0001"}

func TestCatalogAPI_PortalModesAndCallers(t *testing.T) {
	f := newCatalogFixture(t)
	buyerTok := f.token(t, buyer)
	repTok := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep", Merchant: demo.Hydro, Rep: "R01"})
	staffTok := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro})
	otherMerchantTok := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Jardin})

	type want struct {
		status     int
		sav        bool // restricted "SAV" family visible
		prices     bool
		proOnly    bool // pro-only products listed
		problemFor string
	}
	cases := []struct {
		name, host, token string
		want              want
	}{
		{"closed, anonymous", deHost, "", want{status: 401, problemFor: "unauthenticated"}},
		{"closed, buyer", deHost, buyerTok, want{status: 200, sav: true, prices: true, proOnly: true}},
		{"partially open, anonymous", frHost, "", want{status: 200}},
		{"partially open, buyer", frHost, buyerTok, want{status: 200, sav: true, prices: true, proOnly: true}},
		{"partially open, rep", frHost, repTok, want{status: 200, sav: true, prices: true, proOnly: true}},
		{"partially open, staff", frHost, staffTok, want{status: 200, sav: true, prices: true, proOnly: true}},
		{"partially open, consumer", frHost, f.token(t, buyerOf("P0001")), want{status: 200, sav: true, prices: true}},
		{"partially open, pro of price category 2", frHost, f.token(t, buyerOf("C0003")), want{status: 200, sav: true, prices: true, proOnly: true}},
		{"partially open, buying-group member", frHost, f.token(t, buyerOf("C0002")), want{status: 200, sav: true, prices: true, proOnly: true}},
		{"closed, consumer", deHost, f.token(t, buyerOf("P0001")), want{status: 200, sav: true, prices: true}},
		{"open, anonymous", beHost, "", want{status: 200, sav: true, prices: true}},
		{"other merchant's token", frHost, otherMerchantTok, want{status: 401, problemFor: "invalid-token"}},
		{"unknown host", "shop.nowhere.test", "", want{status: 404, problemFor: "unknown-storefront"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.get(t, c.host, "/catalog/categories", c.token)
			if c.want.problemFor != "" {
				wantProblem(t, r, c.want.status, c.want.problemFor)
				return
			}
			if r.status != c.want.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			cats := decode[struct {
				Categories []httpapi.CategoryView `json:"categories"`
			}](t, r).Categories
			sawSAV, sawSAVChild := false, false
			for _, cat := range cats {
				sawSAV = sawSAV || cat.ID == "SAV"
				sawSAVChild = sawSAVChild || cat.ParentID == "SAV"
			}
			if sawSAV != c.want.sav || sawSAVChild != c.want.sav {
				t.Errorf("restricted family visible = %v/%v, want %v", sawSAV, sawSAVChild, c.want.sav)
			}
			// The restricted family's products follow its visibility.
			sav := f.get(t, c.host, "/catalog/categories/SAV-ROUES/products", c.token)
			if c.want.sav && sav.status != 200 || !c.want.sav && sav.status != 404 {
				t.Errorf("SAV products status %d", sav.status)
			}
			page := decode[httpapi.ProductPage](t, f.get(t, c.host, "/catalog/categories/POMPES-CHIMIE/products?limit=100", c.token))
			sawPro := false
			for _, p := range page.Items {
				if (p.Price != nil) != c.want.prices {
					t.Fatalf("%s price shown = %v, want %v", p.Ref, p.Price != nil, c.want.prices)
				}
				sawPro = sawPro || p.Ref == demo.PumpRef || strings.HasPrefix(p.Ref, "POMPES-CHIMIE")
			}
			if sawPro != c.want.proOnly {
				t.Errorf("pro-only products listed = %v, want %v", sawPro, c.want.proOnly)
			}
			// The same rules hold on the product detail and in search.
			detail := f.get(t, c.host, "/catalog/products/"+demo.PumpRef, c.token)
			if (detail.status == 200) != c.want.proOnly {
				t.Errorf("pro-only product detail status %d", detail.status)
			}
			hits := decode[httpapi.ProductPage](t, f.get(t, c.host, "/catalog/search?q="+demo.PumpRef, c.token))
			if (len(hits.Items) > 0) != c.want.proOnly {
				t.Errorf("search for the pro-only pump found %d", len(hits.Items))
			}
		})
	}
}

func TestCatalogAPI_PaginatesEveryVisibleProductOnce(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	want := map[string]bool{}
	for _, p := range f.data.Products[demo.Hydro] {
		if p.CategoryID == "VANNES-BILLE" && !p.Inactive {
			want[p.Ref] = true
		}
	}
	// Warm the function's storefront and rules caches, as a busy
	// function's would be.
	f.get(t, frHost, "/catalog/products/VANNES-BILLE-101", tok)
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		path := "/catalog/categories/VANNES-BILLE/products?limit=7"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := f.get(t, frHost, path, tok)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		if calls, _ := strconv.Atoi(r.header.Get(httpapi.CallsHeader)); calls < 1 || calls > 3 {
			t.Errorf("page %d cost %d DynamoDB round trips, want at most 3 with the buyer's prices", pages, calls)
		}
		page := decode[httpapi.ProductPage](t, r)
		if page.NextCursor != "" && len(page.Items) != 7 {
			t.Errorf("page %d holds %d products, want 7", pages, len(page.Items))
		}
		for _, p := range page.Items {
			if seen[p.Ref] {
				t.Fatalf("%s listed twice", p.Ref)
			}
			seen[p.Ref] = true
			if p.Price == nil || !p.Price.Amount.IsPositive() || p.Price.Currency != "EUR" || p.Price.TaxIncluded {
				t.Fatalf("%s price %+v", p.Ref, p.Price)
			}
		}
		pages++
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != len(want) {
		t.Fatalf("listed %d products over %d pages, want %d", len(seen), pages, len(want))
	}
	for ref := range want {
		if !seen[ref] {
			t.Errorf("%s never listed", ref)
		}
	}
}

func TestCatalogAPI_RefusesBadInputWithProblems(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	first := decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/categories/VANNES-BILLE/products?limit=2", tok))
	jardinPage := decode[httpapi.ProductPage](t, f.get(t, "jardin-fr.localhost", "/catalog/categories/SEMIS/products?limit=2", ""))
	if first.NextCursor == "" || jardinPage.NextCursor == "" {
		t.Fatal("expected cursors")
	}
	expired, _ := f.issuer.SignClaims(auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: f.issuer.Issuer, Subject: "x", Audience: jwt.ClaimStrings{f.issuer.Audience},
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Hour))},
		Merchant: string(demo.Hydro), Role: "buyer", Customer: "C0001",
	})
	cases := []struct {
		name, host, path, token string
		status                  int
		slug                    string
	}{
		{"unknown category", frHost, "/catalog/categories/NOPE/products", tok, 404, "not-found"},
		{"other merchant's category", frHost, "/catalog/categories/SEMIS/products", tok, 404, "not-found"},
		{"malformed cursor", frHost, "/catalog/categories/VANNES-BILLE/products?cursor=***", tok, 400, "invalid-cursor"},
		{"garbage cursor", frHost, "/catalog/categories/VANNES-BILLE/products?cursor=eyJzIjoiMTIzIn0", tok, 400, "invalid-cursor"},
		{"cursor of another query", frHost, "/catalog/categories/VANNES-PAPILLON/products?cursor=" + first.NextCursor, tok, 400, "invalid-cursor"},
		// A cursor is checked before anything is read.
		{"cursor of another merchant", frHost, "/catalog/categories/SEMIS/products?cursor=" + jardinPage.NextCursor, tok, 400, "invalid-cursor"},
		{"cursor of another merchant, same category id", "jardin-fr.localhost", "/catalog/categories/SEMIS/products?cursor=" + first.NextCursor, "", 400, "invalid-cursor"},
		{"limit zero", frHost, "/catalog/categories/VANNES-BILLE/products?limit=0", tok, 400, "invalid-parameter"},
		{"limit too big", frHost, "/catalog/categories/VANNES-BILLE/products?limit=1000", tok, 400, "invalid-parameter"},
		{"limit not a number", frHost, "/catalog/categories/VANNES-BILLE/products?limit=ten", tok, 400, "invalid-parameter"},
		{"unknown product", frHost, "/catalog/products/NOPE-1", tok, 404, "not-found"},
		{"other merchant's product", frHost, "/catalog/products/JS-001", tok, 404, "not-found"},
		{"inactive product", frHost, "/catalog/products/" + inactiveRef(f), tok, 404, "not-found"},
		{"restricted product, anonymous", frHost, "/catalog/products/SAV-ROUES-101", "", 404, "not-found"},
		{"pro-only product, anonymous", beHost, "/catalog/products/" + demo.PumpRef, "", 404, "not-found"},
		{"expired token", frHost, "/catalog/categories", expired, 401, "invalid-token"},
		{"tampered token", frHost, "/catalog/categories", tok[:len(tok)-4] + "AAAA", 401, "invalid-token"},
		{"not a bearer token", frHost, "/catalog/categories", "", 401, "invalid-token"},
		{"unknown route", frHost, "/catalog/nothing", tok, 404, "not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if c.name == "not a bearer token" {
				r = f.get(t, c.host, c.path, "", "Authorization", "Basic dXNlcjpwYXNz")
			} else {
				r = f.get(t, c.host, c.path, c.token)
			}
			wantProblem(t, r, c.status, c.slug)
		})
	}
	t.Run("wrong method", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/catalog/categories", nil)
		req.Header.Set("Host", frHost)
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		wantProblem(t, response{rec.Code, rec.Header(), rec.Body.Bytes()}, 405, "method-not-allowed")
	})
}

func inactiveRef(f *catalogFixture) string {
	for _, p := range f.data.Products[demo.Hydro] {
		if p.Inactive {
			return p.Ref
		}
	}
	return "none"
}

func TestCatalogAPI_ProductDetailAndLanguages(t *testing.T) {
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	r := f.get(t, frHost, "/catalog/products/"+demo.PumpRef, tok)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	pump := decode[httpapi.ProductView](t, r)
	// Plomberie Lyonnaise is in price category 1: 12% off pumps.
	if pump.Language != "fr" || !strings.Contains(pump.Name, "acide") || pump.Price == nil || pump.Price.Amount.String() != "1663.2" || pump.Price.Source != "price-category" {
		t.Errorf("pump = %+v", pump)
	}
	if len(pump.Links) != 2 || pump.Links[0].Ref != demo.SealKitRef || pump.Links[0].Kind != catalog.Mandatory || !pump.Links[0].Ratio.Equal(pump.Links[0].Ratio.Truncate(0)) {
		t.Errorf("links = %+v", pump.Links)
	}
	for _, c := range []struct {
		name, host, path string
		header           []string
		language         string
	}{
		{"lang parameter", frHost, "/catalog/products/" + demo.SealKitRef + "?lang=en", nil, "en"},
		{"Accept-Language", frHost, "/catalog/products/" + demo.SealKitRef, []string{"Accept-Language", "en-GB,en;q=0.8"}, "en"},
		{"storefront default", deHost, "/catalog/products/" + demo.SealKitRef, nil, "en"},
		{"fallback to the merchant's language", frHost, "/catalog/products/" + demo.SealKitRef + "?lang=it", nil, "fr"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := decode[httpapi.ProductView](t, f.get(t, c.host, c.path, tok, c.header...))
			if p.Language != c.language {
				t.Errorf("language = %s, want %s (%s)", p.Language, c.language, p.Name)
			}
		})
	}
	// Once the storefront and rules are cached, a product page costs two
	// round trips for a buyer (product, and their tariff, read together).
	again := f.get(t, frHost, "/catalog/products/"+demo.PumpRef, tok)
	if calls := again.header.Get(httpapi.CallsHeader); calls != "2" {
		t.Errorf("product detail cost %s round trips", calls)
	}
}
