package httpapi_test

import (
	"net/http"
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
		return p.Price.Amount
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
		{"unknown field", `{"kind":"percent","percent":"3","stacks":true}`, 400, "invalid-body", ""},
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
