package devstack_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
)

// The hostile inputs.
var (
	// longID is an id far over any key's bound (DynamoDB refuses hash
	// keys over 2048 bytes).
	longID = strings.Repeat("x", 3000)
	// hugeHost is a 100 KB Host header.
	hugeHost = strings.Repeat("h", 100<<10) + ".localhost"
)

const (
	maxInt64     = "9223372036854775807"
	maxInt64Plus = "9223372036854775808"
	hugeDecimal  = "1e9999"
	// hostileCategory files the products the suite writes, away from the
	// lists whose cursors it replays.
	hostileCategory = "FILTRE-CORPS"
	// hydroDomain is a domain of Hydrotech without a storefront: the
	// storefronts the suite writes answer below it.
	hydroDomain = "hydrotech-industrie.fr"
)

var (
	badRequest       = []int{http.StatusBadRequest}
	notFound         = []int{http.StatusNotFound}
	badOrNotFound    = []int{http.StatusBadRequest, http.StatusNotFound}
	tooLarge         = []int{http.StatusRequestEntityTooLarge}
	okStatus         = []int{http.StatusOK}
	saved            = []int{http.StatusOK, http.StatusCreated}
	unauthenticated  = []int{http.StatusUnauthorized}
	refusedOrInvalid = []int{http.StatusBadRequest, http.StatusUnprocessableEntity}
	refused          = []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict}
)

type object = map[string]any

func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// with returns a copy of o with the given members replaced; a nil value
// removes the member.
func with(o object, kv ...any) object {
	out := object{}
	for k, v := range o {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// raw is JSON text put as is in a body (numbers Go cannot hold).
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// Valid bodies of every JSON write, that the hostile cases spoil.
func quoteBody() object {
	return object{"lines": []any{object{"ref": demo.FilterRef, "quantity": 1}}}
}

func categoryBody() object {
	return object{"names": object{"fr": "Catégorie d'essai"}, "parentId": "VANNES", "position": 1}
}

func productBody() object {
	return object{
		"names":       object{"fr": "Corps d'essai DN50", "en": "Test housing DN50"},
		"categoryId":  hostileCategory,
		"attributes":  object{"diametre": "DN50"},
		"packagings":  []any{object{"kind": "unit", "units": 1}},
		"minOrderQty": 1, "orderMultiple": 1,
		"taxCategory": "standard", "basePrice": "12.50", "currency": "EUR",
	}
}

func assortmentBody() object {
	return object{"categories": []any{"VANNES"}, "products": []any{demo.PumpRef}}
}

func storefrontBody(host string) object {
	return object{"host": host, "country": "FR", "language": "fr", "currency": "EUR", "mode": "open"}
}

func policyBody() object { return object{"policy": "most-specific"} }

// rateBody is a VAT rate change's body; the suite writes changes from 2031
// only, so that no quote of the suite's days sees them.
func rateBody() object { return object{"percent": "20"} }

// ruleBody is a rule that matches no product, so that it changes no price
// if it is stored.
func ruleBody() object {
	return object{"name": "Règle d'essai", "priority": 50, "target": object{"ref": "HX-NOTHING"}, "kind": "percent", "percent": "5"}
}

func tiers(n int, from, value string) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = object{"from": from, "value": value}
	}
	return out
}

func oddHostRequests(w *hostileWorld) []hostileRequest {
	hosts := []struct {
		host string
		want []int
	}{
		{"[::1]:3300", notFound},
		{"hydro-fr.localhost:3300:80", notFound},
		{"hydro%2dfr.localhost", notFound},
		{"hydro-fr.localhost%00", notFound},
		{hugeHost, badOrNotFound},
		{"", badOrNotFound},
	}
	var out []hostileRequest
	for _, h := range hosts {
		req := func(method, path, token string, body []byte) hostileRequest {
			return hostileRequest{group: "odd host", method: method, host: h.host, path: path, token: token, body: body, viewer: w.anonFR, want: h.want}
		}
		out = append(out,
			req("GET", "/catalog/categories", "", nil),
			req("GET", "/catalog/categories/VANNES-BILLE/products", "", nil),
			req("GET", "/catalog/products/"+demo.FilterRef, "", nil),
			req("GET", "/catalog/search?q=pompe", "", nil),
			req("POST", "/pricing/quote", w.buyer, jsonOf(quoteBody())),
			req("GET", "/admin/categories", w.staff, nil),
			req("PUT", "/admin/products/HX-HOST", w.staff, jsonOf(productBody())),
		)
	}
	return out
}

func longIDRequests(w *hostileWorld) []hostileRequest {
	echo := [][]byte{[]byte(longID)}
	catalogReq := func(path string, want []int) hostileRequest {
		return hostileRequest{group: "long id", method: "GET", host: w.fr, path: path, viewer: w.anonFR, want: want}
	}
	quote := func(token string, v *viewer, body object, want []int) hostileRequest {
		return hostileRequest{group: "long id", method: "POST", host: w.fr, path: "/pricing/quote", token: token, body: jsonOf(body), viewer: v, want: want, echo: echo}
	}
	admin := func(method, path string, body object, want []int) hostileRequest {
		r := hostileRequest{group: "long id", method: method, host: w.fr, path: path, token: w.staff, viewer: w.staffFR, want: want, echo: echo}
		if body != nil {
			r.body = jsonOf(body)
		}
		return r
	}
	forbiddenOrBad := []int{http.StatusBadRequest, http.StatusForbidden}
	return []hostileRequest{
		catalogReq("/catalog/products/"+longID, badOrNotFound),
		catalogReq("/catalog/categories/"+longID+"/products", badOrNotFound),
		catalogReq("/catalog/search?q="+longID, badRequest),
		catalogReq("/catalog/products/"+demo.FilterRef+"?lang="+longID, []int{http.StatusOK, http.StatusBadRequest}),

		quote(w.staff, w.staffFR, with(quoteBody(), "customer", longID), badRequest),
		quote(w.rep, w.repFR, with(quoteBody(), "customer", longID), forbiddenOrBad),
		quote(w.buyer, w.buyerFR, with(quoteBody(), "customer", longID), forbiddenOrBad),
		quote(w.buyer, w.buyerFR, object{"lines": []any{object{"ref": longID, "quantity": 1}}}, refusedOrInvalid),
		quote(w.staff, w.staffFR, object{"lines": []any{object{"ref": demo.FilterRef, "quantity": 1, "packaging": longID}}}, refusedOrInvalid),
		quote(w.buyer, w.buyerFR, with(quoteBody(), "date", longID), badRequest),

		admin("GET", "/admin/products/"+longID, nil, badOrNotFound),
		admin("PUT", "/admin/products/"+longID, productBody(), badRequest),
		admin("PUT", "/admin/categories/"+longID, categoryBody(), badRequest),
		admin("DELETE", "/admin/categories/"+longID, nil, badOrNotFound),
		admin("PUT", "/admin/pricing/rules/"+longID, ruleBody(), badRequest),
		admin("DELETE", "/admin/pricing/rules/"+longID, nil, badOrNotFound),
		admin("PUT", "/admin/storefronts/"+longID, storefrontBody("hx-long."+hydroDomain), badRequest),
		admin("PUT", "/admin/assortments/customer/"+longID, assortmentBody(), badRequest),
		admin("DELETE", "/admin/assortments/customer/"+longID, nil, badOrNotFound),
		admin("PUT", "/admin/assortments/"+longID+"/C0003", assortmentBody(), badRequest),

		admin("PUT", "/admin/products/HX-LONG", with(productBody(), "categoryId", longID), badRequest),
		admin("PUT", "/admin/products/HX-LONG", with(productBody(), "links", []any{object{"ref": longID, "kind": "optional", "ratio": "1"}}), badRequest),
		admin("PUT", "/admin/products/HX-LONG", with(productBody(), "ean", longID), badRequest),
		admin("PUT", "/admin/products/HX-LONG", with(productBody(), "taxCategory", longID), badRequest),
		admin("PUT", "/admin/products/HX-LONG", with(productBody(), "images", []any{"https://" + longID + ".example.com/a.jpg"}), badRequest),
		admin("PUT", "/admin/products/HX-LONG", with(productBody(), "names", object{"fr": longID}), badRequest),
		admin("PUT", "/admin/products/HX-LONG", with(productBody(), "attributes", object{longID: "x"}), badRequest),
		admin("PUT", "/admin/categories/HX-LONG", with(categoryBody(), "parentId", longID), badRequest),
		admin("PUT", "/admin/assortments/customer/HX-LONG", object{"categories": []any{longID}}, badRequest),
		admin("PUT", "/admin/assortments/customer/HX-LONG", object{"products": []any{longID}}, badRequest),
		admin("PUT", "/admin/pricing/rules/HX-LONG", with(ruleBody(), "target", object{"ref": longID}), badRequest),
		admin("PUT", "/admin/pricing/rules/HX-LONG", with(ruleBody(), "target", object{"family": longID}), badRequest),
		admin("PUT", "/admin/pricing/rules/HX-LONG", with(ruleBody(), "who", object{"customer": longID}), badRequest),
		admin("PUT", "/admin/pricing/rules/HX-LONG", with(ruleBody(), "id", longID), badRequest),
		admin("PUT", "/admin/storefronts/hx-long", storefrontBody(longID+"."+hydroDomain), badRequest),

		// Tax: rates, ledger settings, customers' VAT checks.
		admin("PUT", "/admin/tax/rates/FR/standard/"+longID, rateBody(), badRequest),
		admin("PUT", "/admin/tax/rates/"+longID+"/standard/2031-01-01", rateBody(), badRequest),
		admin("PUT", "/admin/tax/rates/FR/"+longID+"/2031-01-01", rateBody(), badRequest),
		admin("PUT", "/admin/tax/rates/FR/standard/2031-01-01", object{"percent": longID}, badRequest),
		admin("GET", "/admin/tax/rates?country="+longID, nil, badRequest),
		admin("GET", "/admin/tax/rates?on="+longID, nil, badRequest),
		admin("PUT", "/admin/vat/settings", object{"countryThresholds": object{longID: "35000"}}, badRequest),
		admin("PUT", "/admin/vat/settings", object{"optIn": object{"from": longID}}, badRequest),
		admin("PUT", "/admin/vat/settings", object{"euThreshold": longID}, badRequest),
		admin("POST", "/admin/customers/"+longID+"/vat-check", nil, badOrNotFound),
	}
}

func decimalRequests(w *hostileWorld) []hostileRequest {
	rule := func(body object) hostileRequest {
		return hostileRequest{group: "exponent decimal", method: "PUT", host: w.fr, path: "/admin/pricing/rules/HX-DEC", token: w.staff,
			body: jsonOf(body), viewer: w.staffFR, want: badRequest}
	}
	product := func(body object) hostileRequest {
		return hostileRequest{group: "exponent decimal", method: "PUT", host: w.fr, path: "/admin/products/HX-DEC", token: w.staff,
			body: jsonOf(body), viewer: w.staffFR, want: badRequest}
	}
	quote := func(body object) hostileRequest {
		return hostileRequest{group: "exponent decimal", method: "POST", host: w.fr, path: "/pricing/quote", token: w.buyer,
			body: jsonOf(body), viewer: w.buyerFR, want: badRequest}
	}
	taxRate := func(body object) hostileRequest {
		return hostileRequest{group: "exponent decimal", method: "PUT", host: w.fr, path: "/admin/tax/rates/FR/standard/2031-01-01", token: w.staff,
			body: jsonOf(body), viewer: w.staffFR, want: badRequest}
	}
	vatSettings := func(body object) hostileRequest {
		return hostileRequest{group: "exponent decimal", method: "PUT", host: w.fr, path: "/admin/vat/settings", token: w.staff,
			body: jsonOf(body), viewer: w.staffFR, want: badRequest}
	}
	netPrice := object{"name": "Prix net d'essai", "priority": 50, "target": object{"ref": "HX-NOTHING"}, "kind": "net-price", "currency": "EUR", "price": "10"}
	qtyTiers := object{"name": "Paliers d'essai", "priority": 50, "target": object{"ref": "HX-NOTHING"}, "kind": "quantity-tiers", "tiers": tiers(1, "10", "5")}
	orderTiers := object{"name": "Paliers commande", "priority": 90, "kind": "order-amount-tiers", "currency": "EUR", "tiers": tiers(1, "5000", "2")}
	pack := object{"name": "Palette d'essai", "priority": 30, "target": object{"ref": "HX-NOTHING"}, "kind": "packaging", "packaging": "pallet", "percent": "4"}
	return []hostileRequest{
		rule(with(ruleBody(), "percent", hugeDecimal)),
		rule(with(ruleBody(), "percent", raw(hugeDecimal))),
		rule(with(ruleBody(), "percent", "1E+400")),
		rule(with(ruleBody(), "percent", "5e-9999")),
		rule(with(netPrice, "price", hugeDecimal)),
		rule(with(netPrice, "price", raw(hugeDecimal))),
		rule(with(netPrice, "price", "12.123456")),
		rule(with(netPrice, "price", "99999999999999999999999999")),
		rule(with(netPrice, "price", nil, "tiers", tiers(1, "1", hugeDecimal))),
		rule(with(qtyTiers, "tiers", tiers(1, hugeDecimal, "5"))),
		rule(with(qtyTiers, "tiers", tiers(1, "10", hugeDecimal))),
		rule(with(qtyTiers, "tiers", tiers(30, hugeDecimal, hugeDecimal))),
		rule(with(orderTiers, "tiers", tiers(30, hugeDecimal, hugeDecimal))),
		rule(with(pack, "price", hugeDecimal)),
		rule(with(pack, "percent", hugeDecimal)),
		product(with(productBody(), "basePrice", hugeDecimal)),
		product(with(productBody(), "basePrice", raw(hugeDecimal))),
		product(with(productBody(), "links", []any{object{"ref": demo.SealKitRef, "kind": "optional", "ratio": hugeDecimal}})),
		quote(object{"lines": []any{object{"ref": demo.FilterRef, "quantity": raw(hugeDecimal)}}}),
		quote(object{"lines": []any{object{"ref": demo.FilterRef, "quantity": raw("1.5")}}}),
		taxRate(object{"percent": hugeDecimal}),
		taxRate(object{"percent": raw(hugeDecimal)}),
		taxRate(object{"percent": "5e-9999"}),
		vatSettings(object{"euThreshold": hugeDecimal}),
		vatSettings(object{"euThreshold": raw(hugeDecimal)}),
		vatSettings(object{"countryThresholds": object{"BE": "1E+400"}}),
		// What is stored must still be read and priced.
		{group: "exponent decimal", method: "GET", host: w.fr, path: "/admin/pricing", token: w.staff, viewer: w.staffFR, want: okStatus},
		{group: "exponent decimal", method: "POST", host: w.fr, path: "/pricing/quote", token: w.buyer, body: jsonOf(quoteBody()), viewer: w.buyerFR, want: okStatus},
	}
}

// bodyShapeRequests spoil the body of every JSON write: trailing data, null
// and other non-objects. The oversized bodies (over 1 MiB on three routes,
// and 10 MB once) come apart, as they take longer.
func bodyShapeRequests(w *hostileWorld) (small, big []hostileRequest) {
	type write struct {
		method, path, token string
		v                   *viewer
		body                object
		oversize            bool
	}
	writes := []write{
		{"POST", "/pricing/quote", w.buyer, w.buyerFR, quoteBody(), true},
		{"PUT", "/admin/categories/HX-SHAPE", w.staff, w.staffFR, categoryBody(), false},
		{"PUT", "/admin/products/HX-SHAPE", w.staff, w.staffFR, productBody(), true},
		{"PUT", "/admin/assortments/customer/HX-SHAPE", w.staff, w.staffFR, assortmentBody(), false},
		{"PUT", "/admin/storefronts/hx-shape", w.staff, w.staffFR, storefrontBody("hx-shape." + hydroDomain), false},
		{"PUT", "/admin/pricing/policy", w.staff, w.staffFR, policyBody(), false},
		{"PUT", "/admin/pricing/rules/HX-SHAPE", w.staff, w.staffFR, ruleBody(), true},
		{"PUT", "/admin/tax/rates/FR/standard/2031-01-01", w.staff, w.staffFR, rateBody(), true},
		{"PUT", "/admin/vat/settings", w.staff, w.staffFR, object{"countryThresholds": object{"BE": "35000"}}, false},
	}
	pad := bytes.Repeat([]byte("p"), 1<<20+1<<10)
	over := append(append([]byte(`{"pad":"`), pad...), `"}`...)
	invalidBody := problemType("invalid-body")
	for _, wr := range writes {
		valid := jsonOf(wr.body)
		req := func(body []byte, want []int, check func(answer) []string) hostileRequest {
			return hostileRequest{group: "body shape", method: wr.method, host: w.fr, path: wr.path, token: wr.token,
				body: body, viewer: wr.v, want: want, check: check, echo: [][]byte{pad}}
		}
		small = append(small,
			req(append(bytes.Clone(valid), '}'), badRequest, invalidBody),
			req(append(bytes.Clone(valid), ']'), badRequest, invalidBody),
			req(append(bytes.Clone(valid), []byte(` {"a":1}`)...), badRequest, invalidBody),
			req([]byte("null"), badRequest, invalidBody),
			req([]byte{}, badRequest, nil),
			req([]byte("[]"), badRequest, nil),
			req([]byte(`"text"`), badRequest, nil),
		)
		if wr.oversize {
			big = append(big, req(over, tooLarge, nil))
		}
	}
	ten := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("q"), 10_000_000-10)...), `"}`...)
	big = append(big, hostileRequest{group: "body shape", method: "PUT", host: w.fr, path: "/admin/categories/HX-SHAPE", token: w.staff,
		body: ten, viewer: w.staffFR, want: tooLarge, echo: [][]byte{ten[8:1000]}})
	return small, big
}

// problemType checks that an error answer is the problem of that slug.
func problemType(slug string) func(answer) []string {
	return func(a answer) []string {
		if a.status < 400 {
			return nil
		}
		var p struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(a.body, &p) != nil || !strings.HasSuffix(p.Type, "/"+slug) {
			return []string{"problem type " + p.Type + ", want " + slug}
		}
		return nil
	}
}

func validationRequests(w *hostileWorld) []hostileRequest {
	admin := func(method, path string, body object, want []int) hostileRequest {
		return hostileRequest{group: "validation", method: method, host: w.fr, path: path, token: w.staff, body: jsonOf(body), viewer: w.staffFR, want: want}
	}
	product := func(body object) hostileRequest { return admin("PUT", "/admin/products/HX-VAL", body, badRequest) }
	category := func(body object) hostileRequest { return admin("PUT", "/admin/categories/HX-VAL", body, badRequest) }
	storefront := func(body object) hostileRequest { return admin("PUT", "/admin/storefronts/hx-val", body, badRequest) }
	rule := func(body object) hostileRequest { return admin("PUT", "/admin/pricing/rules/HX-VAL", body, badRequest) }
	rate := func(country, category, from string, body object) hostileRequest {
		return admin("PUT", "/admin/tax/rates/"+country+"/"+category+"/"+from, body, badRequest)
	}
	sf := storefrontBody("hx-val." + hydroDomain)
	return []hostileRequest{
		product(with(productBody(), "currency", "XYZ")),
		storefront(with(sf, "currency", "XYZ")),
		rule(object{"name": "Prix net", "priority": 5, "target": object{"ref": "HX-NOTHING"}, "kind": "net-price", "currency": "XYZ", "price": "10"}),
		{group: "validation", method: "POST", host: w.fr, path: "/pricing/quote", token: w.buyer, body: jsonOf(with(quoteBody(), "currency", "XYZ")), viewer: w.buyerFR, want: badRequest},
		storefront(with(sf, "country", "JJ")),
		storefront(with(sf, "language", "jj")),
		product(with(productBody(), "names", object{"jj": "Vanne"})),
		category(with(categoryBody(), "names", object{"jj": "Vannes"})),

		product(with(productBody(), "names", object{"fr": "Vanne\u0007 sonore"})),
		product(with(productBody(), "names", object{"fr": "Vanne \u202eenrevne"})),
		product(with(productBody(), "names", object{"fr": "Vanne\u0000nulle"})),
		product(with(productBody(), "names", object{"fr": "Vanne \u2067isolée\u2069"})),
		product(with(productBody(), "attributes", object{"dia\u202emetre": "DN50"})),
		product(with(productBody(), "attributes", object{"dia\u0007metre": "DN50"})),
		category(with(categoryBody(), "names", object{"fr": "Vannes \u202eseligarf"})),
		category(with(categoryBody(), "names", object{"fr": "Vannes\u001b[31m"})),
		rule(with(ruleBody(), "name", "Remise \u202eetsilaicéps")),

		category(with(categoryBody(), "position", raw(maxInt64))),
		category(with(categoryBody(), "position", raw(maxInt64Plus))),
		rule(with(ruleBody(), "priority", raw(maxInt64))),
		rule(with(ruleBody(), "priority", raw(maxInt64Plus))),
		product(with(productBody(), "minOrderQty", raw(maxInt64))),
		product(with(productBody(), "orderMultiple", raw(maxInt64))),
		product(with(productBody(), "packagings", []any{object{"kind": "unit", "units": 1}, object{"kind": "pallet", "units": raw(maxInt64)}})),
		product(with(productBody(), "basePrice", "999999999999.999999")),

		storefront(with(sf, "host", "127.0.0.1")),
		storefront(with(sf, "host", "[::1]")),
		storefront(with(sf, "host", "::1")),
		storefront(with(sf, "host", "10.0.0.1")),
		storefront(with(sf, "host", "hydro-fr.localhost:3000")),
		storefront(with(sf, "host", "hx_val."+hydroDomain)),
		// Another merchant's domain, where it has no storefront yet.
		admin("PUT", "/admin/storefronts/hx-claim", storefrontBody("jardin-be.localhost"), refused),

		// Tax: bad countries, categories, days and percents; settings out
		// of bounds; customers without a number or unknown.
		rate("XX", "standard", "2031-01-01", rateBody()),
		rate("EU", "standard", "2031-01-01", rateBody()),
		rate("F%00", "standard", "2031-01-01", rateBody()),
		rate("FR", "luxury", "2031-01-01", rateBody()),
		rate("FR", "standard", "2031-02-30", rateBody()),
		rate("FR", "standard", "0000-00-00", rateBody()),
		rate("FR", "standard", "31-01-2031", rateBody()),
		rate("FR", "standard", "2031-01-01T00:00:00Z", rateBody()),
		rate("FR", "standard", "2031-01-01", object{"percent": "100"}),
		rate("FR", "standard", "2031-01-01", object{"percent": "-5"}),
		rate("FR", "standard", "2031-01-01", object{"percent": " 5"}),
		rate("FR", "standard", "2031-01-01", object{"percent": "5.00001"}),
		rate("FR", "standard", "2031-01-01", object{"percent": raw("5.5")}),
		rate("FR", "standard", "2031-01-01", object{"percent": "NaN"}),
		rate("FR", "standard", "2031-01-01", object{"percent": "Infinity"}),
		rate("FR", "standard", "2031-01-01", object{}),
		admin("GET", "/admin/tax/rates?on=2031-13-01", nil, badRequest),
		admin("GET", "/admin/tax/rates?country=%E2%80%AEFR", nil, badRequest),
		admin("PUT", "/admin/vat/settings", object{"euThreshold": "0"}, badRequest),
		admin("PUT", "/admin/vat/settings", object{"euThreshold": "1000000000"}, badRequest),
		admin("PUT", "/admin/vat/settings", object{"countryThresholds": object{"CH": "35000"}}, badRequest),
		admin("PUT", "/admin/vat/settings", object{"countryThresholds": object{"GR": "35000", "EL": "35000"}}, badRequest),
		admin("PUT", "/admin/vat/settings", object{"optIn": object{"from": "2031-02-30"}}, badRequest),
		admin("PUT", "/admin/vat/settings", object{"optIn": object{"from": "2031-01-01", "by": "someone else"}}, badRequest),
		{group: "validation", method: "POST", host: w.fr, path: "/admin/customers/P0001/vat-check", token: w.staff, viewer: w.staffFR,
			want: []int{http.StatusUnprocessableEntity}, check: problemType("no-vat-number")},
		{group: "validation", method: "POST", host: w.fr, path: "/admin/customers/HX-NOBODY/vat-check", token: w.staff, viewer: w.staffFR, want: notFound},
		{group: "validation", method: "POST", host: w.fr, path: "/admin/customers/a%23b/vat-check", token: w.staff, viewer: w.staffFR, want: notFound},
		{group: "validation", method: "POST", host: w.fr, path: "/admin/customers/C0001/vat-check", token: w.staff, body: []byte("garbage"), viewer: w.staffFR, want: okStatus},
		{group: "validation", method: "GET", host: w.fr, path: "/admin/vat/ledger", token: w.staff, viewer: w.staffFR, want: okStatus},
		{group: "validation", method: "GET", host: w.fr, path: "/admin/tax/rates", token: w.staff, viewer: w.staffFR, want: okStatus},
	}
}

func crossMerchantRequests(w *hostileWorld) []hostileRequest {
	get := func(host, path, token string, v *viewer, want []int) hostileRequest {
		return hostileRequest{group: "visibility", method: "GET", host: host, path: path, token: token, viewer: v, want: want}
	}
	quote := func(host, token string, v *viewer, ref string, want []int) hostileRequest {
		return hostileRequest{group: "visibility", method: "POST", host: host, path: "/pricing/quote", token: token, viewer: v, want: want,
			body: jsonOf(object{"lines": []any{object{"ref": ref, "quantity": 1}}})}
	}
	unknownLine := []int{http.StatusNotFound, http.StatusUnprocessableEntity}
	return []hostileRequest{
		get(w.fr, "/admin/products/"+demo.PumpRef, w.jardinStaff, w.otherMerchant, unauthenticated),
		get(w.fr, "/admin/categories", w.jardinStaff, w.otherMerchant, unauthenticated),
		get(w.fr, "/admin/pricing", w.jardinStaff, w.otherMerchant, unauthenticated),
		get(w.fr, "/catalog/categories/POMPES-DOSEUSES/products", w.jardinStaff, w.otherMerchant, unauthenticated),
		get(w.jardin, "/admin/products/"+demo.PumpRef, w.jardinStaff, w.jardinStaffJardin, notFound),
		get(w.jardin, "/admin/categories", w.jardinStaff, w.jardinStaffJardin, okStatus),
		get(w.jardin, "/admin/pricing", w.jardinStaff, w.jardinStaffJardin, okStatus),
		get(w.jardin, "/admin/assortments", w.jardinStaff, w.jardinStaffJardin, okStatus),
		get(w.jardin, "/catalog/search?q=pompe", "", w.anonJardin, okStatus),
		get(w.jardin, "/catalog/search?q=PMP", "", w.anonJardin, okStatus),
		get(w.jardin, "/catalog/products/"+demo.PumpRef, "", w.anonJardin, notFound),
		get(w.jardin, "/catalog/categories/POMPES/products", "", w.anonJardin, notFound),
		get(w.jardin, "/catalog/categories", w.buyer, w.anonJardin, unauthenticated),
		quote(w.jardin, w.jardinStaff, w.jardinStaffJardin, demo.PumpRef, unknownLine),
		{group: "visibility", method: "PUT", host: w.jardin, path: "/admin/assortments/customer/J001", token: w.jardinStaff, viewer: w.jardinStaffJardin,
			body: jsonOf(object{"products": []any{demo.PumpRef}}), want: badRequest},

		get(w.fr, "/catalog/categories/POMPES-CENTRI/products", w.assorted, w.assortedFR, notFound),
		get(w.fr, "/catalog/categories/SAV-ROUES/products", w.assorted, w.assortedFR, notFound),
		get(w.fr, "/catalog/products/POMPES-CENTRI-101", w.assorted, w.assortedFR, notFound),
		get(w.fr, "/catalog/search?q=pompe&limit=100", w.assorted, w.assortedFR, okStatus),
		get(w.fr, "/catalog/search?q=POMPES&limit=100", w.assorted, w.assortedFR, okStatus),
		quote(w.fr, w.assorted, w.assortedFR, "POMPES-CENTRI-101", unknownLine),
		get(w.fr, "/catalog/products/"+demo.PumpRef, w.consumer, w.consumerFR, notFound),
		get(w.fr, "/catalog/search?q=pompe&limit=100", w.consumer, w.consumerFR, okStatus),
		quote(w.fr, w.consumer, w.consumerFR, demo.PumpRef, unknownLine),
		get(w.fr, "/catalog/categories/SAV-ROUES/products", "", w.anonFR, notFound),
		get(w.fr, "/catalog/products/SAV-ROUES-101", "", w.anonFR, notFound),
		get(w.fr, "/catalog/search?q=roue&limit=100", "", w.anonFR, okStatus),
		get(w.be, "/catalog/products/"+demo.PumpRef, "", w.anonBE, notFound),
		get(w.be, "/catalog/search?q=pompe&limit=100", "", w.anonBE, okStatus),
		get(w.de, "/catalog/categories", "", w.anonFR, unauthenticated),
	}
}

// cursorRequests replays cursors where they were not issued, forges them,
// and walks lists one small page at a time: a cursor never names what the
// caller may not see.
func cursorRequests(s *hostileSuite, w *hostileWorld) {
	list := func(host, category, token string, v *viewer, limit int, cursor string) hostileRequest {
		p := fmt.Sprintf("/catalog/categories/%s/products?limit=%d", category, limit)
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		return hostileRequest{group: "cursor", method: "GET", host: host, path: p, token: token, viewer: v}
	}
	search := func(host, q, token string, v *viewer, limit int, cursor string) hostileRequest {
		p := fmt.Sprintf("/catalog/search?q=%s&limit=%d", url.QueryEscape(q), limit)
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		return hostileRequest{group: "cursor", method: "GET", host: host, path: p, token: token, viewer: v}
	}
	harvest := func(r hostileRequest) string {
		r.want = okStatus
		a := s.one(r)
		var page struct {
			NextCursor string `json:"nextCursor"`
		}
		_ = json.Unmarshal(a.body, &page)
		if page.NextCursor == "" {
			s.offend(r, a, "no cursor to replay")
		}
		return url.QueryEscape(page.NextCursor)
	}
	anonValves := harvest(list(w.fr, "VANNES-BILLE", "", w.anonFR, 2, ""))
	buyerValves := harvest(list(w.fr, "VANNES-BILLE", w.buyer, w.buyerFR, 2, ""))
	anonButterfly := harvest(list(w.fr, "VANNES-PAPILLON", "", w.anonFR, 2, ""))
	anonSearch := harvest(search(w.be, "vanne", "", w.anonBE, 2, ""))

	expect := func(r hostileRequest, want []int) hostileRequest {
		r.group, r.want = "cursor replay", want
		return r
	}
	unescaped := func(c string) string {
		u, _ := url.QueryUnescape(c)
		return u
	}
	reqs := []hostileRequest{
		expect(list(w.be, "VANNES-BILLE", "", w.anonBE, 2, anonValves), badRequest),
		expect(list(w.fr, "VANNES-BILLE", w.buyer, w.buyerFR, 2, anonValves), badRequest),
		expect(list(w.fr, "VANNES-BILLE", w.buyer2, w.buyer2FR, 2, buyerValves), badRequest),
		expect(list(w.fr, "VANNES-BILLE", "", w.anonFR, 2, buyerValves), badRequest),
		expect(list(w.fr, "VANNES-PAPILLON", "", w.anonFR, 2, anonValves), badRequest),
		expect(list(w.fr, "VANNES-BILLE", "", w.anonFR, 2, anonButterfly), badRequest),
		expect(list(w.jardin, "VANNES-BILLE", "", w.anonJardin, 2, anonValves), badOrNotFound),
		expect(search(w.be, "pompe", "", w.anonBE, 2, anonSearch), badRequest),
		expect(search(w.fr, "vanne", "", w.anonFR, 2, anonSearch), badRequest),
		expect(search(w.fr, "vanne", "", w.anonFR, 2, anonValves), badRequest),
		expect(list(w.be, "VANNES-BILLE", "", w.anonBE, 2, anonSearch), badRequest),
	}
	forged := func(c string) hostileRequest {
		r := list(w.fr, "VANNES-BILLE", "", w.anonFR, 2, c)
		r.group, r.want = "cursor forgery", badRequest
		return r
	}
	forgedSearch := func(c string) hostileRequest {
		r := search(w.be, "vanne", "", w.anonBE, 2, c)
		r.group, r.want = "cursor forgery", badRequest
		return r
	}
	b64 := func(s string) string { return url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte(s))) }
	hidden := hiddenRefIn(w.anonFR, "POMPES-DOSEUSES-")
	valves := unescaped(anonValves)
	reqs = append(reqs,
		forged(url.QueryEscape(flip(valves))),
		forged(url.QueryEscape(valves[:max(0, len(valves)-3)])),
		forged(anonValves+"AA"),
		forged(url.QueryEscape(namingRef(valves, "VANNES-BILLE-150"))),
		forged(url.QueryEscape(namingRef(valves, hidden))),
		forged(b64(`{"a":"VANNES-BILLE-150"}`)),
		forged(b64(`{"s":"","a":"`+hidden+`"}`)),
		forged(b64("null")),
		forged("%%%%"),
		forged("%zz"),
		forged(strings.Repeat("A", 3000)),
		forgedSearch(url.QueryEscape(namingRef(unescaped(anonSearch), demo.PumpRef+"#fr"))),
		forgedSearch(url.QueryEscape(flip(unescaped(anonSearch)))),
	)
	s.run(6, reqs...)

	// Walks, one small page at a time, of lists holding hidden products.
	walks := []hostileRequest{
		list(w.be, "POMPES-DOSEUSES", "", w.anonBE, 3, ""),
		list(w.be, "POMPES-CHIMIE", "", w.anonBE, 3, ""),
		list(w.fr, "VANNES-BILLE", "", w.anonFR, 3, ""),
		list(w.fr, "POMPES-CHIMIE", w.assorted, w.assortedFR, 3, ""),
		list(w.fr, "POMPES-DOSEUSES", w.consumer, w.consumerFR, 3, ""),
		search(w.be, "pompe", "", w.anonBE, 3, ""),
		search(w.be, "POMPES-DOSEUSES", "", w.anonBE, 3, ""),
		search(w.fr, "doseuse", w.consumer, w.consumerFR, 3, ""),
		search(w.fr, "pompe", w.assorted, w.assortedFR, 3, ""),
		search(w.fr, "roue", "", w.anonFR, 3, ""),
	}
	var wg sync.WaitGroup
	for _, start := range walks {
		wg.Go(func() { walk(s, start, 8) })
	}
	wg.Wait()
}

// walk follows a list's cursors for at most pages pages.
func walk(s *hostileSuite, r hostileRequest, pages int) {
	r.group = "cursor walk"
	base := r.path
	for range pages {
		a := s.one(r)
		var page struct {
			NextCursor string `json:"nextCursor"`
		}
		if a.status != http.StatusOK || json.Unmarshal(a.body, &page) != nil || page.NextCursor == "" {
			return
		}
		r.path = base + "&cursor=" + url.QueryEscape(page.NextCursor)
	}
}

// hiddenRefIn is a product hidden from v whose reference starts with
// prefix.
func hiddenRefIn(v *viewer, prefix string) string {
	for ref := range v.hidden {
		if strings.HasPrefix(ref, prefix) {
			return ref
		}
	}
	return prefix + "101"
}

// flip changes one character in the middle of a cursor.
func flip(c string) string {
	if c == "" {
		return "A"
	}
	b := []byte(c)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// namingRef is the cursor with the reference it resumes after replaced,
// when it decodes as JSON; else a cursor of the same shape naming ref.
func namingRef(c, ref string) string {
	if b, err := base64.RawURLEncoding.DecodeString(c); err == nil {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			if _, found := m["a"]; found {
				m["a"] = ref
				return base64.RawURLEncoding.EncodeToString(jsonOf(m))
			}
		}
	}
	return base64.RawURLEncoding.EncodeToString(jsonOf(object{"s": "00000000", "a": ref}))
}

// overflowRequests: a pallet of 2^63-1 units, quantities near 2^63. No
// quote holds a negative amount, and units are quantity × packaging units.
func overflowRequests(s *hostileSuite, w *hostileWorld) {
	s.one(hostileRequest{group: "overflow", method: "PUT", host: w.fr, path: "/admin/products/HX-PALLET", token: w.staff, viewer: w.staffFR, want: badRequest,
		body: jsonOf(with(productBody(), "packagings", []any{object{"kind": "unit", "units": 1}, object{"kind": "pallet", "units": raw(maxInt64)}}))})
	quote := func(token string, v *viewer, ref string, quantity string, packaging string, packUnits int64) hostileRequest {
		line := object{"ref": ref, "quantity": raw(quantity)}
		if packaging != "" {
			line["packaging"] = packaging
		}
		return hostileRequest{group: "overflow", method: "POST", host: w.fr, path: "/pricing/quote", token: token, viewer: v,
			body:  jsonOf(object{"lines": []any{line}}),
			want:  []int{http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity},
			check: soundQuote(packUnits)}
	}
	s.run(6,
		quote(w.buyer, w.buyerFR, "HX-PALLET", "2", "pallet", 1<<63-1),
		quote(w.staff, w.staffFR, "HX-PALLET", "2", "pallet", 1<<63-1),
		quote(w.buyer, w.buyerFR, "VANNES-BILLE-101", maxInt64, "", 1),
		quote(w.buyer, w.buyerFR, "VANNES-BILLE-101", "23058430092136940", "pallet", 400),
		quote(w.buyer, w.buyerFR, "ETANCH-TORIQUES-101", "1844674407370956", "pallet", 5000),
		quote(w.staff, w.staffFR, "ETANCH-TORIQUES-101", "1844674407370956", "pallet", 5000),
		quote(w.buyer, w.buyerFR, demo.FilterRef, "-1", "", 1),
		quote(w.buyer, w.buyerFR, demo.FilterRef, "0", "", 1),
		quote(w.buyer, w.buyerFR, demo.FilterRef, maxInt64Plus, "", 1),
	)
}

// soundQuote checks a priced quote: no negative amount anywhere, and each
// line's units are its quantity times packUnits.
func soundQuote(packUnits int64) func(answer) []string {
	return func(a answer) []string {
		if a.status != http.StatusOK {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(a.body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return []string{"quote does not decode: " + err.Error()}
		}
		out := negatives("", v)
		var q struct {
			Lines []struct {
				Quantity json.Number `json:"quantity"`
				Units    json.Number `json:"units"`
			} `json:"lines"`
		}
		if json.Unmarshal(a.body, &q) == nil {
			for i, l := range q.Lines {
				qty, ok1 := new(big.Int).SetString(l.Quantity.String(), 10)
				units, ok2 := new(big.Int).SetString(l.Units.String(), 10)
				if ok1 && ok2 && units.Cmp(new(big.Int).Mul(qty, big.NewInt(packUnits))) != 0 {
					out = append(out, fmt.Sprintf("lines[%d]: %s units for %s × %d", i, units, qty, packUnits))
				}
			}
		}
		return out
	}
}

// negatives lists the negative numbers and decimal strings in v.
func negatives(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out = append(out, negatives(path+"."+k, e)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, negatives(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	case json.Number:
		if strings.HasPrefix(x.String(), "-") {
			out = append(out, "negative "+path+" = "+x.String())
		}
	case string:
		if d, err := decimal.NewFromString(x); err == nil && d.IsNegative() {
			out = append(out, "negative "+path+" = "+x)
		}
	}
	return out
}

// concurrentSaves saves one product 20 times at once under different names,
// then as inactive and pro-only: no anonymous or buyer search finds it by any
// of its names, and its page is gone.
func concurrentSaves(s *hostileSuite, w *hostileWorld) {
	put := func(name string, extra ...any) hostileRequest {
		body := with(productBody(), append([]any{"names", object{"fr": "Corps course " + name}}, extra...)...)
		return hostileRequest{group: "concurrent saves", method: "PUT", host: w.fr, path: "/admin/products/HX-RACE", token: w.staff,
			body: jsonOf(body), viewer: w.staffFR, want: saved}
	}
	s.one(put("hxraceinit"))
	var racers []hostileRequest
	words := []string{"hxraceinit", "hxracefinal"}
	for i := range 20 {
		word := fmt.Sprintf("hxrace%02d", i)
		words = append(words, word)
		// A save that loses every retry against the others is a 409
		// conflict, which the API documents; never a 500.
		racer := put(word)
		racer.want = append(slices.Clone(saved), http.StatusConflict)
		racers = append(racers, racer)
	}
	s.run(20, racers...)
	s.one(put("hxracefinal", "inactive", true, "proOnly", true))
	w.later.add("HX-RACE")

	var checks []hostileRequest
	for _, word := range words {
		for _, c := range []struct {
			host, token string
			v           *viewer
		}{{w.be, "", w.anonBE}, {w.fr, "", w.anonFR}, {w.fr, w.buyer, w.buyerFR}} {
			checks = append(checks, hostileRequest{group: "concurrent saves", method: "GET", host: c.host, token: c.token, viewer: c.v, want: okStatus,
				path: "/catalog/search?limit=100&q=" + word})
		}
	}
	checks = append(checks,
		hostileRequest{group: "concurrent saves", method: "GET", host: w.be, path: "/catalog/search?limit=100&q=HX-RACE", viewer: w.anonBE, want: okStatus},
		hostileRequest{group: "concurrent saves", method: "GET", host: w.be, path: "/catalog/products/HX-RACE", viewer: w.anonBE, want: notFound},
		hostileRequest{group: "concurrent saves", method: "GET", host: w.fr, path: "/catalog/products/HX-RACE", token: w.buyer, viewer: w.buyerFR, want: notFound},
		hostileRequest{group: "concurrent saves", method: "GET", host: w.be, path: "/catalog/categories/" + hostileCategory + "/products?limit=100", viewer: w.anonBE, want: okStatus},
	)
	s.run(6, checks...)
}

// hostRace has two storefronts of one merchant, and another merchant's,
// claim one new host at the same moment, a few times: at most one of them
// gets it.
func hostRace(s *hostileSuite, w *hostileWorld) {
	for round := range 5 {
		host := fmt.Sprintf("race-%d.%s", round, hydroDomain)
		claim := func(via, token, id string, v *viewer, want []int) hostileRequest {
			return hostileRequest{group: "host race", method: "PUT", host: via, path: "/admin/storefronts/" + id, token: token, viewer: v,
				body: jsonOf(storefrontBody(host)), want: want}
		}
		reqs := []hostileRequest{
			claim(w.fr, w.staff, fmt.Sprintf("hxracea%d", round), w.staffFR, []int{http.StatusCreated, http.StatusConflict}),
			claim(w.fr, w.staff, fmt.Sprintf("hxraceb%d", round), w.staffFR, []int{http.StatusCreated, http.StatusConflict}),
			claim(w.jardin, w.jardinStaff, fmt.Sprintf("hxrace%d", round), w.jardinStaffJardin, refused),
		}
		as := s.run(len(reqs), reqs...)
		var got []string
		for i, a := range as {
			if a.status/100 == 2 {
				got = append(got, fmt.Sprintf("%s (%d)", reqs[i].path, a.status))
			}
		}
		if len(got) > 1 {
			s.offend(reqs[0], as[0], fmt.Sprintf("host %s given to %d storefronts: %s", host, len(got), strings.Join(got, ", ")))
		}
	}
}

// orderRouteRequests are the hostile inputs of the cart, checkout, orders
// and new back-office routes: long ids in paths and bodies, an oversized
// Idempotency-Key, bad If-Match versions, a pasted CSV of 10,000 lines,
// quantities over int64, forged cursors and bad days. None may be a 500.
func orderRouteRequests(w *hostileWorld) []hostileRequest {
	echo := [][]byte{[]byte(longID)}
	req := func(token string, v *viewer, method, path string, body []byte, want []int, header map[string]string) hostileRequest {
		return hostileRequest{group: "orders", method: method, host: w.fr, path: path, token: token, body: body, viewer: v, want: want, echo: echo, header: header}
	}
	buyer := func(method, path string, body any, want []int) hostileRequest {
		var b []byte
		if body != nil {
			b = jsonOf(body)
		}
		return req(w.buyer2, w.buyer2FR, method, path, b, want, nil)
	}
	staff := func(method, path string, body any, want []int) hostileRequest {
		var b []byte
		if body != nil {
			b = jsonOf(body)
		}
		return req(w.staff, w.staffFR, method, path, b, want, nil)
	}
	ifMatch := func(v string) hostileRequest {
		r := buyer("POST", "/cart/lines", object{"ref": demo.FilterRef, "quantity": 1}, []int{http.StatusBadRequest, http.StatusConflict})
		r.header = map[string]string{"If-Match": v}
		r.echo = append(r.echo, []byte(v))
		return r
	}
	checkout := object{"shippingMethod": "standard", "paymentMethod": "card"}
	hugeKey := strings.Repeat("k", 3000)
	keyed := func(key string) hostileRequest {
		r := buyer("POST", "/checkout", checkout, refusedOrInvalid)
		r.header = map[string]string{"Idempotency-Key": key}
		r.echo = append(r.echo, []byte(key))
		return r
	}
	var csvLines strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&csvLines, "%s;%d\n", demo.FilterRef, i+1)
	}
	pasted := func(body string, want []int) hostileRequest {
		r := req(w.buyer2, w.buyer2FR, "POST", "/cart/quick-order", []byte(body), want, map[string]string{"Content-Type": "text/csv"})
		return r
	}
	anyAnswer := []int(nil)
	return []hostileRequest{
		// Long ids in paths, queries and bodies.
		buyer("PUT", "/cart/lines/"+longID, object{"quantity": 1}, badOrNotFound),
		buyer("DELETE", "/cart/lines/"+longID, nil, badOrNotFound),
		buyer("DELETE", "/cart/lines/"+demo.FilterRef+"?packaging="+longID, nil, []int{http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity}),
		buyer("POST", "/cart/lines", object{"ref": longID, "quantity": 1}, refusedOrInvalid),
		buyer("POST", "/cart/lines", object{"ref": demo.FilterRef, "quantity": 1, "packaging": longID}, refusedOrInvalid),
		buyer("POST", "/cart/reorder", object{"order": longID}, badOrNotFound),
		staff("GET", "/cart?customer="+longID, nil, badRequest),
		staff("DELETE", "/cart?customer="+longID, nil, badRequest),
		req(w.rep, w.repFR, "GET", "/cart?customer="+longID, nil, []int{http.StatusBadRequest, http.StatusForbidden}, nil),
		staff("POST", "/checkout", with(checkout, "customer", longID), []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity}),
		buyer("POST", "/checkout", with(checkout, "shippingMethod", longID), refusedOrInvalid),
		buyer("POST", "/checkout", with(checkout, "orderReference", longID), refusedOrInvalid),
		buyer("POST", "/checkout", with(checkout, "deliveryAddress", longID), refusedOrInvalid),
		buyer("GET", "/orders/"+longID, nil, badOrNotFound),
		buyer("POST", "/orders/"+longID+"/cancel", nil, badOrNotFound),
		staff("POST", "/orders/"+longID+"/paid", nil, badOrNotFound),
		buyer("POST", "/orders/"+longID+"/paid", nil, []int{http.StatusBadRequest, http.StatusForbidden}),
		staff("GET", "/orders?customer="+longID, nil, badRequest),
		staff("GET", "/orders/export?customer="+longID, nil, badRequest),
		staff("PUT", "/admin/customers/"+longID+"/payment", object{"terms": "30d", "methods": []any{"card"}}, badOrNotFound),
		// An Idempotency-Key of 3000 bytes, or with '#', '/' or a space.
		keyed(hugeKey), keyed("a#b"), keyed("a/b"), keyed("a b"),
		// Bad If-Match versions.
		ifMatch(`"abc"`), ifMatch(`"99999999999999999999999"`), ifMatch(`"-1"`), ifMatch(`3`), ifMatch(`""`),
		ifMatch(`"` + strings.Repeat("9", 3000) + `"`),
		// A pasted order of 10,000 lines, lines whose quantities overflow.
		pasted(csvLines.String(), []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}),
		pasted(demo.FilterRef+";"+maxInt64Plus+"\n", anyAnswer),
		pasted(demo.FilterRef+";"+maxInt64+"\n", anyAnswer),
		pasted(demo.FilterRef+";"+hugeDecimal+"\n", anyAnswer),
		// Quantities over int64.
		buyer("POST", "/cart/lines", object{"ref": demo.FilterRef, "quantity": raw(maxInt64Plus)}, refusedOrInvalid),
		buyer("POST", "/cart/lines", object{"ref": demo.FilterRef, "quantity": raw(maxInt64)}, refusedOrInvalid),
		buyer("POST", "/cart/lines", object{"ref": demo.FilterRef, "quantity": raw(hugeDecimal)}, refusedOrInvalid),
		buyer("PUT", "/cart/lines/"+demo.FilterRef, object{"quantity": raw(maxInt64Plus)}, refusedOrInvalid),
		buyer("POST", "/cart/quick-order", object{"lines": []any{object{"ref": demo.FilterRef, "quantity": raw(maxInt64Plus)}}}, anyAnswer),
		buyer("POST", "/cart/quick-order", object{"lines": []any{object{"ref": demo.FilterRef, "quantity": raw(maxInt64)}}}, anyAnswer),
		// Forged cursors.
		buyer("GET", "/orders?cursor=garbage", nil, badRequest),
		buyer("GET", "/orders?cursor="+strings.Repeat("A.", 40), nil, badRequest),
		staff("GET", "/orders?cursor="+longID, nil, badRequest),
		staff("GET", "/orders?cursor=%zz", nil, badRequest),
		// Bad days and limits.
		buyer("GET", "/orders?from=2026-02-30", nil, badRequest),
		buyer("GET", "/orders?to=99999-01-01", nil, badRequest),
		buyer("GET", "/orders?from="+longID, nil, badRequest),
		buyer("GET", "/orders?from=2026-12-02&to=2026-01-01", nil, badRequest),
		buyer("GET", "/orders?limit="+maxInt64Plus, nil, badRequest),
		buyer("GET", "/orders?status="+longID, nil, badRequest),
		staff("GET", "/orders/export?from=0001-01-01", nil, badRequest),
		staff("GET", "/orders/export?to=2026-13-01", nil, badRequest),
		buyer("POST", "/checkout", with(checkout, "requestedDelivery", "2026-13-45"), refusedOrInvalid),
		buyer("POST", "/checkout", with(checkout, "requestedDelivery", "1999-01-01"), refusedOrInvalid),
		buyer("POST", "/checkout", with(checkout, "requestedDelivery", longID), refusedOrInvalid),
		staff("GET", "/admin/stock/alerts?cursor="+longID, nil, []int{http.StatusOK, http.StatusBadRequest}),
	}
}
