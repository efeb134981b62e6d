package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
)

// routeAccess is one caller on one route and the answer it must get.
type routeAccess struct {
	who    string
	token  string
	method string
	path   string
	body   string
	status int
	// slug is the problem type of an error answer.
	slug string
}

func checkRouteAccess(t *testing.T, do func(method, path, token, body string) response, cases []routeAccess) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.method+" "+c.path+"/"+c.who, func(t *testing.T) {
			r := do(c.method, c.path, c.token, c.body)
			if c.slug != "" {
				wantProblem(t, r, c.status, c.slug)
				return
			}
			wantStatus(t, r, c.status)
		})
	}
}

// The cart routes answer each kind of caller as documented: anonymous 401,
// a buyer naming another company 403, a rep outside their portfolio 403,
// the buyer of the company 2xx (or its business answer), staff 2xx for the
// customer they name, and a token of another merchant's staff 401.
func TestAccessMatrix_Cart(t *testing.T) {
	f := newCartFixture(t)
	buyerTok := f.buyerToken(t, "matrix")
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "l.bernard@hydrotech.fr", Merchant: demo.Hydro, Rep: "R01"})
	staff := f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	foreign := f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	// A past order of the buyer's company, which the reorder copies.
	f.placeOrder(t, order.Order{
		ID: "20261020-MATRIX01", Merchant: demo.Hydro, Customer: buyer.Customer, CustomerKind: "pro",
		PlacedBy: order.PlacedBy{Role: "buyer", ID: buyer.Subject}, PlacedAt: fixtureDay.AddDate(0, -1, 0), Status: order.Accepted,
		Storefront: "fr", ShipFrom: "FR",
		Lines: []order.Line{{PricedLine: pricing.PricedLine{Ref: demo.FilterRef, Quantity: 1, Packaging: catalog.Unit, Units: 1,
			UnitPrice: money.AmountIn(decimal.RequireFromString("10.00"), "EUR")}}},
		Totals: order.Totals{Currency: "EUR"},
	})
	// And one of a company outside the rep's portfolio.
	f.placeOrder(t, order.Order{
		ID: "20261020-MATRIX02", Merchant: demo.Hydro, Customer: "C0006", CustomerKind: "pro",
		PlacedBy: order.PlacedBy{Role: "buyer", ID: "achat@meunier.fr"}, PlacedAt: fixtureDay.AddDate(0, -1, 0), Status: order.Accepted,
		Storefront: "fr", ShipFrom: "FR",
		Lines: []order.Line{{PricedLine: pricing.PricedLine{Ref: demo.FilterRef, Quantity: 1, Packaging: catalog.Unit, Units: 1,
			UnitPrice: money.AmountIn(decimal.RequireFromString("10.00"), "EUR")}}},
		Totals: order.Totals{Currency: "EUR"},
	})
	routes := []struct {
		method, path, body string
		// ok is the buyer's and staff's answer, slug its problem if any.
		ok   int
		slug string
	}{
		{http.MethodGet, "/cart", "", 200, ""},
		{http.MethodPost, "/cart/lines", lineBody("%s", demo.FilterRef, 1, ""), 200, ""},
		{http.MethodPut, "/cart/lines/" + demo.FilterRef, `{"customer":"%s","quantity":2}`, 200, ""},
		{http.MethodDelete, "/cart/lines/" + demo.FilterRef, "", 200, ""},
		{http.MethodPost, "/cart/quick-order", `{"customer":"%s","lines":[{"ref":"` + demo.FilterRef + `","quantity":1}]}`, 200, ""},
		{http.MethodPost, "/cart/reorder", `{"customer":"%s","order":"20261020-MATRIX01"}`, 200, ""},
		{http.MethodDelete, "/cart", "", 200, ""},
	}
	var cases []routeAccess
	for _, rt := range routes {
		at := func(who, token, customer string, status int, slug string) routeAccess {
			path, body := rt.path, rt.body
			if body != "" {
				body = fmt.Sprintf(body, customer)
			} else if customer != "" {
				path += "?customer=" + customer
			}
			return routeAccess{who: who, token: token, method: rt.method, path: path, body: body, status: status, slug: slug}
		}
		cases = append(cases,
			at("anonymous", "", "", 401, "unauthenticated"),
			at("buyer of another company", buyerTok, "C0006", 403, "forbidden"),
			at("rep outside the portfolio", rep, "C0006", repOutside(rt.path), repOutsideSlug(rt.path)),
			at("buyer of the company", buyerTok, "", rt.ok, rt.slug),
			at("staff", staff, "C0001", rt.ok, rt.slug),
			at("another merchant's staff", foreign, "C0001", 401, "invalid-token"),
		)
	}
	// A reorder of the other company's order: refused to the buyer and
	// to the rep whose portfolio does not hold it.
	other := `{"customer":"C0006","order":"20261020-MATRIX02"}`
	cases = append(cases,
		routeAccess{"buyer, another company's order", buyerTok, http.MethodPost, "/cart/reorder", other, 403, "forbidden"},
		routeAccess{"rep, an order outside the portfolio", rep, http.MethodPost, "/cart/reorder", other, 403, "forbidden"},
	)
	checkRouteAccess(t, func(method, path, token, body string) response { return f.do(t, method, path, token, body) }, cases)
}

// repOutside is the answer to a rep naming a customer outside their
// portfolio: 403, but 404 on a reorder of an order of another customer
// than the one named (an order the caller may not see).
func repOutside(path string) int {
	if path == "/cart/reorder" {
		return 404
	}
	return 403
}

func repOutsideSlug(path string) string {
	if path == "/cart/reorder" {
		return "not-found"
	}
	return "forbidden"
}

// The orders routes: a buyer sees their company's orders only (another
// company's order is 404), a rep those of their portfolio, staff all;
// marking paid and exporting are for staff; another merchant's token is
// 401.
func TestAccessMatrix_Orders(t *testing.T) {
	f := newOrdersAPIFixture(t)
	mine := f.place(t, "20260101-MATRIX01", "C0001", f.base, payment.Card, 0, orderAlloc("1", 1))
	cancelMe := f.place(t, "20260101-MATRIX02", "C0001", f.base.Add(time.Minute), payment.Card, 0, orderAlloc("1", 1))
	payMe := f.place(t, "20260101-MATRIX03", "C0001", f.base.Add(2*time.Minute), payment.Card, 0, orderAlloc("1", 1))
	buyer, other := f.token(t, ordersBuyerC0001), f.token(t, ordersBuyerC0006)
	rep2, staff := f.token(t, ordersRepR02), f.token(t, ordersStaff)
	foreign := signForeign(t, f)
	list, detail := "/orders?customer=C0001", "/orders/"+mine.ID
	cancel, paid, export := "/orders/"+cancelMe.ID+"/cancel", "/orders/"+payMe.ID+"/paid", "/orders/export"
	cases := []routeAccess{
		{"anonymous", "", "GET", list, "", 401, "unauthenticated"},
		{"anonymous", "", "GET", detail, "", 401, "unauthenticated"},
		{"anonymous", "", "POST", cancel, "", 401, "unauthenticated"},
		{"anonymous", "", "POST", paid, "", 401, "unauthenticated"},
		{"anonymous", "", "GET", export, "", 401, "unauthenticated"},
		{"buyer of another company", other, "GET", list, "", 403, "forbidden"},
		{"buyer of another company", other, "GET", detail, "", 404, "not-found"},
		{"buyer of another company", other, "POST", cancel, "", 404, "not-found"},
		{"buyer of another company", other, "POST", paid, "", 403, "forbidden"},
		{"buyer of another company", other, "GET", export, "", 403, "forbidden"},
		{"rep outside the portfolio", rep2, "GET", list, "", 403, "forbidden"},
		{"rep outside the portfolio", rep2, "GET", detail, "", 404, "not-found"},
		{"rep outside the portfolio", rep2, "POST", cancel, "", 404, "not-found"},
		{"rep outside the portfolio", rep2, "POST", paid, "", 403, "forbidden"},
		{"rep outside the portfolio", rep2, "GET", export, "", 403, "forbidden"},
		{"another merchant's staff", foreign, "GET", list, "", 401, "invalid-token"},
		{"another merchant's staff", foreign, "GET", detail, "", 401, "invalid-token"},
		{"another merchant's staff", foreign, "POST", cancel, "", 401, "invalid-token"},
		{"another merchant's staff", foreign, "POST", paid, "", 401, "invalid-token"},
		{"another merchant's staff", foreign, "GET", export, "", 401, "invalid-token"},
		{"buyer of the company", buyer, "GET", list, "", 200, ""},
		{"buyer of the company", buyer, "GET", detail, "", 200, ""},
		{"buyer of the company", buyer, "POST", paid, "", 403, "forbidden"},
		{"buyer of the company", buyer, "GET", export, "", 403, "forbidden"},
		{"buyer of the company", buyer, "POST", cancel, "", 200, ""},
		{"staff", staff, "GET", list, "", 200, ""},
		{"staff", staff, "GET", detail, "", 200, ""},
		{"staff", staff, "GET", export, "", 200, ""},
		{"staff", staff, "POST", paid, "", 200, ""},
		{"staff, cancelled already", staff, "POST", cancel, "", 409, "not-cancellable"},
	}
	checkRouteAccess(t, func(method, path, token, body string) response { return f.do(t, method, path, token) }, cases)
}

// signForeign is a token of another merchant's staff (the fixture's token
// helper stamps its own merchant).
func signForeign(t *testing.T, f *ordersAPIFixture) string {
	t.Helper()
	tok, err := f.b.issuer.Sign(identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The new back-office routes are for staff of the merchant: anonymous 401,
// buyers and reps 403, another merchant's staff 401.
func TestAccessMatrix_AdminPaymentAndStock(t *testing.T) {
	f := newPaymentAdmin(t)
	buyer := f.token(t, identity.Caller{Role: identity.Buyer, Subject: "achat@meunier.fr", Merchant: demo.Hydro, Customer: "C0006"})
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Merchant: demo.Hydro, Rep: "R02"})
	routes := []struct{ method, path, body string }{
		{http.MethodPut, "/admin/customers/C0001/payment", `{"terms":{"days":30,"method":"net"},"methods":["card","on-account"],"creditLimit":"5000"}`},
		{http.MethodGet, "/admin/customers/C0001/payment", ""},
		{http.MethodPut, "/admin/payment/settings", `{"monthEnd":"end-of-month-then-days"}`},
		{http.MethodGet, "/admin/stock/alerts", ""},
		{http.MethodPut, "/admin/products/" + demo.PumpRef + "/pre-order", preOrderBody},
		{http.MethodDelete, "/admin/products/" + demo.PumpRef + "/pre-order", ""},
	}
	var cases []routeAccess
	for _, rt := range routes {
		cases = append(cases,
			routeAccess{"anonymous", "", rt.method, rt.path, rt.body, 401, "unauthenticated"},
			routeAccess{"buyer of another company", buyer, rt.method, rt.path, rt.body, 403, "forbidden"},
			routeAccess{"rep outside the portfolio", rep, rt.method, rt.path, rt.body, 403, "forbidden"},
			routeAccess{"another merchant's staff", f.jardinStaff, rt.method, rt.path, rt.body, 401, "invalid-token"},
		)
	}
	cases = append(cases, routeAccess{"staff", f.staff, http.MethodGet, "/admin/stock/alerts", "", 200, ""},
		routeAccess{"staff", f.staff, http.MethodGet, "/admin/customers/C0001/payment", "", 200, ""},
		routeAccess{"staff", f.staff, http.MethodPut, "/admin/products/" + demo.PumpRef + "/pre-order", preOrderBody, 200, ""},
		routeAccess{"staff", f.staff, http.MethodDelete, "/admin/products/" + demo.PumpRef + "/pre-order", "", 204, ""})
	checkRouteAccess(t, func(method, path, token, body string) response {
		var b any
		if body != "" {
			b = body
		}
		return f.do(t, f.admin, method, frHost, path, token, b)
	}, cases)
}

// A season's pre-order totals and their conversion are for staff of the
// merchant: anonymous 401, buyers and reps 403, another merchant's staff
// 401, staff 200.
func TestAccessMatrix_AdminPreOrders(t *testing.T) {
	f := newPreOrdersAdmin(t, nil)
	buyer := f.token(t, identity.Caller{Role: identity.Buyer, Subject: "achat@meunier.fr", Merchant: demo.Hydro, Customer: "C0006"})
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "k.vogel@hydrotech.fr", Merchant: demo.Hydro, Rep: "R02"})
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/admin/pre-orders/ete-2027/totals", ""},
		{http.MethodGet, "/admin/pre-orders/ete-2027/totals?format=csv", ""},
		{http.MethodPost, "/admin/pre-orders/ete-2027/convert", `{"limit":10}`},
	}
	var cases []routeAccess
	for _, rt := range routes {
		cases = append(cases,
			routeAccess{"anonymous", "", rt.method, rt.path, rt.body, 401, "unauthenticated"},
			routeAccess{"buyer of the company", buyer, rt.method, rt.path, rt.body, 403, "forbidden"},
			routeAccess{"rep of the customer", rep, rt.method, rt.path, rt.body, 403, "forbidden"},
			routeAccess{"another merchant's staff", f.jardinStaff, rt.method, rt.path, rt.body, 401, "invalid-token"},
			routeAccess{"staff", f.staff, rt.method, rt.path, rt.body, 200, ""},
		)
	}
	checkRouteAccess(t, func(method, path, token, body string) response {
		var b any
		if body != "" {
			b = body
		}
		return f.do(t, f.admin, method, frHost, path, token, b)
	}, cases)
}

// The checkout: anonymous 401, a buyer naming another company 403, a rep
// outside their portfolio 403, the buyer of the company with an empty cart
// its business answer (422 empty-cart), another merchant's token 401.
func TestAccessMatrix_Checkout(t *testing.T) {
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	body := standard("card")
	naming := func(customerID string) map[string]any {
		b := standard("card")
		b["customer"] = customerID
		return b
	}
	wantProblem(t, f.checkoutAnonymous(t, body), 401, "unauthenticated")
	buyer := coBuyer(coPro)
	wantProblem(t, f.checkout(t, buyer, "", naming(coSmallPro)), 403, "forbidden")
	rep := identity.Caller{Role: identity.Rep, Subject: "lea@example.test", Merchant: coMerchant, Rep: "R1"}
	wantProblem(t, f.checkout(t, rep, "", naming(coSmallPro)), 403, "forbidden")
	wantProblem(t, f.checkout(t, buyer, "", body), 422, "empty-cart")
	foreign := identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin}
	wantProblem(t, f.checkout(t, foreign, "", naming(coPro)), 401, "invalid-token")
}
