// Package httpapi is the HTTP face of Comptoir: the routes of each API
// function, the request pipeline (storefront from Host, caller from bearer
// token, logging, DynamoDB call counting) and RFC 9457 problem responses.
package httpapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/comptoir/comptoir/shared/logging"
)

// ProblemBase is the prefix of every problem type URI; the suffix is stable
// and documented in the OpenAPI document.
const ProblemBase = "https://comptoir.dev/problems/"

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists per-field or per-line problems where there are several.
	Errors []FieldError `json:"errors,omitempty"`
	// retryAfter, when set, is sent as the Retry-After header.
	retryAfter time.Duration
	// extensions are the problem type's own members (RFC 9457 §3.2), set
	// with With.
	extensions map[string]any
}

// With adds an extension member to the problem (RFC 9457 §3.2): the
// figures or the current state a client needs to act on it, such as the
// available quantities of an out-of-stock line or the cart as it stands
// after a version conflict. The standard members cannot be overridden.
func (p *Problem) With(name string, value any) *Problem {
	if p.extensions == nil {
		p.extensions = map[string]any{}
	}
	p.extensions[name] = value
	return p
}

// RetryAfter sets the Retry-After header of a problem a client may retry.
func (p *Problem) RetryAfter(d time.Duration) *Problem {
	p.retryAfter = d
	return p
}

// MarshalJSON writes the standard members and the extensions.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	std, err := json.Marshal((*plain)(p))
	if err != nil || len(p.extensions) == 0 {
		return std, err
	}
	all := make(map[string]json.RawMessage, len(p.extensions)+7)
	for k, v := range p.extensions {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		all[k] = b
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(std, &members); err != nil {
		return nil, err
	}
	for k, v := range members {
		all[k] = v
	}
	return json.Marshal(all)
}

// FieldError is one invalid input.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// maxDetail bounds a problem's detail and each field error's reason, which
// may quote what the caller sent.
const maxDetail = 2 * logging.MaxEcho

func problem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: ProblemBase + slug, Title: title, Status: status, Detail: detail}
}

// echo quotes a value the caller sent, cut to logging.MaxEcho bytes, for a
// problem's detail.
func echo(s string) string { return strconv.Quote(logging.Truncate(s, logging.MaxEcho)) }

// Problem constructors, one per stable problem type.
var (
	// NotFound: the resource does not exist or the caller may not see it.
	NotFound = func(detail string) *Problem { return problem(http.StatusNotFound, "not-found", "Not found", detail) }
	// InvalidParameter: a query parameter, path segment or body field is wrong.
	InvalidParameter = func(detail string) *Problem {
		return problem(http.StatusBadRequest, "invalid-parameter", "Invalid parameter", detail)
	}
	// InvalidCursor: the pagination cursor was not issued for this query.
	InvalidCursor = func() *Problem {
		return problem(http.StatusBadRequest, "invalid-cursor", "Invalid cursor", "the cursor does not belong to this query; start again without it")
	}
	// UnknownStorefront: no storefront answers for the Host header, or the
	// header is not a host name at all.
	UnknownStorefront = func(host string) *Problem {
		return problem(http.StatusNotFound, "unknown-storefront", "Unknown storefront", "no storefront answers for host "+echo(host))
	}
	// Unauthenticated: a login is needed, or the token was refused.
	Unauthenticated = func(detail string) *Problem {
		return problem(http.StatusUnauthorized, "unauthenticated", "Authentication required", detail)
	}
	// InvalidToken: the bearer token failed verification.
	InvalidToken = func(detail string) *Problem {
		return problem(http.StatusUnauthorized, "invalid-token", "Invalid token", detail)
	}
	// Forbidden: the caller is known but may not do this.
	Forbidden = func(detail string) *Problem { return problem(http.StatusForbidden, "forbidden", "Forbidden", detail) }
	// MethodNotAllowed: the path exists with other methods.
	MethodNotAllowed = func(method string) *Problem {
		return problem(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", method+" is not allowed on this path")
	}
	// PayloadTooLarge: the body is over MaxBody.
	PayloadTooLarge = func() *Problem {
		return problem(http.StatusRequestEntityTooLarge, "payload-too-large", "Payload too large",
			fmt.Sprintf("the body is over %d bytes (1 MiB)", MaxBody))
	}
	// Unavailable: a dependency cannot answer now; retry after the
	// Retry-After header's seconds.
	Unavailable = func(detail string, retryAfter time.Duration) *Problem {
		p := problem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", detail)
		p.retryAfter = retryAfter
		return p
	}
	// Internal: an unexpected failure; details are in the logs only.
	Internal = func() *Problem {
		return problem(http.StatusInternalServerError, "internal", "Internal error", "an unexpected error occurred; it has been logged")
	}
)

// maxFieldErrors bounds the field errors one problem lists.
const maxFieldErrors = 100

// writeProblem writes p as application/problem+json. What may quote the
// caller (the detail, the path, the fields and reasons) is cut to a bounded
// length, and at most maxFieldErrors field errors are listed.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	p.Instance = logging.Truncate(p.Instance, logging.MaxEcho)
	p.Detail = logging.Truncate(p.Detail, maxDetail)
	if len(p.Errors) > maxFieldErrors {
		p.Errors = p.Errors[:maxFieldErrors]
	}
	for i, e := range p.Errors {
		p.Errors[i] = FieldError{Field: logging.Truncate(e.Field, logging.MaxEcho), Reason: logging.Truncate(e.Reason, maxDetail)}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="comptoir"`)
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(p.retryAfter.Seconds()))))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON writes v as application/json with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
