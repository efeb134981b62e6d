package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
)

// preSeason is the season of the pre-orders of these tests.
const preSeason = "S27"

// preLine is a pre-order line of units of ref: no allocation.
func preLine(ref string, units int64) order.Line {
	return order.Line{PricedLine: pricing.PricedLine{Ref: ref, Quantity: units, Units: units}}
}

// aPreOrder is a pre-order of customer in shard with lines, capped on
// capped, of a gross amount of gross euros.
func aPreOrder(id, customer string, shard int, gross string, capped []string, lines ...order.Line) order.Order {
	o := anOrder(id, customer, placedAt, gross, lines...)
	o.Kind = order.PreOrderKind
	o.PreOrder = &order.PreOrderInfo{
		Season: preSeason, Closes: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
		AvailableFrom: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), Shard: shard, Capped: capped,
	}
	return o
}

// shardPK is the partition of shard n of the test season.
func shardPK(n int) string { return fmt.Sprintf("M#%s#PRE#%s#%02d", shopM, preSeason, n) }

// capPK is the partition of the test season's capped counts.
func capPK() string { return fmt.Sprintf("M#%s#PRE#%s#CAP", shopM, preSeason) }

// units reads the Units and Lines of an item; 0 and 0 when absent.
func (f ordersFixture) units(t *testing.T, pk, sk string) (units, lines int64) {
	t.Helper()
	av := f.getItem(t, pk, sk)
	if av == nil {
		return 0, 0
	}
	units = num(t, av, "Units")
	if _, ok := av["Lines"]; ok {
		lines = num(t, av, "Lines")
	}
	return units, lines
}

// productTotal sums a product's totals over every shard.
func (f ordersFixture) productTotal(t *testing.T, ref string) (units, lines int64) {
	t.Helper()
	for n := range order.TotalsShards {
		u, l := f.units(t, shardPK(n), "REF#"+ref)
		units, lines = units+u, lines+l
	}
	return units, lines
}

func TestOrders_PlacePreOrder_AMixedCheckoutWritesBothOrdersItsTotalsAndNoStockInOneRoundTrip(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 10), level("P1", "W1", 5))
	ctx := context.Background()
	k := order.IdempotencyKey{Customer: "C1", Key: "key-1"}
	if c, err := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "rh", CartHash: "ch", OrderID: "O-ORD", Now: placedAt, Lease: 30 * time.Second}); err != nil || c.State != order.Started {
		t.Fatalf("begin: %+v %v", c, err)
	}
	f.putCart(t, "C1", "B#sub-C1", 2)
	ord := anOrder("O-ORD", "C1", placedAt, "100", line("A", alloc("W1", 2)))
	pre := aPreOrder("O-PRE", "C1", 3, "50", []string{"P2"}, preLine("P1", 3), preLine("P2", 4), preLine("P1", 2))
	ord.Linked, pre.Linked = []string{pre.ID}, []string{ord.ID}
	for _, o := range []*order.Order{&ord, &pre} {
		o.Status, o.Payment.Method = order.Accepted, payment.OnAccount
	}
	cctx := dynamo.WithCallCounter(ctx)
	err := f.orders.Place(cctx, order.Placement{
		Order: ord, PreOrders: []order.Order{pre}, Caps: map[string]int64{"P2": 10},
		Cart: order.CartRef{Customer: "C1", Owner: "B#sub-C1", Version: 2}, Idempotency: &k,
		Credit: &order.Credit{Limit: decimal.RequireFromString("1000")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(cctx); n != 1 {
		t.Errorf("Place made %d round trips, want 1", n)
	}
	if l := f.level(t, "A", "W1"); l.available != 8 {
		t.Errorf("A: %+v, want 8 available", l)
	}
	if l := f.level(t, "P1", "W1"); l.available != 5 || l.siteOrders != 0 {
		t.Errorf("P1: %+v, want its stock untouched by the pre-order", l)
	}
	for _, c := range []struct {
		pk, sk       string
		units, lines int64
	}{
		{shardPK(3), "REF#P1", 5, 2}, {shardPK(3), "REF#P2", 4, 1},
		{shardPK(3), "C#C1#P1", 5, 2}, {shardPK(3), "C#C1#P2", 4, 1},
		{shardPK(3), "O#O-PRE", 9, 0}, {capPK(), "REF#P2", 4, 0},
		{shardPK(3), "REF#A", 0, 0}, {capPK(), "REF#P1", 0, 0},
	} {
		if u, l := f.units(t, c.pk, c.sk); u != c.units || l != c.lines {
			t.Errorf("%s %s: %d units %d lines, want %d and %d", c.pk, c.sk, u, l, c.units, c.lines)
		}
	}
	if av := f.getItem(t, capPK(), "REF#P2"); num(t, av, "Cap") != 10 {
		t.Errorf("capped count %v, want its cap 10", av)
	}
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("150")) {
		t.Errorf("outstanding %s, want 150: both orders on account", out)
	}
	f.cartIs(t, "C1", "B#sub-C1", 3, 0)
	c, err := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "rh", CartHash: "ch", OrderID: "other", Now: placedAt, Lease: 30 * time.Second})
	if err != nil || c.State != order.Completed || c.OrderID != ord.ID {
		t.Errorf("idempotency record %+v %v, want completed with the ordinary order", c, err)
	}
	got, err := f.orders.Order(ctx, shopM, "O-PRE")
	if err != nil || got.Kind != order.PreOrderKind || got.PreOrder == nil || got.PreOrder.Shard != 3 || len(got.Linked) != 1 || got.Linked[0] != "O-ORD" {
		t.Fatalf("pre-order read back: %+v %v", got, err)
	}

	// A retry of the same placement (its answer lost) writes nothing twice.
	if err := f.orders.Place(ctx, order.Placement{Order: ord, PreOrders: []order.Order{pre}, Caps: map[string]int64{"P2": 10}}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if u, _ := f.productTotal(t, "P1"); u != 5 {
		t.Errorf("P1 total %d after a retry, want 5", u)
	}

	// Cancelling the pre-order takes it off its season, and its amount
	// off the outstanding; the ordinary order keeps its stock.
	by := order.PlacedBy{Role: "buyer", ID: "sub-C1"}
	cctx = dynamo.WithCallCounter(ctx)
	cancelled, err := f.orders.Cancel(cctx, shopM, "O-PRE", by, placedAt.Add(time.Hour))
	if err != nil || cancelled.Status != order.Cancelled {
		t.Fatalf("cancel: %+v %v", cancelled, err)
	}
	if n := dynamo.Calls(cctx); n != 2 {
		t.Errorf("Cancel: %d round trips, want 2", n)
	}
	for _, c := range []struct{ pk, sk string }{
		{shardPK(3), "REF#P1"}, {shardPK(3), "REF#P2"}, {shardPK(3), "C#C1#P1"}, {shardPK(3), "C#C1#P2"}, {capPK(), "REF#P2"},
	} {
		if u, l := f.units(t, c.pk, c.sk); u != 0 || l != 0 {
			t.Errorf("%s %s after the cancellation: %d units %d lines, want 0", c.pk, c.sk, u, l)
		}
	}
	if av := f.getItem(t, shardPK(3), "O#O-PRE"); av != nil {
		t.Errorf("season index item still there: %v", av)
	}
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("100")) {
		t.Errorf("outstanding %s, want 100", out)
	}
	if l := f.level(t, "A", "W1"); l.available != 8 {
		t.Errorf("A: %+v, want 8 available still", l)
	}
	if _, err := f.orders.Cancel(ctx, shopM, "O-PRE", by, placedAt.Add(time.Hour)); !errors.Is(err, order.ErrNotCancellable) {
		t.Errorf("second cancel: %v", err)
	}
	if u, _ := f.productTotal(t, "P1"); u != 0 {
		t.Errorf("P1 total %d after a second cancel, want 0", u)
	}
}

func TestOrders_PlacePreOrder_APreOrderAloneIsThePlacementsOrder(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"})
	ctx := context.Background()
	pre := aPreOrder("O-1", "C1", 15, "10", nil, preLine("P1", 6))
	if err := f.orders.Place(ctx, order.Placement{Order: pre}); err != nil {
		t.Fatal(err)
	}
	if u, l := f.units(t, shardPK(15), "C#C1#P1"); u != 6 || l != 1 {
		t.Errorf("customer total %d units %d lines, want 6 and 1", u, l)
	}
	if av := f.getItem(t, capPK(), "REF#P1"); av != nil {
		t.Errorf("an uncapped product has a capped count: %v", av)
	}
}

// placePreOrder places a pre-order of units of the capped product CAPPED
// (cap 100), again while transactions conflict.
func placePreOrder(ctx context.Context, o *dynamo.Orders, id string, units int64) error {
	for range 50 {
		pre := aPreOrder(id, "C-"+id, len(id)%order.TotalsShards, "10", []string{"CAPPED"}, preLine("CAPPED", units))
		err := o.Place(ctx, order.Placement{Order: pre, Caps: map[string]int64{"CAPPED": 100}})
		if !errors.Is(err, order.ErrBusy) {
			return err
		}
	}
	return fmt.Errorf("pre-order %s: still busy", id)
}

func TestOrders_PlacePreOrder_ACapIsNeverExceededUnderConcurrency(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"})
	ctx := context.Background()
	var placed, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 80 {
		wg.Go(func() {
			err := placePreOrder(ctx, f.orders, fmt.Sprintf("O-%03d", i), 4)
			var ce *order.CapError
			switch {
			case err == nil:
				placed.Add(1)
			case errors.As(err, &ce):
				if len(ce.Lines) != 1 || ce.Lines[0].Ref != "CAPPED" || ce.Lines[0].Remaining >= 4 || ce.Lines[0].Cap != 100 || ce.Lines[0].Requested != 4 {
					t.Errorf("cap error %+v", ce.Lines)
				}
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if placed.Load() != 25 || refused.Load() != 55 {
		t.Errorf("placed %d, refused %d; want 25 (100 units / 4) and 55", placed.Load(), refused.Load())
	}
	if u, _ := f.units(t, capPK(), "REF#CAPPED"); u != 100 {
		t.Errorf("capped count %d, want 100", u)
	}
	if u, l := f.productTotal(t, "CAPPED"); u != 100 || l != 25 {
		t.Errorf("totals over the shards: %d units %d lines, want 100 and 25", u, l)
	}
}

func TestOrders_PlacePreOrder_ALineOverItsCapAloneIsRefusedWithWhatRemains(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"})
	ctx := context.Background()
	caps := map[string]int64{"P1": 10}
	if err := f.orders.Place(ctx, order.Placement{Order: aPreOrder("O-1", "C1", 0, "10", []string{"P1"}, preLine("P1", 7)), Caps: caps}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		units, remaining int64
	}{{12, 3}, {4, 3}} {
		err := f.orders.Place(ctx, order.Placement{Order: aPreOrder("O-2", "C2", 1, "10", []string{"P1"}, preLine("P1", c.units)), Caps: caps})
		var ce *order.CapError
		if !errors.As(err, &ce) || len(ce.Lines) != 1 || ce.Lines[0] != (order.CapShortage{Ref: "P1", Requested: c.units, Remaining: c.remaining, Cap: 10}) {
			t.Errorf("%d units: %v %+v, want a cap error with %d remaining", c.units, err, ce, c.remaining)
		}
	}
	if _, err := f.orders.Order(ctx, shopM, "O-2"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("refused pre-order stored: %v", err)
	}
	if u, _ := f.units(t, capPK(), "REF#P1"); u != 7 {
		t.Errorf("capped count %d, want 7", u)
	}
	if u, _ := f.productTotal(t, "P1"); u != 7 {
		t.Errorf("total %d, want 7", u)
	}
	// The cap given back by a cancellation is free again.
	if _, err := f.orders.Cancel(ctx, shopM, "O-1", order.PlacedBy{Role: "staff", ID: "s"}, placedAt); err != nil {
		t.Fatal(err)
	}
	if err := f.orders.Place(ctx, order.Placement{Order: aPreOrder("O-3", "C2", 1, "10", []string{"P1"}, preLine("P1", 10)), Caps: caps}); err != nil {
		t.Errorf("the whole cap after a cancellation: %v", err)
	}
}

func TestOrders_PlacePreOrder_MoreWritesThanATransactionIsTooLargeAndWritesNothing(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"})
	ctx := context.Background()
	var lines []order.Line
	for i := range 50 {
		lines = append(lines, preLine(fmt.Sprintf("P%02d", i), 1))
	}
	err := f.orders.Place(ctx, order.Placement{Order: aPreOrder("O-1", "C1", 0, "10", nil, lines...)})
	if !errors.Is(err, order.ErrTooLarge) {
		t.Fatalf("%d lines: %v, want too large", len(lines), err)
	}
	if _, err := f.orders.Order(ctx, shopM, "O-1"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order stored: %v", err)
	}
	if u, _ := f.productTotal(t, "P00"); u != 0 {
		t.Errorf("total written: %d", u)
	}
}

// convert does what a conversion does to pre-order id: its first line
// served from W1, the stock taken, the order marked converted, in one
// transaction.
func (f ordersFixture) convert(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	o, err := f.orders.Order(ctx, shopM, id)
	if err != nil {
		t.Fatal(err)
	}
	units := o.Lines[0].Units
	o.Lines[0].Allocations = []order.Allocation{{Warehouse: "W1", Units: units}}
	at := placedAt.Add(time.Minute)
	o.PreOrder.ConvertedAt = &at
	doc, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err = f.tbl.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: aws.String(f.tbl.Name), Key: map[string]types.AttributeValue{"PK": s("M#" + string(shopM) + "#ORDER#" + id), "SK": s("ORDER")},
			UpdateExpression:          aws.String("SET Doc = :doc, Converted = :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":doc": s(string(doc)), ":at": s(at.Format(time.RFC3339Nano))},
		}},
		{Update: &types.Update{
			TableName: aws.String(f.tbl.Name), Key: map[string]types.AttributeValue{"PK": s("M#" + string(shopM) + "#P#" + o.Lines[0].Ref), "SK": s("STOCK#W1")},
			UpdateExpression:          aws.String("SET Available = Available - :u, SiteOrders = SiteOrders + :u"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberN{Value: strconv.FormatInt(units, 10)}},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOrders_CancelPreOrder_ACancellationReadBeforeAConversionCancelsTheConvertedOrder(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("P1", "W1", 10))
	ctx := context.Background()
	if err := f.orders.Place(ctx, order.Placement{Order: aPreOrder("O-1", "C1", 2, "10", nil, preLine("P1", 3))}); err != nil {
		t.Fatal(err)
	}
	// The conversion lands between the cancellation's read and its write:
	// the cancellation must not write the pre-order as it read it (its
	// stock would never come back), but read it again.
	o := &dynamo.Orders{Table: beforeTransaction(f.tbl, 1, func() { f.convert(t, "O-1") })}
	got, err := o.Cancel(ctx, shopM, "O-1", order.PlacedBy{Role: "staff", ID: "s"}, placedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != order.Cancelled || got.PreOrder.ConvertedAt == nil || len(got.Lines[0].Allocations) != 1 {
		t.Errorf("cancelled %+v, want the converted order cancelled", got)
	}
	if l := f.level(t, "P1", "W1"); l.available != 10 || l.siteOrders != 0 {
		t.Errorf("P1: %+v, want the stock the conversion took back", l)
	}
	if u, l := f.productTotal(t, "P1"); u != 0 || l != 0 {
		t.Errorf("totals %d units %d lines, want 0", u, l)
	}
}
