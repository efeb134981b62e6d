package devstack_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/devstack"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tpl, err := samtemplate.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// recordingFunctions answers every API function with a handler that records
// the event and echoes its route key.
type recordingFunctions struct {
	mu     sync.Mutex
	events map[string][]events.APIGatewayV2HTTPRequest
	reply  func(events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
}

func (rf *recordingFunctions) API(_ context.Context, folder string) (wiring.APIHandler, error) {
	return func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		rf.mu.Lock()
		if rf.events == nil {
			rf.events = map[string][]events.APIGatewayV2HTTPRequest{}
		}
		rf.events[folder] = append(rf.events[folder], ev)
		rf.mu.Unlock()
		if rf.reply != nil {
			return rf.reply(ev)
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{"route":"` + ev.RouteKey + `"}`,
			Headers: map[string]string{"Content-Type": "application/json"}}, nil
	}, nil
}

func (rf *recordingFunctions) last(t *testing.T, folder string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	rf.mu.Lock()
	defer rf.mu.Unlock()
	evs := rf.events[folder]
	if len(evs) == 0 {
		t.Fatalf("function %s was not invoked", folder)
	}
	return evs[len(evs)-1]
}

func (rf *recordingFunctions) count() int {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	n := 0
	for _, evs := range rf.events {
		n += len(evs)
	}
	return n
}

func newGateway(t *testing.T, fns devstack.APIInvoker) (*devstack.Gateway, *auth.DevIssuer) {
	t.Helper()
	iss, err := auth.NewDevIssuer("http://127.0.0.1/dev-issuer", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.StaticKeys(iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	openapi := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(openapi, []byte("openapi: 3.1.0\ninfo:\n  title: Comptoir\n  version: \"1\"\npaths:\n  /x:\n    get:\n      responses:\n        200:\n          description: ok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gw, err := devstack.NewGateway(devstack.GatewayConfig{
		Routes:      loadTemplate(t).Routes(),
		Functions:   fns,
		Authorizer:  &auth.Verifier{Issuer: iss.Issuer, Audience: iss.Audience, Keys: keys},
		JWKS:        iss,
		OpenAPIFile: openapi,
		Now:         func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return gw, iss
}

func TestGateway_RouteMatchingFollowsHTTPAPI(t *testing.T) {
	t.Parallel()
	gw, _ := newGateway(t, &recordingFunctions{})
	tests := []struct {
		method, path string
		wantKey      string
		wantFn       string
		wantParams   map[string]string
	}{
		{"GET", "/catalog/categories", "GET /catalog/categories", "catalog", nil},
		{"GET", "/catalog/categories/pumps/products", "GET /catalog/categories/{categoryId}/products", "catalog", map[string]string{"categoryId": "pumps"}},
		{"GET", "/catalog/products/P-100", "GET /catalog/products/{ref}", "catalog", map[string]string{"ref": "P-100"}},
		{"GET", "/catalog/search", "GET /catalog/search", "catalog", nil},
		{"POST", "/pricing/quote", "POST /pricing/quote", "pricing", nil},
		{"DELETE", "/cart", "ANY /cart", "cart", nil},
		{"PUT", "/cart/lines/3", "ANY /cart/{proxy+}", "cart", map[string]string{"proxy": "lines/3"}},
		{"POST", "/checkout", "POST /checkout", "checkout", nil},
		{"GET", "/orders", "GET /orders", "orders", nil},
		{"GET", "/orders/O-1/lines", "ANY /orders/{proxy+}", "orders", map[string]string{"proxy": "O-1/lines"}},
		{"POST", "/reps/customers/C1/switch", "ANY /reps/{proxy+}", "reps", map[string]string{"proxy": "customers/C1/switch"}},
		{"GET", "/admin/import-jobs", "ANY /admin/{proxy+}", "admin", map[string]string{"proxy": "import-jobs"}},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r, params, ok := gw.Route(tc.method, tc.path)
			if !ok {
				t.Fatal("no route")
			}
			if r.Key() != tc.wantKey || r.Function != tc.wantFn {
				t.Errorf("got %s (%s), want %s (%s)", r.Key(), r.Function, tc.wantKey, tc.wantFn)
			}
			if len(params) != len(tc.wantParams) {
				t.Errorf("params %v, want %v", params, tc.wantParams)
			}
			for k, v := range tc.wantParams {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
	for _, miss := range []struct{ method, path string }{
		{"POST", "/catalog/categories"}, // method not routed
		{"GET", "/catalog/products"},    // {ref} needs a segment
		{"GET", "/catalog/products/"},   // nor an empty one
		{"GET", "/reps"},                // {proxy+} needs at least one segment
		{"POST", "/orders"},             // only GET /orders
		{"GET", "/nowhere"},
	} {
		if r, _, ok := gw.Route(miss.method, miss.path); ok {
			t.Errorf("%s %s matched %s", miss.method, miss.path, r.Key())
		}
	}
}

func TestGateway_MostSpecificRouteWins(t *testing.T) {
	t.Parallel()
	routes := []samtemplate.FunctionRoute{
		{Function: "greedy", Route: samtemplate.Route{Method: "ANY", Path: "/a/{proxy+}"}},
		{Function: "param", Route: samtemplate.Route{Method: "ANY", Path: "/a/{id}"}},
		{Function: "literal-any", Route: samtemplate.Route{Method: "ANY", Path: "/a/b"}},
		{Function: "literal-get", Route: samtemplate.Route{Method: "GET", Path: "/a/b"}},
		{Function: "param-deeper", Route: samtemplate.Route{Method: "GET", Path: "/a/{id}/c"}},
	}
	gw, err := devstack.NewGateway(devstack.GatewayConfig{Routes: routes, Functions: &recordingFunctions{}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ method, path, want string }{
		{"GET", "/a/b", "literal-get"},
		{"POST", "/a/b", "literal-any"},
		{"GET", "/a/x", "param"},
		{"GET", "/a/x/c", "param-deeper"},
		{"POST", "/a/x/c", "greedy"},
		{"GET", "/a/x/y/z", "greedy"},
	}
	for _, tc := range tests {
		r, _, ok := gw.Route(tc.method, tc.path)
		if !ok || r.Function != tc.want {
			t.Errorf("%s %s -> %q (matched %v), want %s", tc.method, tc.path, r.Function, ok, tc.want)
		}
	}
	if _, err := devstack.NewGateway(devstack.GatewayConfig{Functions: &recordingFunctions{}, Routes: append(routes, routes[0])}); err == nil {
		t.Error("duplicate route accepted")
	}
}

func TestGateway_BuildsPayloadV2Events(t *testing.T) {
	t.Parallel()
	fns := &recordingFunctions{}
	gw, _ := newGateway(t, fns)
	req := httptest.NewRequest("GET", "/catalog/products/P%2F100?lang=fr&tag=a&tag=b", nil)
	req.Host = "hydro-fr.localhost:3000"
	req.RemoteAddr = "127.0.0.1:54321"
	req.Header.Set("User-Agent", "curl/8")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Cookie", "a=1; b=2")
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	ev := fns.last(t, "catalog")
	checks := []struct{ name, got, want string }{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "GET /catalog/products/{ref}"},
		{"rawPath", ev.RawPath, "/catalog/products/P%2F100"},
		{"rawQueryString", ev.RawQueryString, "lang=fr&tag=a&tag=b"},
		{"query lang", ev.QueryStringParameters["lang"], "fr"},
		{"query tag", ev.QueryStringParameters["tag"], "a,b"},
		{"path ref", ev.PathParameters["ref"], "P/100"},
		{"host header", ev.Headers["host"], "hydro-fr.localhost:3000"},
		{"multi header", ev.Headers["x-multi"], "one,two"},
		{"user-agent header", ev.Headers["user-agent"], "curl/8"},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"domain", ev.RequestContext.DomainName, "hydro-fr.localhost"},
		{"domain prefix", ev.RequestContext.DomainPrefix, "hydro-fr"},
		{"context routeKey", ev.RequestContext.RouteKey, "GET /catalog/products/{ref}"},
		{"method", ev.RequestContext.HTTP.Method, "GET"},
		{"path", ev.RequestContext.HTTP.Path, "/catalog/products/P/100"},
		{"source ip", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"user agent", ev.RequestContext.HTTP.UserAgent, "curl/8"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if _, ok := ev.Headers["cookie"]; ok {
		t.Error("cookie header passed on; payload v2 moves it to cookies")
	}
	if strings.Join(ev.Cookies, "|") != "a=1|b=2" {
		t.Errorf("cookies %v", ev.Cookies)
	}
	if ev.RequestContext.RequestID == "" || ev.RequestContext.TimeEpoch != time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("request id %q, epoch %d", ev.RequestContext.RequestID, ev.RequestContext.TimeEpoch)
	}
	if ev.RequestContext.Authorizer != nil {
		t.Error("public route got authorizer claims")
	}
	if rec.Header().Get("Apigw-Requestid") != ev.RequestContext.RequestID {
		t.Error("no Apigw-Requestid response header")
	}
}

func TestGateway_Bodies(t *testing.T) {
	t.Parallel()
	fns := &recordingFunctions{}
	gw, iss := newGateway(t, fns)
	token := sign(t, iss, identity.Caller{Role: identity.Buyer, Subject: "u1", Merchant: "hydro", Customer: "C1"})
	tests := []struct {
		name, contentType string
		body              []byte
		wantBody          string
		wantB64           bool
	}{
		{"json", "application/json; charset=utf-8", []byte(`{"q":1}`), `{"q":1}`, false},
		{"problem json", "application/merge-patch+json", []byte(`{"q":2}`), `{"q":2}`, false},
		{"text", "text/csv", []byte("a;b\n"), "a;b\n", false},
		{"binary", "application/octet-stream", []byte{0, 1, 2, 255}, base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}), true},
		{"no type", "", []byte("x"), base64.StdEncoding.EncodeToString([]byte("x")), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/pricing/quote", strings.NewReader(string(tc.body)))
			req.Host = "hydro-fr.localhost"
			req.Header.Set("Authorization", "Bearer "+token)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			ev := fns.last(t, "pricing")
			if ev.Body != tc.wantBody || ev.IsBase64Encoded != tc.wantB64 {
				t.Errorf("body %q base64=%v, want %q base64=%v", ev.Body, ev.IsBase64Encoded, tc.wantBody, tc.wantB64)
			}
		})
	}
}

func sign(t *testing.T, iss *auth.DevIssuer, c identity.Caller) string {
	t.Helper()
	tok, err := iss.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestGateway_JWTAuthorizer(t *testing.T) {
	t.Parallel()
	fns := &recordingFunctions{}
	gw, iss := newGateway(t, fns)
	other, err := auth.NewDevIssuer(iss.Issuer, iss.Audience)
	if err != nil {
		t.Fatal(err)
	}
	buyer := identity.Caller{Role: identity.Buyer, Subject: "u1", Merchant: "hydro", Customer: "C1"}
	now := time.Now()
	expired, err := iss.SignClaims(auth.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: iss.Issuer, Subject: "u1", Audience: jwt.ClaimStrings{iss.Audience},
		IssuedAt: jwt.NewNumericDate(now.Add(-2 * time.Hour)), ExpiresAt: jwt.NewNumericDate(now.Add(-time.Hour)),
	}, Merchant: "hydro", Role: "buyer", Customer: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	wrongAudience, err := iss.SignClaims(auth.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: iss.Issuer, Subject: "u1", Audience: jwt.ClaimStrings{"someone-else"},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	}, Merchant: "hydro", Role: "buyer", Customer: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, authz string
		want                      int
	}{
		{"no token", "POST", "/checkout", "", 401},
		{"not a jwt", "POST", "/checkout", "Bearer nope", 401},
		{"other key", "POST", "/checkout", "Bearer " + sign(t, other, buyer), 401},
		{"expired", "GET", "/orders", "Bearer " + expired, 401},
		{"wrong audience", "GET", "/orders", "Bearer " + wrongAudience, 401},
		{"valid", "POST", "/checkout", "Bearer " + sign(t, iss, buyer), 200},
		{"valid without scheme", "GET", "/orders", sign(t, iss, buyer), 200},
		{"public route ignores the authorizer", "GET", "/catalog/categories", "Bearer nope", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := fns.count()
			req := httptest.NewRequest(tc.method, tc.path, nil)
			if tc.authz != "" {
				req.Header.Set("Authorization", tc.authz)
			}
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			invoked := fns.count() > before
			if tc.want == 401 {
				if invoked {
					t.Error("function invoked despite the authorizer refusing the token")
				}
				if strings.TrimSpace(rec.Body.String()) != `{"message":"Unauthorized"}` {
					t.Errorf("body %s", rec.Body)
				}
				return
			}
			if !invoked {
				t.Error("function not invoked")
			}
		})
	}
	ev := fns.last(t, "checkout")
	if ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.JWT == nil {
		t.Fatal("no JWT claims in the request context")
	}
	claims := ev.RequestContext.Authorizer.JWT.Claims
	if claims["sub"] != "u1" || claims[auth.ClaimMerchant] != "hydro" || claims[auth.ClaimRole] != "buyer" || claims[auth.ClaimCustomer] != "C1" || claims["iss"] != iss.Issuer {
		t.Errorf("claims %v", claims)
	}
}

func TestGateway_ErrorsAndResponses(t *testing.T) {
	t.Parallel()
	fns := &recordingFunctions{reply: func(ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		switch ev.RawPath {
		case "/catalog/search":
			return events.APIGatewayV2HTTPResponse{}, errors.New("boom")
		case "/catalog/categories":
			return events.APIGatewayV2HTTPResponse{
				StatusCode:        201,
				Headers:           map[string]string{"Content-Type": "image/png", "X-One": "1"},
				MultiValueHeaders: map[string][]string{"X-Many": {"a", "b"}},
				Cookies:           []string{"s=1; HttpOnly", "t=2"},
				Body:              base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G'}),
				IsBase64Encoded:   true,
			}, nil
		}
		panic("unexpected")
	}}
	gw, _ := newGateway(t, fns)
	srv := httptest.NewServer(gw)
	defer srv.Close()

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	resp, body := get("/catalog/categories")
	if resp.StatusCode != 201 || body != "\x89PNG" || resp.Header.Get("Content-Type") != "image/png" ||
		resp.Header.Get("X-One") != "1" || strings.Join(resp.Header.Values("X-Many"), ",") != "a,b" ||
		strings.Join(resp.Header.Values("Set-Cookie"), "|") != "s=1; HttpOnly|t=2" {
		t.Errorf("response %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = get("/catalog/search")
	if resp.StatusCode != 500 || strings.TrimSpace(body) != `{"message":"Internal Server Error"}` {
		t.Errorf("handler error: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/catalog/products/x") // the reply panics
	if resp.StatusCode != 500 {
		t.Errorf("handler panic: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/no/such/route")
	if resp.StatusCode != 404 || strings.TrimSpace(body) != `{"message":"Not Found"}` {
		t.Errorf("unmatched: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/.well-known/jwks.json")
	var set auth.KeySet
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &set) != nil || len(set.Keys) != 1 {
		t.Errorf("jwks: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/openapi.json")
	var doc map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil || doc["openapi"] != "3.1.0" {
		t.Errorf("openapi.json: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/openapi.yaml")
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "openapi: 3.1.0") {
		t.Errorf("openapi.yaml: %d %s", resp.StatusCode, body)
	}
}
