package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

// openAPIFile is the published contract of the HTTP API.
const openAPIFile = "../../docs/openapi.yaml"

// contract is the parsed OpenAPI document and a validator built from it.
type contract struct {
	model     *v3.Document
	validator validator.Validator
}

var (
	contractOnce sync.Once
	contractDoc  *contract
	contractErr  error
)

// loadContract parses docs/openapi.yaml once per test binary.
func loadContract(t *testing.T) *contract {
	t.Helper()
	contractOnce.Do(func() {
		contractDoc, contractErr = parseContract(openAPIFile)
	})
	if contractErr != nil {
		t.Fatal(contractErr)
	}
	return contractDoc
}

func parseContract(file string) (*contract, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read contract: %w", err)
	}
	doc, err := libopenapi.NewDocument(src)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", file, err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator for %s: %w", file, errs[0])
	}
	return &contract{model: &model.Model, validator: v}, nil
}

// exchange is one request and the response the handler gave it.
type exchange struct {
	req *http.Request
	// body is the request's body, given afresh to each validation.
	body []byte
	resp response
}

// request is the exchange's request with its body unread.
func (e exchange) request() *http.Request {
	r := e.req.Clone(e.req.Context())
	r.Body = io.NopCloser(bytes.NewReader(e.body))
	r.ContentLength = int64(len(e.body))
	return r
}

// httpResponse rebuilds an *http.Response for the validator; its body can
// be read once.
func (e exchange) httpResponse() *http.Response {
	return &http.Response{
		StatusCode: e.resp.status,
		Header:     e.resp.header.Clone(),
		Body:       io.NopCloser(bytes.NewReader(e.resp.body)),
		Request:    e.request(),
	}
}

// call sends a GET through the fixture's helper and keeps a twin of the
// request for the validator.
func (f *catalogFixture) call(t *testing.T, host, path, token string, header ...string) exchange {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = host
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return exchange{req: req, resp: f.get(t, host, path, token, header...)}
}

// postQuote sends a quote request through the fixture's pricing handler and
// keeps a twin of the request for the validator.
func (f *catalogFixture) postQuote(t *testing.T, host, token, body string) exchange {
	t.Helper()
	const path = "/pricing/quote"
	req := httptest.NewRequest(http.MethodPost, path, nil)
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return exchange{req: req, body: []byte(body), resp: f.post(t, host, path, token, body)}
}

// violations validates the exchange against the contract: the request too
// when it is one the document allows, the response always.
func (c *contract) violations(e exchange, validRequest bool) []string {
	var (
		ok   bool
		errs []*liberrors.ValidationError
	)
	if validRequest {
		ok, errs = c.validator.ValidateHttpRequestResponse(e.request(), e.httpResponse())
	} else {
		ok, errs = c.validator.ValidateHttpResponse(e.request(), e.httpResponse())
	}
	if ok {
		return nil
	}
	return describe(errs)
}

func describe(errs []*liberrors.ValidationError) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		s := e.Message + ": " + e.Reason
		for _, f := range e.SchemaValidationErrors {
			s += fmt.Sprintf("\n\t\t%s %s", f.FieldPath, f.Reason)
		}
		out = append(out, s)
	}
	return out
}

func (c *contract) mustConform(t *testing.T, e exchange, validRequest bool) {
	t.Helper()
	if v := c.violations(e, validRequest); len(v) > 0 {
		t.Errorf("%s %s (Host %s) → %d does not conform to %s:\n\t%s\nbody: %s",
			e.req.Method, e.req.URL, e.req.Host, e.resp.status, openAPIFile, strings.Join(v, "\n\t"), e.resp.body)
	}
}

// mustRefuse checks that the document refuses a request the API refuses
// too, so that "outside the contract" is never a way around validation.
func (c *contract) mustRefuse(t *testing.T, e exchange) {
	t.Helper()
	if ok, _ := c.validator.ValidateHttpRequest(e.request()); ok {
		t.Errorf("the document accepts %s %s with body %.200s, which the API refuses", e.req.Method, e.req.URL, e.body)
	}
}

func TestOpenAPI_DocumentIsValidOpenAPI31(t *testing.T) {
	c := loadContract(t)
	if ok, errs := c.validator.ValidateDocument(); !ok {
		t.Fatalf("%s is not a valid OpenAPI document:\n\t%s", openAPIFile, strings.Join(describe(errs), "\n\t"))
	}
	if c.model.Version != "3.1.0" {
		t.Errorf("openapi %s, want 3.1.0", c.model.Version)
	}
	// Every problem type the code can produce is listed, and nothing else.
	listed := map[string]bool{}
	for _, n := range c.model.Components.Schemas.GetOrZero("ProblemType").Schema().Enum {
		listed[n.Value] = true
	}
	produced := problemSlugs(t)
	for _, want := range []string{"not-found", "invalid-lines", "invalid-body", "forbidden"} {
		if !slices.Contains(produced, want) {
			t.Fatalf("found no problem(…, %q, …) in the package source: the scan is broken (found %v)", want, produced)
		}
	}
	for _, slug := range produced {
		if !listed[httpapi.ProblemBase+slug] {
			t.Errorf("problem type %s is not listed", slug)
		}
		delete(listed, httpapi.ProblemBase+slug)
	}
	for extra := range listed {
		t.Errorf("listed problem type %s is produced by no code", extra)
	}
}

// problemSlugs lists the problem types the package's code builds: the slug
// argument of every problem(status, slug, title, detail) call in its
// non-test sources.
func problemSlugs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "problem" || len(call.Args) != 4 {
				return true
			}
			lit, ok := call.Args[1].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: problem type is not a string literal", fset.Position(call.Pos()))
				return true
			}
			slug, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(out, slug) {
				out = append(out, slug)
			}
			return true
		})
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIContract_CatalogResponsesConform sends real requests to the
// catalog handler over the demo data and validates each exchange against
// docs/openapi.yaml: status, headers and body.
func TestOpenAPIContract_CatalogResponsesConform(t *testing.T) {
	c := loadContract(t)
	f := newCatalogFixture(t)
	buyerTok := f.token(t, buyer)
	repTok := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep", Merchant: demo.Hydro, Rep: "R01"})
	otherMerchantTok := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Jardin})

	hosts := []struct{ name, host string }{
		{"closed", deHost}, {"partially open", frHost}, {"open", beHost}, {"second merchant", "jardin-fr.localhost"},
	}
	callers := []struct{ name, token string }{{"anonymous", ""}, {"buyer", buyerTok}, {"rep", repTok}}
	paths := []string{
		"/catalog/categories",
		"/catalog/categories?lang=en",
		"/catalog/categories/VANNES-BILLE/products",
		"/catalog/categories/VANNES-BILLE/products?limit=50&lang=en",
		"/catalog/categories/VANNES/products?limit=30",
		"/catalog/categories/POMPES-CHIMIE/products?limit=100",
		"/catalog/categories/SAV-ROUES/products?limit=3",
		"/catalog/categories/SEMIS/products?limit=100",
		"/catalog/products/" + demo.PumpRef,
		"/catalog/products/" + demo.SealKitRef + "?lang=en",
		"/catalog/products/VANNES-BILLE-101",
		"/catalog/products/SAV-ROUES-101",
		"/catalog/products/JS-001",
		// Whose prices: the buyer's own company, a customer of the rep's
		// portfolio, a customer of another rep (403 for buyer and rep;
		// ignored for anonymous visitors).
		"/catalog/products/" + demo.PumpRef + "?customer=C0001",
		"/catalog/categories/VANNES-BILLE/products?limit=50&customer=C0001",
		"/catalog/products/VANNES-BILLE-101?customer=C0008",
	}
	statuses := map[int]int{}
	for _, h := range hosts {
		for _, cl := range callers {
			if h.host == "jardin-fr.localhost" && cl.token != "" {
				continue // hydro's tokens are refused there: covered below
			}
			t.Run(h.name+"/"+cl.name, func(t *testing.T) {
				for _, p := range paths {
					e := f.call(t, h.host, p, cl.token)
					statuses[e.resp.status]++
					c.mustConform(t, e, true)
				}
				e := f.call(t, h.host, "/catalog/products/"+demo.SealKitRef, cl.token, "Accept-Language", "en-GB,en;q=0.8")
				c.mustConform(t, e, true)
			})
		}
	}
	if statuses[200] == 0 || statuses[401] == 0 || statuses[403] == 0 || statuses[404] == 0 {
		t.Errorf("the matrix should cover 200, 401, 403 and 404 answers: %v", statuses)
	}

	t.Run("every page of a category", func(t *testing.T) {
		for _, cl := range callers {
			cursor, pages := "", 0
			for {
				path := "/catalog/categories/VANNES-BILLE/products?limit=7"
				if cursor != "" {
					path += "&cursor=" + cursor
				}
				e := f.call(t, frHost, path, cl.token)
				if e.resp.status != http.StatusOK {
					t.Fatalf("%s page %d: %d %s", cl.name, pages, e.resp.status, e.resp.body)
				}
				c.mustConform(t, e, true)
				page := decode[httpapi.ProductPage](t, e.resp)
				pages++
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
			if pages < 2 {
				t.Errorf("%s: %d page(s), want several", cl.name, pages)
			}
		}
	})

	staffTok := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro})
	t.Run("staff, a customer's prices", func(t *testing.T) {
		for _, p := range []string{"/catalog/products/" + demo.PumpRef + "?customer=C0004", "/catalog/categories/POMPES-CENTRI/products?customer=C0002"} {
			e := f.call(t, frHost, p, staffTok)
			if e.resp.status != http.StatusOK {
				t.Fatalf("%s: %d %s", p, e.resp.status, e.resp.body)
			}
			c.mustConform(t, e, true)
		}
	})
	first := decode[httpapi.ProductPage](t, f.get(t, frHost, "/catalog/categories/VANNES-BILLE/products?limit=2", buyerTok))
	problems := []struct {
		name, host, path, token string
		header                  []string
		status                  int
		slug                    string
		// validRequest is false when the document itself forbids the
		// request (limit out of range): only the response is checked,
		// and the document must refuse the request too.
		validRequest bool
	}{
		{"unknown storefront", "shop.nowhere.test", "/catalog/categories", "", nil, 404, "unknown-storefront", true},
		{"unknown storefront, products", "shop.nowhere.test", "/catalog/categories/VANNES-BILLE/products", "", nil, 404, "unknown-storefront", true},
		{"unknown storefront, product", "shop.nowhere.test", "/catalog/products/" + demo.PumpRef, "", nil, 404, "unknown-storefront", true},
		{"closed, anonymous, categories", deHost, "/catalog/categories", "", nil, 401, "unauthenticated", true},
		{"closed, anonymous, products", deHost, "/catalog/categories/VANNES-BILLE/products", "", nil, 401, "unauthenticated", true},
		{"closed, anonymous, product", deHost, "/catalog/products/" + demo.PumpRef, "", nil, 401, "unauthenticated", true},
		{"other merchant's token", frHost, "/catalog/categories", otherMerchantTok, nil, 401, "invalid-token", true},
		{"tampered token", frHost, "/catalog/products/" + demo.PumpRef, buyerTok[:len(buyerTok)-4] + "AAAA", nil, 401, "invalid-token", true},
		{"garbage cursor", frHost, "/catalog/categories/VANNES-BILLE/products?cursor=eyJzIjoiMTIzIn0", buyerTok, nil, 400, "invalid-cursor", true},
		{"cursor of another query", frHost, "/catalog/categories/VANNES-PAPILLON/products?cursor=" + first.NextCursor, buyerTok, nil, 400, "invalid-cursor", true},
		{"cursor of another storefront", beHost, "/catalog/categories/VANNES-BILLE/products?cursor=" + first.NextCursor, buyerTok, nil, 400, "invalid-cursor", true},
		{"cursor of another caller", frHost, "/catalog/categories/VANNES-BILLE/products?cursor=" + first.NextCursor, "", nil, 400, "invalid-cursor", true},
		{"cursor that does not decode", frHost, "/catalog/categories/VANNES-BILLE/products?cursor=%%%%", buyerTok, nil, 400, "invalid-cursor", true},
		{"category outside the assortment", frHost, "/catalog/categories/POMPES/products", f.token(t, buyerOf(demo.AssortedCustomer)), nil, 404, "not-found", true},
		{"limit zero", frHost, "/catalog/categories/VANNES-BILLE/products?limit=0", buyerTok, nil, 400, "invalid-parameter", false},
		{"limit too big", frHost, "/catalog/categories/VANNES-BILLE/products?limit=101", "", nil, 400, "invalid-parameter", false},
		{"limit not a number", frHost, "/catalog/categories/VANNES-BILLE/products?limit=ten", "", nil, 400, "invalid-parameter", false},
		{"unknown category", frHost, "/catalog/categories/NOPE/products", buyerTok, nil, 404, "not-found", true},
		{"restricted family, anonymous", frHost, "/catalog/categories/SAV/products", "", nil, 404, "not-found", true},
		{"unknown product", frHost, "/catalog/products/NOPE-1", buyerTok, nil, 404, "not-found", true},
		{"other merchant's product", beHost, "/catalog/products/JS-001", "", nil, 404, "not-found", true},
		{"pro-only product, anonymous", beHost, "/catalog/products/POMPES-CHIMIE-101", "", nil, 404, "not-found", true},
		{"buyer naming another company", frHost, "/catalog/products/" + demo.PumpRef + "?customer=C0002", buyerTok, nil, 403, "forbidden", true},
		{"rep naming a customer of another rep", frHost, "/catalog/categories/VANNES-BILLE/products?customer=C0008", repTok, nil, 403, "forbidden", true},
		{"staff naming an unknown customer", frHost, "/catalog/products/" + demo.PumpRef + "?customer=C9999", staffTok, nil, 404, "not-found", true},
	}
	for _, p := range problems {
		t.Run("problem/"+p.name, func(t *testing.T) {
			e := f.call(t, p.host, p.path, p.token, p.header...)
			wantProblem(t, e.resp, p.status, p.slug)
			c.mustConform(t, e, p.validRequest)
			if !p.validRequest {
				if ok, _ := c.validator.ValidateHttpRequest(e.req); ok {
					t.Errorf("the document accepts %s, which the API refuses", p.path)
				}
			}
		})
	}

	// The admin function receives every path under /admin/ (its route is
	// ANY /admin/{proxy+}): its router answers these before any operation.
	// There is no operation to validate against, so the body is checked
	// against the document's reusable responses. Elsewhere the gateway
	// answers first (TestOpenAPIContract_GatewayAnswersAreDocumented).
	routerProblems := []struct {
		name, method, path, response string
		status                       int
		slug                         string
	}{
		{"method not allowed", http.MethodPost, "/admin/categories", "AdminMethodNotAllowed", 405, "method-not-allowed"},
		{"method not allowed on a product", http.MethodPost, "/admin/products/" + demo.PumpRef, "AdminMethodNotAllowed", 405, "method-not-allowed"},
		{"no route", http.MethodGet, "/admin/nothing", "AdminNoRoute", 404, "not-found"},
	}
	admin := adminRoutes(f.table)
	for _, p := range routerProblems {
		t.Run("problem/"+p.name, func(t *testing.T) {
			req := httptest.NewRequest(p.method, p.path, nil)
			req.Host = frHost
			req.Header.Set("Host", frHost)
			rec := httptest.NewRecorder()
			admin.ServeHTTP(rec, req)
			r := response{rec.Code, rec.Header(), rec.Body.Bytes()}
			wantProblem(t, r, p.status, p.slug)
			if v := c.reusableResponseViolations(p.response, r); len(v) > 0 {
				t.Errorf("%s %s → %d does not conform to #/components/responses/%s:\n\t%s", p.method, p.path, r.status, p.response, strings.Join(v, "\n\t"))
			}
		})
	}
}

// reusableResponseViolations checks a response against one of the
// document's components/responses: content type, body schema, required
// headers.
func (c *contract) reusableResponseViolations(name string, r response) []string {
	resp := c.model.Components.Responses.GetOrZero(name)
	if resp == nil {
		return []string{"the document has no response " + name}
	}
	ct := r.header.Get("Content-Type")
	media := resp.Content.GetOrZero(ct)
	if media == nil {
		return []string{fmt.Sprintf("content type %q is not documented", ct)}
	}
	var out []string
	if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(media.Schema.Schema(), r.body); !ok {
		out = append(out, describe(errs)...)
	}
	for h, hdr := range resp.Headers.FromOldest() {
		if hdr.Required && r.header.Get(h) == "" {
			out = append(out, "missing required header "+h)
		}
	}
	return out
}

// TestOpenAPIContract_DetectsDrift proves the contract test has teeth: real
// responses, altered the way a careless change to the views would alter
// them, must fail validation.
func TestOpenAPIContract_DetectsDrift(t *testing.T) {
	c := loadContract(t)
	f := newCatalogFixture(t)
	tok := f.token(t, buyer)
	product := f.call(t, frHost, "/catalog/products/"+demo.PumpRef, tok)
	if product.resp.status != http.StatusOK {
		t.Fatalf("%d %s", product.resp.status, product.resp.body)
	}
	c.mustConform(t, product, true)
	problem := f.call(t, deHost, "/catalog/categories", "")
	c.mustConform(t, problem, true)

	edit := func(e exchange, change func(m map[string]any)) exchange { return editBody(t, e, change) }
	drifts := []struct {
		name string
		e    exchange
	}{
		{"amount as a JSON number", edit(product, func(m map[string]any) { m["price"].(map[string]any)["amount"] = 1890.0 })},
		{"undocumented field", edit(product, func(m map[string]any) { m["stock"] = 12 })},
		{"required field dropped", edit(product, func(m map[string]any) { delete(m, "language") })},
		{"field renamed", edit(product, func(m map[string]any) { m["category_id"] = m["categoryId"]; delete(m, "categoryId") })},
		{"unknown packaging kind", edit(product, func(m map[string]any) {
			m["packagings"].([]any)[0].(map[string]any)["kind"] = "crate"
		})},
		{"undocumented problem type", edit(problem, func(m map[string]any) { m["type"] = httpapi.ProblemBase + "login-required" })},
		{"problem type of another status", edit(problem, func(m map[string]any) { m["type"] = httpapi.ProblemBase + "not-found" })},
		{"round-trip header dropped", func() exchange {
			e := product
			e.resp.header = e.resp.header.Clone()
			e.resp.header.Del(httpapi.CallsHeader)
			return e
		}()},
		{"JSON served as text", func() exchange {
			e := product
			e.resp.header = e.resp.header.Clone()
			e.resp.header.Set("Content-Type", "text/plain")
			return e
		}()},
		{"undocumented status", func() exchange {
			e := problem
			e.resp.status = http.StatusForbidden
			return e
		}()},
	}
	for _, d := range drifts {
		t.Run(d.name, func(t *testing.T) {
			if v := c.violations(d.e, true); len(v) == 0 {
				t.Errorf("a drifted response passed validation: %s", d.e.resp.body)
			}
		})
	}
}

// editBody returns the exchange with its response body decoded, changed
// and encoded again.
func editBody(t *testing.T, e exchange, change func(m map[string]any)) exchange {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.resp.body, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	e.resp.body = b
	e.resp.header = e.resp.header.Clone()
	return e
}

// quoteCoverage records what the validated quotes held, so that the test
// proves it validated every shape of the explanation.
type quoteCoverage map[string]bool

func (cv quoteCoverage) add(q httpapi.QuoteResponse) {
	cv["customer "+strconv.FormatBool(q.Customer != "")] = true
	for _, l := range q.Lines {
		cv["scope "+string(l.Source.Scope)] = true
		cv["line net "+strconv.FormatBool(l.Net)] = true
		cv["source net "+strconv.FormatBool(l.Source.Net)] = true
		for _, a := range l.Discounts {
			cv["kind "+a.Kind] = true
			cv["percent "+strconv.FormatBool(!a.Percent.IsZero())] = true
		}
		for _, n := range l.NotApplied {
			cv["not applied "+n.What] = true
		}
	}
}

// TestOpenAPIContract_PricingResponsesConform sends real quotes to the
// pricing handler over the demo data and validates each exchange against
// docs/openapi.yaml: the answers to buyers, a rep and staff over lines that
// cover every price source and discount of the demo, and every problem of
// the access matrix and of the bad-input cases.
func TestOpenAPIContract_PricingResponsesConform(t *testing.T) {
	c := loadContract(t)
	f := newCatalogFixture(t)
	rep1 := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep1", Merchant: demo.Hydro, Rep: "R01"})
	staff := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro})
	seen := quoteCoverage{}
	quote := func(t *testing.T, token string, req httpapi.QuoteRequest) {
		t.Helper()
		e := f.postQuote(t, frHost, token, quoteBody(t, req))
		if e.resp.status != http.StatusOK {
			t.Fatalf("%d %s", e.resp.status, e.resp.body)
		}
		c.mustConform(t, e, true)
		seen.add(decode[httpapi.QuoteResponse](t, e.resp))
	}

	cases := quoteCases(f)
	var all []pricing.Line
	var customers []string
	for _, qc := range cases {
		all = append(all, qc.line)
		if !slices.Contains(customers, qc.buyer) {
			customers = append(customers, qc.buyer)
		}
		t.Run("one line/"+qc.name, func(t *testing.T) {
			quote(t, f.token(t, buyerOf(qc.buyer)), httpapi.QuoteRequest{Lines: []pricing.Line{qc.line}})
		})
	}
	// Every line of every case in one quote, for each case's customer, as
	// its buyer, as its rep and as staff (with an explicit date and a
	// lower-case currency), and list prices for staff.
	for _, cust := range customers {
		t.Run("all lines/"+cust+"/buyer", func(t *testing.T) {
			quote(t, f.token(t, buyerOf(cust)), httpapi.QuoteRequest{Lines: all})
		})
		t.Run("all lines/"+cust+"/rep", func(t *testing.T) {
			quote(t, rep1, httpapi.QuoteRequest{Customer: cust, Lines: all})
		})
		t.Run("all lines/"+cust+"/staff", func(t *testing.T) {
			quote(t, staff, httpapi.QuoteRequest{Customer: cust, Currency: "eur", Date: fixtureDay.Format("2006-01-02"), Lines: all})
		})
	}
	t.Run("all lines/list prices/staff", func(t *testing.T) {
		quote(t, staff, httpapi.QuoteRequest{Lines: all})
	})
	for _, want := range []string{
		"customer true", "customer false",
		"scope customer", "scope buying-group", "scope price-category", "scope base",
		"line net true", "line net false", "source net true", "source net false",
		"kind source-quantity-break", "kind percent", "kind net-price", "kind packaging", "kind order-amount-tiers",
		"percent true", "percent false", "not applied source", "not applied rule",
	} {
		if !seen[want] {
			t.Errorf("no validated quote held %q: the cases no longer cover every shape of the explanation", want)
		}
	}

	for _, ac := range accessCases(t, f) {
		t.Run("access/"+ac.name, func(t *testing.T) {
			e := f.postQuote(t, frHost, ac.token, quoteBody(t, httpapi.QuoteRequest{Customer: ac.customer, Lines: accessLines}))
			if ac.slug != "" {
				wantProblem(t, e.resp, ac.status, ac.slug)
			} else if e.resp.status != ac.status {
				t.Fatalf("%d %s", e.resp.status, e.resp.body)
			}
			c.mustConform(t, e, !ac.outsideContract)
			if ac.outsideContract {
				c.mustRefuse(t, e)
			}
		})
	}
	tok := f.token(t, buyer)
	for _, bc := range badInputCases(t, f) {
		t.Run("bad input/"+bc.name, func(t *testing.T) {
			e := f.postQuote(t, frHost, tok, bc.body)
			wantProblem(t, e.resp, bc.status, bc.slug)
			c.mustConform(t, e, !bc.outsideContract)
			if bc.outsideContract {
				c.mustRefuse(t, e)
			}
		})
	}
}

// TestOpenAPIContract_GatewayAnswersAreDocumented sends, through the local
// API Gateway (devstack.Gateway, routes and authorizers from
// template.yaml), the requests the gateway answers itself, and checks each
// answer against the document: {"message": ...} bodies, documented for the
// operation where there is one (401 of the JWT authorizer, 413 over
// 10 MB), as a reusable response otherwise (no route, a method a path does
// not serve: 404, never 405).
func TestOpenAPIContract_GatewayAnswersAreDocumented(t *testing.T) {
	c := loadContract(t)
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	iss, err := auth.NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.StaticKeys(iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	g, err := devstack.NewGateway(devstack.GatewayConfig{
		Routes: tpl.Routes(), Functions: unreachableFunctions{t},
		Authorizer: &auth.Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: keys},
	})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := iss.Sign(identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.NewDevIssuer(iss.Issuer, iss.Audience)
	forged, _ := other.Sign(identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro}, time.Hour)
	huge := `{"lines":[` + strings.Repeat(" ", devstack.MaxPayload) + `]}`
	cases := []struct {
		name, method, path, token, body string
		status                          int
		message                         string
		// response is the reusable response to check against when the
		// answer belongs to no operation.
		response string
	}{
		{"no route", http.MethodGet, "/catalog/nothing", "", "", 404, "Not Found", "GatewayNotFound"},
		{"a method the path does not serve", http.MethodPost, "/catalog/categories", "", "{}", 404, "Not Found", "GatewayNotFound"},
		{"a method the product does not serve", http.MethodDelete, "/catalog/products/" + demo.PumpRef, "", "", 404, "Not Found", "GatewayNotFound"},
		{"GET on the quote", http.MethodGet, "/pricing/quote", staff, "", 404, "Not Found", "GatewayNotFound"},
		{"quote without a token", http.MethodPost, "/pricing/quote", "", "{}", 401, "Unauthorized", ""},
		{"quote with a forged token", http.MethodPost, "/pricing/quote", forged, "{}", 401, "Unauthorized", ""},
		{"admin write without a token", http.MethodPut, "/admin/categories/POMPES", "", "{}", 401, "Unauthorized", ""},
		{"admin read with a forged token", http.MethodGet, "/admin/storefronts", forged, "", 401, "Unauthorized", ""},
		{"admin path without a route, without a token", http.MethodGet, "/admin/nothing", "", "", 401, "Unauthorized", "TokenRequired"},
		{"quote over 10 MB", http.MethodPost, "/pricing/quote", staff, huge, 413, "Request Entity Too Large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.Host = frHost
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)
			r := response{rec.Code, rec.Header(), rec.Body.Bytes()}
			if r.status != tc.status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s: %.200s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if m := decode[map[string]string](t, r); len(m) != 1 || m["message"] != tc.message {
				t.Errorf("body %s, want {\"message\": %q}", r.body, tc.message)
			}
			if tc.response != "" {
				if v := c.reusableResponseViolations(tc.response, r); len(v) > 0 {
					t.Errorf("%s %s → %d does not conform to #/components/responses/%s:\n\t%s", tc.method, tc.path, r.status, tc.response, strings.Join(v, "\n\t"))
				}
				return
			}
			body := tc.body
			if len(body) > 1<<10 {
				body = "{}" // the validator need not read 10 MB of request
			}
			e := exchange{req: httptest.NewRequest(tc.method, tc.path, nil), body: []byte(body), resp: r}
			e.req.Host = frHost
			e.req.Header = req.Header.Clone()
			c.mustConform(t, e, false)
		})
	}
	t.Run("no operation promises a 405", func(t *testing.T) {
		for key, op := range documentedOperations(c.model) {
			if _, ok := op.Responses.Codes.Get("405"); ok {
				t.Errorf("%s documents a 405, which API Gateway never sends", key)
			}
		}
	})
}

// unreachableFunctions fails the test when the gateway calls a function:
// the gateway answers every request of the test itself.
type unreachableFunctions struct{ t *testing.T }

func (u unreachableFunctions) API(_ context.Context, folder string) (wiring.APIHandler, error) {
	u.t.Errorf("the gateway called the %s function", folder)
	return nil, fmt.Errorf("the %s function must not be called", folder)
}

// TestOpenAPIContract_DetectsPricingDrift proves the pricing half of the
// contract test has teeth: a real quote, altered the way a careless change
// to the engine's JSON would alter it, must fail validation.
func TestOpenAPIContract_DetectsPricingDrift(t *testing.T) {
	c := loadContract(t)
	f := newCatalogFixture(t)
	var lines []pricing.Line
	for _, qc := range quoteCases(f) {
		lines = append(lines, qc.line)
	}
	q := f.postQuote(t, frHost, f.token(t, buyer), quoteBody(t, httpapi.QuoteRequest{Lines: lines}))
	if q.resp.status != http.StatusOK {
		t.Fatalf("%d %s", q.resp.status, q.resp.body)
	}
	c.mustConform(t, q, true)
	invalid := f.postQuote(t, frHost, f.token(t, buyer), quoteBody(t, httpapi.QuoteRequest{Lines: []pricing.Line{{Ref: "NOPE", Quantity: 1}}}))
	c.mustConform(t, invalid, true)

	line := func(m map[string]any) map[string]any { return m["lines"].([]any)[0].(map[string]any) }
	drifts := map[string]exchange{
		"total as a JSON number":      editBody(t, q, func(m map[string]any) { m["total"] = 12.5 }),
		"undocumented price scope":    editBody(t, q, func(m map[string]any) { line(m)["source"].(map[string]any)["scope"] = "promotion" }),
		"explanation dropped":         editBody(t, q, func(m map[string]any) { delete(line(m), "notApplied") }),
		"source dropped":              editBody(t, q, func(m map[string]any) { delete(line(m), "source") }),
		"undocumented discount kind":  editBody(t, q, func(m map[string]any) { line(m)["discounts"].([]any)[0].(map[string]any)["kind"] = "coupon" }),
		"percent as a JSON number":    editBody(t, q, func(m map[string]any) { line(m)["discounts"].([]any)[0].(map[string]any)["percent"] = 5 }),
		"line error in a 200":         editBody(t, q, func(m map[string]any) { line(m)["error"] = map[string]any{"code": "no-price", "detail": "x"} }),
		"undocumented policy":         editBody(t, q, func(m map[string]any) { m["policy"] = "cheapest" }),
		"invalid lines without lines": editBody(t, invalid, func(m map[string]any) { delete(m, "errors") }),
		"invalid lines, bad field":    editBody(t, invalid, func(m map[string]any) { m["errors"].([]any)[0].(map[string]any)["field"] = "lines.0" }),
	}
	for name, e := range drifts {
		t.Run(name, func(t *testing.T) {
			if v := c.violations(e, true); len(v) == 0 {
				t.Errorf("a drifted response passed validation: %s", e.resp.body)
			}
		})
	}
}

// apiFunction is one API function: the source file and receiver of its
// Routes method, and whether its routes are public at the gateway.
type apiFunction struct {
	folder, file, receiver string
	// public routes take an optional token: no gateway authorizer, and the
	// document allows anonymous calls. The others need a bearer token.
	public bool
	// planned are routes template.yaml already sends to the function that
	// it does not serve yet; it answers them 404. Remove a route from here
	// when it is built and documented.
	planned []string
	// catchAll are the function's template.yaml routes that take any
	// method on a path (ANY /cart) or under a prefix (ANY
	// /admin/{proxy+}); its routes must be one of them or under one.
	catchAll []string
}

// coveredBy reports whether a route (METHOD /path) is one of the catch-all
// routes of a function: ANY on its path, or ANY on a {proxy+} prefix of it.
func coveredBy(route string, catchAll []string) bool {
	_, path, _ := strings.Cut(route, " ")
	for _, c := range catchAll {
		p := strings.TrimPrefix(c, "ANY ")
		if prefix, ok := strings.CutSuffix(p, "{proxy+}"); ok && strings.HasPrefix(path, prefix) || p == path {
			return true
		}
	}
	return false
}

// apiFunctions are the functions whose routes docs/openapi.yaml documents.
var apiFunctions = []apiFunction{
	{folder: "catalog", file: "catalog.go", receiver: "CatalogAPI", public: true},
	{folder: "pricing", file: "pricing.go", receiver: "PricingAPI"},
	{folder: "admin", file: "admin.go", receiver: "AdminAPI", catchAll: []string{"ANY /admin/{proxy+}"}},
	{folder: "cart", file: "cart.go", receiver: "CartAPI", catchAll: []string{"ANY /cart", "ANY /cart/{proxy+}"}},
	{folder: "checkout", file: "checkout.go", receiver: "CheckoutAPI"},
	{folder: "orders", file: "orders.go", receiver: "OrdersAPI", catchAll: []string{"ANY /orders/{proxy+}"}},
}

// TestOpenAPI_DocumentsEveryRoute checks that the routes the catalog and
// pricing routers register, the operations of docs/openapi.yaml and the
// functions' routes in template.yaml are the same set, and that each
// route's authentication agrees between the three.
func TestOpenAPI_DocumentsEveryRoute(t *testing.T) {
	c := loadContract(t)
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ops := documentedOperations(c.model)
	var router []string
	for _, af := range apiFunctions {
		patterns := routerPatterns(t, af.file, af.receiver)
		if len(patterns) == 0 {
			t.Fatalf("found no route in %s.Routes", af.receiver)
		}
		router = append(router, patterns...)

		fn, ok := tpl.Function(af.folder)
		if !ok {
			t.Fatalf("template.yaml has no %s function", af.folder)
		}
		var deployed []string
		for _, r := range fn.Routes {
			deployed = append(deployed, r.Key())
			switch {
			case af.public && r.Authorized():
				t.Errorf("%s has a gateway authorizer: the %s routes are public, their token optional", r.Key(), af.folder)
			case !af.public && !r.Authorized():
				t.Errorf("%s has no gateway authorizer: the %s routes need a bearer token", r.Key(), af.folder)
			}
		}
		slices.Sort(deployed)
		for _, r := range patterns {
			if !slices.Contains(deployed, r) && !coveredBy(r, af.catchAll) {
				t.Errorf("%s is served by the %s function but template.yaml does not route it there", r, af.folder)
			}
			op, ok := ops[r]
			if !ok {
				continue // reported below with the whole set
			}
			if optional := anonymousAllowed(c.model, op); optional != af.public {
				t.Errorf("%s: the document allows anonymous calls = %v, want %v", r, optional, af.public)
			}
		}
		for _, r := range deployed {
			switch {
			case slices.Contains(af.catchAll, r):
			case slices.Contains(patterns, r) && slices.Contains(af.planned, r):
				t.Errorf("%s is built: remove it from the planned routes of %s", r, af.folder)
			case !slices.Contains(patterns, r) && !slices.Contains(af.planned, r):
				t.Errorf("template.yaml routes %s to the %s function, which does not serve it", r, af.folder)
			}
		}
	}
	slices.Sort(router)
	documented := documentedRoutes(c.model)
	if !slices.Equal(router, documented) {
		t.Errorf("routers and document differ:\n\trouters:  %v\n\tdocument: %v", router, documented)
	}
	if !slices.Contains(router, "POST /pricing/quote") {
		t.Errorf("the pricing route is missing from the routers: %v", router)
	}
}

// anonymousAllowed reports whether an operation's security (or the
// document's, when the operation has none) lets a call without a token in.
func anonymousAllowed(doc *v3.Document, op *v3.Operation) bool {
	reqs := op.Security
	if reqs == nil {
		reqs = doc.Security
	}
	if len(reqs) == 0 {
		return true
	}
	for _, r := range reqs {
		if r.ContainsEmptyRequirement || r.Requirements == nil || r.Requirements.Len() == 0 {
			return true
		}
	}
	return false
}

// TestOpenAPI_RouterServesTheDocumentedRoutes checks the parsed router
// patterns against the running routers: every documented operation reaches
// the request pipeline (its answer carries the round-trip header, which the
// router's own 404 and 405 answers do not), and no other method on a
// documented path does.
func TestOpenAPI_RouterServesTheDocumentedRoutes(t *testing.T) {
	c := loadContract(t)
	f := newCatalogFixture(t)
	documented := documentedRoutes(c.model)
	param := regexp.MustCompile(`\{[^}]+\}`)
	for path := range c.model.Paths.PathItems.KeysFromOldest() {
		handler := f.handler
		if strings.HasPrefix(path, "/pricing/") {
			handler = f.pricing
		}
		if strings.HasPrefix(path, "/admin/") {
			handler = adminRoutes(f.table)
		}
		for prefix, h := range orderingRoutes(f.table) {
			if path == prefix || strings.HasPrefix(path, prefix+"/") {
				handler = h
			}
		}
		concrete := param.ReplaceAllString(path, "X-1")
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			req := httptest.NewRequest(m, concrete, nil)
			req.Header.Set("Host", frHost)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			served := rec.Header().Get(httpapi.CallsHeader) != ""
			want := slices.Contains(documented, m+" "+path) ||
				m == http.MethodHead && slices.Contains(documented, http.MethodGet+" "+path) // ServeMux serves HEAD with GET
			if served != want {
				t.Errorf("%s %s: served by an operation = %v, documented = %v (status %d)", m, concrete, served, want, rec.Code)
			}
		}
	}
}

// documentedOperations maps "METHOD /path" to the document's operation.
func documentedOperations(doc *v3.Document) map[string]*v3.Operation {
	out := map[string]*v3.Operation{}
	for path, item := range doc.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			out[strings.ToUpper(method)+" "+path] = op
		}
	}
	return out
}

// documentedRoutes lists "METHOD /path" for every operation of the document.
func documentedRoutes(doc *v3.Document) []string {
	var out []string
	for path, item := range doc.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().KeysFromOldest() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// routerPatterns reads the patterns receiver.Routes registers from its
// source file, so that a route added there without documentation fails.
func routerPatterns(t *testing.T, fileName, receiver string) []string {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, fileName, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Routes" || fn.Recv == nil || receiverName(fn.Recv) != receiver {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			// rt.Handle(pattern, handler): a Handle on a plain variable,
			// not a.Pipeline.Handle(h).
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Handle" || len(call.Args) != 2 {
				return true
			}
			if _, onVar := sel.X.(*ast.Ident); !onVar {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: route pattern is not a string literal", fset.Position(call.Pos()))
				return true
			}
			pattern, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, pattern)
			return true
		})
	}
	slices.Sort(out)
	return out
}

// receiverName is the type name of a method's receiver, pointer or not.
func receiverName(recv *ast.FieldList) string {
	if len(recv.List) != 1 {
		return ""
	}
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// orderingRoutes are the routers of the cart, checkout and orders
// functions over tbl, by path prefix, without a token verifier, for tests
// that only call them anonymously (the router coverage).
func orderingRoutes(tbl dynamo.Table) map[string]http.Handler {
	pipeline := func() *httpapi.Pipeline {
		return &httpapi.Pipeline{Storefronts: &dynamo.Storefronts{Table: tbl}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	}
	return map[string]http.Handler{
		"/cart":     (&httpapi.CartAPI{Pipeline: pipeline(), Quoter: &pricing.Quoter{}}).Routes(),
		"/checkout": (&httpapi.CheckoutAPI{Pipeline: pipeline(), Quoter: &pricing.Quoter{}}).Routes(),
		"/orders":   (&httpapi.OrdersAPI{Pipeline: pipeline()}).Routes(),
	}
}
