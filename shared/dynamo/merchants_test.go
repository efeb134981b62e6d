package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/roundtrip"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestMerchants_ReadsOnceThenFromCache(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	for _, m := range []dynamo.Merchant{{ID: "m1", Name: "One", Country: "FR", Currency: "EUR"}, {ID: "m2", Name: "Two", Country: "BE", Currency: "EUR"}} {
		if err := acc.Save(ctx, acc.NewBatch(m.ID).Merchant(m)); err != nil {
			t.Fatal(err)
		}
	}
	s := &dynamo.Merchants{Table: tbl, TTL: time.Hour}
	for _, want := range []struct{ id, country string }{{"m1", "FR"}, {"m2", "BE"}} {
		cold := roundtrip.WithCounter(ctx)
		got, err := s.Merchant(cold, merchant.ID(want.id))
		if err != nil || got.Country != want.country || string(got.ID) != want.id || roundtrip.Calls(cold) != 1 {
			t.Fatalf("%s: %+v, %v in %d round trips", want.id, got, err, roundtrip.Calls(cold))
		}
		warm := roundtrip.WithCounter(ctx)
		if got, err := s.Merchant(warm, merchant.ID(want.id)); err != nil || got.Country != want.country || roundtrip.Calls(warm) != 0 {
			t.Fatalf("%s warm: %+v, %v in %d round trips", want.id, got, err, roundtrip.Calls(warm))
		}
	}
	if _, err := s.Merchant(ctx, "nobody"); !errors.Is(err, dynamo.ErrNoMerchant) {
		t.Errorf("unknown merchant: %v", err)
	}
	if _, err := s.Merchant(ctx, "a#b"); err == nil {
		t.Error("a merchant id with # was read")
	}
}

func TestMerchants_KeepsTheTimeZone(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	for _, m := range []dynamo.Merchant{{ID: "mq", Country: "FR", Currency: "EUR", TimeZone: "America/Martinique"}, {ID: "fr", Country: "FR", Currency: "EUR"}} {
		if err := acc.Save(ctx, acc.NewBatch(m.ID).Merchant(m)); err != nil {
			t.Fatal(err)
		}
	}
	s := &dynamo.Merchants{Table: tbl}
	for id, zone := range map[merchant.ID]string{"mq": "America/Martinique", "fr": merchant.DefaultTimeZone} {
		m, err := s.Merchant(ctx, id)
		if err != nil || m.Location().String() != zone {
			t.Errorf("%s: %v in %v", id, err, m.Location())
		}
	}
}

func TestMerchants_SetMonthEnd_StoresTheSettingOverTheRecordAndDropsTheCache(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	rec := dynamo.Merchant{ID: "m1", Name: "One", Country: "FR", Currency: "EUR", TimeZone: "America/Martinique", Domains: []string{"one.example"}}
	if err := acc.Save(ctx, acc.NewBatch("m1").Merchant(rec)); err != nil {
		t.Fatal(err)
	}
	s := &dynamo.Merchants{Table: tbl, TTL: time.Hour}
	if m, err := s.Merchant(ctx, "m1"); err != nil || m.MonthEnd != "" {
		t.Fatalf("before: %+v, %v", m, err)
	}
	for _, method := range []payment.MonthEndMethod{payment.DaysThenEndOfMonth, payment.EndOfMonthThenDays} {
		calls := roundtrip.WithCounter(ctx)
		got, err := s.SetMonthEnd(calls, "m1", method)
		if err != nil || got.MonthEnd != method || got.Name != "One" || got.ID != "m1" {
			t.Fatalf("%s: %+v, %v", method, got, err)
		}
		if n := roundtrip.Calls(calls); n != 2 {
			t.Errorf("%s: %d round trips, want 2 (read, conditional update)", method, n)
		}
		// This process reads the new setting at once, though it had the
		// record cached; every other member is as the platform set it.
		m, err := s.Merchant(ctx, "m1")
		if err != nil || m.MonthEnd != method || m.Name != rec.Name || m.TimeZone != rec.TimeZone || len(m.Domains) != 1 || m.Country != "FR" {
			t.Fatalf("%s: read back %+v, %v", method, m, err)
		}
		// A fresh store (another function) reads it from the table.
		if m, err := (&dynamo.Merchants{Table: tbl}).Merchant(ctx, "m1"); err != nil || m.MonthEnd != method {
			t.Fatalf("%s: another process reads %+v, %v", method, m, err)
		}
	}
	if _, err := s.SetMonthEnd(ctx, "m1", "end-of-week"); !errors.Is(err, payment.ErrUnknownMonthEndMethod) {
		t.Errorf("unknown method: %v", err)
	}
	if _, err := s.SetMonthEnd(ctx, "nobody", payment.DaysThenEndOfMonth); !errors.Is(err, dynamo.ErrNoMerchant) {
		t.Errorf("unknown merchant: %v", err)
	}
	if _, err := (&dynamo.Merchants{Table: tbl}).Merchant(ctx, "nobody"); !errors.Is(err, dynamo.ErrNoMerchant) {
		t.Errorf("the refused write created merchant nobody: %v", err)
	}
	if _, err := s.SetMonthEnd(ctx, "a#b", payment.DaysThenEndOfMonth); !errors.Is(err, dynamo.ErrBadMerchant) {
		t.Errorf("bad merchant: %v", err)
	}
}

// TestMerchants_SetMonthEnd_ManyWritersAtOnce races settings writers: each
// lands or says it lost the race, and the record keeps one of the methods
// beside its other members.
func TestMerchants_SetMonthEnd_ManyWritersAtOnce(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	if err := acc.Save(ctx, acc.NewBatch("m1").Merchant(dynamo.Merchant{ID: "m1", Name: "One", Country: "FR", Currency: "EUR"})); err != nil {
		t.Fatal(err)
	}
	methods := []payment.MonthEndMethod{payment.DaysThenEndOfMonth, payment.EndOfMonthThenDays}
	var landed atomic.Int64
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			s := &dynamo.Merchants{Table: tbl}
			_, err := s.SetMonthEnd(ctx, "m1", methods[i%2])
			switch {
			case errors.Is(err, dynamo.ErrMerchantChanged):
			case err != nil:
				t.Error(err)
			default:
				landed.Add(1)
			}
		})
	}
	wg.Wait()
	m, err := (&dynamo.Merchants{Table: tbl}).Merchant(ctx, "m1")
	if err != nil || m.MonthEnd.Validate() != nil || m.Name != "One" || m.Currency != "EUR" {
		t.Fatalf("after the race: %+v, %v", m, err)
	}
	if landed.Load() == 0 {
		t.Error("no write landed")
	}
}

func TestMerchants_Warehouses_OneQueryThenFromCache(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch("m1").
		Warehouse(stock.Warehouse{ID: "1", Name: "Lyon", Country: "FR"}).
		Warehouse(stock.Warehouse{ID: "2", Name: "Lille", Country: "FR"}).
		StockLevel(stock.Level{Ref: "P1", Warehouse: "1", OnHand: 3})
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := acc.Save(ctx, acc.NewBatch("m2").Warehouse(stock.Warehouse{ID: "9", Name: "Elsewhere", Country: "BE"})); err != nil {
		t.Fatal(err)
	}
	s := &dynamo.Merchants{Table: tbl, TTL: time.Hour}
	cold := roundtrip.WithCounter(ctx)
	list, err := s.Warehouses(cold, "m1")
	if err != nil || len(list) != 2 || list[0].ID != "1" || list[1].Name != "Lille" || roundtrip.Calls(cold) != 1 {
		t.Fatalf("warehouses %+v, %v in %d round trips", list, err, roundtrip.Calls(cold))
	}
	warm := roundtrip.WithCounter(ctx)
	if list, err := s.Warehouses(warm, "m1"); err != nil || len(list) != 2 || roundtrip.Calls(warm) != 0 {
		t.Fatalf("warm: %+v, %v in %d round trips", list, err, roundtrip.Calls(warm))
	}
	if list, err := s.Warehouses(ctx, "m3"); err != nil || len(list) != 0 {
		t.Errorf("a merchant without warehouses: %+v, %v", list, err)
	}
	if _, err := s.Warehouses(ctx, "a#b"); !errors.Is(err, dynamo.ErrBadMerchant) {
		t.Errorf("bad merchant: %v", err)
	}
}
