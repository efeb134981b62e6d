package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/testenv"
)

func fxDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func fxRates(date, source string, rates ...string) fx.Rates {
	r := fx.Rates{Date: fxDay(date), Source: source, PerEUR: map[string]decimal.Decimal{}}
	for i := 0; i < len(rates); i += 2 {
		r.PerEUR[rates[i]] = decimal.RequireFromString(rates[i+1])
	}
	return r
}

func TestExchangeRates_OnIsTheLatestDayOnOrBeforeInOneRoundTrip(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	store := &dynamo.ExchangeRates{Table: tbl}
	ctx := context.Background()
	for _, r := range []fx.Rates{
		fxRates("2025-10-17", fx.SourceECB, "USD", "1.1680", "CHF", "0.9224"),
		fxRates("2025-10-20", fx.SourceECB, "USD", "1.1645", "CHF", "0.9241"),
		fxRates("2025-10-21", fx.SourceECB, "USD", "1.1607", "CHF", "0.9230", "GBP", "0.86780", "IDR", "19272.67"),
	} {
		if err := store.Put(ctx, "m1", r); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Put(ctx, "m2", fxRates("2025-10-18", fx.SourceStaff, "USD", "2")); err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CEST", 2*3600)
	}
	cases := []struct {
		on   time.Time
		want string // "" for none
		usd  string
	}{
		{fxDay("2025-10-17"), "2025-10-17", "1.168"},
		{fxDay("2025-10-19"), "2025-10-17", "1.168"}, // a Sunday: Friday's rates
		{fxDay("2025-10-20").Add(10 * time.Hour), "2025-10-20", "1.1645"},
		{time.Date(2025, 10, 21, 23, 59, 0, 0, time.UTC), "2025-10-21", "1.1607"},
		{time.Date(2025, 10, 21, 0, 30, 0, 0, paris), "2025-10-21", "1.1607"}, // its own calendar day
		{fxDay("2031-01-01"), "2025-10-21", "1.1607"},
		{fxDay("2025-10-16"), "", ""},
	}
	for _, c := range cases {
		cctx := dynamo.WithCallCounter(ctx)
		r, err := store.On(cctx, "m1", c.on)
		if n := dynamo.Calls(cctx); n != 1 {
			t.Errorf("On(%v): %d round trips", c.on, n)
		}
		if c.want == "" {
			if !errors.Is(err, fx.ErrNoRates) {
				t.Errorf("On(%v) = %v, %v; want ErrNoRates", c.on, r.Date, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("On(%v): %v", c.on, err)
		}
		if r.Date.Format(time.DateOnly) != c.want || !r.PerEUR["USD"].Equal(decimal.RequireFromString(c.usd)) || r.Source != fx.SourceECB {
			t.Errorf("On(%v) = %s USD %s (%s), want %s USD %s", c.on, r.Date.Format(time.DateOnly), r.PerEUR["USD"], r.Source, c.want, c.usd)
		}
	}
	// The decimals come back as they were written, never through a float.
	r, err := store.On(ctx, "m1", fxDay("2025-10-21"))
	if err != nil {
		t.Fatal(err)
	}
	if r.PerEUR["IDR"].String() != "19272.67" || r.PerEUR["GBP"].String() != "0.8678" || len(r.PerEUR) != 4 {
		t.Errorf("rates %v", r.PerEUR)
	}
	// Another merchant's rates are its own.
	if r, err := store.On(ctx, "m2", fxDay("2025-10-21")); err != nil || r.Date.Format(time.DateOnly) != "2025-10-18" || r.Source != fx.SourceStaff {
		t.Errorf("m2: %v %v", r, err)
	}
	if _, err := store.On(ctx, "m3", fxDay("2025-10-21")); !errors.Is(err, fx.ErrNoRates) {
		t.Errorf("m3: %v", err)
	}
	if _, err := store.On(ctx, "bad#id", fxDay("2025-10-21")); !errors.Is(err, dynamo.ErrBadMerchant) {
		t.Errorf("a merchant id with '#': %v", err)
	}
}

func TestExchangeRates_OnIsCachedPerFunction(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	cached := &dynamo.ExchangeRates{Table: tbl, TTL: time.Hour}
	other := &dynamo.ExchangeRates{Table: tbl} // another function
	if err := other.Put(ctx, "m1", fxRates("2025-10-20", fx.SourceECB, "CHF", "0.9241")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		cctx := dynamo.WithCallCounter(ctx)
		r, err := cached.On(cctx, "m1", fxDay("2025-10-21"))
		if err != nil || r.Date.Format(time.DateOnly) != "2025-10-20" {
			t.Fatalf("call %d: %v %v", i, r.Date, err)
		}
		want := int64(0)
		if i == 0 {
			want = 1
		}
		if dynamo.Calls(cctx) != want {
			t.Errorf("call %d: %d round trips", i, dynamo.Calls(cctx))
		}
	}
	// A day saved by another function is seen once the cache expires; a
	// fresh store (TTL 0) sees it at once.
	if err := other.Put(ctx, "m1", fxRates("2025-10-21", fx.SourceECB, "CHF", "0.9230")); err != nil {
		t.Fatal(err)
	}
	if r, _ := cached.On(ctx, "m1", fxDay("2025-10-21")); r.Date.Format(time.DateOnly) != "2025-10-20" {
		t.Errorf("cached: %v", r.Date)
	}
	if r, _ := other.On(ctx, "m1", fxDay("2025-10-21")); r.Date.Format(time.DateOnly) != "2025-10-21" {
		t.Errorf("uncached: %v", r.Date)
	}
	// The function that saves a day drops that day from its own cache.
	if err := cached.Put(ctx, "m1", fxRates("2025-10-21", fx.SourceStaff, "CHF", "0.95")); err != nil {
		t.Fatal(err)
	}
	if r, _ := cached.On(ctx, "m1", fxDay("2025-10-21")); r.Source != fx.SourceStaff || !r.PerEUR["CHF"].Equal(decimal.RequireFromString("0.95")) {
		t.Errorf("after its own save: %+v", r)
	}
	// No rates is cached too: no round trip for a merchant without any.
	_, _ = cached.On(ctx, "m9", fxDay("2025-10-21"))
	cctx := dynamo.WithCallCounter(ctx)
	if _, err := cached.On(cctx, "m9", fxDay("2025-10-21")); !errors.Is(err, fx.ErrNoRates) || dynamo.Calls(cctx) != 0 {
		t.Errorf("no rates: %v, %d round trips", err, dynamo.Calls(cctx))
	}
}

func TestExchangeRates_PutReplacesTheDayAndRefusesInvalidRates(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	store := &dynamo.ExchangeRates{Table: tbl}
	ctx := context.Background()
	if err := store.Put(ctx, "m1", fxRates("2025-10-21", fx.SourceECB, "USD", "1.1607", "CHF", "0.9230")); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, "m1", fxRates("2025-10-21", fx.SourceStaff, "USD", "1.0823")); err != nil {
		t.Fatal(err)
	}
	r, err := store.On(ctx, "m1", fxDay("2025-10-21"))
	if err != nil || r.Source != fx.SourceStaff || len(r.PerEUR) != 1 || r.PerEUR["USD"].String() != "1.0823" {
		t.Fatalf("after staff's save: %+v %v", r, err)
	}
	for _, bad := range []fx.Rates{
		fxRates("2025-10-22", fx.SourceStaff, "XYZ", "1"),
		fxRates("2025-10-22", fx.SourceStaff, "USD", "0"),
		fxRates("2025-10-22", fx.SourceStaff),
		fxRates("2025-10-22", "bank", "USD", "1.1"),
		{Source: fx.SourceStaff, PerEUR: map[string]decimal.Decimal{"USD": decimal.NewFromInt(1)}},
	} {
		if err := store.Put(ctx, "m1", bad); err == nil {
			t.Errorf("saved %+v", bad)
		}
		if err := store.PutDays(ctx, "m1", []fx.Rates{fxRates("2025-10-23", fx.SourceECB, "USD", "1.1"), bad}); err == nil {
			t.Errorf("saved a file holding %+v", bad)
		}
	}
	if r, _ := store.On(ctx, "m1", fxDay("2025-12-31")); r.Date.Format(time.DateOnly) != "2025-10-21" {
		t.Errorf("an invalid save wrote %s", r.Date.Format(time.DateOnly))
	}
}

func TestExchangeRates_AnECBFileIsSavedDayByDay(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	store := &dynamo.ExchangeRates{Table: tbl}
	f, err := os.Open("../fx/testdata/eurofxref-hist-90d.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	days, err := fx.ParseECB(f)
	if err != nil {
		t.Fatal(err)
	}
	ctx := dynamo.WithCallCounter(context.Background())
	if err := store.PutDays(ctx, "m1", days); err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(ctx); n != 1 {
		t.Errorf("3 days saved in %d round trips", n)
	}
	ctx = dynamo.WithCallCounter(context.Background())
	recent, err := store.Recent(ctx, "m1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(ctx); n != 1 {
		t.Errorf("Recent: %d round trips", n)
	}
	if len(recent) != 2 || recent[0].Date.Format(time.DateOnly) != "2025-10-21" || recent[1].Date.Format(time.DateOnly) != "2025-10-20" {
		t.Fatalf("recent %v", recent)
	}
	if len(recent[0].PerEUR) != 30 || recent[0].Source != fx.SourceECB || recent[1].PerEUR["CHF"].String() != "0.9241" {
		t.Errorf("day %+v", recent[1])
	}
	all, err := store.Recent(context.Background(), "m1", 1000)
	if err != nil || len(all) != 3 {
		t.Errorf("all days: %d %v", len(all), err)
	}
	if none, err := store.Recent(context.Background(), "m2", 10); err != nil || len(none) != 0 {
		t.Errorf("m2: %v %v", none, err)
	}
}

// Many writers at once, on distinct days and on the same day: every day is
// stored whole, the same day holds one writer's rates entirely.
func TestExchangeRates_ManyWritersAtOnce(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	store := &dynamo.ExchangeRates{Table: tbl}
	ctx := context.Background()
	const writers = 24
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Go(func() {
			day := fxDay("2025-09-01").AddDate(0, 0, i).Format(time.DateOnly)
			errs <- store.Put(ctx, "m1", fxRates(day, fx.SourceECB, "USD", "1.1", "CHF", "0.93"))
		})
		wg.Go(func() {
			v := fmt.Sprintf("1.%04d", i+1)
			errs <- store.Put(ctx, "m1", fxRates("2025-12-01", fx.SourceStaff, "USD", v, "CHF", v))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	days, err := store.Recent(ctx, "m1", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != writers+1 {
		t.Fatalf("%d days", len(days))
	}
	same := days[0]
	if same.Date.Format(time.DateOnly) != "2025-12-01" || !same.PerEUR["USD"].Equal(same.PerEUR["CHF"]) || len(same.PerEUR) != 2 {
		t.Errorf("the day written by %d writers mixes them: %v", writers, same.PerEUR)
	}
}
