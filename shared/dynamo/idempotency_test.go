package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/order"
)

func TestOrders_Begin_FiftyAtOnceWithTheSameKeyStartOnce(t *testing.T) {
	f := newOrdersFixture(t, nil)
	ctx := context.Background()
	k := order.IdempotencyKey{Customer: "C1", Key: "same"}
	claims := make([]order.Claimed, 50)
	errs := make([]error, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			claims[i], errs[i] = f.orders.Begin(ctx, shopM, k, order.Claim{
				RequestHash: "rh", CartHash: "ch", OrderID: fmt.Sprintf("O-%02d", i), Now: placedAt, Lease: time.Minute,
			})
		})
	}
	wg.Wait()
	started, winner := 0, ""
	for i, c := range claims {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if c.State == order.Started {
			started++
			winner = c.OrderID
		}
	}
	if started != 1 {
		t.Fatalf("%d claims started, want 1", started)
	}
	for _, c := range claims {
		if c.State != order.Started && (c.State != order.InFlight || c.OrderID != winner || c.RequestHash != "rh" || c.CartHash != "ch") {
			t.Errorf("claim %+v, want in flight with %s", c, winner)
		}
	}
}

func TestOrders_Begin_OneRoundTripAndCompletedAfterPlace(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 3))
	ctx := dynamo.WithCallCounter(context.Background())
	k := order.IdempotencyKey{Customer: "C1", Key: "k1"}
	c, err := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "rh", CartHash: "ch", OrderID: "O-1", Now: placedAt, Lease: time.Minute})
	if err != nil || c.State != order.Started || c.OrderID != "O-1" {
		t.Fatalf("%+v %v", c, err)
	}
	if n := dynamo.Calls(ctx); n != 1 {
		t.Errorf("Begin: %d round trips, want 1", n)
	}
	if err := f.orders.Place(ctx, order.Placement{Order: anOrder("O-1", "C1", placedAt, "5", line("A", alloc("W1", 1))), Idempotency: &k}); err != nil {
		t.Fatal(err)
	}
	// Even once the lease ran out, a completed record stays completed.
	c, err = f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "other", OrderID: "O-2", Now: placedAt.Add(time.Hour), Lease: time.Minute})
	if err != nil || c.State != order.Completed || c.OrderID != "O-1" || c.RequestHash != "rh" {
		t.Errorf("after place: %+v %v", c, err)
	}
	// The key of another customer is another record.
	c, err = f.orders.Begin(ctx, shopM, order.IdempotencyKey{Customer: "C2", Key: "k1"}, order.Claim{RequestHash: "rh", OrderID: "O-3", Now: placedAt, Lease: time.Minute})
	if err != nil || c.State != order.Started || c.OrderID != "O-3" {
		t.Errorf("another customer: %+v %v", c, err)
	}
}

func TestOrders_Begin_LeaseExpiryTakeoverKeepsTheOrderNumber(t *testing.T) {
	f := newOrdersFixture(t, nil)
	ctx := context.Background()
	k := order.IdempotencyKey{Customer: "C1", Key: "crash"}
	claim := order.Claim{RequestHash: "rh", CartHash: "ch", OrderID: "O-1", Now: placedAt, Lease: 30 * time.Second}
	if c, err := f.orders.Begin(ctx, shopM, k, claim); err != nil || c.State != order.Started {
		t.Fatalf("%+v %v", c, err)
	}
	// Within the lease: in flight.
	claim.OrderID, claim.Now = "O-2", placedAt.Add(10*time.Second)
	if c, _ := f.orders.Begin(ctx, shopM, k, claim); c.State != order.InFlight || c.OrderID != "O-1" {
		t.Errorf("within the lease: %+v", c)
	}
	// Another request after the lease: in flight with its hash, not taken.
	other := claim
	other.RequestHash, other.Now = "rh-other", placedAt.Add(time.Minute)
	if c, _ := f.orders.Begin(ctx, shopM, k, other); c.State != order.InFlight || c.RequestHash != "rh" {
		t.Errorf("another request after the lease: %+v", c)
	}
	// The same request on another cart after the lease: not taken over.
	otherCart := claim
	otherCart.CartHash, otherCart.Now = "ch-2", placedAt.Add(time.Minute)
	if c, _ := f.orders.Begin(ctx, shopM, k, otherCart); c.State != order.InFlight || c.CartHash != "ch" {
		t.Errorf("the same request on another cart after the lease: %+v", c)
	}
	// The same request on the same cart after the lease takes over with
	// the first number.
	claim.Now = placedAt.Add(time.Minute)
	c, err := f.orders.Begin(ctx, shopM, k, claim)
	if err != nil || c.State != order.Started || c.OrderID != "O-1" || c.CartHash != "ch" {
		t.Fatalf("takeover: %+v %v", c, err)
	}
	// Its new lease holds.
	claim.Now = placedAt.Add(70 * time.Second)
	if c, _ := f.orders.Begin(ctx, shopM, k, claim); c.State != order.InFlight || c.CartHash != "ch" {
		t.Errorf("within the new lease: %+v", c)
	}
	// A day later the key is new again, with a new number.
	claim.Now, claim.OrderID = placedAt.Add(25*time.Hour), "O-9"
	if c, err := f.orders.Begin(ctx, shopM, k, claim); err != nil || c.State != order.Started || c.OrderID != "O-9" {
		t.Errorf("after expiry: %+v %v", c, err)
	}
}

func TestOrders_Release_FreesTheKeyOnlyForItsHolder(t *testing.T) {
	f := newOrdersFixture(t, nil)
	ctx := context.Background()
	k := order.IdempotencyKey{Customer: "C1", Key: "refused"}
	claim := order.Claim{RequestHash: "rh", OrderID: "O-1", Now: placedAt, Lease: time.Minute}
	if _, err := f.orders.Begin(ctx, shopM, k, claim); err != nil {
		t.Fatal(err)
	}
	if err := f.orders.Release(ctx, shopM, k, "O-other"); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "rh", OrderID: "O-2", Now: placedAt, Lease: time.Minute}); c.State != order.InFlight {
		t.Errorf("released by another order number: %+v", c)
	}
	if err := f.orders.Release(ctx, shopM, k, "O-1"); err != nil {
		t.Fatal(err)
	}
	c, err := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "rh2", OrderID: "O-3", Now: placedAt, Lease: time.Minute})
	if err != nil || c.State != order.Started || c.OrderID != "O-3" {
		t.Errorf("after release: %+v %v", c, err)
	}
	if _, err := f.orders.Begin(ctx, shopM, order.IdempotencyKey{Customer: "C1", Key: "a#b"}, claim); err == nil {
		t.Error("a key holding '#' was accepted")
	}
}
