package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/roundtrip"
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
