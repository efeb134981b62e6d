package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
)

// newPaymentAdmin is the admin API with its payment stores over the demo
// (warehouses 1, 2 and 3), as the admin function wires it.
func newPaymentAdmin(t *testing.T) *adminFixture {
	t.Helper()
	b := newDemoBackend(t)
	tbl := b.table
	fronts := &dynamo.Storefronts{Table: tbl, TTL: time.Minute}
	customers := &dynamo.Customers{Table: tbl}
	merchants := &dynamo.Merchants{Table: tbl, TTL: time.Minute}
	api := &httpapi.AdminAPI{
		Pipeline: b.pipeline(fronts), Catalog: &dynamo.Catalog{Table: tbl}, Storefronts: fronts,
		Assortments: &dynamo.Assortments{Table: tbl}, Pricing: &dynamo.Pricing{Table: tbl},
		Customers: customers, CustomerPayments: customers, Merchants: merchants, Settings: merchants,
		StockAlerts: &dynamo.StockAlerts{Table: tbl},
	}
	f := &adminFixture{admin: api.Routes(), issuer: b.issuer, table: tbl}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	f.jardinStaff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	return f
}

func storedCustomer(t *testing.T, f *adminFixture, id string) customer.Customer {
	t.Helper()
	c, err := (&dynamo.Customers{Table: f.table}).Customer(context.Background(), demo.Hydro, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAdminPayment_ACustomersAccountIsReplacedAndWithdrawn(t *testing.T) {
	t.Parallel()
	f := newPaymentAdmin(t)
	before := storedCustomer(t, f, "C0002")
	r := f.adminDo(t, "PUT", "/admin/customers/C0002/payment", jsonObject{
		"terms": "45-eom", "methods": []string{"transfer"}, "creditLimit": "20000.5", "preferredWarehouse": "2",
	})
	wantStatus(t, r, http.StatusOK)
	v := decode[httpapi.CustomerPaymentView](t, r)
	if v.Customer != "C0002" || v.Terms == nil || *v.Terms != "45-eom" || v.TermsLabel != "45 jours fin de mois" || len(v.Methods) != 1 ||
		v.Methods[0] != payment.Transfer || v.CreditLimit.Decimal.String() != "20000.5" || v.Currency != "EUR" || v.PreferredWarehouse == nil || *v.PreferredWarehouse != "2" {
		t.Fatalf("answered %s", r.body)
	}
	if !strings.Contains(string(r.body), `"creditLimit":"20000.50"`) {
		t.Errorf("the limit is not printed with the currency's minor units: %s", r.body)
	}
	c := storedCustomer(t, f, "C0002")
	if c.Payment.Terms == nil || *c.Payment.Terms != payment.FortyFiveDaysEndOfMonth || len(c.Payment.Methods) != 1 ||
		c.CreditLimit.String() != "20000.5" || c.PreferredWarehouse != "2" || c.Name != before.Name || c.VATNumber != before.VATNumber {
		t.Fatalf("stored %+v", c)
	}

	// null terms withdraw paying on account; absent members are none.
	r = f.adminDo(t, "PUT", "/admin/customers/C0002/payment", jsonObject{"terms": nil, "creditLimit": "0"})
	wantStatus(t, r, http.StatusOK)
	if got := rawField(t, r, "terms"); got != "null" {
		t.Errorf("terms answered %s", got)
	}
	c = storedCustomer(t, f, "C0002")
	if c.Payment.Terms != nil || len(c.Payment.Methods) != 0 || !c.CreditLimit.IsZero() || c.PreferredWarehouse != "" {
		t.Fatalf("after withdrawal %+v", c)
	}

	// Every term the brief names, for a pro.
	for _, terms := range []string{"30-eom", "45-eom", "60-net", "30-after-delivery"} {
		r := f.adminDo(t, "PUT", "/admin/customers/C0003/payment", jsonObject{"terms": terms, "creditLimit": "5000"})
		wantStatus(t, r, http.StatusOK)
		if c := storedCustomer(t, f, "C0003"); c.Payment.Terms == nil || c.Payment.Terms.String() != terms {
			t.Errorf("%s: stored %+v", terms, c.Payment)
		}
	}
	// A consumer may narrow their methods, not pay on account.
	wantStatus(t, f.adminDo(t, "PUT", "/admin/customers/P0001/payment", jsonObject{"methods": []string{"card"}, "creditLimit": "0"}), http.StatusOK)
}

func TestAdminPayment_TermsBeyondTheLawAndBadInputAreRefused(t *testing.T) {
	t.Parallel()
	f := newPaymentAdmin(t)
	before := storedCustomer(t, f, "C0001")
	put := func(id string, body any) response {
		return f.adminDo(t, "PUT", "/admin/customers/"+id+"/payment", body)
	}
	for _, terms := range []string{"60-eom", "46-eom", "61-net", "90-after-delivery"} {
		r := put("C0001", jsonObject{"terms": terms, "creditLimit": "1000"})
		wantProblem(t, r, http.StatusUnprocessableEntity, "payment-terms-refused")
		wantFields(t, r, "terms")
		if p := decode[httpapi.Problem](t, r); !strings.Contains(p.Detail, "L441-10") || !strings.Contains(p.Detail, "at most") {
			t.Errorf("%s: the reason does not say the law and the maximum: %s", terms, p.Detail)
		}
	}
	r := put("P0001", jsonObject{"terms": "30-eom", "creditLimit": "1000"})
	wantProblem(t, r, http.StatusUnprocessableEntity, "payment-terms-refused")
	if c := storedCustomer(t, f, "P0001"); c.Payment.Terms != nil {
		t.Errorf("a consumer got terms %+v", c.Payment)
	}

	r = put("C0001", jsonObject{"terms": "30-days", "methods": []string{"card", "cheque", "card", "on-account"}, "creditLimit": "12.345", "preferredWarehouse": "9"})
	wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
	wantFields(t, r, "terms", "methods[1]", "methods[2]", "methods[3]", "creditLimit", "preferredWarehouse")
	r = put("C0001", jsonObject{"creditLimit": "-1"})
	wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
	wantFields(t, r, "creditLimit")
	r = put("C0001", jsonObject{"terms": "30-eom"})
	wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
	wantFields(t, r, "creditLimit")
	r = put("C0001", jsonObject{"terms": 30, "creditLimit": "1", "credit": "2"})
	wantProblem(t, r, http.StatusBadRequest, "invalid-body")
	wantFields(t, r, "terms", "credit")

	wantProblem(t, put("NOPE", jsonObject{"creditLimit": "1"}), http.StatusNotFound, "not-found")
	wantProblem(t, put("a%23b", jsonObject{"creditLimit": "1"}), http.StatusNotFound, "not-found")
	// Another merchant's staff does not reach Hydrotech's customers.
	wantProblem(t, f.do(t, f.admin, "PUT", "jardin-fr.localhost", "/admin/customers/C0001/payment", f.jardinStaff, jsonObject{"creditLimit": "1"}), http.StatusNotFound, "not-found")
	// Nobody but staff.
	wantProblem(t, f.do(t, f.admin, "PUT", frHost, "/admin/customers/C0001/payment", f.token(t, adminBuyer("C0001")), jsonObject{"terms": "45-eom", "creditLimit": "999999"}), http.StatusForbidden, "forbidden")

	after := storedCustomer(t, f, "C0001")
	if toJSON(t, after) != toJSON(t, before) {
		t.Errorf("a refused request changed the account:\n%s\nwas\n%s", toJSON(t, after), toJSON(t, before))
	}
}

// TestAdminPayment_ConcurrentWritesLandWhole sends many account writes at
// once: each answers 200 or 409, and the account holds one of them whole.
func TestAdminPayment_ConcurrentWritesLandWhole(t *testing.T) {
	t.Parallel()
	f := newPaymentAdmin(t)
	bodies := []jsonObject{
		{"terms": "30-eom", "creditLimit": "1000", "preferredWarehouse": "1"},
		{"terms": "60-net", "creditLimit": "2000", "preferredWarehouse": "2"},
		{"terms": "30-after-delivery", "creditLimit": "3000", "preferredWarehouse": "3"},
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			r := f.adminDo(t, "PUT", "/admin/customers/C0005/payment", bodies[i%3])
			if r.status != http.StatusOK && r.status != http.StatusConflict {
				t.Errorf("status %d: %s", r.status, r.body)
			}
		})
	}
	wg.Wait()
	c := storedCustomer(t, f, "C0005")
	ok := false
	for _, b := range bodies {
		ok = ok || c.Payment.Terms != nil && c.Payment.Terms.String() == b["terms"] && c.CreditLimit.String() == b["creditLimit"] && c.PreferredWarehouse == b["preferredWarehouse"]
	}
	if !ok {
		t.Errorf("torn account: %+v, limit %s, warehouse %s", c.Payment, c.CreditLimit, c.PreferredWarehouse)
	}
}

func TestAdminPayment_MonthEndSetting(t *testing.T) {
	t.Parallel()
	f := newPaymentAdmin(t)
	ctx := context.Background()
	for _, method := range []payment.MonthEndMethod{payment.DaysThenEndOfMonth, payment.EndOfMonthThenDays} {
		r := f.adminDo(t, "PUT", "/admin/payment/settings", jsonObject{"monthEnd": method})
		wantStatus(t, r, http.StatusOK)
		if v := decode[httpapi.PaymentSettingsView](t, r); v.MonthEnd != method || v.MonthEndLabel != method.Label() {
			t.Errorf("answered %s", r.body)
		}
		m, err := (&dynamo.Merchants{Table: f.table}).Merchant(ctx, demo.Hydro)
		if err != nil || m.MonthEnd != method || m.Name != "Hydrotech Industrie" || len(m.Domains) == 0 {
			t.Fatalf("stored %+v, %v", m, err)
		}
	}
	for _, body := range []jsonObject{{"monthEnd": "eom"}, {"monthEnd": ""}, {}} {
		r := f.adminDo(t, "PUT", "/admin/payment/settings", body)
		wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
		wantFields(t, r, "monthEnd")
	}
	// Each merchant its own setting.
	wantStatus(t, f.do(t, f.admin, "PUT", "jardin-fr.localhost", "/admin/payment/settings", f.jardinStaff, jsonObject{"monthEnd": "days-then-eom"}), http.StatusOK)
	if m, err := (&dynamo.Merchants{Table: f.table}).Merchant(ctx, demo.Hydro); err != nil || m.MonthEnd != payment.EndOfMonthThenDays {
		t.Errorf("hydro's setting after Jardin's write: %+v, %v", m.MonthEnd, err)
	}
	wantProblem(t, f.do(t, f.admin, "PUT", frHost, "/admin/payment/settings", f.token(t, adminBuyer("C0001")), jsonObject{"monthEnd": "days-then-eom"}), http.StatusForbidden, "forbidden")
}

func TestAdminStorefronts_WarehouseShippingAndPaymentMethods(t *testing.T) {
	t.Parallel()
	f := newPaymentAdmin(t)
	body := func(change func(jsonObject)) jsonObject {
		b := jsonObject{
			"host": frHost, "country": "FR", "language": "fr", "currency": "EUR", "mode": "partially-open",
			"warehouse": "2",
			"shipping": jsonObject{
				"methods": []any{
					jsonObject{"id": "standard", "name": "Messagerie 48 h", "rates": []any{
						jsonObject{"country": "FR", "amount": "12.5"}, jsonObject{"country": "*", "amount": "29"}}},
					jsonObject{"id": "retrait", "name": "Retrait au dépôt", "rates": []any{jsonObject{"country": "FR", "amount": "0"}}},
				},
				"freeFrom": "500",
			},
			"paymentMethods": jsonObject{"FR": []string{"card", "transfer"}, "*": []string{"card"}},
		}
		if change != nil {
			change(b)
		}
		return b
	}
	r := f.adminDo(t, "PUT", "/admin/storefronts/fr", body(nil))
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{`"amount":"12.50"`, `"amount":"29.00"`, `"amount":"0.00"`, `"freeFrom":"500.00"`, `"warehouse":"2"`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("answer lacks %s: %s", want, r.body)
		}
	}
	sf, err := (&dynamo.Storefronts{Table: f.table}).ByHost(context.Background(), frHost)
	if err != nil {
		t.Fatal(err)
	}
	if sf.Warehouse != "2" || len(sf.Shipping.Methods) != 2 || sf.Shipping.Methods[0].Rates[0].Amount.String() != "12.5" ||
		sf.Shipping.FreeFrom == nil || sf.Shipping.FreeFrom.String() != "500" || len(sf.PaymentMethods["FR"]) != 2 || sf.PaymentMethods["*"][0] != "card" {
		t.Fatalf("stored %+v", sf)
	}
	list := f.adminDo(t, "GET", "/admin/storefronts", nil)
	if !strings.Contains(string(list.body), `"freeFrom":"500.00"`) {
		t.Errorf("the list does not show the rates: %s", list.body)
	}

	r = f.adminDo(t, "PUT", "/admin/storefronts/fr", body(func(b jsonObject) {
		b["currency"] = "JPY"
		b["warehouse"] = "9"
		b["shipping"] = jsonObject{
			"methods": []any{
				jsonObject{"id": "a b", "name": "", "rates": []any{}},
				jsonObject{"id": "std", "name": "Std", "rates": []any{
					jsonObject{"country": "fr", "amount": "1"}, jsonObject{"country": "BE", "amount": "-1"},
					jsonObject{"country": "BE", "amount": "2.5"}, jsonObject{"country": "EU", "amount": "1"}}},
				jsonObject{"id": "std", "name": "Again", "rates": []any{jsonObject{"country": "*", "amount": "1"}}},
			},
			"freeFrom": "1e9",
		}
		b["paymentMethods"] = jsonObject{"XX": []string{"card"}, "BE": []string{"on-account"}, "DE": []string{}, "FR": []string{"card", "card"}}
	}))
	wantProblem(t, r, http.StatusBadRequest, "invalid-parameter")
	wantFields(t, r, "warehouse",
		"shipping.methods[0].id", "shipping.methods[0].name", "shipping.methods[0].rates",
		"shipping.methods[1].rates[0].country", "shipping.methods[1].rates[1].amount", "shipping.methods[1].rates[2].country",
		"shipping.methods[1].rates[2].amount", "shipping.methods[1].rates[3].country", "shipping.methods[2].id",
		"shipping.freeFrom", "paymentMethods.XX", "paymentMethods.BE[0]", "paymentMethods.DE", "paymentMethods.FR[1]")
	r = f.adminDo(t, "PUT", "/admin/storefronts/fr", body(func(b jsonObject) {
		b["shipping"] = jsonObject{"methods": []any{jsonObject{"id": "x", "name": "X", "rates": []any{jsonObject{"country": "FR", "amount": "1", "vat": "20"}}}}}
	}))
	wantProblem(t, r, http.StatusBadRequest, "invalid-body")
	if sf2, err := (&dynamo.Storefronts{Table: f.table}).ByHost(context.Background(), frHost); err != nil || toJSON(t, sf2) != toJSON(t, sf) {
		t.Errorf("a refused request changed the storefront: %+v, %v", sf2, err)
	}

	// Without them, a storefront has none: a replacement removes them.
	r = f.adminDo(t, "PUT", "/admin/storefronts/fr", jsonObject{"host": frHost, "country": "FR", "language": "fr", "currency": "EUR", "mode": "partially-open"})
	wantStatus(t, r, http.StatusOK)
	if v := decode[merchant.Storefront](t, r); v.Warehouse != "" || len(v.Shipping.Methods) != 0 || v.PaymentMethods != nil {
		t.Errorf("after replacement: %s", r.body)
	}
}

// TestAdminPayment_ResponsesConformToTheContract validates the payment and
// storefront settings exchanges, successes and problems, against
// docs/openapi.yaml.
func TestAdminPayment_ResponsesConformToTheContract(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	f := newPaymentAdmin(t)
	storefront := jsonObject{"host": frHost, "country": "FR", "language": "fr", "currency": "EUR", "mode": "partially-open", "warehouse": "1",
		"shipping": jsonObject{"methods": []any{jsonObject{"id": "standard", "name": "Messagerie", "rates": []any{
			jsonObject{"country": "FR", "amount": "9.9"}, jsonObject{"country": "*", "amount": "25"}}}}, "freeFrom": "450"},
		"paymentMethods": jsonObject{"*": []string{"card", "transfer"}}}
	raiseAlert(t, f, demo.Hydro, stock.Alert{Ref: demo.SealKitRef, Warehouse: "1", Available: 4, Min: 10, Max: 100, Reorder: 96, RaisedAt: time.Now()})
	cases := []struct {
		method, path, token string
		body                any
		status              int
		validRequest        bool
	}{
		{"PUT", "/admin/customers/C0002/payment", f.staff, jsonObject{"terms": "30-eom", "methods": []string{"card", "transfer"}, "creditLimit": "15000", "preferredWarehouse": "3"}, 200, true},
		{"PUT", "/admin/customers/C0002/payment", f.staff, jsonObject{"terms": nil, "creditLimit": "0", "preferredWarehouse": nil}, 200, true},
		{"PUT", "/admin/customers/C0002/payment", f.staff, jsonObject{"terms": "90-net", "creditLimit": "1"}, 422, true},
		{"PUT", "/admin/customers/C0002/payment", f.staff, jsonObject{"terms": "soon", "creditLimit": "1"}, 400, false},
		{"PUT", "/admin/customers/NOPE/payment", f.staff, jsonObject{"creditLimit": "1"}, 404, true},
		{"GET", "/admin/customers/C0002/payment", f.staff, nil, 200, true},
		{"GET", "/admin/customers/NOPE/payment", f.staff, nil, 404, true},
		{"GET", "/admin/customers/C0002/payment", f.token(t, adminBuyer("C0002")), nil, 403, true},
		{"PUT", "/admin/customers/C0002/payment", f.token(t, adminBuyer("C0002")), jsonObject{"creditLimit": "1"}, 403, true},
		{"PUT", "/admin/payment/settings", f.staff, jsonObject{"monthEnd": "eom-then-days"}, 200, true},
		{"PUT", "/admin/payment/settings", f.staff, jsonObject{"monthEnd": "eom"}, 400, false},
		{"PUT", "/admin/storefronts/fr", f.staff, storefront, 200, true},
		{"GET", "/admin/storefronts", f.staff, nil, 200, true},
		{"PUT", "/admin/storefronts/fr", f.staff, jsonObject{"host": frHost, "country": "FR", "language": "fr", "currency": "EUR", "mode": "open", "warehouse": "9"}, 400, true},
		{"GET", "/admin/stock/alerts", f.staff, nil, 200, true},
	}
	for _, tc := range cases {
		var body []byte
		if tc.body != nil {
			body = []byte(toJSON(t, tc.body))
		}
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Host = frHost
		if tc.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+tc.token)
		var sent any
		if tc.body != nil {
			sent = string(body)
		}
		e := exchange{req: req, body: body, resp: f.do(t, f.admin, tc.method, frHost, tc.path, tc.token, sent)}
		if e.resp.status != tc.status {
			t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, e.resp.status, tc.status, e.resp.body)
		}
		c.mustConform(t, e, tc.validRequest)
		if !tc.validRequest {
			c.mustRefuse(t, e)
		}
	}
}

func raiseAlert(t *testing.T, f *adminFixture, m merchant.ID, a stock.Alert) {
	t.Helper()
	if err := (&dynamo.StockAlerts{Table: f.table}).Raise(context.Background(), m, a); err != nil {
		t.Fatal(err)
	}
}

func TestAdminStock_AlertsOfTheMerchant(t *testing.T) {
	t.Parallel()
	f := newPaymentAdmin(t)
	r := f.adminDo(t, "GET", "/admin/stock/alerts", nil)
	wantStatus(t, r, http.StatusOK)
	if a := decode[struct {
		Alerts []httpapi.StockAlertView `json:"alerts"`
	}](t, r).Alerts; a == nil || len(a) != 0 {
		t.Errorf("no alert yet: %s", r.body)
	}
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	raiseAlert(t, f, demo.Hydro, stock.Alert{Ref: demo.SealKitRef, Warehouse: "2", Available: 3, Min: 10, Max: 100, Reorder: 97, RaisedAt: at})
	raiseAlert(t, f, demo.Hydro, stock.Alert{Ref: demo.PumpRef, Warehouse: "1", Available: 0, Min: 2, Max: 12, Reorder: 12, RaisedAt: at.Add(time.Hour)})
	raiseAlert(t, f, demo.Jardin, stock.Alert{Ref: "JS-001", Warehouse: "1", Available: 1, Min: 5, Max: 50, Reorder: 49, RaisedAt: at})
	got := decode[struct {
		Alerts []httpapi.StockAlertView `json:"alerts"`
	}](t, f.adminDo(t, "GET", "/admin/stock/alerts", nil)).Alerts
	want := []httpapi.StockAlertView{
		{Ref: demo.SealKitRef, Warehouse: "2", Available: 3, Min: 10, Max: 100, Reorder: 97, RaisedAt: at},
		{Ref: demo.PumpRef, Warehouse: "1", Available: 0, Min: 2, Max: 12, Reorder: 12, RaisedAt: at.Add(time.Hour)},
	}
	if len(got) != 2 || !got[0].RaisedAt.Equal(want[0].RaisedAt) || got[0].Ref != want[0].Ref || got[0].Reorder != 97 || got[1].Ref != want[1].Ref || got[1].Max != 12 {
		t.Errorf("alerts %+v, want %+v", got, want)
	}
	jardin := f.do(t, f.admin, "GET", "jardin-fr.localhost", "/admin/stock/alerts", f.jardinStaff, nil)
	wantStatus(t, jardin, http.StatusOK)
	if a := decode[struct {
		Alerts []httpapi.StockAlertView `json:"alerts"`
	}](t, jardin).Alerts; len(a) != 1 || a[0].Ref != "JS-001" {
		t.Errorf("Jardin's alerts %+v", a)
	}
	wantProblem(t, f.do(t, f.admin, "GET", frHost, "/admin/stock/alerts", f.token(t, adminBuyer("C0001")), nil), http.StatusForbidden, "forbidden")
}

// GET /admin/customers/{id}/payment shows what the customer's orders on
// account owe and what they may still add: an order on account raises the
// outstanding by its amount including VAT, its payment takes it off again,
// and a customer without terms may add nothing. PUT answers the same.
func TestAdminPayment_TheOutstandingAndWhatOrdersOnAccountMayStillAdd(t *testing.T) {
	t.Parallel()
	f := newPaymentAdmin(t)
	account := func(want string) httpapi.CustomerPaymentView {
		t.Helper()
		r := f.adminDo(t, "GET", "/admin/customers/C0002/payment", nil)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.body), want) {
			t.Errorf("the account does not hold %s: %s", want, r.body)
		}
		return decode[httpapi.CustomerPaymentView](t, r)
	}
	r := f.adminDo(t, "PUT", "/admin/customers/C0002/payment", jsonObject{"terms": "30-eom", "creditLimit": "1000"})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"outstanding":"0.00","available":"1000.00"`) {
		t.Errorf("PUT answered %s", r.body)
	}
	if v := account(`"outstanding":"0.00","available":"1000.00"`); v.Customer != "C0002" || v.Terms == nil || *v.Terms != "30-eom" {
		t.Errorf("GET answered %+v", v)
	}

	ctx := context.Background()
	orders := &dynamo.Orders{Table: f.table}
	o := testOrder(t, "20260101-CRED0001", "C0002", time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), payment.OnAccount, 2)
	if err := orders.Place(ctx, order.Placement{Order: o, Credit: &order.Credit{Limit: decimal.NewFromInt(1000)}}); err != nil {
		t.Fatal(err)
	}
	if got := o.Totals.Tax.Gross.StringFixed(2); got != "41.88" {
		t.Fatalf("the order's amount including VAT is %s, the test expects 41.88", got)
	}
	account(`"outstanding":"41.88","available":"958.12"`)

	// A lower limit than what is owed leaves nothing available, never less.
	wantStatus(t, f.adminDo(t, "PUT", "/admin/customers/C0002/payment", jsonObject{"terms": "30-eom", "creditLimit": "40"}), http.StatusOK)
	account(`"creditLimit":"40.00","currency":"EUR","outstanding":"41.88","available":"0.00"`)
	// Without terms, orders on account may add nothing, whatever the limit.
	wantStatus(t, f.adminDo(t, "PUT", "/admin/customers/C0002/payment", jsonObject{"terms": nil, "creditLimit": "5000"}), http.StatusOK)
	account(`"outstanding":"41.88","available":"0.00"`)
	wantStatus(t, f.adminDo(t, "PUT", "/admin/customers/C0002/payment", jsonObject{"terms": "30-eom", "creditLimit": "1000"}), http.StatusOK)

	if _, err := orders.Settle(ctx, demo.Hydro, o.ID, order.PlacedBy{Role: "staff", ID: "admin@hydrotech.fr"}, time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	account(`"outstanding":"0.00","available":"1000.00"`)

	// Another customer's account is its own; unknown ones are not found.
	other := f.adminDo(t, "GET", "/admin/customers/C0003/payment", nil)
	wantStatus(t, other, http.StatusOK)
	if v := decode[httpapi.CustomerPaymentView](t, other); v.Customer != "C0003" || !v.Outstanding.Decimal.IsZero() {
		t.Errorf("C0003: %s", other.body)
	}
	wantProblem(t, f.adminDo(t, "GET", "/admin/customers/C9999/payment", nil), http.StatusNotFound, "not-found")
	wantProblem(t, f.adminDo(t, "GET", "/admin/customers/"+strings.Repeat("C", 300)+"/payment", nil), http.StatusBadRequest, "invalid-parameter")
}
