package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/demo"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/tax"
)

// The catalog function keeps the distance-selling state it shows prices
// with (pricing.DisplayLedger, as wiring builds it): a warm page of a
// cross-border consumer reads no ledger, one round trip fewer than
// without the cache, and the price shown may lag a crossing by the TTL.
func TestCatalogAPI_VATDisplayKeepsTheDistanceSellingState(t *testing.T) {
	b := newDemoBackend(t)
	host := jardinBE(t, b)
	cached := taxInputs(b.table)
	cached.Ledger = &pricing.DisplayLedger{Ledger: cached.Ledger, TTL: time.Hour}
	calls := func(t *testing.T, f *catalogFixture) int {
		t.Helper()
		r := f.get(t, host, "/catalog/products/JS-001", "")
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		n, err := strconv.Atoi(r.header.Get(httpapi.CallsHeader))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	fresh, kept := b.handlersAt(t, fixtureDay, taxInputs(b.table)), b.handlersAt(t, fixtureDay, cached)
	calls(t, fresh)
	calls(t, kept)
	warmFresh, warmKept := calls(t, fresh), calls(t, kept)
	if warmFresh-warmKept != 1 {
		t.Errorf("a warm page costs %d round trips with the state kept, %d without", warmKept, warmFresh)
	}
	e := sale("J1", "BE", "10000.01")
	e.Merchant = demo.Jardin
	if err := (&dynamo.VATLedger{Table: b.table}).Apply(context.Background(), demo.Jardin, defaultZone, []orderevent.Event{e}); err != nil {
		t.Fatal(err)
	}
	ht := jardinProduct(kept, "JS-001").BasePrice
	r := kept.get(t, host, "/catalog/products/JS-001", "")
	if p, want := decode[httpapi.ProductView](t, r).Price, tax.InclusiveUnitPrice(ht, decimal.NewFromInt(20), "EUR"); p == nil || !p.Amount.Equal(want) {
		t.Errorf("within the TTL, the kept state: %+v, want %s", p, want)
	}
}
