package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"go.yaml.in/yaml/v3"

	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/wiring"
)

// MaxPayload is API Gateway's request payload limit.
const MaxPayload = 10 << 20

// TokenVerifier checks a bearer token as the JWT authorizer would.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (identity.Caller, error)
}

// GatewayConfig configures the API Gateway emulator.
type GatewayConfig struct {
	// Routes are the template's HTTP API routes with their functions.
	Routes []samtemplate.FunctionRoute
	// Functions gives each route's handler.
	Functions APIInvoker
	// Authorizer verifies the bearer token of routes that need the JWT
	// authorizer; without it every such route answers 401.
	Authorizer TokenVerifier
	// JWKS, when set, serves GET /.well-known/jwks.json.
	JWKS http.Handler
	// OpenAPIFile, when the file exists, is served as GET /openapi.yaml and
	// converted to GET /openapi.json.
	OpenAPIFile string
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// Now is the clock of the request context; time.Now when nil.
	Now func() time.Time
}

// Gateway plays API Gateway (HTTP API, payload format 2.0) in front of the
// API functions: route matching, the JWT authorizer, the event sent to the
// function and the response written back.
type Gateway struct {
	cfg    GatewayConfig
	routes []compiledRoute
}

var _ http.Handler = (*Gateway)(nil)

// NewGateway compiles the routes.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Functions == nil {
		return nil, errors.New("gateway: no functions")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg}
	seen := map[string]string{}
	for _, r := range cfg.Routes {
		cr, err := compileRoute(r)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		if prev, dup := seen[r.Key()]; dup {
			return nil, fmt.Errorf("gateway: route %s is served by both %s and %s", r.Key(), prev, r.Function)
		}
		seen[r.Key()] = r.Function
		g.routes = append(g.routes, cr)
	}
	return g, nil
}

// segment kinds, in increasing specificity.
const (
	segGreedy = iota
	segParam
	segLiteral
)

type segment struct {
	kind int
	text string // literal text or parameter name
}

type compiledRoute struct {
	samtemplate.FunctionRoute
	segs []segment
}

func compileRoute(r samtemplate.FunctionRoute) (compiledRoute, error) {
	cr := compiledRoute{FunctionRoute: r}
	if !strings.HasPrefix(r.Path, "/") {
		return cr, fmt.Errorf("route %s: path must start with /", r.Key())
	}
	parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return cr, fmt.Errorf("route %s: a greedy variable must be last", r.Key())
			}
			cr.segs = append(cr.segs, segment{kind: segGreedy, text: p[1 : len(p)-2]})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			cr.segs = append(cr.segs, segment{kind: segParam, text: p[1 : len(p)-1]})
		default:
			cr.segs = append(cr.segs, segment{kind: segLiteral, text: p})
		}
	}
	return cr, nil
}

// match returns the path parameters when the route serves path (split into
// decoded segments).
func (cr compiledRoute) match(segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, s := range cr.segs {
		if s.kind == segGreedy {
			rest := strings.Join(segs[i:], "/")
			if i >= len(segs) || rest == "" {
				return nil, false
			}
			params[s.text] = rest
			return params, true
		}
		if i >= len(segs) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if segs[i] != s.text {
				return nil, false
			}
		case segParam:
			if segs[i] == "" {
				return nil, false
			}
			params[s.text] = segs[i]
		}
	}
	if len(segs) != len(cr.segs) {
		return nil, false
	}
	return params, true
}

// moreSpecific reports whether a should win over b when both match: the
// first segment where they differ decides (literal over {param} over
// {greedy+}), then the longer route, then a method over ANY.
func moreSpecific(a, b compiledRoute) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind > b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return a.Method != "ANY" && b.Method == "ANY"
}

// Route finds the route that serves method and rawPath (the path as sent,
// still escaped) the way HTTP API does, with its decoded path parameters: an
// escaped slash (%2F) stays inside its segment.
func (g *Gateway) Route(method, rawPath string) (samtemplate.FunctionRoute, map[string]string, bool) {
	segs := strings.Split(strings.TrimPrefix(rawPath, "/"), "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil {
			return samtemplate.FunctionRoute{}, nil, false
		}
		segs[i] = d
	}
	var best *compiledRoute
	var bestParams map[string]string
	for i := range g.routes {
		cr := &g.routes[i]
		if cr.Method != "ANY" && cr.Method != method {
			continue
		}
		params, ok := cr.match(segs)
		if !ok {
			continue
		}
		if best == nil || moreSpecific(*cr, *best) {
			best, bestParams = cr, params
		}
	}
	if best == nil {
		return samtemplate.FunctionRoute{}, nil, false
	}
	return best.FunctionRoute, bestParams, true
}

// ServeHTTP serves one request as API Gateway would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.cfg.Now()
	status, routeKey := g.serve(w, r, start)
	g.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "gateway",
		slog.String("host", logging.Truncate(r.Host, logging.MaxEcho)), slog.String("method", logging.Truncate(r.Method, logging.MaxEcho)),
		slog.String("path", logging.Truncate(r.URL.Path, logging.MaxField)),
		slog.String("route", routeKey), slog.Int("status", status),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, start time.Time) (int, string) {
	if r.Method == http.MethodGet {
		switch r.URL.Path {
		case "/.well-known/jwks.json":
			if g.cfg.JWKS != nil {
				g.cfg.JWKS.ServeHTTP(w, r)
				return http.StatusOK, "jwks"
			}
		case "/openapi.yaml", "/openapi.json":
			if status, ok := g.serveOpenAPI(w, r.URL.Path); ok {
				return status, "openapi"
			}
		}
	}
	route, params, ok := g.Route(r.Method, r.URL.EscapedPath())
	if !ok {
		return gatewayError(w, http.StatusNotFound, "Not Found"), ""
	}
	var claims map[string]string
	var scopes []string
	if route.Authorized() {
		var err error
		claims, scopes, err = g.authorize(r)
		if err != nil {
			g.cfg.Logger.InfoContext(r.Context(), "authorizer refused the token", slog.String("route", route.Key()), slog.String("reason", err.Error()))
			w.Header().Set("Www-Authenticate", `Bearer error="invalid_token"`)
			return gatewayError(w, http.StatusUnauthorized, "Unauthorized"), route.Key()
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPayload))
	if err != nil {
		return gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), route.Key()
	}
	ev := BuildRequest(r, body, route.Route, params, start)
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes},
		}
	}
	h, err := g.cfg.Functions.API(r.Context(), route.Function)
	if err != nil {
		g.cfg.Logger.ErrorContext(r.Context(), "function init failed", slog.String("function", route.Function), slog.String("error", err.Error()))
		return gatewayError(w, http.StatusInternalServerError, "Internal Server Error"), route.Key()
	}
	resp, err := invokeAPI(r.Context(), h, ev)
	if err != nil {
		g.cfg.Logger.ErrorContext(r.Context(), "function failed", slog.String("function", route.Function), slog.String("error", err.Error()))
		return gatewayError(w, http.StatusInternalServerError, "Internal Server Error"), route.Key()
	}
	w.Header().Set("Apigw-Requestid", ev.RequestContext.RequestID)
	return WriteResponse(w, resp), route.Key()
}

// authorize checks the Authorization header like the HTTP API JWT
// authorizer and returns the token's claims as API Gateway passes them.
func (g *Gateway) authorize(r *http.Request) (map[string]string, []string, error) {
	if g.cfg.Authorizer == nil {
		return nil, nil, errors.New("no authorizer configured")
	}
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return nil, nil, errors.New("no Authorization header")
	}
	token := h
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	}
	if _, err := g.cfg.Authorizer.Verify(r.Context(), token); err != nil {
		return nil, nil, err
	}
	raw := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, raw); err != nil {
		return nil, nil, fmt.Errorf("read claims: %w", err)
	}
	claims := make(map[string]string, len(raw))
	for k, v := range raw {
		claims[k] = claimString(v)
	}
	var scopes []string
	if s, ok := raw["scope"].(string); ok && s != "" {
		scopes = strings.Fields(s)
	}
	return claims, scopes, nil
}

// claimString renders a claim the way API Gateway does in the request
// context: strings as they are, numbers without exponent, lists in brackets.
func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, claimString(e))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// BuildRequest builds the payload format 2.0 event API Gateway sends for r,
// matched to route with path parameters params.
func BuildRequest(r *http.Request, body []byte, route samtemplate.Route, params map[string]string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	host := r.Host
	headers["host"] = host
	if r.ContentLength > 0 {
		headers["content-length"] = strconv.FormatInt(r.ContentLength, 10)
	}
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = "http"
	if r.TLS != nil {
		headers["x-forwarded-proto"] = "https"
	}
	if _, port, err := net.SplitHostPort(host); err == nil {
		headers["x-forwarded-port"] = port
	}

	var cookies []string
	for _, c := range r.Header.Values("Cookie") {
		for _, part := range strings.Split(c, ";") {
			if part = strings.TrimSpace(part); part != "" {
				cookies = append(cookies, part)
			}
		}
	}
	var query map[string]string
	if values, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(values) > 0 {
		query = make(map[string]string, len(values))
		for k, vs := range values {
			query[k] = strings.Join(vs, ",")
		}
	}
	if len(params) == 0 {
		params = nil
	}
	domain := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		domain = h
	}
	prefix, _, _ := strings.Cut(domain, ".")
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key(),
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    newRequestID(),
			APIID:        "local",
			DomainName:   domain,
			DomainPrefix: prefix,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isText reports whether API Gateway passes a body of this type as text.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/x-www-form-urlencoded", mt == "application/javascript",
		mt == "application/graphql", mt == "application/yaml":
		return true
	}
	return false
}

// invokeAPI calls h the way the Lambda runtime would: the event and the
// response cross a JSON boundary, and a panic is a failed invocation.
func invokeAPI(ctx context.Context, h wiring.APIHandler, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
	var in events.APIGatewayV2HTTPRequest
	if err := jsonRoundTrip(ev, &in); err != nil {
		return resp, fmt.Errorf("encode event: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	out, err := h(ctx, in)
	if err != nil {
		return resp, err
	}
	if err := jsonRoundTrip(out, &resp); err != nil {
		return resp, fmt.Errorf("encode response: %w", err)
	}
	return resp, nil
}

func jsonRoundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// WriteResponse writes a function's payload 2.0 response and returns the
// status written.
func WriteResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) int {
	h := w.Header()
	keys := make([]string, 0, len(resp.Headers))
	for k := range resp.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Set(k, resp.Headers[k])
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			h.Del("Content-Type")
			return gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		}
		body = b
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// gatewayError writes API Gateway's own error body, {"message": "..."}.
func gatewayError(w http.ResponseWriter, status int, message string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
	return status
}

func (g *Gateway) serveOpenAPI(w http.ResponseWriter, path string) (int, bool) {
	if g.cfg.OpenAPIFile == "" {
		return 0, false
	}
	src, err := os.ReadFile(g.cfg.OpenAPIFile)
	if err != nil {
		return 0, false
	}
	if filepath.Ext(path) == ".yaml" {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(src)
		return http.StatusOK, true
	}
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return gatewayError(w, http.StatusInternalServerError, "openapi.yaml does not parse: "+err.Error()), true
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(stringKeys(doc)); err != nil {
		return http.StatusInternalServerError, true
	}
	return http.StatusOK, true
}

// stringKeys turns the maps YAML decodes with non-string keys (status
// codes such as 200 under responses) into JSON objects.
func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
		return x
	}
	return v
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
