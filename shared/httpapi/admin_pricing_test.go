package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/pricing"
)

func TestAdminAPI_PricingRulesAndPolicy(t *testing.T) {
	f := newAdminFixture(t)
	listPrice := func() decimal.Decimal {
		t.Helper()
		p := decode[httpapi.ProductView](t, f.catalogGet(t, beHost, "/catalog/products/VANNES-BILLE-101", ""))
		if p.Price == nil {
			t.Fatal("no price")
		}
		return p.Price.Amount.Decimal
	}
	rs := decode[pricing.RuleSet](t, f.adminDo(t, http.MethodGet, "/admin/pricing", nil))
	if rs.Policy != pricing.MostSpecific || len(rs.Rules) != 6 {
		t.Fatalf("stored tariff: %s, %d rules", rs.Policy, len(rs.Rules))
	}
	before := listPrice()
	promo := map[string]any{"name": "Vannes -30 %", "kind": "percent", "percent": "30", "target": map[string]string{"family": "VANNES"}}
	wantStatus(t, f.adminDo(t, http.MethodPut, "/admin/pricing/rules/PROMO-VANNES", promo), 201)
	after := listPrice()
	// The discount amount is rounded half-up, then taken off (see package pricing).
	if want := before.Sub(before.Mul(decimal.RequireFromString("0.3")).Round(2)); !after.Equal(want) {
		t.Fatalf("list price after the promotion %s, want %s (before %s)", after, want, before)
	}
	wantStatus(t, f.adminDo(t, http.MethodPut, "/admin/pricing/rules/PROMO-VANNES", promo), 200)

	for _, c := range []struct {
		name   string
		body   any
		status int
		slug   string
		fields string
	}{
		{"percentage over 100", map[string]any{"kind": "percent", "percent": "130"}, 400, "invalid-parameter", "percent"},
		{"another id in the body", map[string]any{"id": "OTHER", "kind": "percent", "percent": "3"}, 400, "invalid-parameter", "id"},
		{"tiers without currency", map[string]any{"kind": "order-amount-tiers", "tiers": []map[string]string{{"from": "100", "value": "2"}}}, 400, "invalid-parameter", "currency"},
		{"unknown field", `{"kind":"percent","percent":"3","stacks":true}`, 400, "invalid-body", "stacks"},
		{"percent with an exponent", map[string]any{"kind": "percent", "percent": "1e1"}, 400, "invalid-parameter", "percent"},
		{"percent as a JSON number", `{"kind":"percent","percent":30}`, 400, "invalid-body", "percent"},
		{"net price of 1e9999", map[string]any{"kind": "net-price", "currency": "EUR", "price": "1e9999"}, 400, "invalid-parameter", "price"},
		{"thirty net-price tiers of 1e9999", map[string]any{"kind": "net-price", "currency": "EUR", "tiers": func() []map[string]string {
			ts := make([]map[string]string, 30)
			for i := range ts {
				ts[i] = map[string]string{"from": "1e9999", "value": "1e9999"}
			}
			return ts
		}()}, 400, "invalid-parameter", func() string {
			fs := make([]string, 0, 60)
			for i := range 30 {
				fs = append(fs, fmt.Sprintf("tiers[%d].from", i), fmt.Sprintf("tiers[%d].value", i))
			}
			slices.Sort(fs)
			return strings.Join(fs, ",")
		}()},
		{"51 tiers", map[string]any{"kind": "quantity-tiers", "tiers": slices.Repeat([]map[string]string{{"from": "1", "value": "1"}}, 51)}, 400, "invalid-parameter", "tiers"},
		{"priority 2^63−1", `{"kind":"percent","percent":"3","priority":9223372036854775807}`, 400, "invalid-parameter", "priority"},
		{"priority 2^63", `{"kind":"percent","percent":"3","priority":9223372036854775808}`, 400, "invalid-body", "priority"},
		{"currency XYZ", map[string]any{"kind": "net-price", "currency": "XYZ", "price": "12"}, 400, "invalid-parameter", "currency"},
		{"customer of 3,000 characters", map[string]any{"kind": "percent", "percent": "3", "who": map[string]string{"customer": strings.Repeat("C", 3000)}}, 400, "invalid-parameter", "who.customer"},
		{"not JSON", `{`, 400, "invalid-body", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.adminDo(t, http.MethodPut, "/admin/pricing/rules/BAD", c.body)
			wantProblem(t, r, c.status, c.slug)
			var got []string
			for _, e := range decode[httpapi.Problem](t, r).Errors {
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != c.fields {
				t.Errorf("fields %v, want %s", got, c.fields)
			}
		})
	}

	wantStatus(t, f.adminDo(t, http.MethodPut, "/admin/pricing/policy", map[string]string{"policy": "best-price"}), 200)
	if rs := decode[pricing.RuleSet](t, f.adminDo(t, http.MethodGet, "/admin/pricing", nil)); rs.Policy != pricing.BestPrice || len(rs.Rules) != 7 {
		t.Fatalf("after the changes: %s, %d rules", rs.Policy, len(rs.Rules))
	}
	wantProblem(t, f.adminDo(t, http.MethodPut, "/admin/pricing/policy", map[string]string{"policy": "cheapest"}), 400, "invalid-parameter")

	wantStatus(t, f.adminDo(t, http.MethodDelete, "/admin/pricing/rules/PROMO-VANNES", nil), 204)
	wantProblem(t, f.adminDo(t, http.MethodDelete, "/admin/pricing/rules/PROMO-VANNES", nil), 404, "not-found")
	if got := listPrice(); !got.Equal(before) {
		t.Errorf("list price after the promotion ended %s, want %s", got, before)
	}

	// Only the merchant's staff may change the tariff.
	buyerTok := f.token(t, buyerOf("C0001"))
	wantProblem(t, f.do(t, f.admin, http.MethodPut, frHost, "/admin/pricing/policy", buyerTok, map[string]string{"policy": "best-price"}), 403, "forbidden")
	wantProblem(t, f.do(t, f.admin, http.MethodGet, frHost, "/admin/pricing", "", nil), 401, "unauthenticated")
	wantProblem(t, f.do(t, f.admin, http.MethodDelete, frHost, "/admin/pricing/rules/"+demo.RuleOrder, f.jardinStaff, nil), 401, "invalid-token")
}
