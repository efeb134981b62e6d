package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/pricing"
)

// amountSchema is the schema every amount of money in a response refers to.
const amountSchema = "#/components/schemas/Amount"

// amount is one amount of money found in a response body.
type amount struct {
	path, currency string
	value          any
}

// amounts walks a response body along its schema in docs/openapi.yaml and
// returns every value the document declares an Amount, each with the
// currency of the nearest object that names one (a price, a quote, a
// candidate source in another currency).
func (c *contract) amounts(schema *base.SchemaProxy, v any) []amount {
	var out []amount
	var walk func(sp *base.SchemaProxy, v any, path, currency string)
	walk = func(sp *base.SchemaProxy, v any, path, currency string) {
		if sp == nil {
			return
		}
		if sp.IsReference() {
			ref := sp.GetReference()
			if ref == amountSchema {
				out = append(out, amount{path, currency, v})
				return
			}
			sp = c.model.Components.Schemas.GetOrZero(strings.TrimPrefix(ref, "#/components/schemas/"))
		}
		s := sp.Schema()
		if s == nil {
			return
		}
		for _, sub := range append(append(s.AllOf, s.OneOf...), s.AnyOf...) {
			walk(sub, v, path, currency)
		}
		switch v := v.(type) {
		case map[string]any:
			if cur, ok := v["currency"].(string); ok {
				currency = cur
			}
			if s.Properties == nil {
				return
			}
			for k, val := range v {
				walk(s.Properties.GetOrZero(k), val, path+"."+k, currency)
			}
		case []any:
			if s.Items != nil && s.Items.IsA() {
				for i, e := range v {
					walk(s.Items.A, e, fmt.Sprintf("%s[%d]", path, i), currency)
				}
			}
		}
	}
	walk(schema, v, "$", "")
	return out
}

// responseSchema is the schema docs/openapi.yaml gives the JSON body of a
// response.
func (c *contract) responseSchema(t *testing.T, method, path string, status int) *base.SchemaProxy {
	t.Helper()
	item := c.model.Paths.PathItems.GetOrZero(path)
	if item == nil {
		t.Fatalf("no path %s", path)
	}
	op := item.GetOperations().GetOrZero(strings.ToLower(method))
	resp := op.Responses.Codes.GetOrZero(fmt.Sprint(status))
	if resp == nil {
		t.Fatalf("%s %s documents no %d", method, path, status)
	}
	return resp.Content.GetOrZero("application/json").Schema
}

// minorUnitViolations lists the amounts of a body that are not JSON
// strings with at least their currency's minor units.
func (c *contract) minorUnitViolations(t *testing.T, schema *base.SchemaProxy, body []byte) (found int, bad []string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	for _, a := range c.amounts(schema, v) {
		s, ok := a.value.(string)
		if !ok || a.currency == "" {
			bad = append(bad, fmt.Sprintf("%s = %v (currency %q)", a.path, a.value, a.currency))
			continue
		}
		decimals := 0
		if dot := strings.IndexByte(s, '.'); dot >= 0 {
			decimals = len(s) - dot - 1
		}
		if decimals < int(money.MinorUnits(a.currency)) {
			bad = append(bad, fmt.Sprintf("%s = %q has %d decimals, %s has %d", a.path, s, decimals, a.currency, money.MinorUnits(a.currency)))
		}
	}
	return len(c.amounts(schema, v)), bad
}

// TestOpenAPIContract_EveryAmountCarriesItsCurrencysMinorUnits checks real
// quotes and catalog pages, for buyers, a consumer (prices with VAT), a rep,
// staff and anonymous visitors: every value docs/openapi.yaml declares an
// Amount is printed with at least its currency's minor units ("808.40",
// never "808.4"), and altering one the way a careless change would makes
// the check fail.
func TestOpenAPIContract_EveryAmountCarriesItsCurrencysMinorUnits(t *testing.T) {
	c := loadContract(t)
	f := newCatalogFixture(t)
	staff := f.token(t, identity.Caller{Role: identity.Staff, Subject: "staff", Merchant: demo.Hydro})
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep1", Merchant: demo.Hydro, Rep: "R01"})
	var lines []pricing.Line
	var buyers []string
	for _, qc := range quoteCases(f) {
		lines = append(lines, qc.line)
		buyers = append(buyers, qc.buyer)
	}
	type checked struct {
		name, method, path string
		e                  exchange
	}
	var all []checked
	for _, b := range buyers {
		all = append(all, checked{"quote for " + b, http.MethodPost, "/pricing/quote",
			f.postQuote(t, frHost, f.token(t, buyerOf(b)), quoteBody(t, httpapi.QuoteRequest{Lines: lines}))})
	}
	all = append(all,
		checked{"quote by a rep", http.MethodPost, "/pricing/quote", f.postQuote(t, frHost, rep, quoteBody(t, httpapi.QuoteRequest{Customer: buyers[0], Lines: lines}))},
		checked{"list-price quote", http.MethodPost, "/pricing/quote", f.postQuote(t, frHost, staff, quoteBody(t, httpapi.QuoteRequest{Lines: lines}))},
	)
	for _, who := range []struct{ name, host, token string }{
		{"pro buyer", frHost, f.token(t, buyer)},
		{"consumer", frHost, f.token(t, buyerOf("P0001"))},
		{"anonymous", beHost, ""},
	} {
		all = append(all,
			checked{"product for a " + who.name, http.MethodGet, "/catalog/products/{ref}", f.call(t, who.host, "/catalog/products/VANNES-BILLE-101", who.token)},
			checked{"category page for a " + who.name, http.MethodGet, "/catalog/categories/{categoryId}/products", f.call(t, who.host, "/catalog/categories/ETANCH-TORIQUES/products", who.token)},
			checked{"search for a " + who.name, http.MethodGet, "/catalog/search", f.call(t, who.host, "/catalog/search?q=vanne", who.token)},
		)
	}
	total := 0
	var quote checked
	for _, ch := range all {
		t.Run(ch.name, func(t *testing.T) {
			if ch.e.resp.status != http.StatusOK {
				t.Fatalf("%d %s", ch.e.resp.status, ch.e.resp.body)
			}
			found, bad := c.minorUnitViolations(t, c.responseSchema(t, ch.method, ch.path, http.StatusOK), ch.e.resp.body)
			if len(bad) > 0 {
				t.Errorf("amounts without their minor units:\n\t%s", strings.Join(bad, "\n\t"))
			}
			total += found
		})
		if ch.path == "/pricing/quote" && quote.path == "" {
			quote = ch
		}
	}
	if total < 100 {
		t.Fatalf("only %d amounts checked: the walk no longer follows the document", total)
	}

	drifts := map[string]func(m map[string]any){
		"gross without decimals":   func(m map[string]any) { m["gross"] = "8084" },
		"discount amount with one": func(m map[string]any) { firstDiscount(m)["amount"] = "808.4" },
		"candidate price without decimals": func(m map[string]any) {
			for _, n := range m["lines"].([]any)[0].(map[string]any)["notApplied"].([]any) {
				if n := n.(map[string]any); n["unitPrice"] != nil {
					n["unitPrice"] = "24"
					return
				}
			}
			t.Fatal("no candidate price in the first line")
		},
		"amount as a number": func(m map[string]any) { m["total"] = 17821.02 },
	}
	for name, change := range drifts {
		t.Run("drift/"+name, func(t *testing.T) {
			e := editBody(t, quote.e, change)
			if _, bad := c.minorUnitViolations(t, c.responseSchema(t, quote.method, quote.path, http.StatusOK), e.resp.body); len(bad) == 0 {
				t.Errorf("a drifted amount passed: %s", e.resp.body)
			}
		})
	}
}

func firstDiscount(m map[string]any) map[string]any {
	for _, l := range m["lines"].([]any) {
		if ds := l.(map[string]any)["discounts"].([]any); len(ds) > 0 {
			return ds[0].(map[string]any)
		}
	}
	return map[string]any{}
}
