package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/identity"
)

// fxFixture is the admin API with its exchange rate store over a fresh
// table loaded with the demo.
type fxFixture struct {
	admin  http.Handler
	staff  string
	buyer  string
	jardin string
	store  *dynamo.ExchangeRates
}

func newFXFixture(t *testing.T) *fxFixture {
	t.Helper()
	b := newDemoBackend(t)
	store := &dynamo.ExchangeRates{Table: b.table}
	admin := &httpapi.AdminAPI{
		Pipeline:      b.pipeline(&dynamo.Storefronts{Table: b.table, TTL: time.Minute}),
		ExchangeRates: store,
		Now:           func() time.Time { return fixtureDay },
	}
	sign := func(c identity.Caller) string {
		tok, err := b.issuer.Sign(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return &fxFixture{
		admin:  admin.Routes(),
		staff:  sign(identity.Caller{Role: identity.Staff, Subject: "admin@hydrotech.fr", Merchant: demo.Hydro}),
		buyer:  sign(adminBuyer("C0001")),
		jardin: sign(identity.Caller{Role: identity.Staff, Subject: "admin@jardin-saison.fr", Merchant: demo.Jardin}),
		store:  store,
	}
}

// send sends body with contentType to the admin API, as the exchange the
// contract validates.
func (f *fxFixture) send(t *testing.T, method, host, path, token, contentType, body string) exchange {
	t.Helper()
	build := func() *http.Request {
		var req *http.Request
		if body == "" {
			req = httptest.NewRequest(method, path, nil)
		} else {
			req = httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", contentType)
		}
		req.Host = host
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
	rec := httptest.NewRecorder()
	f.admin.ServeHTTP(rec, build())
	return exchange{req: build(), body: []byte(body), resp: response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}}
}

func readECB(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../fx/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func decodeDays(t *testing.T, e exchange) httpapi.ExchangeRatesList {
	t.Helper()
	var out httpapi.ExchangeRatesList
	if err := json.Unmarshal(e.resp.body, &out); err != nil {
		t.Fatalf("%s: %v", e.resp.body, err)
	}
	return out
}

func TestAdminFX_ResponsesConformToTheContract(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	f := newFXFixture(t)
	daily := readECB(t, "eurofxref-daily.xml")
	const jsonType = "application/json"
	cases := []struct {
		name, method, path, token, contentType, body string
		status                                       int
		validRequest                                 bool
		problem                                      string
	}{
		{"list", "GET", "/admin/exchange-rates", f.staff, "", "", 200, true, ""},
		{"list 2 days", "GET", "/admin/exchange-rates?days=2", f.staff, "", "", 200, true, ""},
		{"list 0 days", "GET", "/admin/exchange-rates?days=0", f.staff, "", "", 400, false, "invalid-parameter"},
		{"list 101 days", "GET", "/admin/exchange-rates?days=101", f.staff, "", "", 400, false, "invalid-parameter"},
		{"set a day", "PUT", "/admin/exchange-rates/days/2026-11-26", f.staff, jsonType, `{"rates":{"USD":"1.0823","KWD":"0.3312","JPY":"175"}}`, 200, true, ""},
		{"set a day, a bad rate", "PUT", "/admin/exchange-rates/days/2026-11-26", f.staff, jsonType, `{"rates":{"USD":"1,08"}}`, 400, false, "invalid-parameter"},
		{"set a day, a number", "PUT", "/admin/exchange-rates/days/2026-11-26", f.staff, jsonType, `{"rates":{"USD":1.08}}`, 400, false, "invalid-body"},
		{"set a day, a bad day", "PUT", "/admin/exchange-rates/days/26-11-2026", f.staff, jsonType, `{"rates":{"USD":"1.08"}}`, 400, false, "invalid-parameter"},
		{"import the daily file", "POST", "/admin/exchange-rates/ecb", f.staff, "application/xml", daily, 200, true, ""},
		{"import as text/xml", "POST", "/admin/exchange-rates/ecb", f.staff, "text/xml; charset=UTF-8", daily, 200, true, ""},
		{"import a bad file", "POST", "/admin/exchange-rates/ecb", f.staff, "application/xml", strings.Replace(daily, "'USD'", "'XYZ'", 1), 400, true, "invalid-body"},
		{"import as JSON", "POST", "/admin/exchange-rates/ecb", f.staff, jsonType, `{"rates":{}}`, 400, false, "invalid-body"},
		{"import over 1 MiB", "POST", "/admin/exchange-rates/ecb", f.staff, "application/xml", daily + strings.Repeat(" ", httpapi.MaxBody), 413, true, "payload-too-large"},
		{"anonymous", "GET", "/admin/exchange-rates", "", "", "", 401, false, "unauthenticated"},
		{"a buyer", "GET", "/admin/exchange-rates", f.buyer, "", "", 403, true, "forbidden"},
		{"a buyer importing", "POST", "/admin/exchange-rates/ecb", f.buyer, "application/xml", daily, 403, true, "forbidden"},
		{"a buyer setting a day", "PUT", "/admin/exchange-rates/days/2026-11-26", f.buyer, jsonType, `{"rates":{"USD":"2"}}`, 403, true, "forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := f.send(t, tc.method, frHost, tc.path, tc.token, tc.contentType, tc.body)
			if e.resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", e.resp.status, tc.status, e.resp.body)
			}
			if tc.problem != "" && !strings.Contains(string(e.resp.body), `"type":"`+httpapi.ProblemBase+tc.problem+`"`) {
				t.Errorf("problem %s, want %s", e.resp.body, tc.problem)
			}
			if tc.method != "POST" || tc.status != 413 {
				c.mustConform(t, e, tc.validRequest)
			}
		})
	}
}

func TestAdminFX_StaffSetADaysRates(t *testing.T) {
	t.Parallel()
	f := newFXFixture(t)
	f.send(t, "GET", frHost, "/admin/exchange-rates", f.staff, "", "") // the storefront, cached
	e := f.send(t, "PUT", frHost, "/admin/exchange-rates/days/2026-11-26", f.staff, "application/json", `{"rates":{"USD":"1.0823","CHF":"0.9412","KWD":"0.3312"}}`)
	if e.resp.status != 200 || e.resp.header.Get(httpapi.CallsHeader) != "1" {
		t.Fatalf("status %d, %s round trips: %s", e.resp.status, e.resp.header.Get(httpapi.CallsHeader), e.resp.body)
	}
	var day httpapi.ExchangeRatesView
	if err := json.Unmarshal(e.resp.body, &day); err != nil {
		t.Fatal(err)
	}
	if day.Date != "2026-11-26" || day.Source != fx.SourceStaff || len(day.Rates) != 3 || day.Rates["KWD"].String() != "0.3312" {
		t.Fatalf("day %+v", day)
	}
	// A quote of that day uses them.
	r, err := f.store.On(t.Context(), demo.Hydro, fixtureDay)
	if err != nil || r.Source != fx.SourceStaff || r.PerEUR["USD"].String() != "1.0823" {
		t.Fatalf("rates in force: %+v %v", r, err)
	}
	// Listed first, before the demo's days.
	list := decodeDays(t, f.send(t, "GET", frHost, "/admin/exchange-rates", f.staff, "", ""))
	if len(list.Days) != 3 || list.Days[0].Date != "2026-11-26" || list.Days[1].Date != demo.StaffRatesDay.Format(time.DateOnly) || list.Days[2].Source != fx.SourceECB {
		t.Fatalf("days %+v", list.Days)
	}
	// The other merchant's rates are not changed.
	if r, err := f.store.On(t.Context(), demo.Jardin, fixtureDay); err != nil || r.Date.Format(time.DateOnly) != demo.StaffRatesDay.Format(time.DateOnly) {
		t.Errorf("Jardin's rates: %v %v", r.Date, err)
	}

	many := map[string]string{}
	for _, c := range strings.Fields("USD JPY BGN CZK DKK GBP HUF PLN RON SEK CHF ISK NOK TRY AUD BRL CAD CNY HKD IDR ILS INR KRW MXN MYR NZD PHP SGD THB ZAR AED SAR QAR KWD BHD OMR JOD TND MAD EGP NGN") {
		many[c] = "1.5"
	}
	manyBody, _ := json.Marshal(map[string]any{"rates": many})
	cases := []struct {
		name, path, body, field, reason string
	}{
		{"an unknown currency", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"XYZ":"1.1"}}`, "rates.XYZ", "ISO 4217"},
		{"a withdrawn currency", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"FRF":"6.55957"}}`, "rates.FRF", "ISO 4217"},
		{"a lower-case code", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"usd":"1.1"}}`, "rates.usd", "ISO 4217"},
		{"the euro", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"EUR":"1"}}`, "rates.EUR", "pivot"},
		{"zero", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"USD":"0"}}`, "rates.USD", "above zero"},
		{"negative", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"USD":"-1.1"}}`, "rates.USD", "plain decimal"},
		{"an exponent", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"USD":"1e3"}}`, "rates.USD", "plain decimal"},
		{"eleven decimals", "/admin/exchange-rates/days/2026-11-27", `{"rates":{"USD":"1.00000000001"}}`, "rates.USD", "digits"},
		{"no rate", "/admin/exchange-rates/days/2026-11-27", `{"rates":{}}`, "rates", "at least one"},
		{"41 currencies", "/admin/exchange-rates/days/2026-11-27", string(manyBody), "rates", "at most 40"},
		{"not a day", "/admin/exchange-rates/days/2026-02-30", `{"rates":{"USD":"1.1"}}`, "date", "YYYY-MM-DD"},
		{"before the euro", "/admin/exchange-rates/days/1998-12-31", `{"rates":{"USD":"1.1"}}`, "date", "1999-01-04"},
		{"over a year ahead", "/admin/exchange-rates/days/2030-01-01", `{"rates":{"USD":"1.1"}}`, "date", "a year from today"},
		{"the import's name", "/admin/exchange-rates/days/ecb", `{"rates":{"USD":"1.1"}}`, "date", "YYYY-MM-DD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := f.send(t, "PUT", frHost, tc.path, f.staff, "application/json", tc.body)
			if e.resp.status != 400 {
				t.Fatalf("status %d: %s", e.resp.status, e.resp.body)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(e.resp.body, &p); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, fe := range p.Errors {
				found = found || fe.Field == tc.field && strings.Contains(fe.Reason, tc.reason)
			}
			if !found {
				t.Errorf("no error on %s saying %q: %s", tc.field, tc.reason, e.resp.body)
			}
		})
	}
	// Nothing of the refused days was saved.
	if list := decodeDays(t, f.send(t, "GET", frHost, "/admin/exchange-rates", f.staff, "", "")); len(list.Days) != 3 {
		t.Errorf("%d days after refused writes", len(list.Days))
	}
}

func TestAdminFX_ImportTheECBFile(t *testing.T) {
	t.Parallel()
	f := newFXFixture(t)
	f.send(t, "GET", frHost, "/admin/exchange-rates", f.staff, "", "") // the storefront, cached
	e := f.send(t, "POST", frHost, "/admin/exchange-rates/ecb", f.staff, "application/xml", readECB(t, "eurofxref-hist-90d.xml"))
	if e.resp.status != 200 || e.resp.header.Get(httpapi.CallsHeader) != "1" {
		t.Fatalf("status %d, %s round trips: %s", e.resp.status, e.resp.header.Get(httpapi.CallsHeader), e.resp.body)
	}
	imported := decodeDays(t, e)
	if len(imported.Days) != 3 || imported.Days[0].Date != "2025-10-21" || imported.Days[2].Date != "2025-10-17" {
		t.Fatalf("imported %+v", imported.Days)
	}
	for _, d := range imported.Days {
		if d.Source != fx.SourceECB || len(d.Rates) != 30 {
			t.Errorf("day %s: %s, %d rates", d.Date, d.Source, len(d.Rates))
		}
	}
	// The rates in force on the 20th are that day's, exactly.
	r, err := f.store.On(t.Context(), demo.Hydro, time.Date(2025, 10, 20, 15, 0, 0, 0, time.UTC))
	if err != nil || r.Date.Format(time.DateOnly) != "2025-10-20" || r.PerEUR["CHF"].String() != "0.9241" {
		t.Fatalf("rates in force on the 20th: %+v %v", r, err)
	}

	daily := readECB(t, "eurofxref-daily.xml")
	noDay := daily[:strings.Index(daily, "\t\t<Cube time")] + daily[strings.LastIndex(daily, "\t</Cube>"):]
	cases := []struct {
		name, contentType, body, detail string
		status                          int
	}{
		{"an unknown currency", "application/xml", strings.Replace(daily, "'ZAR'", "'ZZZ'", 1), "ZZZ", 400},
		{"a rate with a comma", "application/xml", strings.Replace(daily, "'1.1607'", "'1,1607'", 1), "USD", 400},
		{"a negative rate", "application/xml", strings.Replace(daily, "'176.45'", "'-176.45'", 1), "JPY", 400},
		{"an HTML error page", "text/xml", "<html><body>503</body></html>", "gesmes:Envelope", 400},
		{"the CSV file", "text/xml", "Date, USD, JPY,\n21 October 2025, 1.1607, 176.45,", "not an ECB", 400},
		{"no day", "application/xml", noDay, "no day", 400},
		{"Latin-1", "application/xml; charset=ISO-8859-1", daily, "UTF-8", 400},
		{"no content type", "", daily, "application/xml", 400},
		{"101 days", "application/xml", ecbFile(101), "more than 100 days", 400},
		{"100 days", "application/xml", ecbFile(100), "", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := f.send(t, "POST", frHost, "/admin/exchange-rates/ecb", f.staff, tc.contentType, tc.body)
			if tc.contentType == "" {
				e = f.sendWithoutType(t, tc.body)
			}
			if e.resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", e.resp.status, tc.status, e.resp.body)
			}
			if tc.status == 400 && !strings.Contains(string(e.resp.body), tc.detail) {
				t.Errorf("the problem does not say %q: %s", tc.detail, e.resp.body)
			}
		})
	}
	// The refused files saved nothing: the 90-day file's days, the 100
	// days' file and the demo's are all there is.
	list := decodeDays(t, f.send(t, "GET", frHost, "/admin/exchange-rates?days=100", f.staff, "", ""))
	if len(list.Days) != 100 {
		t.Errorf("%d days listed", len(list.Days))
	}
	for _, d := range list.Days {
		if _, bad := d.Rates["ZZZ"]; bad {
			t.Errorf("a refused file saved %s", d.Date)
		}
	}
	// Another merchant's staff cannot import on Hydrotech's storefront.
	if e := f.send(t, "POST", frHost, "/admin/exchange-rates/ecb", f.jardin, "application/xml", daily); e.resp.status != 401 && e.resp.status != 403 {
		t.Errorf("Jardin's staff: %d", e.resp.status)
	}
}

// sendWithoutType posts body to the import without a Content-Type.
func (f *fxFixture) sendWithoutType(t *testing.T, body string) exchange {
	t.Helper()
	req := httptest.NewRequest("POST", "/admin/exchange-rates/ecb", strings.NewReader(body))
	req.Host = frHost
	req.Header.Set("Authorization", "Bearer "+f.staff)
	rec := httptest.NewRecorder()
	f.admin.ServeHTTP(rec, req)
	return exchange{req: req, body: []byte(body), resp: response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}}
}

// ecbFile is an ECB file of n working days back from 21 October 2025,
// two currencies each.
func ecbFile(n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>
`)
	day := time.Date(2025, 10, 21, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; day = day.AddDate(0, 0, -1) {
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		fmt.Fprintf(&b, "\t\t<Cube time='%s'>\n\t\t\t<Cube currency='USD' rate='1.%04d'/>\n\t\t\t<Cube currency='CHF' rate='0.9230'/>\n\t\t</Cube>\n", day.Format(time.DateOnly), 1000+i)
		i++
	}
	b.WriteString("\t</Cube>\n</gesmes:Envelope>")
	return b.String()
}
