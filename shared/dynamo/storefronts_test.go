package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/roundtrip"
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
		calls := roundtrip.WithCounter(ctx)
		sf, err := s.ByHost(calls, host)
		if err != nil || sf.Merchant != want || sf.Host != fmt.Sprintf("shop.%s.fr", want) {
			t.Errorf("%s → %+v, %v", host, sf, err)
		}
		if n := roundtrip.Calls(calls); n > 1 {
			t.Errorf("%s resolved in %d round trips", host, n)
		}
	}
	warm := roundtrip.WithCounter(ctx)
	if _, err := s.ByHost(warm, "shop.m1.fr"); err != nil || roundtrip.Calls(warm) != 0 {
		t.Errorf("cached host cost %d calls (%v)", roundtrip.Calls(warm), err)
	}
	for _, host := range []string{"evil.example", "", "m1", "[::1]:3300", "127.0.0.1", "shop.m1.fr:3300:80", "shop%2em1.fr", "shop.m1.fr\x00", string(make([]byte, 100_000))} {
		if _, err := s.ByHost(ctx, host); !errors.Is(err, merchant.ErrUnknownHost) {
			t.Errorf("%q: err = %v", host, err)
		}
	}
	// Misses are cached too: a flood of unknown hosts costs one read each
	// TTL, and a host no storefront can have costs none.
	for _, host := range []string{"evil.example", "[::1]", "x"} {
		miss := roundtrip.WithCounter(ctx)
		_, _ = s.ByHost(miss, host)
		if roundtrip.Calls(miss) != 0 {
			t.Errorf("%q cost %d calls", host, roundtrip.Calls(miss))
		}
	}
}

// newStorefronts is a storefront store over a fresh table with merchants m1
// (domains m1.example, shared.example) and m2 (m2.example, shared.example:
// a domain the platform gave to both, for the race).
func newStorefronts(t *testing.T) *dynamo.Storefronts {
	t.Helper()
	tbl := testenv.Table(t)
	acc := &dynamo.Accounts{Table: tbl}
	for _, m := range []dynamo.Merchant{
		{ID: "m1", Name: "M1", DefaultLanguage: "fr", Domains: []string{"m1.example", "shared.example"}},
		{ID: "m2", Name: "M2", DefaultLanguage: "de", Domains: []string{"m2.example", "shared.example"}},
	} {
		if err := acc.Save(context.Background(), acc.NewBatch(m.ID).Merchant(m)); err != nil {
			t.Fatal(err)
		}
	}
	return &dynamo.Storefronts{Table: tbl, TTL: time.Hour}
}

// setHost is a storefront update that sets the host and records the owner
// it was given.
func setHost(host string, owner *merchant.Merchant) func(*merchant.Storefront, bool, merchant.Merchant) error {
	return func(sf *merchant.Storefront, _ bool, o merchant.Merchant) error {
		if owner != nil {
			*owner = o
		}
		sf.Host, sf.Country, sf.Language, sf.Currency, sf.Mode = host, "FR", "fr", "EUR", merchant.Open
		return nil
	}
}

func TestStorefronts_UpdateStorefront_ClaimsMovesAndReleasesHosts(t *testing.T) {
	t.Parallel()
	s := newStorefronts(t)
	ctx := context.Background()

	var owner merchant.Merchant
	calls := roundtrip.WithCounter(ctx)
	sf, created, err := s.UpdateStorefront(calls, "m1", "fr", setHost("Shop.M1.example", &owner))
	if err != nil || !created || sf.Host != "shop.m1.example" || sf.Merchant != "m1" || sf.ID != "fr" {
		t.Fatalf("created %+v %v %v", sf, created, err)
	}
	if n := roundtrip.Calls(calls); n != 2 {
		t.Errorf("a storefront save took %d round trips, want 2", n)
	}
	if owner.ID != "m1" || owner.DefaultLanguage != "fr" || !owner.Owns("shop.m1.example") || owner.Owns("shop.m2.example") {
		t.Errorf("the update was given %+v", owner)
	}
	if got, err := s.ByHost(ctx, "shop.m1.example"); err != nil || !reflect.DeepEqual(got, sf) {
		t.Errorf("resolved %+v, %v", got, err)
	}

	// Another storefront, of this merchant or another, cannot take it.
	for _, who := range []struct {
		m  merchant.ID
		id string
	}{{"m1", "be"}, {"m2", "fr"}} {
		if _, _, err := s.UpdateStorefront(ctx, who.m, who.id, setHost("shop.m1.example", nil)); !errors.Is(err, merchant.ErrHostTaken) {
			t.Errorf("%s/%s took the host: %v", who.m, who.id, err)
		}
	}
	if l, err := s.List(ctx, "m2"); err != nil || len(l) != 0 {
		t.Errorf("m2 storefronts %+v, %v", l, err)
	}

	// Saving it again as it is writes nothing; changing it is a replace.
	calls = roundtrip.WithCounter(ctx)
	if _, created, err := s.UpdateStorefront(calls, "m1", "fr", setHost("shop.m1.example", nil)); err != nil || created || roundtrip.Calls(calls) != 1 {
		t.Errorf("unchanged save: %v, created %v, %d round trips", err, created, roundtrip.Calls(calls))
	}

	// Moving to a new host releases the former one, at once in this
	// process.
	moved, created, err := s.UpdateStorefront(ctx, "m1", "fr", setHost("b2b.m1.example", nil))
	if err != nil || created || moved.Host != "b2b.m1.example" {
		t.Fatalf("moved %+v %v %v", moved, created, err)
	}
	if _, err := s.ByHost(ctx, "shop.m1.example"); !errors.Is(err, merchant.ErrUnknownHost) {
		t.Errorf("the former host still answers: %v", err)
	}
	if got, err := s.ByHost(ctx, "b2b.m1.example"); err != nil || got.Host != "b2b.m1.example" {
		t.Errorf("the new host: %+v, %v", got, err)
	}
	if l, err := s.List(ctx, "m1"); err != nil || len(l) != 1 || !reflect.DeepEqual(l[0], moved) {
		t.Errorf("m1 storefronts %+v, %v", l, err)
	}
	if _, created, err := s.UpdateStorefront(ctx, "m1", "be", setHost("shop.m1.example", nil)); err != nil || !created {
		t.Errorf("the released host cannot be taken: %v", err)
	}

	// An update's error is returned as is.
	boom := errors.New("boom")
	if _, _, err := s.UpdateStorefront(ctx, "m1", "fr", func(*merchant.Storefront, bool, merchant.Merchant) error { return boom }); err != boom {
		t.Errorf("err = %v", err)
	}
	if _, _, err := s.UpdateStorefront(ctx, "m1", "fr", setHost("127.0.0.1", nil)); !errors.Is(err, merchant.ErrInvalidHost) {
		t.Errorf("an IP host: %v", err)
	}
}

func TestStorefronts_UpdateStorefront_OneHostOneWinner(t *testing.T) {
	t.Parallel()
	s := newStorefronts(t)
	ctx := context.Background()
	const rounds = 10
	for round := range rounds {
		host := fmt.Sprintf("r%d.shared.example", round)
		// Both merchants, and two storefronts of m1, race for host.
		racers := []struct {
			m  merchant.ID
			id string
		}{{"m1", fmt.Sprintf("a%d", round)}, {"m2", fmt.Sprintf("a%d", round)}, {"m1", fmt.Sprintf("b%d", round)}, {"m2", fmt.Sprintf("b%d", round)}}
		errs := make([]error, len(racers))
		var wg sync.WaitGroup
		for i, r := range racers {
			wg.Go(func() { _, _, errs[i] = s.UpdateStorefront(ctx, r.m, r.id, setHost(host, nil)) })
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: %v and %v both got %s", round, racers[won], racers[i], host)
			case err == nil:
				won = i
			case !errors.Is(err, merchant.ErrHostTaken):
				t.Fatalf("round %d: %v: %v", round, racers[i], err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody got %s", round, host)
		}
		got, err := (&dynamo.Storefronts{Table: s.Table}).ByHost(ctx, host)
		if err != nil || got.Merchant != racers[won].m || got.ID != racers[won].id {
			t.Fatalf("round %d: %s answers for %+v (%v), the winner was %v", round, host, got, err, racers[won])
		}
	}
}
