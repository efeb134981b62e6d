package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestCatalog_HasProductsAndDeleteCategory_StayInTheirMerchant(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	c := &dynamo.Catalog{Table: tbl}
	for _, m := range []merchant.ID{"m1", "m2"} {
		if err := c.SaveCategories(ctx, m, []catalog.Category{{ID: "FULL", Names: map[string]string{"fr": "x"}}, {ID: "EMPTY", Names: map[string]string{"fr": "y"}}}); err != nil {
			t.Fatal(err)
		}
	}
	p := catalog.Product{Ref: "P1", CategoryID: "FULL", Names: map[string]string{"fr": "p"}, Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}},
		MinOrderQty: 1, OrderMultiple: 1, BasePrice: decimal.NewFromInt(1), Currency: "EUR", Inactive: true}
	if err := c.SaveProducts(ctx, "m1", []catalog.Product{p}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m    merchant.ID
		cat  string
		want bool
	}{{"m1", "FULL", true}, {"m1", "EMPTY", false}, {"m2", "FULL", false}, {"m1", "NOPE", false}} {
		calls := dynamo.WithCallCounter(ctx)
		got, err := c.HasProducts(calls, tc.m, tc.cat)
		if err != nil || got != tc.want || dynamo.Calls(calls) != 1 {
			t.Errorf("%s/%s: %v, %v in %d calls; want %v (inactive products count)", tc.m, tc.cat, got, err, dynamo.Calls(calls), tc.want)
		}
	}
	if err := c.DeleteCategory(ctx, "m1", "EMPTY"); err != nil {
		t.Fatal(err)
	}
	for m, want := range map[merchant.ID]int{"m1": 1, "m2": 2} {
		if cats, err := c.Categories(ctx, m); err != nil || len(cats) != want {
			t.Errorf("%s: %d categories (%v), want %d", m, len(cats), err, want)
		}
	}
}

func TestStorefronts_ListHostOwnerForget(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	s := &dynamo.Storefronts{Table: tbl, TTL: time.Hour}
	fronts := []merchant.Storefront{
		{ID: "fr", Merchant: "m1", Host: "shop.m1.fr", Mode: merchant.Open},
		{ID: "be", Merchant: "m1", Host: "shop.m1.be", Mode: merchant.Open},
		{ID: "fr", Merchant: "m2", Host: "shop.m2.fr", Mode: merchant.Open},
	}
	if err := s.Save(ctx, fronts); err != nil {
		t.Fatal(err)
	}
	if l, err := s.List(ctx, "m1"); err != nil || len(l) != 2 {
		t.Fatalf("m1 storefronts %+v, %v", l, err)
	}
	if _, err := s.ByHost(ctx, "shop.m1.be"); err != nil {
		t.Fatal(err)
	}
	moved := fronts[1]
	moved.Host, moved.Mode = "shop.m1.nl", merchant.Closed
	if err := s.Save(ctx, []merchant.Storefront{moved}); err != nil {
		t.Fatal(err)
	}
	// The cache still answers for the old host; the owner lookup does not.
	if sf, err := s.ByHost(ctx, "shop.m1.be"); err != nil || sf.Mode != merchant.Open {
		t.Fatalf("cached %+v, %v", sf, err)
	}
	if _, found, err := s.HostOwner(ctx, "SHOP.m1.be"); err != nil || found {
		t.Errorf("old host still owned (%v)", err)
	}
	if sf, found, err := s.HostOwner(ctx, "shop.m1.nl"); err != nil || !found || sf.ID != "be" || sf.Merchant != "m1" {
		t.Errorf("new host owner %+v %v %v", sf, found, err)
	}
	s.Forget("shop.m1.be")
	if _, err := s.ByHost(ctx, "shop.m1.be"); err == nil {
		t.Error("a forgotten host is still served from the cache")
	}
}
