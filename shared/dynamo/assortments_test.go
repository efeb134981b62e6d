package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/roundtrip"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestAssortments_PutAndDeleteSayWhatWasThereInOneWrite(t *testing.T) {
	t.Parallel()
	s := &dynamo.Assortments{Table: testenv.Table(t), TTL: time.Hour}
	ctx := context.Background()
	a := catalog.Assortment{Scope: catalog.ForCustomer, ScopeID: "C1", Categories: []string{"POMPES"}}
	if all, err := s.All(ctx, "m1"); err != nil || len(all) != 0 {
		t.Fatalf("assortments %+v, %v", all, err) // cached empty from now on
	}
	steps := []struct {
		name string
		do   func(context.Context) (bool, error)
		want bool
		left int // assortments of m1 afterwards
	}{
		{"create", func(ctx context.Context) (bool, error) { return s.Put(ctx, "m1", a) }, true, 1},
		{"replace", func(ctx context.Context) (bool, error) {
			b := a
			b.Products = []string{"P1"}
			return s.Put(ctx, "m1", b)
		}, false, 1},
		{"create for another merchant", func(ctx context.Context) (bool, error) { return s.Put(ctx, "m2", a) }, true, 1},
		{"delete", func(ctx context.Context) (bool, error) { return s.Delete(ctx, "m1", a.Scope, a.ScopeID) }, true, 0},
		{"delete again", func(ctx context.Context) (bool, error) { return s.Delete(ctx, "m1", a.Scope, a.ScopeID) }, false, 0},
	}
	for _, st := range steps {
		calls := roundtrip.WithCounter(ctx)
		got, err := st.do(calls)
		if err != nil || got != st.want || roundtrip.Calls(calls) != 1 {
			t.Fatalf("%s: %v, %v in %d round trips; want %v in 1", st.name, got, err, roundtrip.Calls(calls), st.want)
		}
		// Each write drops the cache of this process.
		if all, err := s.All(ctx, "m1"); err != nil || len(all) != st.left {
			t.Errorf("%s: m1 has %+v (%v), want %d", st.name, all, err, st.left)
		}
	}
}
