// Package httpapi is the HTTP face of Comptoir: the routes of each API
// function, the request pipeline (storefront from Host, caller from bearer
// token, logging, DynamoDB call counting) and RFC 9457 problem responses.
package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
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
}

// FieldError is one invalid input.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

func problem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: ProblemBase + slug, Title: title, Status: status, Detail: detail}
}

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
	// UnknownStorefront: no storefront answers for the Host header.
	UnknownStorefront = func(host string) *Problem {
		return problem(http.StatusNotFound, "unknown-storefront", "Unknown storefront", fmt.Sprintf("no storefront answers for host %q", host))
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
	// Internal: an unexpected failure; details are in the logs only.
	Internal = func() *Problem {
		return problem(http.StatusInternalServerError, "internal", "Internal error", "an unexpected error occurred; it has been logged")
	}
)

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="comptoir"`)
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
