package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestStockAlerts_RaiseIsIdempotentAndListIsOneQuery(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	alerts := &dynamo.StockAlerts{Table: tbl}
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	level := stock.Level{Ref: "VIS-M6", Warehouse: "LYON", OnHand: 40, Min: 10, Max: 50}
	a, ok := stock.AlertFor(level, 8, at)
	if !ok {
		t.Fatal("no alert")
	}
	b, _ := stock.AlertFor(stock.Level{Ref: "VIS-M6", Warehouse: "PARIS", Min: 5, Max: 20}, 0, at)
	c, _ := stock.AlertFor(stock.Level{Ref: "ECROU-M6", Warehouse: "LYON", Min: 5, Max: 20}, 2, at)
	for range 3 { // a replayed stream record raises the same alert again
		for _, x := range []stock.Alert{a, b, c} {
			if err := alerts.Raise(ctx, "m1", x); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := alerts.Raise(ctx, "m2", a); err != nil {
		t.Fatal(err)
	}
	cctx := dynamo.WithCallCounter(ctx)
	got, err := alerts.List(cctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(cctx); n != 1 {
		t.Errorf("List: %d round trips, want 1", n)
	}
	want := []stock.Alert{c, a, b}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("List = %+v\nwant %+v", got, want)
	}
	if got[1].Reorder != 42 || !got[1].RaisedAt.Equal(at) {
		t.Errorf("alert = %+v", got[1])
	}
	other, err := alerts.List(ctx, "m3")
	if err != nil || len(other) != 0 {
		t.Errorf("List of a merchant without alerts = %v, %v", other, err)
	}
}

func TestStockAlerts_AnOlderAlertDoesNotReplaceANewerOne(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	alerts := &dynamo.StockAlerts{Table: tbl}
	ctx := context.Background()
	level := stock.Level{Ref: "VIS-M6", Warehouse: "LYON", Min: 10, Max: 50}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	// Many falls raised at once, delivered in any order: the newest stands.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			a, _ := stock.AlertFor(level, int64(i%10), t0.Add(time.Duration(i)*time.Minute))
			errs <- alerts.Raise(ctx, "m1", a)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := alerts.List(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].RaisedAt.Equal(t0.Add(19*time.Minute)) || got[0].Available != 9 {
		t.Fatalf("alerts = %+v, want the one raised last", got)
	}
	old, _ := stock.AlertFor(level, 0, t0)
	if err := alerts.Raise(ctx, "m1", old); err != nil {
		t.Fatal(err)
	}
	got, _ = alerts.List(ctx, "m1")
	if len(got) != 1 || got[0].Available != 9 {
		t.Fatalf("an older alert replaced the newer: %+v", got)
	}
}

func TestStockAlerts_RefusesABadMerchant(t *testing.T) {
	t.Parallel()
	alerts := &dynamo.StockAlerts{Table: testenv.Table(t)}
	a, _ := stock.AlertFor(stock.Level{Ref: "X", Warehouse: "W", Min: 1, Max: 2}, 0, time.Now())
	if err := alerts.Raise(context.Background(), "m#1", a); err == nil {
		t.Error("Raise accepted a merchant id holding '#'")
	}
	if _, err := alerts.List(context.Background(), ""); err == nil {
		t.Error("List accepted an empty merchant id")
	}
}
