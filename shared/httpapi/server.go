package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/logging"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/roundtrip"
)

// StorefrontResolver finds the storefront behind a Host header.
type StorefrontResolver interface {
	ByHost(ctx context.Context, host string) (merchant.Storefront, error)
}

// TokenVerifier turns a bearer token into a verified caller.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (identity.Caller, error)
}

// Request is what the pipeline knows about a request before its handler runs.
type Request struct {
	*http.Request
	Storefront merchant.Storefront
	Caller     identity.Caller
}

// Merchant is the merchant that owns the storefront, and so every item the
// request may touch.
func (r *Request) Merchant() merchant.ID { return r.Storefront.Merchant }

// HandlerFunc serves one route; a returned error becomes a problem response.
type HandlerFunc func(w http.ResponseWriter, r *Request) error

// Pipeline is the request path shared by every API function.
type Pipeline struct {
	Storefronts StorefrontResolver
	Tokens      TokenVerifier
	Logger      *slog.Logger
}

// CallsHeader reports how many DynamoDB round trips served the request.
const CallsHeader = "X-Dynamodb-Calls"

// Handle wraps h with storefront resolution, caller verification, logging and
// error mapping.
func (p *Pipeline) Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		start := time.Now()
		ctx := roundtrip.WithCounter(hr.Context())
		ctx = logging.WithRequest(ctx, requestID(hr))
		hr = hr.WithContext(ctx)
		rw := &recorder{ResponseWriter: w, ctx: ctx}
		err := p.serve(rw, hr, h)
		if err != nil {
			var prob *Problem
			if !errors.As(err, &prob) {
				prob = p.mapError(ctx, err)
			}
			if !rw.wrote {
				writeProblem(rw, hr, prob)
			}
		}
		p.Logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", logging.Truncate(hr.Method, logging.MaxEcho)),
			slog.String("host", logging.Truncate(requestHost(hr), logging.MaxEcho)),
			slog.String("path", logging.Truncate(hr.URL.Path, logging.MaxField)),
			slog.Int("status", rw.status), slog.Int64("dynamodb_calls", roundtrip.Calls(ctx)), slog.Int64("dynamodb_attempts", roundtrip.Attempts(ctx)),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
	})
}

func (p *Pipeline) serve(w http.ResponseWriter, hr *http.Request, h HandlerFunc) error {
	host := requestHost(hr)
	// A Host that is not a DNS name and a port is answered without a read.
	name, err := merchant.RequestHost(host)
	if err != nil {
		return UnknownStorefront(host)
	}
	if err := boundedIDs(hr); err != nil {
		return err
	}
	sf, err := p.Storefronts.ByHost(hr.Context(), name)
	if errors.Is(err, merchant.ErrUnknownHost) {
		return UnknownStorefront(name)
	}
	if err != nil {
		return err
	}
	logging.SetMerchant(hr.Context(), string(sf.Merchant))
	caller, err := p.caller(hr, sf)
	if err != nil {
		return err
	}
	return h(w, &Request{Request: hr, Storefront: sf, Caller: caller})
}

// caller verifies the bearer token, if any. A token is only good for the
// merchant that owns the storefront it is presented to.
func (p *Pipeline) caller(hr *http.Request, sf merchant.Storefront) (identity.Caller, error) {
	authz := hr.Header.Get("Authorization")
	if authz == "" {
		return identity.Caller{Role: identity.Anonymous}, nil
	}
	scheme, token, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return identity.Caller{}, InvalidToken("the Authorization header must be 'Bearer <token>'")
	}
	c, err := p.Tokens.Verify(hr.Context(), strings.TrimSpace(token))
	if errors.Is(err, auth.ErrKeysUnavailable) {
		p.Logger.ErrorContext(hr.Context(), "token not checked: signing keys unavailable", slog.String("reason", logging.Truncate(err.Error(), logging.MaxField)))
		return identity.Caller{}, Unavailable("the token cannot be checked now; retry shortly", keysRetryAfter)
	}
	if err != nil {
		p.Logger.InfoContext(hr.Context(), "token refused", slog.String("reason", logging.Truncate(err.Error(), logging.MaxField)))
		return identity.Caller{}, InvalidToken("the token is expired, tampered with, or not issued for this API")
	}
	if c.Merchant != sf.Merchant {
		return identity.Caller{}, InvalidToken("the token was not issued for this storefront's merchant")
	}
	return c, nil
}

func (p *Pipeline) mapError(ctx context.Context, err error) *Problem {
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return NotFound("no such resource")
	case errors.Is(err, catalog.ErrInvalidCursor):
		return InvalidCursor()
	case errors.Is(err, auth.ErrInvalidToken):
		return InvalidToken("the token was refused")
	case errors.Is(err, auth.ErrKeysUnavailable):
		p.Logger.ErrorContext(ctx, "signing keys unavailable", slog.String("error", logging.Truncate(err.Error(), logging.MaxField)))
		return Unavailable("the token cannot be checked now; retry shortly", keysRetryAfter)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		p.Logger.WarnContext(ctx, "request cancelled", slog.String("error", logging.Truncate(err.Error(), logging.MaxField)))
		return Unavailable("the request took too long; retry", time.Second)
	case isServerFault(err):
		// The database failed on its side through every retry of the
		// SDK (DynamoDB's internal errors and throttling, DynamoDB
		// Local's lock waits): a transient refusal, not the request's
		// fault, which a retry may pass.
		p.Logger.WarnContext(ctx, "database unavailable", slog.String("error", logging.Truncate(err.Error(), logging.MaxField)))
		return Unavailable("the database is busy; retry shortly", time.Second)
	case isValidationError(err):
		// Input the edge should have refused, such as a key over
		// DynamoDB's limits: the caller's fault, but a gap to close.
		p.Logger.ErrorContext(ctx, "request refused by the database", slog.String("error", logging.Truncate(err.Error(), logging.MaxField)))
		return InvalidParameter("a value of the request cannot be used: an id or a field is too long or malformed")
	}
	p.Logger.ErrorContext(ctx, "internal error", slog.String("error", logging.Truncate(err.Error(), logging.MaxField)))
	return Internal()
}

// MaxIDLen is the longest id a request may name, in bytes: product
// references, category, rule, storefront and customer ids all fit
// (catalog.ValidRef), and every key built from them stays far below
// DynamoDB's 1 KB sort key and 2 KB partition key.
const MaxIDLen = 64

// idParameters are the query parameters that name an id.
var idParameters = []string{"customer"}

// boundedIDs refuses, before any read, a request whose path segments
// ({ref}, {id}, ...) or id parameters are longer than MaxIDLen: 400 rather
// than a key DynamoDB refuses. Ids of the right length but unknown or
// malformed are left to the handlers (404, or 400 for a write).
func boundedIDs(hr *http.Request) error {
	for _, name := range patternWildcards(hr.Pattern) {
		if v := hr.PathValue(name); len(v) > MaxIDLen {
			return idTooLong(name, v)
		}
	}
	q := hr.URL.Query()
	for _, name := range idParameters {
		for _, v := range q[name] {
			if len(v) > MaxIDLen {
				return idTooLong(name, v)
			}
		}
	}
	return nil
}

// boundedLineRefs refuses, before any read, a quote whose lines name a
// reference longer than MaxIDLen.
func boundedLineRefs(lines []pricing.Line) error {
	fe := &fieldErrors{}
	for i, l := range lines {
		if len(l.Ref) > MaxIDLen {
			fe.add(fmt.Sprintf("lines[%d].ref", i), fmt.Sprintf("at most %d bytes", MaxIDLen))
		}
	}
	return fe.err()
}

func idTooLong(name, v string) *Problem {
	p := InvalidParameter(fmt.Sprintf("%s is %d bytes long: an id has at most %d", name, len(v), MaxIDLen))
	p.Errors = []FieldError{{Field: name, Reason: fmt.Sprintf("at most %d bytes", MaxIDLen)}}
	return p
}

// patternWildcards returns the names of the wildcards of a ServeMux
// pattern, "GET /admin/assortments/{scope}/{scopeId}" giving scope and
// scopeId.
func patternWildcards(pattern string) []string {
	var names []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return names
		}
		name := strings.TrimSuffix(pattern[i+1:i+j], "...")
		if name != "$" {
			names = append(names, name)
		}
		pattern = pattern[i+j+1:]
	}
}

// keysRetryAfter is the Retry-After of a 503 for a token that cannot be
// checked: the verifier tries the issuer again after a few seconds.
const keysRetryAfter = 5 * time.Second

// isServerFault reports whether err is the database's own failure, left
// after the SDK's retries: a server fault (an internal error) or a
// throttling refusal.
func isServerFault(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "InternalServerError":
		return true
	}
	return ae.ErrorFault() == smithy.FaultServer
}

// isValidationError reports whether err is an AWS service's refusal of the
// request itself (ValidationException), which a retry cannot cure.
func isValidationError(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}

// requestHost is the Host header as the function received it: among the
// headers behind API Gateway, as the request's host otherwise.
func requestHost(hr *http.Request) string {
	if h := hr.Header.Get("Host"); h != "" {
		return h
	}
	return hr.Host
}

// requestID is API Gateway's request id when running behind it, else a
// random one.
func requestID(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.RequestID != "" {
		return rc.RequestID
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder remembers the status and adds the round-trip count header.
type recorder struct {
	http.ResponseWriter
	ctx    context.Context
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(status int) {
	if r.wrote {
		return
	}
	r.wrote, r.status = true, status
	r.Header().Set(CallsHeader, strconv.FormatInt(roundtrip.Calls(r.ctx), 10))
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// Router is a ServeMux whose unmatched requests get problem responses.
type Router struct{ mux *http.ServeMux }

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{mux: http.NewServeMux()} }

// Handle registers a route pattern such as "GET /catalog/products/{ref}".
func (rt *Router) Handle(pattern string, h http.Handler) { rt.mux.Handle(pattern, h) }

// ServeHTTP routes the request, answering 404 or 405 problems itself.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := rt.mux.Handler(r); pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := rt.mux.Handler(probe); pattern != "" {
			writeProblem(w, r, MethodNotAllowed(r.Method))
			return
		}
	}
	writeProblem(w, r, NotFound("no route for "+r.Method+" "+r.URL.Path))
}
