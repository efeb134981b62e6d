package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/auth"
	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tariff"
	"github.com/comptoir/comptoir/shared/testenv"
)

// The checkout world: one merchant in Paris with a French storefront, two
// warehouses and a few products.
const (
	coMerchant merchant.ID = "comptoir-co"
	coHost                 = "co-fr.localhost"
	// coPro buys on account, 30 days end of month, within €10,000;
	// coSmallPro likewise within €500; coConsumer pays by card or
	// transfer.
	coPro      = "PRO1"
	coSmallPro = "PRO2"
	coConsumer = "CONS1"
	// refA is held 5 in W1 and 3 in W2, refB (backorders allowed) 2 in
	// W1, refC 1,000 in W1.
	refA = "CO-A"
	refB = "CO-B"
	refC = "CO-C"
)

// coNow is the checkouts' clock: 15 January 2026 in Paris.
var coNow = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

func coMerchantRecord(monthEnd payment.MonthEndMethod) merchant.Merchant {
	return merchant.Merchant{ID: coMerchant, Name: "Comptoir Co", Country: "FR", DefaultLanguage: "fr", Currency: "EUR",
		Domains: []string{coHost}, TimeZone: "Europe/Paris", MonthEnd: monthEnd}
}

// coStorefront delivers in France (€15 standard, €30 express) and in
// Belgium (€25 standard), free from €1,000, serving W1 first.
func coStorefront() merchant.Storefront {
	free := decimal.NewFromInt(1000)
	return merchant.Storefront{ID: "fr", Merchant: coMerchant, Host: coHost, Country: "FR", Language: "fr", Currency: "EUR",
		Mode: merchant.Closed, MerchantLanguage: "fr", Warehouse: "W1",
		Shipping: merchant.Shipping{FreeFrom: &free, Methods: []merchant.ShippingMethod{
			{ID: "standard", Name: "Messagerie", Rates: []merchant.ShippingRate{{Country: "FR", Amount: decimal.NewFromInt(15)}, {Country: "BE", Amount: decimal.NewFromInt(25)}}},
			{ID: "express", Name: "Express", Rates: []merchant.ShippingRate{{Country: "FR", Amount: decimal.NewFromInt(30)}}},
		}},
		PaymentMethods: map[string][]string{"*": {"card", "transfer"}},
	}
}

func coProduct(ref, price string, backorder bool) catalog.Product {
	return catalog.Product{Ref: ref, CategoryID: "CO-CAT", Names: map[string]string{"fr": "Article " + ref},
		Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
		TaxCategory: "standard", BasePrice: decimal.RequireFromString(price), Currency: "EUR", Backorder: backorder}
}

func coCustomer(id string, kind customer.Kind, limit int64, terms *payment.Terms) customer.Customer {
	return customer.Customer{ID: id, Name: "Client " + id, Kind: kind, Country: "FR", CreditLimit: decimal.NewFromInt(limit),
		Address:           customer.Address{Line1: "1 rue de la Paix", PostalCode: "75002", City: "Paris", Country: "FR"},
		DeliveryAddresses: []customer.DeliveryAddress{{ID: "BRUXELLES", Address: customer.Address{Line1: "Rue Neuve 1", PostalCode: "1000", City: "Bruxelles", Country: "BE"}}},
		Payment:           customer.PaymentAccount{Terms: terms}}
}

// seedCheckoutWorld writes the merchant, its storefront, catalog,
// warehouses, stock and customers.
func seedCheckoutWorld(t testing.TB, tbl dynamo.Table, monthEnd payment.MonthEndMethod) {
	t.Helper()
	ctx := context.Background()
	if err := (&dynamo.Storefronts{Table: tbl}).Save(ctx, []merchant.Storefront{coStorefront()}); err != nil {
		t.Fatal(err)
	}
	cat := &dynamo.Catalog{Table: tbl}
	if err := cat.SaveCategories(ctx, coMerchant, []catalog.Category{{ID: "CO-CAT", Names: map[string]string{"fr": "Articles"}}}); err != nil {
		t.Fatal(err)
	}
	products := []catalog.Product{coProduct(refA, "100.00", false), coProduct(refB, "50.00", true), coProduct(refC, "10.00", false)}
	for _, ref := range manyRefs {
		products = append(products, coProduct(ref, "5.00", false))
	}
	if err := cat.SaveProducts(ctx, coMerchant, products); err != nil {
		t.Fatal(err)
	}
	terms := payment.ThirtyDaysEndOfMonth
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(coMerchant).Merchant(coMerchantRecord(monthEnd)).
		Customer(coCustomer(coPro, customer.Pro, 10000, &terms)).
		Customer(coCustomer(coSmallPro, customer.Pro, 500, &terms)).
		Customer(coCustomer(coConsumer, customer.Consumer, 0, nil)).
		Rep(customer.Rep{ID: "R1", Name: "Léa Bernard", Merchant: coMerchant, Customers: []string{coPro}}).
		Warehouse(stock.Warehouse{ID: "W1", Name: "Lyon", Country: "FR"}).
		Warehouse(stock.Warehouse{ID: "W2", Name: "Lille", Country: "FR"}).
		StockLevel(stock.Level{Ref: refA, Warehouse: "W1", OnHand: 5}).
		StockLevel(stock.Level{Ref: refA, Warehouse: "W2", OnHand: 3}).
		StockLevel(stock.Level{Ref: refB, Warehouse: "W1", OnHand: 2}).
		StockLevel(stock.Level{Ref: refC, Warehouse: "W1", OnHand: 1000})
	for _, ref := range manyRefs {
		b.StockLevel(stock.Level{Ref: ref, Warehouse: "W1", OnHand: 100}).StockLevel(stock.Level{Ref: ref, Warehouse: "W2", OnHand: 100})
	}
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
}

// manyRefs are ten products held 100 in W1 and 100 in W2, for carts of
// many lines.
var manyRefs = func() []string {
	refs := make([]string, 10)
	for i := range refs {
		refs[i] = fmt.Sprintf("CO-R%02d", i+1)
	}
	return refs
}()

// checkoutFixture is the checkout function over the checkout world, built
// as wiring builds it, on coNow.
type checkoutFixture struct {
	table   dynamo.Table
	issuer  *auth.DevIssuer
	jwksURL string
	carts   *dynamo.Carts
	orders  *dynamo.Orders
	handler http.Handler
}

func newCheckoutFixture(t *testing.T, monthEnd payment.MonthEndMethod) *checkoutFixture {
	t.Helper()
	tbl := testenv.Table(t)
	seedCheckoutWorld(t, tbl, monthEnd)
	iss, err := auth.NewDevIssuer("https://issuer.test", "comptoir-test")
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(iss)
	t.Cleanup(jwks.Close)
	f := &checkoutFixture{table: tbl, issuer: iss, jwksURL: jwks.URL, carts: &dynamo.Carts{Table: tbl}, orders: &dynamo.Orders{Table: tbl}}
	f.handler = f.api()
	return f
}

// api is a new checkout function instance: every cache empty.
func (f *checkoutFixture) api() http.Handler {
	return f.apiWith(nil, nil, nil)
}

// apiWith is a new checkout function instance whose order store,
// idempotency store and clock, when not nil, are those given.
func (f *checkoutFixture) apiWith(store order.Store, idem order.IdempotencyStore, now func() time.Time) http.Handler {
	tbl := f.table
	orders := &dynamo.Orders{Table: tbl, WarehousesTTL: time.Minute}
	if store == nil {
		store = orders
	}
	if idem == nil {
		idem = orders
	}
	if now == nil {
		now = func() time.Time { return coNow }
	}
	a := &httpapi.CheckoutAPI{
		Pipeline: &httpapi.Pipeline{
			Storefronts: &dynamo.Storefronts{Table: tbl, TTL: time.Minute},
			Tokens:      &auth.Verifier{Issuer: f.issuer.Issuer, Audience: f.issuer.Audience, Keys: &auth.JWKS{URL: f.jwksURL}},
			Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		},
		Carts: &dynamo.Carts{Table: tbl},
		Quoter: &pricing.Quoter{Store: &dynamo.Pricing{Table: tbl, TTL: time.Minute}, Products: &dynamo.Catalog{Table: tbl},
			Assortments: &dynamo.Assortments{Table: tbl, TTL: time.Minute}, Tax: taxInputs(tbl)},
		Orders: store, Idempotency: idem, Stock: orders, Payments: payment.Manual{},
		Now: now,
	}
	return a.Routes()
}

// is compares an amount of a response with want.
func is(a money.Amount, want string) bool { return a.Equal(decimal.RequireFromString(want)) }

func coBuyer(customerID string) identity.Caller {
	return identity.Caller{Role: identity.Buyer, Subject: "buyer@" + customerID, Merchant: coMerchant, Customer: customerID}
}

// ownerOf is the caller's cart among the customer's.
func ownerOf(c identity.Caller) cart.Owner {
	switch c.Role {
	case identity.Rep:
		return cart.Owner("R#" + c.Rep)
	case identity.Staff:
		return cart.Owner("S#" + c.Subject)
	}
	return cart.Owner("B#" + c.Subject)
}

// fillCart replaces the caller's cart's lines.
func (f *checkoutFixture) fillCart(t *testing.T, c identity.Caller, lines ...cart.Line) cart.Stored {
	t.Helper()
	return f.fillCartOf(t, c, c.Customer, lines...)
}

// fillCartOf replaces the lines of the caller's cart for customerID.
func (f *checkoutFixture) fillCartOf(t *testing.T, c identity.Caller, customerID string, lines ...cart.Line) cart.Stored {
	t.Helper()
	s, err := f.carts.Update(context.Background(), coMerchant, customerID, ownerOf(c), 0, func(s *cart.Stored) error {
		s.Lines = slices.Clone(lines)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func line(ref string, qty int64) cart.Line {
	return cart.Line{Ref: ref, Packaging: catalog.Unit, Quantity: qty, Chosen: true}
}

// checkout posts body as caller, with an Idempotency-Key when key is set.
func (f *checkoutFixture) checkout(t *testing.T, c identity.Caller, key string, body map[string]any) response {
	t.Helper()
	return f.checkoutTo(context.Background(), t, f.handler, c, key, body)
}

// checkoutTo posts body as caller to handler within ctx.
func (f *checkoutFixture) checkoutTo(ctx context.Context, t *testing.T, handler http.Handler, c identity.Caller, key string, body map[string]any) response {
	t.Helper()
	tok, err := f.issuer.Sign(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/checkout", bytes.NewReader(raw))
	req.Header.Set("Host", coHost)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(httpapi.IdempotencyKeyHeader, key)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// available is what the warehouses hold of ref now, per warehouse.
func (f *checkoutFixture) available(t *testing.T, ref string) map[string]int64 {
	t.Helper()
	levels, err := f.orders.Levels(context.Background(), coMerchant, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, l := range levels[ref] {
		out[l.Warehouse] = l.Available()
	}
	return out
}

func (f *checkoutFixture) cart(t *testing.T, c identity.Caller) cart.Stored {
	t.Helper()
	s, err := f.carts.Get(context.Background(), coMerchant, c.Customer, ownerOf(c))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func standard(method string) map[string]any {
	return map[string]any{"shippingMethod": "standard", "paymentMethod": method}
}

func wantOrder(t *testing.T, r response, status int) httpapi.OrderView {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	o := decode[httpapi.OrderView](t, r)
	if loc := r.header.Get("Location"); loc != "/orders/"+o.ID || o.ID == "" {
		t.Errorf("Location %q for order %q", loc, o.ID)
	}
	return o
}

func TestCheckout_OnAccountDueDateUnderBothMonthEndMethods(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method payment.MonthEndMethod
		due    string
	}{
		// 15 January + end of month = 31 January, + 30 days = 2 March
		// (February 2026 has 28 days).
		{payment.EndOfMonthThenDays, "2026-03-02"},
		// 15 January + 30 days = 14 February, end of that month.
		{payment.DaysThenEndOfMonth, "2026-02-28"},
	}
	for _, c := range cases {
		t.Run(string(c.method), func(t *testing.T) {
			t.Parallel()
			f := newCheckoutFixture(t, c.method)
			buyer := coBuyer(coPro)
			filled := f.fillCart(t, buyer, line(refA, 6), line(refC, 3))
			body := standard("on-account")
			body["orderReference"] = "BC-2026-0042"
			body["requestedDelivery"] = "2026-01-20"
			r := f.checkout(t, buyer, "", body)
			o := wantOrder(t, r, http.StatusCreated)
			t.Logf("checkout of 2 lines: %s DynamoDB round trips", r.header.Get(httpapi.CallsHeader))
			if o.Status != order.Accepted || o.Payment.Method != payment.OnAccount || o.Payment.Terms != "30-eom" {
				t.Errorf("status %s, payment %+v", o.Status, o.Payment)
			}
			if o.Payment.Due == nil || o.Payment.Due.Day != c.due || o.Payment.Due.Estimated {
				t.Errorf("due %+v, want %s", o.Payment.Due, c.due)
			}
			if o.Reference != "BC-2026-0042" || o.RequestedDelivery != "2026-01-20" || o.PlacedBy.Role != "buyer" || o.PlacedBy.ID != buyer.Subject {
				t.Errorf("reference %q, delivery %q, placed by %+v", o.Reference, o.RequestedDelivery, o.PlacedBy)
			}
			if o.ShipFrom != "FR" || o.ShipTo != "FR" || o.Currency != "EUR" || len(o.ID) != 17 || o.ID[:9] != "20260115-" {
				t.Errorf("id %s, ship from %s to %s, currency %s", o.ID, o.ShipFrom, o.ShipTo, o.Currency)
			}
			// 6 × €100 + 3 × €10 = €630, delivery €15: HT €645, VAT 20 % €129.
			if !is(o.Totals.Goods, "630.00") || !is(o.Totals.Shipping, "15.00") || !is(o.Totals.Net, "645.00") ||
				!is(o.Totals.VAT, "129.00") || !is(o.Totals.Gross, "774.00") {
				t.Errorf("totals %+v", o.Totals)
			}
			if !bytes.Contains(r.body, []byte(`"gross":"774.00"`)) {
				t.Errorf("amounts not printed with their minor units: %s", r.body)
			}
			if !slices.Contains(o.Mentions, payment.RecoveryIndemnityMention) {
				t.Errorf("mentions %q lack the recovery indemnity", o.Mentions)
			}
			// refA: the storefront's W1 first (5), then W2 (1).
			a := o.Lines[0]
			if a.Ref != refA || a.Backordered != 0 || len(a.Allocations) != 2 || a.Allocations[0] != (order.Allocation{Warehouse: "W1", Units: 5}) ||
				a.Allocations[1] != (order.Allocation{Warehouse: "W2", Units: 1}) || a.Name != "Article "+refA {
				t.Errorf("line %+v", a)
			}
			if got := f.available(t, refA); got["W1"] != 0 || got["W2"] != 2 {
				t.Errorf("refA available %v after the order, want W1 0 and W2 2", got)
			}
			// The cart is emptied at its next version: an old If-Match no
			// longer matches it.
			if s := f.cart(t, buyer); len(s.Lines) != 0 || s.Version <= filled.Version {
				t.Errorf("the cart after the order: %+v, filled at version %d", s, filled.Version)
			}
			stored, err := f.orders.Order(context.Background(), coMerchant, o.ID)
			if err != nil || stored.Customer != coPro || stored.Payment.Due == nil || stored.Payment.Due.Day.Format(time.DateOnly) != c.due {
				t.Errorf("stored order %+v, %v", stored, err)
			}
		})
	}
}

func TestCheckout_CreditLimitRefusedWithTheFigures(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	buyer := coBuyer(coSmallPro)
	// 4 × €100 + €15 delivery = €415 HT, €498 TTC: within the €500 limit.
	f.fillCart(t, buyer, line(refA, 4))
	first := wantOrder(t, f.checkout(t, buyer, "", standard("on-account")), http.StatusCreated)
	if !is(first.Totals.Gross, "498.00") {
		t.Fatalf("first order %s TTC, want 498.00", first.Totals.Gross)
	}
	// €100 + €15 = €138 TTC more would take the outstanding to €636.
	before := f.fillCart(t, buyer, line(refA, 1))
	stockBefore := f.available(t, refA)
	r := f.checkout(t, buyer, "k-credit", standard("on-account"))
	wantProblem(t, r, http.StatusUnprocessableEntity, "credit-limit-exceeded")
	var p struct {
		Credit struct{ Limit, Outstanding, Order, Currency string }
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Credit.Limit != "500.00" || p.Credit.Outstanding != "498.00" || p.Credit.Order != "138.00" || p.Credit.Currency != "EUR" {
		t.Errorf("credit %+v, want limit 500.00, outstanding 498.00, order 138.00 EUR", p.Credit)
	}
	if got := f.available(t, refA); !maps.Equal(got, stockBefore) {
		t.Errorf("stock %v after the refusal, was %v", got, stockBefore)
	}
	if s := f.cart(t, buyer); s.Version != before.Version || len(s.Lines) != 1 {
		t.Errorf("cart %+v after the refusal, was at version %d", s, before.Version)
	}
	// Paid by card, the same cart is not held by the credit limit; the
	// key released by the refusal serves again.
	o := wantOrder(t, f.checkout(t, buyer, "k-credit", standard("card")), http.StatusCreated)
	if o.Status != order.AwaitingPayment || o.Payment.Reference != "card-"+o.ID || o.Payment.Due != nil {
		t.Errorf("card order: status %s, payment %+v", o.Status, o.Payment)
	}
}

func TestCheckout_Refusals(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	pro, consumer := coBuyer(coPro), coBuyer(coConsumer)
	f.fillCart(t, pro, line(refC, 2))
	f.fillCart(t, consumer, line(refC, 2))

	t.Run("unknown shipping method", func(t *testing.T) {
		r := f.checkout(t, pro, "", map[string]any{"shippingMethod": "drone", "paymentMethod": "card"})
		wantProblem(t, r, http.StatusUnprocessableEntity, "unknown-shipping-method")
	})
	t.Run("no rate to the country", func(t *testing.T) {
		r := f.checkout(t, pro, "", map[string]any{"shippingMethod": "express", "paymentMethod": "card", "deliveryAddress": "BRUXELLES"})
		wantProblem(t, r, http.StatusUnprocessableEntity, "no-shipping-rate")
	})
	t.Run("unknown delivery address", func(t *testing.T) {
		r := f.checkout(t, pro, "", map[string]any{"shippingMethod": "standard", "paymentMethod": "card", "deliveryAddress": "NOWHERE"})
		wantProblem(t, r, http.StatusUnprocessableEntity, "unknown-address")
	})
	t.Run("on account for a customer without terms", func(t *testing.T) {
		r := f.checkout(t, consumer, "", standard("on-account"))
		wantProblem(t, r, http.StatusUnprocessableEntity, "payment-method-refused")
		var p struct{ Methods []string }
		if err := json.Unmarshal(r.body, &p); err != nil || !slices.Equal(p.Methods, []string{"card", "transfer"}) {
			t.Errorf("methods offered %v (%v), want card and transfer", p.Methods, err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for name, body := range map[string]map[string]any{
			"no shipping method":        {"paymentMethod": "card"},
			"unknown payment method":    {"shippingMethod": "standard", "paymentMethod": "cheque"},
			"delivery before today":     {"shippingMethod": "standard", "paymentMethod": "card", "requestedDelivery": "2026-01-14"},
			"delivery not a day":        {"shippingMethod": "standard", "paymentMethod": "card", "requestedDelivery": "15/01/2026"},
			"reference too long":        {"shippingMethod": "standard", "paymentMethod": "card", "orderReference": string(bytes.Repeat([]byte("x"), 65))},
			"reference not printable":   {"shippingMethod": "standard", "paymentMethod": "card", "orderReference": "a\nb"},
			"another company":           {"shippingMethod": "standard", "paymentMethod": "card", "customer": coSmallPro},
			"delivery address too long": {"shippingMethod": "standard", "paymentMethod": "card", "deliveryAddress": string(bytes.Repeat([]byte("a"), 65))},
		} {
			r := f.checkout(t, pro, "", body)
			if r.status != http.StatusBadRequest && r.status != http.StatusForbidden {
				t.Errorf("%s: status %d: %s", name, r.status, r.body)
			}
		}
		for _, key := range []string{"a b", "a#b", "a/b", string(bytes.Repeat([]byte("k"), 65)), "é"} {
			r := f.checkout(t, pro, key, standard("card"))
			wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
		}
	})
	t.Run("empty cart", func(t *testing.T) {
		r := f.checkout(t, coBuyer(coSmallPro), "k-empty", standard("card"))
		wantProblem(t, r, http.StatusUnprocessableEntity, "empty-cart")
	})
	// Nothing was ordered: the carts and the stock are as they were.
	if got := f.available(t, refC); got["W1"] != 1000 {
		t.Errorf("refC available %v, want 1000 in W1", got)
	}
	if s := f.cart(t, pro); len(s.Lines) != 1 {
		t.Errorf("cart %+v", s)
	}
}

func TestCheckout_ShippingFreeFromTheThreshold(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	buyer := coBuyer(coConsumer)
	// €990 of goods: below the €1,000 threshold, delivery €15 and its VAT
	// €3 at the goods' 20 %.
	f.fillCart(t, buyer, line(refC, 99))
	below := wantOrder(t, f.checkout(t, buyer, "", standard("transfer")), http.StatusCreated)
	if below.Shipping.Free || !is(below.Shipping.Cost, "15.00") || !is(below.Shipping.VAT, "3.00") ||
		!is(below.Totals.Net, "1005.00") || !is(below.Totals.Gross, "1206.00") {
		t.Errorf("below the threshold: shipping %+v, totals %+v", below.Shipping, below.Totals)
	}
	if below.Status != order.AwaitingPayment || below.Payment.Method != payment.Transfer || below.Payment.Reference == "" ||
		!bytes.Contains([]byte(below.Payment.Instructions), []byte(below.ID)) {
		t.Errorf("transfer payment %+v", below.Payment)
	}
	// €1,000: delivery is free.
	f.fillCart(t, buyer, line(refC, 100))
	at := wantOrder(t, f.checkout(t, buyer, "", standard("card")), http.StatusCreated)
	if !at.Shipping.Free || !is(at.Shipping.Cost, "0.00") || len(at.Shipping.Tax) != 0 ||
		!is(at.Totals.Net, "1000.00") || !is(at.Totals.Gross, "1200.00") {
		t.Errorf("at the threshold: shipping %+v, totals %+v", at.Shipping, at.Totals)
	}
}

func TestCheckout_BackorderAndShortage(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	buyer := coBuyer(coPro)

	// refA: 8 in all, 10 asked, no backorders: refused with what is
	// available, and nothing written.
	before := f.fillCart(t, buyer, line(refA, 10), line(refB, 1))
	r := f.checkout(t, buyer, "k-short", standard("card"))
	wantProblem(t, r, http.StatusUnprocessableEntity, "out-of-stock")
	var p struct{ Lines []order.Shortage }
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Lines, []order.Shortage{{Ref: refA, Requested: 10, Available: 8}}) {
		t.Errorf("shortage lines %+v, want refA 10 asked, 8 available", p.Lines)
	}
	if a, b := f.available(t, refA), f.available(t, refB); a["W1"] != 5 || a["W2"] != 3 || b["W1"] != 2 {
		t.Errorf("stock after the refusal: refA %v, refB %v", a, b)
	}
	if s := f.cart(t, buyer); s.Version != before.Version || len(s.Lines) != 2 {
		t.Errorf("cart after the refusal %+v, was at version %d", s, before.Version)
	}

	// refB: 2 in stock, 5 asked, backorders allowed: 2 served, 3 to come.
	f.fillCart(t, buyer, line(refB, 5))
	o := wantOrder(t, f.checkout(t, buyer, "k-short", standard("card")), http.StatusCreated)
	l := o.Lines[0]
	if !o.Backorders || l.Backordered != 3 || !slices.Equal(l.Allocations, []order.Allocation{{Warehouse: "W1", Units: 2}}) {
		t.Errorf("backorder line %+v (order backorders %v)", l, o.Backorders)
	}
	if b := f.available(t, refB); b["W1"] != 0 {
		t.Errorf("refB available %v, want 0", b)
	}
}

func TestCheckout_IdempotencySequential(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	buyer := coBuyer(coPro)
	f.fillCart(t, buyer, line(refA, 2))
	body := standard("on-account")
	first := wantOrder(t, f.checkout(t, buyer, "order-42", body), http.StatusCreated)
	again := f.checkout(t, buyer, "order-42", body)
	replay := wantOrder(t, again, http.StatusOK)
	if replay.ID != first.ID || again.header.Get(httpapi.ReplayedHeader) != "true" {
		t.Errorf("replay %s (header %q), first %s", replay.ID, again.header.Get(httpapi.ReplayedHeader), first.ID)
	}
	if got := f.available(t, refA); got["W1"] != 3 || got["W2"] != 3 {
		t.Errorf("refA %v after one order of 2 and its replay, want W1 3, W2 3", got)
	}
	// Another body with the key: refused.
	other := standard("card")
	wantProblem(t, f.checkout(t, buyer, "order-42", other), http.StatusConflict, "idempotency-key-reused")
	// The same body with the key, but another cart: refused too.
	f.fillCart(t, buyer, line(refA, 1))
	wantProblem(t, f.checkout(t, buyer, "order-42", body), http.StatusConflict, "idempotency-key-reused")
	// A new key orders the new cart.
	second := wantOrder(t, f.checkout(t, buyer, "order-43", body), http.StatusCreated)
	if second.ID == first.ID {
		t.Errorf("a new key gave the first order again")
	}
}

func TestCheckout_IdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	buyer := coBuyer(coPro)
	f.fillCart(t, buyer, line(refA, 1), line(refC, 1))
	const n = 30
	answers := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i] = f.checkout(t, buyer, "same-key", standard("card"))
		})
	}
	close(start)
	wg.Wait()
	ids := map[string]int{}
	created := 0
	for _, r := range answers {
		switch r.status {
		case http.StatusCreated, http.StatusOK:
			if r.status == http.StatusCreated {
				created++
			}
			ids[decode[httpapi.OrderView](t, r).ID]++
		case http.StatusConflict:
			wantProblem(t, r, http.StatusConflict, "checkout-in-progress")
			if r.header.Get("Retry-After") == "" {
				t.Errorf("409 without Retry-After")
			}
		default:
			t.Errorf("status %d: %s", r.status, r.body)
		}
	}
	if created != 1 || len(ids) != 1 {
		t.Fatalf("%d answers created an order, %d order ids %v: want one order for one key", created, len(ids), ids)
	}
	if got := f.available(t, refA); got["W1"] != 4 || got["W2"] != 3 {
		t.Errorf("refA %v after 30 checkouts with one key, want one unit taken from W1", got)
	}
	t.Logf("answers: %v", ids)
}

// TestCheckout_RoundTrips reports the DynamoDB round trips of a checkout of
// 1 and 10 lines, caches warm, and checks they do not grow with the lines.
func TestCheckout_RoundTrips(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	buyer := coBuyer(coConsumer)
	warm := func() {
		f.fillCart(t, buyer, line(refC, 1))
		wantOrder(t, f.checkout(t, buyer, "", standard("card")), http.StatusCreated)
	}
	warm()
	calls := map[int]int{}
	for _, n := range []int{1, 10} {
		lines := make([]cart.Line, n)
		for i := range lines {
			lines[i] = line(manyRefs[i], 2)
		}
		f.fillCart(t, buyer, lines...)
		r := f.checkout(t, buyer, fmt.Sprintf("rt-%d", n), standard("card"))
		wantOrder(t, r, http.StatusCreated)
		c, err := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
		if err != nil {
			t.Fatal(err)
		}
		calls[n] = c
		t.Logf("checkout of %d lines: %d DynamoDB round trips", n, c)
	}
	if calls[10] != calls[1] {
		t.Errorf("round trips %v: a checkout's cost grows with its lines", calls)
	}
}

func TestCheckout_RepsAndStaffOrderForACustomer(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	rep := identity.Caller{Role: identity.Rep, Subject: "l.bernard@co", Merchant: coMerchant, Rep: "R1"}
	staff := identity.Caller{Role: identity.Staff, Subject: "admin@co", Merchant: coMerchant}

	// A rep orders for a customer of their portfolio, from their own cart
	// for that customer ("commande déportée").
	f.fillCartOf(t, rep, coPro, line(refC, 3))
	body := standard("on-account")
	body["customer"] = coPro
	o := wantOrder(t, f.checkout(t, rep, "", body), http.StatusCreated)
	if o.Customer != coPro || o.PlacedBy.Role != "rep" || o.PlacedBy.ID != "R1" {
		t.Errorf("rep's order for %s placed by %+v", o.Customer, o.PlacedBy)
	}
	// Outside the portfolio, or without naming the customer: refused.
	f.fillCartOf(t, rep, coSmallPro, line(refC, 1))
	body["customer"] = coSmallPro
	wantProblem(t, f.checkout(t, rep, "", body), http.StatusForbidden, "forbidden")
	wantProblem(t, f.checkout(t, rep, "", standard("card")), http.StatusBadRequest, "invalid-parameter")

	// Staff order for any customer they name, and must name one.
	f.fillCartOf(t, staff, coSmallPro, line(refC, 1))
	body = standard("card")
	body["customer"] = coSmallPro
	o = wantOrder(t, f.checkout(t, staff, "", body), http.StatusCreated)
	if o.Customer != coSmallPro || o.PlacedBy.Role != "staff" || o.PlacedBy.ID != staff.Subject {
		t.Errorf("staff order for %s placed by %+v", o.Customer, o.PlacedBy)
	}
	wantProblem(t, f.checkout(t, staff, "", standard("card")), http.StatusBadRequest, "invalid-parameter")
	body["customer"] = "NOBODY"
	wantProblem(t, f.checkout(t, staff, "", body), http.StatusNotFound, "not-found")
	// Anonymous callers log in first.
	r := f.checkoutAnonymous(t, standard("card"))
	wantProblem(t, r, http.StatusUnauthorized, "unauthenticated")
}

// checkoutAnonymous posts body without a token.
func (f *checkoutFixture) checkoutAnonymous(t *testing.T, body map[string]any) response {
	t.Helper()
	raw, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, "/checkout", bytes.NewReader(raw))
	req.Header.Set("Host", coHost)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// TestCheckout_LoginUnusableAsACartOwner: a login whose identifier cannot
// be part of a key (a '#', a space) is refused with 403, as the cart
// routes refuse it, before anything is read or written: never a 500.
func TestCheckout_LoginUnusableAsACartOwner(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	for _, c := range []identity.Caller{
		{Role: identity.Buyer, Subject: "buyer#" + coPro, Merchant: coMerchant, Customer: coPro},
		{Role: identity.Buyer, Subject: "buyer " + coPro, Merchant: coMerchant, Customer: coPro},
		{Role: identity.Staff, Subject: "admin#co", Merchant: coMerchant},
	} {
		body := standard("on-account")
		if c.Role == identity.Staff {
			body["customer"] = coPro
		}
		wantProblem(t, f.checkout(t, c, "k-owner", body), http.StatusForbidden, "forbidden")
	}
}

// countingClaims counts the idempotency claims taken.
type countingClaims struct {
	order.IdempotencyStore
	begins atomic.Int64
}

func (c *countingClaims) Begin(ctx context.Context, m merchant.ID, k order.IdempotencyKey, cl order.Claim) (order.Claimed, error) {
	c.begins.Add(1)
	return c.IdempotencyStore.Begin(ctx, m, k, cl)
}

// TestCheckout_NoClaimWithoutAccess: a caller who may not order for the
// customer takes no idempotency claim on the customer's keys.
func TestCheckout_NoClaimWithoutAccess(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	claims := &countingClaims{IdempotencyStore: f.orders}
	h := f.apiWith(nil, claims, nil)
	rep := identity.Caller{Role: identity.Rep, Subject: "l.bernard@co", Merchant: coMerchant, Rep: "R1"}
	staff := identity.Caller{Role: identity.Staff, Subject: "admin@co", Merchant: coMerchant}
	f.fillCartOf(t, rep, coSmallPro, line(refC, 1))
	body := standard("card")
	body["customer"] = coSmallPro
	wantProblem(t, f.checkoutTo(context.Background(), t, h, rep, "k-access", body), http.StatusForbidden, "forbidden")
	body["customer"] = "NOBODY"
	wantProblem(t, f.checkoutTo(context.Background(), t, h, staff, "k-access", body), http.StatusNotFound, "not-found")
	if n := claims.begins.Load(); n != 0 {
		t.Errorf("%d idempotency claims taken by callers without access to the customer", n)
	}
	// The customer's own buyer claims the key and orders.
	buyer := coBuyer(coSmallPro)
	f.fillCart(t, buyer, line(refC, 1))
	wantOrder(t, f.checkoutTo(context.Background(), t, h, buyer, "k-access", standard("card")), http.StatusCreated)
	if n := claims.begins.Load(); n != 1 {
		t.Errorf("%d idempotency claims for one checkout", n)
	}
}

// lateFirstAttempt is an order store whose first write is lost on the
// way (nothing written, an error answered) and lands only while the next
// attempt writes: the earlier attempt of a checkout that outlived its
// claim's lease.
type lateFirstAttempt struct {
	*dynamo.Orders
	mu    sync.Mutex
	calls int
	first order.Placement
}

func (s *lateFirstAttempt) Place(ctx context.Context, p order.Placement) error {
	s.mu.Lock()
	s.calls++
	n, first := s.calls, s.first
	if n == 1 {
		s.first = p
	}
	s.mu.Unlock()
	if n == 1 {
		return errors.New("the connection to the table was lost")
	}
	if n == 2 {
		if err := s.Orders.Place(ctx, first); err != nil {
			return fmt.Errorf("the earlier attempt: %w", err)
		}
	}
	return s.Orders.Place(ctx, p)
}

// TestCheckout_TakeoverAnswersTheStoredOrder: a retry that takes over a
// dead claim while the earlier attempt places the order answers with the
// order stored, not the one it built, and the stock is taken once.
func TestCheckout_TakeoverAnswersTheStoredOrder(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	store := &lateFirstAttempt{Orders: f.orders}
	var clock atomic.Int64
	clock.Store(coNow.UnixNano())
	h := f.apiWith(store, nil, func() time.Time { return time.Unix(0, clock.Load()).UTC() })
	buyer := coBuyer(coPro)
	f.fillCart(t, buyer, line(refA, 2))
	if r := f.checkoutTo(context.Background(), t, h, buyer, "k-late", standard("on-account")); r.status != http.StatusInternalServerError {
		t.Fatalf("first attempt: status %d: %s", r.status, r.body)
	}
	// The claim's lease (30 s) ran out: the retry takes it over.
	clock.Store(coNow.Add(time.Minute).UnixNano())
	r := f.checkoutTo(context.Background(), t, h, buyer, "k-late", standard("on-account"))
	o := wantOrder(t, r, http.StatusOK)
	placed, err := time.Parse(time.RFC3339Nano, o.PlacedAt)
	if err != nil || o.ID != store.first.Order.ID || !placed.Equal(coNow) || r.header.Get(httpapi.ReplayedHeader) != "true" {
		t.Errorf("answer: order %s placed at %s (replayed %q), want the stored order %s placed at %s",
			o.ID, o.PlacedAt, r.header.Get(httpapi.ReplayedHeader), store.first.Order.ID, coNow)
	}
	if got := f.available(t, refA); got["W1"]+got["W2"] != 6 {
		t.Errorf("refA %v after one order of 2, want 6 left", got)
	}
}

// slowStaleStore answers every write, after a while, that another order
// took the stock first.
type slowStaleStore struct {
	*dynamo.Orders
	calls atomic.Int64
}

func (s *slowStaleStore) Place(ctx context.Context, p order.Placement) error {
	s.calls.Add(1)
	t := time.NewTimer(300 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	return &order.StaleStockError{Refs: []string{refC}}
}

// TestCheckout_ContendedStockStopsBeforeTheDeadline: an order whose stock
// keeps being taken by others is tried again only while the request has
// time left, then answered 503 busy with Retry-After, nothing written.
func TestCheckout_ContendedStockStopsBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	store := &slowStaleStore{Orders: f.orders}
	h := f.apiWith(store, nil, nil)
	buyer := coBuyer(coConsumer)
	f.fillCart(t, buyer, line(refC, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	r := f.checkoutTo(ctx, t, h, buyer, "k-busy", standard("card"))
	wantProblem(t, r, http.StatusServiceUnavailable, "busy")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 busy without Retry-After")
	}
	if n := store.calls.Load(); n < 1 || n > 20 {
		t.Errorf("%d writes tried", n)
	}
	// The claim was released: the key orders once the stock is calm.
	wantOrder(t, f.checkout(t, buyer, "k-busy", standard("card")), http.StatusCreated)
}

// TestCheckout_OrderLinesKeepThePriceNotItsExplanation: a stored order's
// line keeps its price, its source and its discounts, not what the quote
// explained did not apply (here a customer price past its validity).
func TestCheckout_OrderLinesKeepThePriceNotItsExplanation(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	expired := tariff.Entry{Scope: tariff.Customer, ScopeID: coPro, Ref: refC, Currency: "EUR", Price: decimal.NewFromInt(8),
		Validity: tariff.Validity{Until: coNow.AddDate(0, -1, 0)}}
	if err := (&dynamo.Pricing{Table: f.table}).SaveCustomerPrices(context.Background(), coMerchant, []tariff.Entry{expired}); err != nil {
		t.Fatal(err)
	}
	buyer := coBuyer(coPro)
	f.fillCart(t, buyer, line(refC, 3))
	v := wantOrder(t, f.checkout(t, buyer, "", standard("on-account")), http.StatusCreated)
	o, err := f.orders.Order(context.Background(), coMerchant, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := o.Lines[0]
	if len(l.NotApplied) != 0 {
		t.Errorf("stored line keeps what did not apply: %+v", l.NotApplied)
	}
	if !is(l.Total, "30.00") || l.Source == nil || l.Source.String() == "" {
		t.Errorf("stored line %s: total %s, source %v, want the list price's 30.00", l.Ref, l.Total, l.Source)
	}
}

// tooLargeStore refuses every order as too large to be stored.
type tooLargeStore struct{ *dynamo.Orders }

func (tooLargeStore) Place(context.Context, order.Placement) error { return order.ErrTooLarge }

// TestCheckout_OrderTooLarge: an order the store cannot hold is refused
// with 422 order-too-large; the cart, the stock and the key are left as
// they were.
func TestCheckout_OrderTooLarge(t *testing.T) {
	t.Parallel()
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	h := f.apiWith(tooLargeStore{f.orders}, nil, nil)
	buyer := coBuyer(coPro)
	before := f.fillCart(t, buyer, line(refA, 2), line(refC, 1))
	wantProblem(t, f.checkoutTo(context.Background(), t, h, buyer, "k-large", standard("on-account")), http.StatusUnprocessableEntity, "order-too-large")
	if c := f.cart(t, buyer); c.Version != before.Version || len(c.Lines) != 2 {
		t.Errorf("cart after the refusal: version %d, %d lines", c.Version, len(c.Lines))
	}
	if got := f.available(t, refA); got["W1"] != 5 || got["W2"] != 3 {
		t.Errorf("refA %v after the refusal, want W1 5, W2 3", got)
	}
	// The key was released: the same request orders once it fits.
	wantOrder(t, f.checkout(t, buyer, "k-large", standard("on-account")), http.StatusCreated)
}
