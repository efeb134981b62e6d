package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/testenv"
)

// The fuzz targets below send arbitrary bodies (and ids) to the real
// handlers of every JSON write, over a table of DynamoDB Local holding a
// slice of the demo. Whatever the input: no panic, never a 5xx, every 4xx
// is problem+json with a type, and no problem carries back more than
// fuzzEchoBound bytes of the body as sent. Their seeds, hostile inputs
// included, run with go test; go test -fuzz=FuzzXxx explores further.

// fuzzEchoBound is the longest run of the body's bytes an error may echo.
const fuzzEchoBound = 300

// fuzzAPI is the admin and pricing APIs over a fresh table.
type fuzzAPI struct {
	admin, pricing http.Handler
	tokens         map[string]string // by caller name; "" is anonymous
}

// newFuzzAPI loads the demo's storefronts, merchants, category trees,
// accounts, tariff and assortments, and a few products of each category:
// enough for every reference a body may name, quicker than the whole demo.
func newFuzzAPI(tb testing.TB) *fuzzAPI {
	tb.Helper()
	tbl := testenv.Table(tb)
	loadFuzzData(tb, tbl)
	iss, err := auth.NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		tb.Fatal(err)
	}
	jwks := httptest.NewServer(iss)
	tb.Cleanup(jwks.Close)
	pipeline := func(fronts httpapi.StorefrontResolver) *httpapi.Pipeline {
		return &httpapi.Pipeline{
			Storefronts: fronts,
			Tokens:      &auth.Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: &auth.JWKS{URL: jwks.URL}},
			Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		}
	}
	adminFronts := &dynamo.Storefronts{Table: tbl, TTL: time.Minute}
	admin := &httpapi.AdminAPI{
		Pipeline: pipeline(adminFronts), Catalog: &dynamo.Catalog{Table: tbl},
		Storefronts: adminFronts, Assortments: &dynamo.Assortments{Table: tbl},
		Pricing: &dynamo.Pricing{Table: tbl},
	}
	prices := &dynamo.Pricing{Table: tbl, TTL: time.Minute}
	assortments := &dynamo.Assortments{Table: tbl, TTL: time.Minute}
	quotes := &httpapi.PricingAPI{Pipeline: pipeline(&dynamo.Storefronts{Table: tbl, TTL: time.Minute}),
		Quoter: &pricing.Quoter{Store: prices, Products: &dynamo.Catalog{Table: tbl}, Assortments: assortments}}
	f := &fuzzAPI{admin: admin.Routes(), pricing: quotes.Routes(), tokens: map[string]string{"": ""}}
	for name, c := range map[string]identity.Caller{
		"staff":    {Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro},
		"buyer":    {Role: identity.Buyer, Subject: "achat@plomberie-lyonnaise.fr", Merchant: demo.Hydro, Customer: "C0001"},
		"consumer": {Role: identity.Buyer, Subject: "marie.martin@example.fr", Merchant: demo.Hydro, Customer: "P0001"},
		"rep":      {Role: identity.Rep, Subject: "l.bernard@hydrotech.fr", Merchant: demo.Hydro, Rep: "R01"},
	} {
		tok, err := iss.Sign(c, 24*time.Hour)
		if err != nil {
			tb.Fatal(err)
		}
		f.tokens[name] = tok
	}
	return f
}

// fuzzProductsPerCategory is how many of each category's demo products
// the fuzz table holds.
const fuzzProductsPerCategory = 3

func loadFuzzData(tb testing.TB, tbl dynamo.Table) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := demo.Build()
	keep := map[string]bool{demo.PumpRef: true, demo.SealKitRef: true, demo.FilterRef: true}
	perCategory := map[string]int{}
	cat := &dynamo.Catalog{Table: tbl}
	check := func(what string, err error) {
		if err != nil {
			tb.Fatalf("load %s: %v", what, err)
		}
	}
	check("storefronts", (&dynamo.Storefronts{Table: tbl}).Save(ctx, d.Storefronts))
	for m, cats := range d.Categories {
		check("categories", cat.SaveCategories(ctx, m, cats))
		var products []catalog.Product
		for _, p := range d.Products[m] {
			if keep[p.Ref] || perCategory[p.CategoryID] < fuzzProductsPerCategory {
				perCategory[p.CategoryID]++
				keep[p.Ref] = true
				products = append(products, p)
			}
		}
		check("products", cat.SaveProducts(ctx, m, products))
	}
	acc := &dynamo.Accounts{Table: tbl}
	hb := acc.NewBatch(demo.Hydro).Merchant(d.Merchants[0])
	for _, pc := range d.PriceCats {
		hb.PriceCategory(pc)
	}
	for _, g := range d.BuyingGroups {
		hb.BuyingGroup(g)
	}
	for _, c := range d.Customers {
		hb.Customer(c)
	}
	for _, r := range d.Reps {
		hb.Rep(r)
	}
	jb := acc.NewBatch(demo.Jardin).Merchant(d.Merchants[1])
	for _, c := range d.JardinClients {
		jb.Customer(c)
	}
	check("hydro accounts", acc.Save(ctx, hb))
	check("jardin accounts", acc.Save(ctx, jb))
	prices := &dynamo.Pricing{Table: tbl}
	var customerPrices []tariff.Entry
	for _, e := range d.CustomerPrices {
		if keep[e.Ref] {
			customerPrices = append(customerPrices, e)
		}
	}
	check("customer prices", prices.SaveCustomerPrices(ctx, demo.Hydro, customerPrices))
	check("rules", prices.SaveRuleSet(ctx, demo.Hydro, d.Rules))
	check("assortments", (&dynamo.Assortments{Table: tbl}).Save(ctx, demo.Hydro, d.Assortments...))
}

// send sends body to h as the named caller on Hydrotech's French
// storefront and checks the answer; id is the caller's part of the path.
func (f *fuzzAPI) send(t *testing.T, h http.Handler, method, path, id, caller string, body []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Host", "hydro-fr.localhost")
	req.Header.Set("Content-Type", "application/json")
	if tok := f.tokens[caller]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	checkFuzzAnswer(t, method+" "+path, [][]byte{body, []byte(id)}, rec)
}

func checkFuzzAnswer(t *testing.T, what string, inputs [][]byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	if len(what) > 120 {
		what = what[:120] + "..."
	}
	excerpt := rec.Body.String()
	if len(excerpt) > 300 {
		excerpt = excerpt[:300] + "..."
	}
	switch {
	case rec.Code >= 500:
		t.Fatalf("%s: status %d: %s", what, rec.Code, excerpt)
	case rec.Code >= 400:
		mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
		var p httpapi.Problem
		if mt != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Type == "" || p.Status != rec.Code {
			t.Fatalf("%s: status %d is not a problem with a type (%s): %s", what, rec.Code, rec.Header().Get("Content-Type"), excerpt)
		}
		for _, in := range inputs {
			if n := echoedRun(in, rec.Body.Bytes()); n > 0 {
				t.Fatalf("%s: the problem carries back %d bytes of a %d-byte input: %s", what, n, len(in), excerpt)
			}
		}
	case rec.Code >= 200 && rec.Code < 300 && rec.Code != http.StatusNoContent:
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: status %d with a body that is not JSON: %s", what, rec.Code, excerpt)
		}
	}
}

// echoedRun is fuzzEchoBound+1 when answer holds a run of that many bytes
// of input, else 0.
func echoedRun(body, answer []byte) int {
	const n = fuzzEchoBound + 1
	if len(body) < n || len(answer) < n {
		return 0
	}
	windows := make(map[uint64]bool, len(answer)-n+1)
	for i := 0; i+n <= len(answer); i++ {
		h := fnv.New64a()
		h.Write(answer[i : i+n])
		windows[h.Sum64()] = true
	}
	for i := 0; i+n <= len(body); i++ {
		h := fnv.New64a()
		h.Write(body[i : i+n])
		if windows[h.Sum64()] && bytes.Contains(answer, body[i:i+n]) {
			return n
		}
	}
	return 0
}

// Hostile inputs shared by the seed corpora.
var (
	fuzzLongID   = strings.Repeat("x", 3000)
	fuzzHugeBody = append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("p"), 1100<<10)...), `"}`...)
)

// bodySeeds are a valid body and its hostile variants: trailing data, not an
// object, null, empty, over 1 MiB, and each change given (member, raw JSON
// value) applied alone.
func bodySeeds(valid string, changes ...string) [][]byte {
	seeds := [][]byte{
		[]byte(valid), []byte(valid + "}"), []byte(valid + "]"), []byte(valid + ` {"a":1}`),
		[]byte("null"), {}, []byte("[]"), []byte(`"text"`), []byte("1e9999"), []byte("{"), []byte(`{"a":`),
		fuzzHugeBody,
	}
	var base map[string]json.RawMessage
	if err := json.Unmarshal([]byte(valid), &base); err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(changes); i += 2 {
		m := map[string]json.RawMessage{}
		for k, v := range base {
			m[k] = v
		}
		m[changes[i]] = json.RawMessage(changes[i+1])
		b, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// jsonText is s as a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

const (
	fuzzMaxInt   = "9223372036854775807"
	fuzzOverInt  = "9223372036854775808"
	fuzzHuge     = `"1e9999"`
	fuzzHugeNum  = "1e9999"
	fuzzBidiName = `{"fr":"Vanne \u202eenrevne"}`
	fuzzCtlName  = `{"fr":"Vanne\u0007\u0000"}`
)

func FuzzQuoteBody(f *testing.F) {
	api := newFuzzAPI(f)
	valid := `{"lines":[{"ref":"` + demo.FilterRef + `","quantity":2},{"ref":"` + demo.PumpRef + `","quantity":1}]}`
	seeds := bodySeeds(valid,
		"customer", jsonText(fuzzLongID),
		"customer", `"C0004"`,
		"currency", `"XYZ"`,
		"date", `"2026-02-30"`,
		"date", jsonText(fuzzLongID),
		"lines", `[]`,
		"lines", `[{"ref":"`+demo.FilterRef+`","quantity":`+fuzzMaxInt+`}]`,
		"lines", `[{"ref":"`+demo.FilterRef+`","quantity":`+fuzzOverInt+`}]`,
		"lines", `[{"ref":"`+demo.FilterRef+`","quantity":`+fuzzHugeNum+`}]`,
		"lines", `[{"ref":"`+demo.FilterRef+`","quantity":4611686018427387904,"packaging":"lot"}]`,
		"lines", `[{"ref":"`+demo.FilterRef+`","quantity":-1}]`,
		"lines", `[{"ref":`+jsonText(fuzzLongID)+`,"quantity":1}]`,
		"lines", `[{"ref":"`+demo.FilterRef+`","quantity":1,"packaging":`+jsonText(fuzzLongID)+`}]`,
		"lines", `[null]`,
	)
	callers := []string{"buyer", "staff", "rep", "consumer", ""}
	for i, s := range seeds {
		f.Add(uint8(i%len(callers)), s)
		if i%len(callers) != 1 && len(s) < 1<<20 {
			f.Add(uint8(1), s) // as staff, who may name any customer
		}
	}
	f.Fuzz(func(t *testing.T, caller uint8, body []byte) {
		api.send(t, api.pricing, http.MethodPost, "/pricing/quote", "", callers[int(caller)%len(callers)], body)
	})
}

// fuzzIDs are the path ids every admin target's seeds use.
var fuzzIDs = []string{"FUZZ-1", fuzzLongID, "", "a/b", "..", "%00", "x#y", "VANNES"}

// addAdminSeeds adds each body with one of fuzzIDs in turn, and with a
// plain id when that one was not.
func addAdminSeeds(f *testing.F, seeds [][]byte) {
	for i, s := range seeds {
		f.Add(fuzzIDs[i%len(fuzzIDs)], s)
		if i%len(fuzzIDs) != 0 && len(s) < 1<<20 {
			f.Add(fuzzIDs[0], s)
		}
	}
}

func FuzzCategoryBody(f *testing.F) {
	api := newFuzzAPI(f)
	addAdminSeeds(f, bodySeeds(`{"names":{"fr":"Vannes inox","en":"Stainless valves"},"parentId":"VANNES","position":2,"restricted":false}`,
		"names", fuzzBidiName,
		"names", fuzzCtlName,
		"names", `{"jj":"Vannes"}`,
		"names", `{"fr":`+jsonText(fuzzLongID)+`}`,
		"names", `null`,
		"parentId", jsonText(fuzzLongID),
		"parentId", `"FUZZ-1"`,
		"position", fuzzMaxInt,
		"position", fuzzOverInt,
		"position", `-1`,
		"position", fuzzHugeNum,
		"restricted", `"yes"`,
	))
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		api.send(t, api.admin, http.MethodPut, "/admin/categories/"+url.PathEscape(id), id, "staff", body)
	})
}

func FuzzProductBody(f *testing.F) {
	api := newFuzzAPI(f)
	valid := `{"names":{"fr":"Vanne d'essai DN50"},"descriptions":{"fr":"Corps laiton."},"categoryId":"VANNES-BILLE",` +
		`"attributes":{"diametre":"DN50"},"images":["https://cdn.hydrotech.example/p/x.jpg"],` +
		`"packagings":[{"kind":"unit","units":1},{"kind":"pallet","units":40}],"minOrderQty":1,"orderMultiple":1,` +
		`"taxCategory":"standard","basePrice":"12.50","currency":"EUR",` +
		`"links":[{"ref":"` + demo.SealKitRef + `","kind":"mandatory","ratio":"1"}]}`
	addAdminSeeds(f, bodySeeds(valid,
		"basePrice", fuzzHuge,
		"basePrice", fuzzHugeNum,
		"basePrice", `"999999999999.999999"`,
		"basePrice", `"-1"`,
		"currency", `"XYZ"`,
		"names", fuzzBidiName,
		"names", fuzzCtlName,
		"names", `{"jj":"Vanne"}`,
		"attributes", `{"dia\u202emetre":"DN50"}`,
		"attributes", `{`+jsonText(fuzzLongID)+`:"x"}`,
		"categoryId", jsonText(fuzzLongID),
		"ean", jsonText(fuzzLongID),
		"ean", `"3769990009994"`,
		"packagings", `[{"kind":"unit","units":1},{"kind":"pallet","units":`+fuzzMaxInt+`}]`,
		"packagings", `[{"kind":"unit","units":1},{"kind":"pallet","units":`+fuzzOverInt+`}]`,
		"minOrderQty", fuzzMaxInt,
		"orderMultiple", fuzzMaxInt,
		"links", `[{"ref":`+jsonText(fuzzLongID)+`,"kind":"optional","ratio":"1"}]`,
		"links", `[{"ref":"`+demo.SealKitRef+`","kind":"optional","ratio":`+fuzzHuge+`}]`,
		"images", `["https://`+strings.Repeat("h", 2000)+`.example/x.jpg"]`,
		"inactive", `true`,
		"proOnly", `"true"`,
	))
	f.Fuzz(func(t *testing.T, ref string, body []byte) {
		api.send(t, api.admin, http.MethodPut, "/admin/products/"+url.PathEscape(ref), ref, "staff", body)
	})
}

func FuzzAssortmentBody(f *testing.F) {
	api := newFuzzAPI(f)
	addAdminSeeds(f, bodySeeds(`{"categories":["VANNES","ETANCH"],"products":["`+demo.PumpRef+`"]}`,
		"categories", `[`+jsonText(fuzzLongID)+`]`,
		"categories", `["NOWHERE"]`,
		"categories", `[null]`,
		"products", `[`+jsonText(fuzzLongID)+`]`,
		"products", `["NOWHERE"]`,
		"products", `[]`,
		"products", `{"a":1}`,
	))
	scopes := []string{"customer", "buying-group", "price-category", "", fuzzLongID}
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		scope := scopes[len(id)%len(scopes)]
		api.send(t, api.admin, http.MethodPut, "/admin/assortments/"+url.PathEscape(scope)+"/"+url.PathEscape(id), id, "staff", body)
	})
}

func FuzzStorefrontBody(f *testing.F) {
	api := newFuzzAPI(f)
	addAdminSeeds(f, bodySeeds(`{"host":"shop.hydrotech-industrie.fr","country":"FR","language":"fr","currency":"EUR","mode":"open","consumers":false}`,
		"host", `"127.0.0.1"`,
		"host", `"[::1]"`,
		"host", `"hydro-fr.localhost:3300:80"`,
		"host", `"hydro%2dfr.localhost"`,
		"host", `"jardin-be.localhost"`,
		"host", `"jardin-fr.localhost"`,
		"host", jsonText(strings.Repeat("h", 100<<10)+".localhost"),
		"host", jsonText(fuzzLongID+".hydrotech-industrie.fr"),
		"country", `"JJ"`,
		"language", `"jj"`,
		"currency", `"XYZ"`,
		"mode", `"wide-open"`,
	))
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		api.send(t, api.admin, http.MethodPut, "/admin/storefronts/"+url.PathEscape(id), id, "staff", body)
	})
}

func FuzzPricingPolicyBody(f *testing.F) {
	api := newFuzzAPI(f)
	for _, s := range bodySeeds(`{"policy":"best-price"}`,
		"policy", `"cheapest"`,
		"policy", jsonText(fuzzLongID),
		"policy", `null`,
		"policy", `1`,
	) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		api.send(t, api.admin, http.MethodPut, "/admin/pricing/policy", "", "staff", body)
	})
}

func FuzzDiscountRuleBody(f *testing.F) {
	api := newFuzzAPI(f)
	tiers := func(n int, from, value string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `{"from":` + from + `,"value":` + value + `}`
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	addAdminSeeds(f, bodySeeds(`{"name":"Remise vannes","priority":10,"who":{"customer":"C0001"},"target":{"family":"VANNES"},"kind":"percent","percent":"5"}`,
		"percent", fuzzHuge,
		"percent", fuzzHugeNum,
		"percent", `"1E+400"`,
		"percent", `"101"`,
		"kind", `"net-price"`,
		"price", fuzzHuge,
		"price", `"12.123456"`,
		"priority", fuzzMaxInt,
		"priority", fuzzOverInt,
		"name", `"Remise \u202eetsilaic\u00e9ps"`,
		"name", jsonText(fuzzLongID),
		"currency", `"XYZ"`,
		"target", `{"ref":`+jsonText(fuzzLongID)+`}`,
		"who", `{"customer":`+jsonText(fuzzLongID)+`}`,
		"id", jsonText(fuzzLongID),
		"validity", `{"from":"2026-12-31T00:00:00Z","until":"2026-01-01T00:00:00Z"}`,
	))
	for _, rule := range []string{
		`{"name":"Paliers","priority":20,"kind":"quantity-tiers","tiers":` + tiers(30, fuzzHuge, fuzzHuge) + `}`,
		`{"name":"Paliers","priority":20,"kind":"quantity-tiers","tiers":` + tiers(1000, `"1"`, `"5"`) + `}`,
		`{"name":"Commande","priority":90,"kind":"order-amount-tiers","currency":"EUR","tiers":` + tiers(30, fuzzHuge, fuzzHuge) + `}`,
		`{"name":"Net","priority":5,"kind":"net-price","currency":"EUR","tiers":` + tiers(2, `"1"`, fuzzHuge) + `}`,
		`{"name":"Palette","priority":30,"kind":"packaging","packaging":"pallet","percent":"4","price":` + fuzzHuge + `}`,
	} {
		f.Add("FUZZ-R", []byte(rule))
	}
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		api.send(t, api.admin, http.MethodPut, "/admin/pricing/rules/"+url.PathEscape(id), id, "staff", body)
	})
}
