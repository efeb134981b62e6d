package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/tax"
)

// newYearsNight is the placement of order NY1, a Belgian consumer's
// €9,999.99 with demo.Hydro (a French merchant whose record names no zone:
// Europe/Paris), at 00:30 on 1 January 2027 in Paris, 23:30 UTC on
// 31 December 2026; the clocks below read a quarter of an hour later.
func newYearsNight(t *testing.T, tbl dynamo.Table) time.Time {
	t.Helper()
	e := sale("NY1", "BE", "9999.99")
	e.OccurredAt = time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	e.Order.PlacedAt = e.OccurredAt
	hydro := demo.Build().Merchants[0]
	if hydro.ID != demo.Hydro || hydro.TimeZone != "" {
		t.Fatalf("first demo merchant %s in zone %q, want %s in the default zone", hydro.ID, hydro.TimeZone, demo.Hydro)
	}
	if err := (&dynamo.VATLedger{Table: tbl}).Apply(context.Background(), demo.Hydro, hydro.Location(), []orderevent.Event{e}); err != nil {
		t.Fatal(err)
	}
	return e.OccurredAt.Add(15 * time.Minute)
}

// TestQuoteTax_AnOrderOfNewYearsNightCountsInTheMerchantsNewYear: the
// order of new year's night counts in 2027, the year of the quote made a
// quarter of an hour later (the merchant's day, 1 January 2027): its
// €9,999.99 and the quote together go over the threshold, so the quote is
// taxed at destination from this sale. Counted in the UTC year, the order
// would have been 2026's, under the threshold, and the quote taxed in
// France.
func TestQuoteTax_AnOrderOfNewYearsNightCountsInTheMerchantsNewYear(t *testing.T) {
	b := newDemoBackend(t)
	now := newYearsNight(t, b.table)
	f := b.handlersAt(t, now, taxInputs(b.table))
	r := f.post(t, frHost, "/pricing/quote", f.token(t, buyerOf(demo.BEConsumer)), quoteBody(t, httpapi.QuoteRequest{Lines: valveLine}))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	q := decodeQuote(t, r)
	checkTaxAddsUp(t, q)
	lt := q.Lines[0].Tax
	if q.Date != "2027-01-01" || lt.Regime != tax.DistanceSaleDestination || lt.Country != "BE" || !strings.Contains(lt.Reason, "of 2027 reach") {
		t.Errorf("quote of %s taxed %+v, want 1 January 2027 at Belgium's rate, this sale taking 2027's total over the threshold", q.Date, lt)
	}
}

// TestAdminVAT_TheLedgerViewIsOfTheMerchantsDay: a quarter of an hour
// after the order of new year's night, the back office's ledger is of
// 1 January 2027, the merchant's day, with the order in 2027's totals.
func TestAdminVAT_TheLedgerViewIsOfTheMerchantsDay(t *testing.T) {
	t.Parallel()
	f := newTaxAdmin(t)
	f.clock.set(newYearsNight(t, f.table))
	r := f.adminDo(t, "GET", "/admin/vat/ledger", nil)
	wantStatus(t, r, http.StatusOK)
	l := decode[httpapi.VATLedgerView](t, r)
	if l.On != "2027-01-01" || l.CurrentYear != 2027 || l.PreviousYear != 2026 {
		t.Fatalf("ledger of %s, years %d and %d; want 2027-01-01, 2027 and 2026", l.On, l.CurrentYear, l.PreviousYear)
	}
	if got, want := rawField(t, r, "scopes"), toJSON(t, []httpapi.VATScopeView{
		{Scope: "EU", Threshold: eur("10000"), PreviousYear: eur("0"), CurrentYear: eur("9999.99"), Exceeded: false},
	}); got != want {
		t.Errorf("scopes %s\nwant   %s", got, want)
	}
}
