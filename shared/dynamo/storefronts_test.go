package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestStorefronts_ByHost_ResolvesCachesAndIsolates(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	fronts := []merchant.Storefront{
		{ID: "fr", Merchant: "m1", Host: "Shop.M1.fr", Country: "FR", Language: "fr", Currency: "EUR", Mode: merchant.Open},
		{ID: "fr", Merchant: "m2", Host: "shop.m2.fr", Country: "FR", Language: "fr", Currency: "EUR", Mode: merchant.Closed},
	}
	if err := (&dynamo.Storefronts{Table: tbl}).Save(ctx, fronts); err != nil {
		t.Fatal(err)
	}
	s := &dynamo.Storefronts{Table: tbl, TTL: time.Hour}
	for host, want := range map[string]merchant.ID{"shop.m1.fr": "m1", "SHOP.M1.FR:443": "m1", "shop.m2.fr.": "m2"} {
		sf, err := s.ByHost(ctx, host)
		if err != nil || sf.Merchant != want {
			t.Errorf("%s → %+v, %v", host, sf, err)
		}
	}
	warm := dynamo.WithCallCounter(ctx)
	if _, err := s.ByHost(warm, "shop.m1.fr"); err != nil || dynamo.Calls(warm) != 0 {
		t.Errorf("cached host cost %d calls (%v)", dynamo.Calls(warm), err)
	}
	for _, host := range []string{"evil.example", "", "m1"} {
		if _, err := s.ByHost(ctx, host); !errors.Is(err, merchant.ErrUnknownHost) {
			t.Errorf("%q: err = %v", host, err)
		}
	}
	// Misses are cached too: a flood of unknown hosts costs one read each TTL.
	miss := dynamo.WithCallCounter(ctx)
	_, _ = s.ByHost(miss, "evil.example")
	if dynamo.Calls(miss) != 0 {
		t.Errorf("cached miss cost %d calls", dynamo.Calls(miss))
	}
}
