package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/testenv"
)

// addLine is an update that adds a line of ref.
func addLine(ref string, quantity int64) func(*cart.Stored) error {
	return func(s *cart.Stored) error {
		s.Lines = append(s.Lines, cart.Line{Ref: ref, Packaging: "unit", Quantity: quantity, Chosen: true})
		return nil
	}
}

func TestCartsDynamo_ConcurrentWritersWithoutVersion_NeverLoseALine(t *testing.T) {
	ctx := context.Background()
	carts := &dynamo.Carts{Table: testenv.Table(t)}
	const writers = 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			_, err := carts.Update(ctx, "m1", "C1", "B#buyer@example.fr", 0, addLine(fmt.Sprintf("REF-%02d", i), 1))
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a writer failed: %v", err)
		}
	}
	got, err := carts.Get(ctx, "m1", "C1", "B#buyer@example.fr")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, l := range got.Lines {
		refs = append(refs, l.Ref)
	}
	slices.Sort(refs)
	if len(refs) != writers || len(slices.Compact(slices.Clone(refs))) != writers {
		t.Fatalf("lines = %v, want the %d lines of every writer", refs, writers)
	}
	if got.Version != writers {
		t.Errorf("version = %d, want %d (one per write)", got.Version, writers)
	}
}

func TestCartsDynamo_StaleVersion_FailsWithTheCurrentCart(t *testing.T) {
	ctx := context.Background()
	carts := &dynamo.Carts{Table: testenv.Table(t)}
	v1, err := carts.Update(ctx, "m1", "C1", "R#R01", 0, addLine("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 {
		t.Fatalf("first write at version %d, want 1", v1.Version)
	}
	v2, err := carts.Update(ctx, "m1", "C1", "R#R01", 1, addLine("B", 2))
	if err != nil {
		t.Fatal(err)
	}
	called := false
	_, err = carts.Update(ctx, "m1", "C1", "R#R01", 1, func(s *cart.Stored) error { called = true; return nil })
	var ve *cart.VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *cart.VersionError", err)
	}
	if called {
		t.Error("update was called for a stale version")
	}
	if ve.Expected != 1 || ve.Current.Version != 2 || len(ve.Current.Lines) != 2 || ve.Current.Lines[1].Ref != "B" {
		t.Errorf("version error = expected %d, current %+v; want the cart at version 2 with A and B", ve.Expected, ve.Current)
	}
	if !slices.EqualFunc(ve.Current.Lines, v2.Lines, func(a, b cart.Line) bool { return a.Ref == b.Ref && a.Quantity == b.Quantity }) {
		t.Errorf("current lines %+v, want %+v", ve.Current.Lines, v2.Lines)
	}
	// A version named for a cart never written fails too.
	if _, err := carts.Update(ctx, "m1", "C2", "R#R01", 3, addLine("A", 1)); !errors.As(err, &ve) || ve.Current.Version != 0 {
		t.Errorf("err = %v, want a version error at version 0", err)
	}
}

// TestCartsDynamo_RaceLostUnderVersion_FailsWithTheWinnersCart has another
// write land between the read and the write of a versioned update: the
// write is refused with the cart the other write left.
func TestCartsDynamo_RaceLostUnderVersion_FailsWithTheWinnersCart(t *testing.T) {
	ctx := context.Background()
	carts := &dynamo.Carts{Table: testenv.Table(t)}
	if _, err := carts.Update(ctx, "m1", "C1", "B#b1", 0, addLine("A", 1)); err != nil {
		t.Fatal(err)
	}
	_, err := carts.Update(ctx, "m1", "C1", "B#b1", 1, func(s *cart.Stored) error {
		if _, err := carts.Update(ctx, "m1", "C1", "B#b1", 0, addLine("OTHER", 1)); err != nil {
			return err
		}
		return addLine("MINE", 1)(s)
	})
	var ve *cart.VersionError
	if !errors.As(err, &ve) || ve.Current.Version != 2 || ve.Current.Lines[len(ve.Current.Lines)-1].Ref != "OTHER" {
		t.Fatalf("err = %v, want a version error with the cart at version 2 ending with OTHER", err)
	}
	// Without a version, the same race is merged.
	calls := 0
	got, err := carts.Update(ctx, "m1", "C1", "B#b1", 0, func(s *cart.Stored) error {
		calls++
		if calls == 1 {
			if _, err := carts.Update(ctx, "m1", "C1", "B#b1", 0, addLine("THIRD", 1)); err != nil {
				return err
			}
		}
		return addLine("MINE", 1)(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, l := range got.Lines {
		refs = append(refs, l.Ref)
	}
	if calls != 2 || !slices.Equal(refs, []string{"A", "OTHER", "THIRD", "MINE"}) || got.Version != 4 {
		t.Errorf("calls %d, lines %v at version %d; want 2 calls and A, OTHER, THIRD, MINE at version 4", calls, refs, got.Version)
	}
}

func TestCartsDynamo_ExpiryIsTheTTLAttribute_AndAnExpiredCartIsEmpty(t *testing.T) {
	ctx := context.Background()
	tbl := testenv.Table(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	carts := &dynamo.Carts{Table: tbl, Now: clock}
	s, err := carts.Update(ctx, "m1", "C1", "S#staff", 0, addLine("A", 3))
	if err != nil {
		t.Fatal(err)
	}
	want := now.Add(cart.Lifetime)
	if !s.ExpiresAt.Equal(want) {
		t.Errorf("expiresAt = %s, want %s", s.ExpiresAt, want)
	}
	out, err := tbl.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tbl.Name), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "M#m1#C#C1"}, "SK": &types.AttributeValueMemberS{Value: "CART#S#staff"}}})
	if err != nil {
		t.Fatal(err)
	}
	ttl, ok := out.Item[dynamo.AttrExpires].(*types.AttributeValueMemberN)
	if !ok || ttl.Value != strconv.FormatInt(want.Unix(), 10) {
		t.Fatalf("TTL attribute %s = %v, want %d (epoch seconds)", dynamo.AttrExpires, out.Item[dynamo.AttrExpires], want.Unix())
	}
	if v, ok := out.Item[dynamo.AttrVersion].(*types.AttributeValueMemberN); !ok || v.Value != "1" {
		t.Errorf("Version = %v, want 1", out.Item[dynamo.AttrVersion])
	}
	if typ, ok := out.Item[dynamo.AttrType].(*types.AttributeValueMemberS); !ok || typ.Value != "CART" {
		t.Errorf("Type = %v, want CART", out.Item[dynamo.AttrType])
	}
	// Each write pushes the expiry back.
	now = now.Add(24 * time.Hour)
	if s, err = carts.Update(ctx, "m1", "C1", "S#staff", 0, addLine("B", 1)); err != nil || !s.ExpiresAt.Equal(now.Add(cart.Lifetime)) {
		t.Fatalf("second write: %v, expires %s; want %s", err, s.ExpiresAt, now.Add(cart.Lifetime))
	}
	// Past its expiry the item still exists (the TTL deletes late) but the
	// cart reads as empty, and a new cart is written over it.
	now = now.Add(cart.Lifetime)
	got, err := carts.Get(ctx, "m1", "C1", "S#staff")
	if err != nil || got.Version != 0 || len(got.Lines) != 0 {
		t.Fatalf("expired cart = %+v, %v; want empty at version 0", got, err)
	}
	if _, err := carts.Update(ctx, "m1", "C1", "S#staff", 2, addLine("C", 1)); !errors.As(err, new(*cart.VersionError)) {
		t.Errorf("a version of an expired cart: err = %v, want a version error", err)
	}
	fresh, err := carts.Update(ctx, "m1", "C1", "S#staff", 0, addLine("C", 1))
	if err != nil || fresh.Version != 1 || len(fresh.Lines) != 1 || fresh.Lines[0].Ref != "C" {
		t.Fatalf("new cart over an expired one = %+v, %v; want C alone at version 1", fresh, err)
	}
}

func TestCartsDynamo_GetIsOneRoundTrip_AndCartsAreSeparatePerOwnerAndCustomer(t *testing.T) {
	ctx := dynamo.WithCallCounter(context.Background())
	carts := &dynamo.Carts{Table: testenv.Table(t)}
	for _, o := range []struct {
		customer string
		owner    cart.Owner
		ref      string
	}{{"C1", "B#b1", "A"}, {"C1", "B#b2", "B"}, {"C2", "B#b1", "C"}, {"C1", "R#R01", "D"}} {
		if _, err := carts.Update(ctx, "m1", o.customer, o.owner, 0, addLine(o.ref, 1)); err != nil {
			t.Fatal(err)
		}
	}
	before := dynamo.Calls(ctx)
	got, err := carts.Get(ctx, "m1", "C1", "B#b2")
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(ctx) - before; n != 1 {
		t.Errorf("Get made %d round trips, want 1", n)
	}
	if len(got.Lines) != 1 || got.Lines[0].Ref != "B" || got.Customer != "C1" || got.Owner != "B#b2" {
		t.Errorf("cart = %+v, want B#b2's own line B", got)
	}
	before = dynamo.Calls(ctx)
	if _, err := carts.Update(ctx, "m1", "C1", "B#b2", 0, addLine("E", 1)); err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(ctx) - before; n != 2 {
		t.Errorf("Update made %d round trips, want 2 (GetItem, PutItem)", n)
	}
	// Other merchants see nothing.
	if other, err := carts.Get(ctx, "m2", "C1", "B#b2"); err != nil || other.Version != 0 {
		t.Errorf("another merchant's cart = %+v, %v", other, err)
	}
}

func TestCartsDynamo_UpdateError_WritesNothing_AndBadKeysAreRefused(t *testing.T) {
	ctx := context.Background()
	carts := &dynamo.Carts{Table: testenv.Table(t)}
	boom := errors.New("refused")
	if _, err := carts.Update(ctx, "m1", "C1", "B#b1", 0, func(*cart.Stored) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the update's own", err)
	}
	if got, err := carts.Get(ctx, "m1", "C1", "B#b1"); err != nil || got.Version != 0 {
		t.Errorf("cart after a refused update = %+v, %v", got, err)
	}
	for _, k := range []struct {
		customer string
		owner    cart.Owner
	}{{"", "B#b1"}, {"C#1", "B#b1"}, {"C1", ""}, {"C1", "B#"}, {"C1", "b1"}, {"C1", cart.Owner("B#" + string(make([]byte, 65)))}} {
		if _, err := carts.Get(ctx, "m1", k.customer, k.owner); err == nil {
			t.Errorf("Get(%q, %q) succeeded", k.customer, k.owner)
		}
	}
}
