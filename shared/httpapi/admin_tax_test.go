package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/queue"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/testenv"
	"github.com/comptoir/comptoir/shared/vat"
	"github.com/comptoir/comptoir/shared/vatledger"
)

// taxClock is the admin function's clock in these tests, moved by hand.
type taxClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *taxClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *taxClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// taxAdmin is the admin API with its tax stores over the demo, on a clock
// set to 2 March 2026 at 10:00 UTC, sending recomputations to a fresh
// local queue.
type taxAdmin struct {
	*adminFixture
	clock    *taxClock
	ledger   *dynamo.VATLedger
	sqs      *sqs.Client
	queueURL string
}

var taxToday = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newTaxAdmin(t *testing.T) *taxAdmin {
	t.Helper()
	b := newDemoBackend(t)
	tbl := b.table
	fronts := &dynamo.Storefronts{Table: tbl, TTL: time.Minute}
	c := testenv.SQS(t)
	q, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName("vat-threshold"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	clock := &taxClock{t: taxToday}
	ledger := &dynamo.VATLedger{Table: tbl, Now: clock.now}
	api := &httpapi.AdminAPI{
		Pipeline: b.pipeline(fronts), Catalog: &dynamo.Catalog{Table: tbl}, Storefronts: fronts,
		Assortments: &dynamo.Assortments{Table: tbl}, Pricing: &dynamo.Pricing{Table: tbl},
		TaxRates: &dynamo.TaxRates{Table: tbl}, VATLedger: ledger, Customers: &dynamo.Customers{Table: tbl},
		Merchants: &dynamo.Merchants{Table: tbl}, Now: clock.now,
		VATThresholdQueue: &queue.Sender{Client: c, URL: aws.ToString(q.QueueUrl)},
	}
	f := &adminFixture{admin: api.Routes(), issuer: b.issuer, table: tbl}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	f.jardinStaff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin})
	return &taxAdmin{adminFixture: f, clock: clock, ledger: ledger, sqs: c, queueURL: aws.ToString(q.QueueUrl)}
}

// inForce returns the entry in force of a country and category.
func inForce(t *testing.T, table httpapi.RateTable, country string, c tax.Category) httpapi.RateView {
	t.Helper()
	for _, v := range table.InForce {
		if v.Country == country && v.Category == c {
			return v
		}
	}
	t.Fatalf("no %s %s rate in force on %s: %+v", country, c, table.On, table.InForce)
	return httpapi.RateView{}
}

func TestAdminTax_ARateChangeForTomorrowLeavesTodayAndAppliesOnItsDay(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	table := decode[httpapi.RateTable](t, f.adminDo(t, "GET", "/admin/tax/rates?country=FR", nil))
	if table.On != "2026-03-02" || len(table.Rates) != 4 || len(table.InForce) != 4 {
		t.Fatalf("FR table: %+v", table)
	}
	if v := inForce(t, table, "FR", tax.Reduced); v.Percent != "5.5" || v.Source != "seed" {
		t.Fatalf("FR reduced today: %+v", v)
	}

	put := f.adminDo(t, "PUT", "/admin/tax/rates/FR/reduced/2026-03-03", jsonObject{"percent": "6"})
	wantStatus(t, put, http.StatusCreated)
	if v := decode[httpapi.RateView](t, put); v != (httpapi.RateView{Country: "FR", Category: tax.Reduced, Percent: "6", From: "2026-03-03", Source: "merchant"}) {
		t.Fatalf("created %+v", v)
	}
	// The same change again replaces its percent.
	again := f.adminDo(t, "PUT", "/admin/tax/rates/FR/reduced/2026-03-03", jsonObject{"percent": "6.5"})
	wantStatus(t, again, http.StatusOK)

	today := decode[httpapi.RateTable](t, f.adminDo(t, "GET", "/admin/tax/rates?country=FR", nil))
	if v := inForce(t, today, "FR", tax.Reduced); v.Percent != "5.5" || v.Source != "seed" {
		t.Errorf("today, after a change for tomorrow: %+v", v)
	}
	if len(today.Rates) != 5 {
		t.Errorf("%d FR entries, want the 4 seed rates and the change: %+v", len(today.Rates), today.Rates)
	}
	onDay := decode[httpapi.RateTable](t, f.adminDo(t, "GET", "/admin/tax/rates?country=FR&on=2026-03-03", nil))
	if v := inForce(t, onDay, "FR", tax.Reduced); v.Percent != "6.5" || v.Source != "merchant" || v.From != "2026-03-03" {
		t.Errorf("on its day: %+v", v)
	}
	if v := inForce(t, onDay, "FR", tax.Standard); v.Percent != "20" {
		t.Errorf("the standard rate moved: %+v", v)
	}
	// At midnight the clock's own day changes.
	f.clock.set(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC))
	tomorrow := decode[httpapi.RateTable](t, f.adminDo(t, "GET", "/admin/tax/rates?country=FR", nil))
	if v := inForce(t, tomorrow, "FR", tax.Reduced); v.Percent != "6.5" {
		t.Errorf("tomorrow: %+v", v)
	}
	// The quotes' table sees it by the supply's day.
	rates, err := (&dynamo.TaxRates{Table: f.table}).Rates(context.Background(), demo.Hydro)
	if err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]string{"2026-03-02": "5.5", "2026-03-03": "6.5"} {
		d, _ := time.Parse(time.DateOnly, day)
		if got, ok := rates.Rate("FR", tax.Reduced, d.Add(23*time.Hour+59*time.Minute)); !ok || got.String() != want {
			t.Errorf("quote rate on %s = %s, want %s", day, got, want)
		}
	}
	// The whole table holds every member state; Greece as GR.
	all := decode[httpapi.RateTable](t, f.adminDo(t, "GET", "/admin/tax/rates", nil))
	if v := inForce(t, all, "GR", tax.Standard); v.Percent != "24" {
		t.Errorf("GR: %+v", v)
	}
	el := decode[httpapi.RateTable](t, f.adminDo(t, "GET", "/admin/tax/rates?country=EL", nil))
	if len(el.Rates) == 0 || el.Rates[0].Country != "GR" {
		t.Errorf("EL: %+v", el.Rates)
	}
	// Another merchant's table is untouched.
	jardin := f.do(t, f.admin, "GET", "jardin-fr.localhost", "/admin/tax/rates?country=FR&on=2026-03-03", f.jardinStaff, nil)
	if v := inForce(t, decode[httpapi.RateTable](t, jardin), "FR", tax.Reduced); v.Percent != "5.5" {
		t.Errorf("other merchant: %+v", v)
	}
}

func TestAdminTax_BadRateChangesAreRefusedField(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	long := strings.Repeat("x", 65)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		slug, field        string
	}{
		{"unknown country", "PUT", "/admin/tax/rates/XX/standard/2026-01-01", jsonObject{"percent": "20"}, 400, "invalid-parameter", "country"},
		{"grouping", "PUT", "/admin/tax/rates/EU/standard/2026-01-01", jsonObject{"percent": "20"}, 400, "invalid-parameter", "country"},
		{"three letters", "PUT", "/admin/tax/rates/FRA/standard/2026-01-01", jsonObject{"percent": "20"}, 400, "invalid-parameter", "country"},
		{"unknown category", "PUT", "/admin/tax/rates/FR/luxury/2026-01-01", jsonObject{"percent": "20"}, 400, "invalid-parameter", "category"},
		{"bad day", "PUT", "/admin/tax/rates/FR/standard/2026-02-30", jsonObject{"percent": "20"}, 400, "invalid-parameter", "from"},
		{"short day", "PUT", "/admin/tax/rates/FR/standard/2026-3-1", jsonObject{"percent": "20"}, 400, "invalid-parameter", "from"},
		{"hundred", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", jsonObject{"percent": "100"}, 400, "invalid-parameter", "percent"},
		{"negative", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", jsonObject{"percent": "-1"}, 400, "invalid-parameter", "percent"},
		{"exponent", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", jsonObject{"percent": "1e9999"}, 400, "invalid-parameter", "percent"},
		{"five decimals", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", jsonObject{"percent": "5.12345"}, 400, "invalid-parameter", "percent"},
		{"missing", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", jsonObject{}, 400, "invalid-parameter", "percent"},
		{"number", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", `{"percent": 5.5}`, 400, "invalid-body", "percent"},
		{"unknown member", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", jsonObject{"percent": "5", "country": "BE"}, 400, "invalid-body", "country"},
		{"not an object", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", `["5"]`, 400, "invalid-body", ""},
		{"trailing data", "PUT", "/admin/tax/rates/FR/standard/2026-01-01", `{"percent":"5"}}`, 400, "invalid-body", ""},
		{"long id", "PUT", "/admin/tax/rates/FR/standard/" + long, jsonObject{"percent": "5"}, 400, "invalid-parameter", ""},
		{"bad on", "GET", "/admin/tax/rates?on=tomorrow", nil, 400, "invalid-parameter", "on"},
		{"bad country filter", "GET", "/admin/tax/rates?country=ZZ", nil, 400, "invalid-parameter", "country"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.adminDo(t, c.method, c.path, c.body)
			wantProblem(t, r, c.status, c.slug)
			if c.field != "" {
				p := decode[httpapi.Problem](t, r)
				if !slices.ContainsFunc(p.Errors, func(e httpapi.FieldError) bool { return e.Field == c.field }) {
					t.Errorf("errors %+v name no %s", p.Errors, c.field)
				}
			}
		})
	}
	if ch, err := (&dynamo.TaxRates{Table: f.table}).Changes(context.Background(), demo.Hydro); err != nil || len(ch) != 0 {
		t.Errorf("stored %+v, %v", ch, err)
	}
	// Lower case and Greece's VAT prefix are read as the ISO code.
	wantStatus(t, f.adminDo(t, "PUT", "/admin/tax/rates/el/reduced/2026-01-01", jsonObject{"percent": "13"}), http.StatusCreated)
	if v := inForce(t, decode[httpapi.RateTable](t, f.adminDo(t, "GET", "/admin/tax/rates?country=GR", nil)), "GR", tax.Reduced); v.Percent != "13" {
		t.Errorf("GR reduced: %+v", v)
	}
}

// consumerSale is a consumer order shipped from France to shipTo.
func consumerSale(order, shipTo, net string, placedAt time.Time) orderevent.Event {
	n := decimal.RequireFromString(net)
	v := n.Mul(decimal.RequireFromString("0.2")).Round(2)
	return orderevent.Event{
		Schema: orderevent.Schema, Version: orderevent.Version, ID: "ev-" + order, Type: orderevent.Placed, Merchant: demo.Hydro, OccurredAt: placedAt,
		Order: orderevent.Order{ID: order, PlacedAt: placedAt, Customer: demo.BEConsumer, CustomerKind: orderevent.Consumer,
			ShipFrom: "FR", ShipTo: shipTo, Currency: "EUR", Net: n, VAT: v, Gross: n.Add(v), NetEUR: n},
	}
}

func TestAdminVAT_LedgerSettingsAndAlerts(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	ctx := context.Background()

	// The defaults, before any sale.
	r := f.adminDo(t, "GET", "/admin/vat/ledger", nil)
	l := decode[httpapi.VATLedgerView](t, r)
	if l.On != "2026-03-02" || l.CurrentYear != 2026 || l.PreviousYear != 2025 || l.SellerCountry != "FR" ||
		rawField(t, r, "settings") != `{"euThreshold":"10000.00","countryThresholds":{}}` || len(l.Scopes) != 1 || l.Scopes[0].Exceeded || len(l.DestinationTaxed) != 0 {
		t.Fatalf("empty ledger: %s", r.body)
	}

	// Belgium under its own threshold, the pre-2021 regime.
	r = f.adminDo(t, "PUT", "/admin/vat/settings", jsonObject{"countryThresholds": jsonObject{"BE": "35000"}})
	wantStatus(t, r, http.StatusOK)
	if got := compact(t, r.body); got != `{"euThreshold":"10000.00","countryThresholds":{"BE":"35000.00"}}` {
		t.Fatalf("settings %s", got)
	}

	last := taxToday.Add(-2 * time.Hour)
	if err := f.ledger.Apply(ctx, demo.Hydro, defaultZone, []orderevent.Event{
		consumerSale("O1", "BE", "20000", time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)),
		consumerSale("O2", "DE", "6000", time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)),
		consumerSale("O3", "ES", "4000.50", last),
	}); err != nil {
		t.Fatal(err)
	}
	r = f.adminDo(t, "GET", "/admin/vat/ledger", nil)
	l = decode[httpapi.VATLedgerView](t, r)
	wantScopes := []httpapi.VATScopeView{
		{Scope: "EU", Threshold: eur("10000"), PreviousYear: eur("20000"), CurrentYear: eur("10000.50"), Exceeded: true},
		{Scope: "BE", Threshold: eur("35000"), PreviousYear: eur("20000"), CurrentYear: eur("0"), Exceeded: false},
	}
	if got, want := rawField(t, r, "scopes"), toJSON(t, wantScopes); got != want {
		t.Errorf("scopes %s\nwant   %s", got, want)
	}
	wantCountries := []httpapi.VATCountryView{
		{Country: "BE", PreviousYear: eur("20000"), CurrentYear: eur("0")},
		{Country: "DE", PreviousYear: eur("0"), CurrentYear: eur("6000")},
		{Country: "ES", PreviousYear: eur("0"), CurrentYear: eur("4000.50")},
	}
	if got, want := rawField(t, r, "countries"), toJSON(t, wantCountries); got != want {
		t.Errorf("countries %s\nwant      %s", got, want)
	}
	// Over the EU threshold, every destination but Belgium (its own
	// threshold, not reached) and France (the seller's) is taxed there.
	if slices.Contains(l.DestinationTaxed, "BE") || slices.Contains(l.DestinationTaxed, "FR") || !slices.Contains(l.DestinationTaxed, "DE") || len(l.DestinationTaxed) != 25 {
		t.Errorf("destination taxed: %v", l.DestinationTaxed)
	}
	r = f.adminDo(t, "GET", "/admin/vat/alerts", nil)
	alerts := decode[struct{ Alerts []httpapi.AlertView }](t, r).Alerts
	// The EU-wide totals of both years are over; Belgium's own is not.
	if len(alerts) != 2 || alerts[0].ID != "2025-EU" || alerts[1].ID != "2026-EU" || alerts[1].Scope != "EU" || alerts[1].Year != 2026 ||
		alerts[1].Text == "" || !strings.Contains(string(r.body), `"total":"10000.50","threshold":"10000.00"`) {
		t.Fatalf("alerts %s", r.body)
	}

	// An opt-in records who made it; it binds for two calendar years.
	r = f.adminDo(t, "PUT", "/admin/vat/settings", jsonObject{"countryThresholds": jsonObject{"BE": "35000"}, "optIn": jsonObject{"from": "2026-03-01"}})
	wantStatus(t, r, http.StatusOK)
	if s := decode[httpapi.VATSettingsView](t, r); s.OptIn == nil || *s.OptIn != (httpapi.OptInView{From: "2026-03-01", By: "admin@hydrotech.fr"}) {
		t.Fatalf("opt-in %+v", s.OptIn)
	}
	l = decode[httpapi.VATLedgerView](t, f.adminDo(t, "GET", "/admin/vat/ledger", nil))
	if len(l.DestinationTaxed) != 26 || slices.Contains(l.DestinationTaxed, "FR") {
		t.Errorf("after the opt-in: %v", l.DestinationTaxed)
	}
	// Another staff member sending the same settings keeps who opted in.
	other := f.token(t, identity.Caller{Role: identity.Staff, Subject: "compta@hydrotech.fr", Merchant: demo.Hydro})
	r = f.do(t, f.admin, "PUT", frHost, "/admin/vat/settings", other, jsonObject{"countryThresholds": jsonObject{"BE": "35000"}, "optIn": jsonObject{"from": "2026-03-01"}, "euThreshold": "10000.00"})
	if s := decode[httpapi.VATSettingsView](t, r); s.OptIn == nil || s.OptIn.By != "admin@hydrotech.fr" {
		t.Fatalf("opt-in %+v", s.OptIn)
	}
	for _, body := range []jsonObject{{}, {"optIn": jsonObject{"from": "2026-04-01"}}} {
		r = f.adminDo(t, "PUT", "/admin/vat/settings", body)
		wantProblem(t, r, http.StatusConflict, "conflict")
	}
	// From 2028 it may go.
	f.clock.set(time.Date(2028, 1, 1, 8, 0, 0, 0, time.UTC))
	r = f.adminDo(t, "PUT", "/admin/vat/settings", jsonObject{})
	wantStatus(t, r, http.StatusOK)
	if s := decode[httpapi.VATSettingsView](t, r); s.OptIn != nil || len(s.CountryThresholds) != 0 {
		t.Fatalf("after withdrawal %+v", s)
	}
	// An opt-in not yet in force can be withdrawn.
	wantStatus(t, f.adminDo(t, "PUT", "/admin/vat/settings", jsonObject{"optIn": jsonObject{"from": "2028-06-01"}}), http.StatusOK)
	wantStatus(t, f.adminDo(t, "PUT", "/admin/vat/settings", jsonObject{}), http.StatusOK)
}

func TestAdminVAT_BadSettingsAreRefused(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	cases := []struct {
		name string
		body any
		slug string
	}{
		{"zero threshold", jsonObject{"euThreshold": "0"}, "invalid-parameter"},
		{"exponent", jsonObject{"euThreshold": "1e9999"}, "invalid-parameter"},
		{"negative", jsonObject{"euThreshold": "-10000"}, "invalid-parameter"},
		{"sub-cent", jsonObject{"euThreshold": "10000.001"}, "invalid-parameter"},
		{"a billion", jsonObject{"euThreshold": "1000000000"}, "invalid-parameter"},
		{"number", `{"euThreshold": 10000}`, "invalid-body"},
		{"not a member state", jsonObject{"countryThresholds": jsonObject{"CH": "35000"}}, "invalid-parameter"},
		{"lower case", jsonObject{"countryThresholds": jsonObject{"be": "35000"}}, "invalid-parameter"},
		{"Greece twice", jsonObject{"countryThresholds": jsonObject{"GR": "35000", "EL": "35000"}}, "invalid-parameter"},
		{"bad country threshold", jsonObject{"countryThresholds": jsonObject{"BE": "lots"}}, "invalid-parameter"},
		{"bad opt-in day", jsonObject{"optIn": jsonObject{"from": "2026-02-30"}}, "invalid-parameter"},
		{"opt-in without day", jsonObject{"optIn": jsonObject{}}, "invalid-parameter"},
		{"opt-in naming who", jsonObject{"optIn": jsonObject{"from": "2026-03-01", "by": "someone else"}}, "invalid-body"},
		{"unknown member", jsonObject{"threshold": "1"}, "invalid-body"},
		{"null", "null", "invalid-body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, f.adminDo(t, "PUT", "/admin/vat/settings", c.body), http.StatusBadRequest, c.slug)
		})
	}
	if s := rawField(t, f.adminDo(t, "GET", "/admin/vat/ledger", nil), "settings"); s != `{"euThreshold":"10000.00","countryThresholds":{}}` {
		t.Errorf("settings changed: %s", s)
	}
}

func TestAdminVAT_RecomputeSendsTheRequestToTheWorkersQueue(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	r := f.adminDo(t, "POST", "/admin/vat/recompute", nil)
	wantStatus(t, r, http.StatusAccepted)
	sent := decode[vatledger.RecomputeRequest](t, r)
	if sent.Type != vatledger.RecomputeType || sent.Merchant != demo.Hydro || sent.RequestedBy != "admin@hydrotech.fr" || len(sent.ID) != 36 {
		t.Fatalf("202 body %+v", sent)
	}
	second := decode[vatledger.RecomputeRequest](t, f.adminDo(t, "POST", "/admin/vat/recompute", nil))
	if second.ID == sent.ID {
		t.Fatal("two requests share an id")
	}
	var got []vatledger.RecomputeRequest
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(f.queueURL), WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			req, err := vatledger.ParseRecomputeRequest([]byte(aws.ToString(m.Body)))
			if err != nil {
				t.Fatalf("the worker would refuse %s: %v", aws.ToString(m.Body), err)
			}
			got = append(got, req)
		}
	}
	slices.SortFunc(got, func(a, b vatledger.RecomputeRequest) int { return strings.Compare(a.ID, b.ID) })
	want := []vatledger.RecomputeRequest{sent, second}
	slices.SortFunc(want, func(a, b vatledger.RecomputeRequest) int { return strings.Compare(a.ID, b.ID) })
	if !slices.Equal(got, want) {
		t.Fatalf("received %+v, want %+v", got, want)
	}
}

func TestAdminVAT_RecomputeWithTheQueueDownIsUnavailable(t *testing.T) {
	t.Parallel()
	b := newDemoBackend(t)
	fronts := &dynamo.Storefronts{Table: b.table}
	api := &httpapi.AdminAPI{Pipeline: b.pipeline(fronts), Storefronts: fronts,
		VATThresholdQueue: &queue.Sender{Client: testenv.SQS(t), URL: "http://127.0.0.1:1/000000000000/gone"}}
	f := &adminFixture{admin: api.Routes(), issuer: b.issuer, table: b.table}
	f.staff = f.token(t, identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro})
	r := f.adminDo(t, "POST", "/admin/vat/recompute", nil)
	wantProblem(t, r, http.StatusServiceUnavailable, "unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestAdminVAT_VATCheckOfACustomer(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	customers := &dynamo.Customers{Table: f.table}
	ctx := context.Background()
	for _, c := range []struct {
		id     string
		number string
		valid  bool
	}{
		{"C0001", "FR44732829320", true},
		{demo.BEProInvalidVAT, "", false},
	} {
		r := f.adminDo(t, "POST", "/admin/customers/"+c.id+"/vat-check", nil)
		wantStatus(t, r, http.StatusOK)
		check := decode[vat.Check](t, r)
		if check.Valid != c.valid || check.Method != vat.FormatOnly || !check.At.Equal(taxToday) || check.Detail == "" ||
			c.number != "" && check.Number != c.number {
			t.Errorf("%s: check %+v", c.id, check)
		}
		stored, err := customers.Customer(ctx, demo.Hydro, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if stored.VATCheck == nil || *stored.VATCheck != check || !stored.VATCheck.For(stored.VATNumber) {
			t.Errorf("%s: stored %+v, answered %+v", c.id, stored.VATCheck, check)
		}
		if b := stored.TaxBuyer(); b.Check == nil || b.Check.Valid != c.valid {
			t.Errorf("%s: the tax engine sees %+v", c.id, b.Check)
		}
	}
	wantProblem(t, f.adminDo(t, "POST", "/admin/customers/P0001/vat-check", nil), http.StatusUnprocessableEntity, "no-vat-number")
	wantProblem(t, f.adminDo(t, "POST", "/admin/customers/NOPE/vat-check", nil), http.StatusNotFound, "not-found")
	wantProblem(t, f.adminDo(t, "POST", "/admin/customers/a%23b/vat-check", nil), http.StatusNotFound, "not-found")
	wantProblem(t, f.adminDo(t, "POST", "/admin/customers/"+strings.Repeat("C", 65)+"/vat-check", nil), http.StatusBadRequest, "invalid-parameter")
	// Another merchant's customer is unknown here.
	wantProblem(t, f.do(t, f.admin, "POST", "jardin-fr.localhost", "/admin/customers/C0001/vat-check", f.jardinStaff, nil), http.StatusNotFound, "not-found")
	if c, err := customers.Customer(ctx, demo.Hydro, "P0001"); err != nil || c.VATCheck != nil {
		t.Errorf("P0001: %+v, %v", c.VATCheck, err)
	}
}

func TestAdminTax_OnlyTheMerchantsStaff(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/admin/tax/rates", nil},
		{"PUT", "/admin/tax/rates/FR/reduced/2026-01-01", jsonObject{"percent": "6"}},
		{"GET", "/admin/vat/ledger", nil},
		{"PUT", "/admin/vat/settings", jsonObject{}},
		{"GET", "/admin/vat/alerts", nil},
		{"POST", "/admin/vat/recompute", nil},
		{"POST", "/admin/customers/C0001/vat-check", nil},
	}
	rep := f.token(t, identity.Caller{Role: identity.Rep, Subject: "rep", Merchant: demo.Hydro, Rep: "R01"})
	for _, rt := range routes {
		wantProblem(t, f.do(t, f.admin, rt.method, frHost, rt.path, "", rt.body), 401, "unauthenticated")
		wantProblem(t, f.do(t, f.admin, rt.method, frHost, rt.path, f.token(t, buyer), rt.body), 403, "forbidden")
		wantProblem(t, f.do(t, f.admin, rt.method, frHost, rt.path, rep, rt.body), 403, "forbidden")
		wantProblem(t, f.do(t, f.admin, rt.method, frHost, rt.path, f.jardinStaff, rt.body), 401, "invalid-token")
	}
	// Nothing was written.
	if ch, err := (&dynamo.TaxRates{Table: f.table}).Changes(context.Background(), demo.Hydro); err != nil || len(ch) != 0 {
		t.Errorf("stored %+v, %v", ch, err)
	}
}

// TestAdminTax_ResponsesConformToTheContract validates the tax routes'
// exchanges, successes and problems, against docs/openapi.yaml.
func TestAdminTax_ResponsesConformToTheContract(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	f := newTaxAdmin(t)
	if err := f.ledger.Apply(context.Background(), demo.Hydro, defaultZone, []orderevent.Event{
		consumerSale("O1", "BE", "12000", taxToday.Add(-time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, path string
		body         string
		status       int
		validRequest bool
	}{
		{"GET", "/admin/tax/rates", "", 200, true},
		{"GET", "/admin/tax/rates?country=FR&on=2026-03-03", "", 200, true},
		{"GET", "/admin/tax/rates?on=2026-13-01", "", 400, false},
		{"PUT", "/admin/tax/rates/FR/reduced/2026-03-03", `{"percent":"6"}`, 201, true},
		{"PUT", "/admin/tax/rates/FR/reduced/2026-03-03", `{"percent":"6.5"}`, 200, true},
		{"PUT", "/admin/tax/rates/FR/reduced/2026-03-03", `{"percent":"100"}`, 400, false},
		{"PUT", "/admin/tax/rates/FR/luxury/2026-03-03", `{"percent":"6"}`, 400, false},
		{"PUT", "/admin/vat/settings", `{"countryThresholds":{"BE":"35000"},"optIn":{"from":"2026-03-01"}}`, 200, true},
		{"PUT", "/admin/vat/settings", `{}`, 409, true},
		{"PUT", "/admin/vat/settings", `{"euThreshold":"0"}`, 400, false},
		{"GET", "/admin/vat/ledger", "", 200, true},
		{"GET", "/admin/vat/alerts", "", 200, true},
		{"POST", "/admin/vat/recompute", "", 202, true},
		{"POST", "/admin/customers/C0001/vat-check", "", 200, true},
		{"POST", "/admin/customers/P0001/vat-check", "", 422, true},
		{"POST", "/admin/customers/NOPE/vat-check", "", 404, true},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Host = frHost
		req.Header.Set("Authorization", "Bearer "+f.staff)
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := f.adminDo(t, tc.method, tc.path, body)
		if r.status != tc.status {
			t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.status, tc.status, r.body)
		}
		c.mustConform(t, exchange{req: req, body: []byte(tc.body), resp: r}, tc.validRequest)
		if !tc.validRequest {
			c.mustRefuse(t, exchange{req: req, body: []byte(tc.body), resp: r})
		}
	}
}

func eur(s string) money.Amount { return money.AmountIn(decimal.RequireFromString(s), "EUR") }

// rawField is a member of the JSON object of r's body, compacted.
func rawField(t *testing.T, r response, name string) string {
	t.Helper()
	m := decode[map[string]json.RawMessage](t, r)
	return compact(t, m[name])
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return out.String()
}

// toJSON encodes v as the API does.
func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
