package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/stock"
)

func TestOrders_Levels_EveryWarehouseInOneQueryAndOneBatchPerHundredLevels(t *testing.T) {
	var levels []stock.Level
	var refs []string
	for i := range 60 {
		r := fmt.Sprintf("R%02d", i)
		refs = append(refs, r)
		levels = append(levels, level(r, "W1", int64(i)), level(r, "W2", 1))
	}
	f := newOrdersFixture(t, []string{"W1", "W2", "W3"}, levels...)
	f.orders.WarehousesTTL = time.Minute
	ctx := dynamo.WithCallCounter(context.Background())
	got, err := f.orders.Levels(ctx, shopM, append(refs, "R00", "NONE"))
	if err != nil {
		t.Fatal(err)
	}
	// 60 refs x 3 warehouses = 180 keys: 2 BatchGetItem, plus the Query.
	if n := dynamo.Calls(ctx); n != 3 {
		t.Errorf("Levels: %d round trips, want 3", n)
	}
	if len(got) != 60 || len(got["R07"]) != 2 || got["R07"][0].Warehouse != "W1" || got["R07"][0].OnHand != 7 || got["R07"][1].Warehouse != "W2" {
		t.Errorf("levels: %d refs, R07 %+v", len(got), got["R07"])
	}
	if _, ok := got["NONE"]; ok {
		t.Error("a product without levels has some")
	}
	ctx = dynamo.WithCallCounter(context.Background())
	if _, err := f.orders.Levels(ctx, shopM, []string{"R01"}); err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(ctx); n != 1 {
		t.Errorf("Levels with the warehouses cached: %d round trips, want 1", n)
	}
}

func TestOrders_Levels_SiteOrdersComeFromWhatOrdersTook(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, stock.Level{Ref: "A", Warehouse: "W1", OnHand: 10, Reserved: 2, Min: 3})
	ctx := context.Background()
	if got := f.level(t, "A", "W1"); got.available != 8 || got.siteOrders != 0 {
		t.Fatalf("loaded level: %+v, want 8 available (10 on hand less 2 reserved)", got)
	}
	if err := f.orders.Place(ctx, order.Placement{Order: anOrder("O-1", "C1", placedAt, "1", line("A", alloc("W1", 6)))}); err != nil {
		t.Fatal(err)
	}
	levels, err := f.orders.Levels(ctx, shopM, []string{"A"})
	if err != nil {
		t.Fatal(err)
	}
	if l := levels["A"][0]; l.SiteOrders != 6 || l.Available() != 2 || l.Status() != stock.Low {
		t.Errorf("level after the order: %+v available %d", l, l.Available())
	}
	// The product page reads the same.
	cat := &dynamo.Catalog{Table: f.tbl}
	if err := cat.SaveCategories(ctx, shopM, []catalog.Category{{ID: "POMPES"}}); err != nil {
		t.Fatal(err)
	}
	if err := cat.SaveProducts(ctx, shopM, []catalog.Product{{Ref: "A", CategoryID: "POMPES"}}); err != nil {
		t.Fatal(err)
	}
	_, ls, err := cat.ProductWithStock(ctx, shopM, "A")
	if err != nil || len(ls) != 1 || ls[0].SiteOrders != 6 || ls[0].Available() != 2 {
		t.Errorf("product with stock: %+v %v", ls, err)
	}
}
