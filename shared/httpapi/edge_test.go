package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/samtemplate"
)

// TestAdminAPI_TextsArePlainAndInKnownLanguages proves that names and
// descriptions refuse control characters, bidirectional overrides and
// language codes that name no language, while descriptions keep their line
// breaks.
func TestAdminAPI_TextsArePlainAndInKnownLanguages(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t)
	product := func(names, descriptions jsonObject) jsonObject {
		b := newProductBody("VANNES-BILLE")
		b["names"], b["descriptions"] = names, descriptions
		return b
	}
	cases := []struct {
		name   string
		path   string
		body   jsonObject
		fields []string // nil: accepted
	}{
		{"category name with a right-to-left override", "/admin/categories/TXT-1",
			jsonObject{"names": jsonObject{"fr": "Vannes \u202egpj.exe"}}, []string{"names.fr"}},
		{"category name with an isolate", "/admin/categories/TXT-1",
			jsonObject{"names": jsonObject{"fr": "Vannes \u2067x\u2069"}}, []string{"names.fr"}},
		{"category name with an escape sequence", "/admin/categories/TXT-1",
			jsonObject{"names": jsonObject{"fr": "Vannes \x1b[31m"}}, []string{"names.fr"}},
		{"category name in an unknown language", "/admin/categories/TXT-1",
			jsonObject{"names": jsonObject{"xx": "Vannes", "fr": "Vannes"}}, []string{"names.xx"}},
		{"category name in no language", "/admin/categories/TXT-1",
			jsonObject{"names": jsonObject{"und": "Vannes"}}, []string{"names.und"}},
		{"product name with a line break", "/admin/products/TXT-1",
			product(jsonObject{"fr": "Vanne\nDN25"}, jsonObject{"fr": "ok"}), []string{"names.fr"}},
		{"product name with a C1 control", "/admin/products/TXT-1",
			product(jsonObject{"fr": "Vanne\u0085DN25"}, jsonObject{"fr": "ok"}), []string{"names.fr"}},
		{"product description with a NUL", "/admin/products/TXT-1",
			product(jsonObject{"fr": "Vanne"}, jsonObject{"fr": "a\x00b", "zz": "x"}), []string{"descriptions.fr", "descriptions.zz"}},
		{"product description with a left-to-right mark", "/admin/products/TXT-1",
			product(jsonObject{"fr": "Vanne"}, jsonObject{"fr": "a\u200eb"}), []string{"descriptions.fr"}},
		{"product description over lines", "/admin/products/TXT-2",
			product(jsonObject{"fr": "Vanne DN25", "gsw": "Ventil"}, jsonObject{"fr": "Corps laiton.\n\tJoint EPDM.\r\n"}), nil},
		{"category name in Arabic", "/admin/categories/TXT-2",
			jsonObject{"names": jsonObject{"ar": "صمامات"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.adminDo(t, "PUT", c.path, c.body)
			if c.fields == nil {
				if r.status != 200 && r.status != 201 {
					t.Fatalf("status = %d, want 200 or 201: %s", r.status, r.body)
				}
				return
			}
			wantProblem(t, r, 400, "invalid-parameter")
			wantFields(t, r, c.fields...)
		})
	}
}

// spyFronts is a storefront resolver that counts its lookups and knows one
// storefront, or fails with err.
type spyFronts struct {
	lookups atomic.Int64
	err     error
}

func (s *spyFronts) ByHost(_ context.Context, host string) (merchant.Storefront, error) {
	s.lookups.Add(1)
	if s.err != nil {
		return merchant.Storefront{}, s.err
	}
	if host != frHost {
		return merchant.Storefront{}, merchant.ErrUnknownHost
	}
	return merchant.Storefront{ID: "fr", Merchant: demo.Hydro, Host: frHost, Country: "FR", Language: "fr", Currency: "EUR", Mode: merchant.Open}, nil
}

// edgeAPIs are the catalog, pricing and admin APIs over a pipeline with
// fronts and tokens, and no stores: what the pipeline refuses never reaches
// a handler.
func edgeAPIs(fronts httpapi.StorefrontResolver, tokens httpapi.TokenVerifier, log *slog.Logger) map[string]http.Handler {
	p := &httpapi.Pipeline{Storefronts: fronts, Tokens: tokens, Logger: log}
	return map[string]http.Handler{
		"GET /catalog/categories": (&httpapi.CatalogAPI{Pipeline: p}).Routes(),
		"POST /pricing/quote":     (&httpapi.PricingAPI{Pipeline: p}).Routes(),
		"GET /admin/categories":   (&httpapi.AdminAPI{Pipeline: p}).Routes(),
	}
}

func send(h http.Handler, route, host, token, body string) response {
	method, path, _ := strings.Cut(route, " ")
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.Host = host
	req.Header.Set("Host", host)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// TestPipeline_OddHostsAreUnknownStorefrontsWithoutALookup proves that a
// Host header that is not a DNS name with an optional port gets a 404
// unknown-storefront problem on every API, quoting at most a bounded part
// of the header, without looking the storefront up.
func TestPipeline_OddHostsAreUnknownStorefrontsWithoutALookup(t *testing.T) {
	t.Parallel()
	hosts := []string{
		"[::1]:3300", "[::1]", "127.0.0.1:3300", "hydro-fr.localhost:3300:80", "hydro%2dfr.localhost",
		"hydro-fr.localhost%00", "hydro-fr.localhost\x00", "hydro-fr.localhost:99999", "hydro-fr.localhost:",
		strings.Repeat("h", 100<<10), strings.Repeat("a.", 200) + "localhost", "", "localhost", "hydro_fr.localhost",
	}
	fronts := &spyFronts{}
	var logs bytes.Buffer
	apis := edgeAPIs(fronts, nil, logging.New(&logs, "edge", slog.LevelInfo))
	for route, h := range apis {
		for _, host := range hosts {
			name := fmt.Sprintf("%s %.30q", route, host)
			r := send(h, route, host, "", `{"lines":[]}`)
			if r.status != 404 {
				t.Errorf("%s: status %d: %.200s", name, r.status, r.body)
				continue
			}
			p := decode[httpapi.Problem](t, r)
			if p.Type != httpapi.ProblemBase+"unknown-storefront" {
				t.Errorf("%s: problem %s", name, p.Type)
			}
			if len(r.body) > 1024 {
				t.Errorf("%s: a problem of %d bytes", name, len(r.body))
			}
		}
	}
	if n := fronts.lookups.Load(); n != 0 {
		t.Errorf("%d storefront lookups for hosts no storefront can have", n)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		if len(line) > 4*logging.MaxField {
			t.Errorf("a log line of %d bytes: %.200s", len(line), line)
		}
	}
	t.Run("a plausible host is looked up", func(t *testing.T) {
		wantProblem(t, send(apis["GET /catalog/categories"], "GET /catalog/categories", "Nope.Example.FR:443", "", ""), 404, "unknown-storefront")
		if n := fronts.lookups.Load(); n != 1 {
			t.Errorf("%d lookups", n)
		}
	})
}

// TestPipeline_AJWKSOutageIsRetryable proves that a token that cannot be
// checked because the issuer's key set cannot be fetched gets a 503
// unavailable problem with Retry-After, while a token whose key a reachable
// key set lacks stays a 401.
func TestPipeline_AJWKSOutageIsRetryable(t *testing.T) {
	t.Parallel()
	iss, err := auth.NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Sign(identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.NewDevIssuer(iss.Issuer, iss.Audience)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 502) }))
	t.Cleanup(down.Close)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "<html>") }))
	t.Cleanup(garbage.Close)
	gone := httptest.NewServer(iss)
	gone.Close()
	rotated := httptest.NewServer(other)
	t.Cleanup(rotated.Close)
	cases := []struct {
		name   string
		url    string
		status int
		slug   string
	}{
		{"JWKS unreachable", gone.URL, 503, "unavailable"},
		{"JWKS answers 502", down.URL, 503, "unavailable"},
		{"JWKS not JSON", garbage.URL, 503, "unavailable"},
		{"JWKS without the token's key", rotated.URL, 401, "invalid-token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			verifier := &auth.Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: &auth.JWKS{URL: c.url}}
			for route, h := range edgeAPIs(&spyFronts{}, verifier, slog.New(slog.DiscardHandler)) {
				r := send(h, route, frHost, tok, `{}`)
				wantProblem(t, r, c.status, c.slug)
				if ra := r.header.Get("Retry-After"); (c.status == 503) != (ra != "") {
					t.Errorf("%s: Retry-After %q on a %d", route, ra, r.status)
				}
			}
		})
	}
}

// TestPipeline_ADatabaseValidationErrorIsA400 proves that a request DynamoDB
// refuses as invalid is a 400 with a generic detail, logged at error level
// with its cause cut short, never a 500.
func TestPipeline_ADatabaseValidationErrorIsA400(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3000)
	fronts := &spyFronts{err: fmt.Errorf("resolve host %s: %w", long, &smithy.GenericAPIError{
		Code: "ValidationException", Message: "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes",
	})}
	var logs bytes.Buffer
	for route, h := range edgeAPIs(fronts, nil, logging.New(&logs, "edge", slog.LevelInfo)) {
		r := send(h, route, frHost, "", `{}`)
		wantProblem(t, r, 400, "invalid-parameter")
		if bytes.Contains(r.body, []byte("hashkey")) || bytes.Contains(r.body, []byte(long[:200])) {
			t.Errorf("%s: the problem tells the database's message: %s", route, r.body)
		}
	}
	var errorLines int
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var l map[string]any
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatal(err)
		}
		if l["level"] == "ERROR" {
			errorLines++
			if e, _ := l["error"].(string); !strings.Contains(e, "ValidationException") && !strings.Contains(e, "bytes)") {
				t.Errorf("error line without its cause: %s", line)
			}
		}
		if len(line) > 4*logging.MaxField {
			t.Errorf("a log line of %d bytes", len(line))
		}
	}
	if errorLines != 3 {
		t.Errorf("%d error lines, want one per request", errorLines)
	}
}

// TestAPIs_OverlongIdsAre400sAndUnknownOnes404s proves that every id that
// becomes part of a key is bounded before any read: a 3,000-character one
// gets a 400 invalid-parameter problem that does not repeat it, on every
// route that takes one; an unknown one of a plausible length a 404.
func TestAPIs_OverlongIdsAre400sAndUnknownOnes404s(t *testing.T) {
	t.Parallel()
	cf := newCatalogFixture(t)
	af := newAdminFixture(t)
	long := strings.Repeat("X", 3000)
	staff := cf.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	buyerTok := cf.token(t, buyer)
	rep := cf.token(t, identity.Caller{Role: identity.Rep, Subject: "rep@hydrotech.fr", Merchant: demo.Hydro, Rep: "R01"})
	quote := func(customer, ref string) string {
		return fmt.Sprintf(`{"customer":%q,"lines":[{"ref":%q,"quantity":1}]}`, customer, ref)
	}
	cases := []struct {
		name   string
		do     func() response
		status int
		slug   string
	}{
		{"catalog product ref", func() response { return cf.get(t, frHost, "/catalog/products/"+long, buyerTok) }, 400, "invalid-parameter"},
		{"catalog category id", func() response { return cf.get(t, frHost, "/catalog/categories/"+long+"/products", buyerTok) }, 400, "invalid-parameter"},
		{"catalog customer, staff", func() response { return cf.get(t, frHost, "/catalog/categories?customer="+long, staff) }, 400, "invalid-parameter"},
		{"catalog customer, rep", func() response { return cf.get(t, frHost, "/catalog/products/"+demo.PumpRef+"?customer="+long, rep) }, 400, "invalid-parameter"},
		{"search customer", func() response { return cf.get(t, frHost, "/catalog/search?q=vanne&customer="+long, staff) }, 400, "invalid-parameter"},
		{"quote customer", func() response { return cf.post(t, frHost, "/pricing/quote", staff, quote(long, demo.PumpRef)) }, 400, "invalid-parameter"},
		{"quote line ref", func() response { return cf.post(t, frHost, "/pricing/quote", buyerTok, quote("", long)) }, 400, "invalid-parameter"},
		{"admin product", func() response { return af.adminDo(t, "GET", "/admin/products/"+long, nil) }, 400, "invalid-parameter"},
		{"admin product write", func() response { return af.adminDo(t, "PUT", "/admin/products/"+long, newProductBody("VANNES-BILLE")) }, 400, "invalid-parameter"},
		{"admin category write", func() response {
			return af.adminDo(t, "PUT", "/admin/categories/"+long, jsonObject{"names": jsonObject{"fr": "x"}})
		}, 400, "invalid-parameter"},
		{"admin category delete", func() response { return af.adminDo(t, "DELETE", "/admin/categories/"+long, nil) }, 400, "invalid-parameter"},
		{"admin assortment", func() response {
			return af.adminDo(t, "PUT", "/admin/assortments/customer/"+long, jsonObject{"categories": []string{"POMPES"}})
		}, 400, "invalid-parameter"},
		{"admin assortment delete", func() response { return af.adminDo(t, "DELETE", "/admin/assortments/customer/"+long, nil) }, 400, "invalid-parameter"},
		{"admin storefront", func() response {
			return af.adminDo(t, "PUT", "/admin/storefronts/"+long, jsonObject{"host": "hydro-it.localhost", "country": "IT", "language": "it", "currency": "EUR", "mode": "open"})
		}, 400, "invalid-parameter"},
		{"admin rule", func() response { return af.adminDo(t, "PUT", "/admin/pricing/rules/"+long, jsonObject{}) }, 400, "invalid-parameter"},
		{"admin rule delete", func() response { return af.adminDo(t, "DELETE", "/admin/pricing/rules/"+long, nil) }, 400, "invalid-parameter"},
		// Unknown, of a plausible length.
		{"unknown product", func() response { return cf.get(t, frHost, "/catalog/products/NOPE-1", buyerTok) }, 404, "not-found"},
		{"unknown customer, staff", func() response { return cf.get(t, frHost, "/catalog/categories?customer=C9999", staff) }, 404, "not-found"},
		{"unknown customer, quote", func() response { return cf.post(t, frHost, "/pricing/quote", staff, quote("C9999", demo.PumpRef)) }, 404, "not-found"},
		{"unknown rule", func() response { return af.adminDo(t, "DELETE", "/admin/pricing/rules/NOPE", nil) }, 404, "not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.do()
			wantProblem(t, r, c.status, c.slug)
			if bytes.Contains(r.body, []byte(long[:logging.MaxEcho+1])) {
				t.Errorf("the problem repeats the whole id: %d bytes", len(r.body))
			}
		})
	}
}

// TestAPIs_BodiesAreOneJSONObjectOfAtMost1MiB proves that the quote and
// every admin write refuse a body with anything after its object (a stray
// '}' or ']' included), a null body, and answer 413 payload-too-large to a
// body over 1 MiB.
func TestAPIs_BodiesAreOneJSONObjectOfAtMost1MiB(t *testing.T) {
	t.Parallel()
	cf := newCatalogFixture(t)
	af := newAdminFixture(t)
	staff := cf.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	quote := fmt.Sprintf(`{"customer":"C0001","lines":[{"ref":%q,"quantity":1}]}`, demo.PumpRef)
	product, _ := json.Marshal(newProductBody("VANNES-BILLE"))
	writes := []struct {
		name, method, path, valid string
	}{
		{"quote", "POST", "/pricing/quote", quote},
		{"category", "PUT", "/admin/categories/EDGE-1", `{"names":{"fr":"Bord"}}`},
		{"product", "PUT", "/admin/products/EDGE-1", string(product)},
		{"assortment", "PUT", "/admin/assortments/customer/C0001", `{"categories":["POMPES"]}`},
		{"storefront", "PUT", "/admin/storefronts/it", `{"host":"hydro-it.localhost","country":"IT","language":"it","currency":"EUR","mode":"open"}`},
		{"policy", "PUT", "/admin/pricing/policy", `{"policy":"best-price"}`},
		{"rule", "PUT", "/admin/pricing/rules/EDGE-1", `{"kind":"percent","percent":"5","target":{"family":"POMPES"}}`},
	}
	do := func(method, path, body string) response {
		if path == "/pricing/quote" {
			return cf.post(t, frHost, path, staff, body)
		}
		return af.do(t, af.admin, method, frHost, path, af.staff, body)
	}
	big := `{"names":{"fr":"` + strings.Repeat("a", 2<<20) + `"}}`
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			bad := []struct {
				body   string
				status int
				slug   string
			}{
				{w.valid + "}", 400, "invalid-body"},
				{w.valid + "]", 400, "invalid-body"},
				{w.valid + " \n}", 400, "invalid-body"},
				{w.valid + "{}", 400, "invalid-body"},
				{w.valid + "x", 400, "invalid-body"},
				{"null", 400, "invalid-body"},
				{" null ", 400, "invalid-body"},
				{"[]", 400, "invalid-body"},
				{`"text"`, 400, "invalid-body"},
				{w.valid[:len(w.valid)-1], 400, "invalid-body"},
				{big, 413, "payload-too-large"},
				{strings.Repeat(" ", 1<<20) + "{}", 413, "payload-too-large"},
			}
			for _, b := range bad {
				wantProblem(t, do(w.method, w.path, b.body), b.status, b.slug)
			}
			// Whitespace after the object is allowed: whatever the answer
			// (some bodies are refused for their content), it is not about
			// the body's shape.
			if r := do(w.method, w.path, w.valid+" \r\n\t"); r.status == 413 || bytes.Contains(r.body, []byte("/invalid-body")) || r.status >= 500 {
				t.Errorf("the valid body followed by whitespace: %d %s", r.status, r.body)
			}
		})
	}
}

// TestLambdaHandler_HostsThatMakeNoURLAre404sNotFunctionErrors proves that
// the Lambda entry of every API answers an event whose Host cannot even make
// a request URL (the adapter builds it from the domain name) with the 404
// unknown-storefront problem, not with a function error the gateway would
// turn into a 500.
func TestLambdaHandler_HostsThatMakeNoURLAre404sNotFunctionErrors(t *testing.T) {
	t.Parallel()
	fronts := &spyFronts{}
	hosts := []string{"hydro%2dfr.localhost", "hydro-fr.localhost%00", "[::1]:3300", "hydro-fr.localhost:3300:80", strings.Repeat("h", 100<<10)}
	for route, h := range edgeAPIs(fronts, nil, slog.New(slog.DiscardHandler)) {
		method, path, _ := strings.Cut(route, " ")
		handler := httpapi.LambdaHandler(h)
		for _, host := range hosts {
			req := httptest.NewRequest(method, path, strings.NewReader(`{}`))
			req.Host = host
			req.Header.Set("Content-Type", "application/json")
			ev := devstack.BuildRequest(req, []byte(`{}`), samtemplate.Route{Method: method, Path: path}, nil, time.Now())
			resp, err := handler(context.Background(), ev)
			if err != nil {
				t.Errorf("%s, Host %.30q: function error %v", route, host, err)
				continue
			}
			r := response{status: resp.StatusCode, header: http.Header{"Content-Type": {resp.Headers["Content-Type"]}}, body: []byte(resp.Body)}
			wantProblem(t, r, 404, "unknown-storefront")
			if len(resp.Body) > 1024 || resp.Headers[httpapi.CallsHeader] != "0" {
				t.Errorf("%s, Host %.30q: %d bytes, %s %q", route, host, len(resp.Body), httpapi.CallsHeader, resp.Headers[httpapi.CallsHeader])
			}
		}
	}
	if n := fronts.lookups.Load(); n != 0 {
		t.Errorf("%d storefront lookups", n)
	}
	t.Run("a good host reaches the pipeline", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/catalog/categories", nil)
		req.Host = "nope.example.fr:443"
		ev := devstack.BuildRequest(req, nil, samtemplate.Route{Method: "GET", Path: "/catalog/categories"}, nil, time.Now())
		h := edgeAPIs(fronts, nil, slog.New(slog.DiscardHandler))["GET /catalog/categories"]
		resp, err := httpapi.LambdaHandler(h)(context.Background(), ev)
		if err != nil || resp.StatusCode != 404 || fronts.lookups.Load() != 1 {
			t.Errorf("%d %v after %d lookups: %s", resp.StatusCode, err, fronts.lookups.Load(), resp.Body)
		}
	})
}
