package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProblem_ExtensionsAreMembersAndCannotOverrideTheStandardOnes(t *testing.T) {
	p := problem(http.StatusConflict, "cart-version-mismatch", "Cart changed", "the cart is at version 3").
		With("cart", map[string]int{"version": 3}).With("status", 200).RetryAfter(2 * time.Second)
	rec := httptest.NewRecorder()
	writeProblem(rec, httptest.NewRequest(http.MethodPut, "/cart/lines/A", nil), p)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["status"] != float64(409) || got["type"] != ProblemBase+"cart-version-mismatch" {
		t.Errorf("standard members %v", got)
	}
	if cart, ok := got["cart"].(map[string]any); !ok || cart["version"] != float64(3) {
		t.Errorf("extension cart = %v", got["cart"])
	}
	if rec.Header().Get("Retry-After") != "2" {
		t.Errorf("Retry-After = %q", rec.Header().Get("Retry-After"))
	}
}
