package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
)

// orderingExchange sends one request to h on the checkout fixture's
// storefront as caller c and keeps a twin of it for the validator.
func orderingExchange(t *testing.T, f *checkoutFixture, h http.Handler, c identity.Caller, method, path string, header map[string]string, body any) exchange {
	t.Helper()
	tok, err := f.issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	build := func() *http.Request {
		req := httptest.NewRequest(method, path, strings.NewReader(string(raw)))
		req.Host = coHost
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return req
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, build())
	return exchange{req: build(), body: raw, resp: response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}}
}

// orderingAPIs are the cart and orders functions over the checkout
// fixture's table.
func orderingAPIs(t *testing.T, f *checkoutFixture) (cartAPI, ordersAPI http.Handler) {
	t.Helper()
	tbl := f.table
	pipeline := func() *httpapi.Pipeline {
		return &httpapi.Pipeline{
			Storefronts: &dynamo.Storefronts{Table: tbl},
			Tokens:      &auth.Verifier{Issuer: f.issuer.Issuer, Audience: f.issuer.Audience, Keys: &auth.JWKS{URL: f.jwksURL}},
			Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		}
	}
	orders := &dynamo.Orders{Table: tbl}
	prices := &dynamo.Pricing{Table: tbl}
	quoter := &pricing.Quoter{Store: prices, Products: &dynamo.Catalog{Table: tbl}, Assortments: &dynamo.Assortments{Table: tbl}, Tax: taxInputs(tbl)}
	cartAPI = (&httpapi.CartAPI{
		Pipeline: pipeline(), Carts: &dynamo.Carts{Table: tbl}, Quoter: quoter, Catalog: &dynamo.Catalog{Table: tbl},
		Assortments: &dynamo.Assortments{Table: tbl}, Orders: orders, Now: func() time.Time { return coNow },
	}).Routes()
	ordersAPI = (&httpapi.OrdersAPI{
		Pipeline: pipeline(), Orders: orders, History: orders, Accounts: prices, Merchants: &dynamo.Merchants{Table: tbl},
		Cursors: testCursors(t),
	}).Routes()
	return cartAPI, ordersAPI
}

// TestOpenAPIContract_OrderingResponsesConform validates real exchanges of
// the cart, checkout and orders functions against docs/openapi.yaml:
// carts, a placed order and its replay, the refusals with their extension
// members, the history, the detail and the cancellation.
func TestOpenAPIContract_OrderingResponsesConform(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	cartAPI, ordersAPI := orderingAPIs(t, f)
	buyer := coBuyer(coSmallPro)
	check := func(e exchange, status int) exchange {
		t.Helper()
		if e.resp.status != status {
			t.Fatalf("%s %s: status %d, want %d: %s", e.req.Method, e.req.URL, e.resp.status, status, e.resp.body)
		}
		c.mustConform(t, e, true)
		return e
	}

	check(orderingExchange(t, f, cartAPI, buyer, "GET", "/cart", nil, nil), 200)
	check(orderingExchange(t, f, cartAPI, buyer, "POST", "/cart/lines", nil, map[string]any{"ref": refA, "quantity": 4}), 200)
	got := check(orderingExchange(t, f, cartAPI, buyer, "GET", "/cart", nil, nil), 200)
	check(orderingExchange(t, f, cartAPI, buyer, "PUT", "/cart/lines/"+refA, map[string]string{"If-Match": `"99"`}, map[string]any{"quantity": 5}), 409)
	check(orderingExchange(t, f, cartAPI, buyer, "PUT", "/cart/lines/"+refA, map[string]string{"If-Match": got.resp.header.Get("ETag")}, map[string]any{"quantity": 4}), 200)
	check(orderingExchange(t, f, cartAPI, buyer, "POST", "/cart/lines", nil, map[string]any{"ref": "NOPE-1", "quantity": 1}), 422)
	check(orderingExchange(t, f, cartAPI, buyer, "POST", "/cart/quick-order", nil, map[string]any{"lines": []any{
		map[string]any{"ref": "NOPE-1", "quantity": 1}}}), 200)

	key := map[string]string{httpapi.IdempotencyKeyHeader: "conform-1"}
	placed := check(orderingExchange(t, f, f.handler, buyer, "POST", "/checkout", key, standard("on-account")), 201)
	check(orderingExchange(t, f, f.handler, buyer, "POST", "/checkout", key, standard("on-account")), 200)
	check(orderingExchange(t, f, f.handler, buyer, "POST", "/checkout", key, map[string]any{"shippingMethod": "express", "paymentMethod": "card"}), 409)
	check(orderingExchange(t, f, f.handler, buyer, "POST", "/checkout", nil, standard("card")), 422) // empty cart
	f.fillCart(t, buyer, line(refA, 1))
	check(orderingExchange(t, f, f.handler, buyer, "POST", "/checkout", nil, standard("on-account")), 422) // credit limit
	check(orderingExchange(t, f, f.handler, buyer, "POST", "/checkout", nil, map[string]any{"shippingMethod": "drone", "paymentMethod": "card"}), 422)

	id := decode[httpapi.OrderView](t, placed.resp).ID
	check(orderingExchange(t, f, ordersAPI, buyer, "GET", "/orders", nil, nil), 200)
	check(orderingExchange(t, f, ordersAPI, buyer, "GET", "/orders/"+id, nil, nil), 200)
	check(orderingExchange(t, f, cartAPI, buyer, "POST", "/cart/reorder", nil, map[string]any{"order": id}), 200)
	check(orderingExchange(t, f, ordersAPI, buyer, "POST", "/orders/"+id+"/cancel", nil, nil), 200)
	check(orderingExchange(t, f, ordersAPI, buyer, "POST", "/orders/"+id+"/cancel", nil, nil), 409)
	check(orderingExchange(t, f, ordersAPI, buyer, "GET", "/orders/NOPE", nil, nil), 404)
	check(orderingExchange(t, f, cartAPI, buyer, "DELETE", "/cart", nil, nil), 200)
}
