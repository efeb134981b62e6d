package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
	"github.com/comptoir/comptoir/shared/testenv"
)

const shopM merchant.ID = "shop"

// ordersFixture is a fresh table with the merchant's warehouses and
// levels loaded.
type ordersFixture struct {
	tbl    dynamo.Table
	orders *dynamo.Orders
}

func newOrdersFixture(t *testing.T, warehouses []string, levels ...stock.Level) ordersFixture {
	t.Helper()
	tbl := testenv.Table(t)
	acc := &dynamo.Accounts{Table: tbl}
	b := acc.NewBatch(shopM)
	for _, w := range warehouses {
		b.Warehouse(stock.Warehouse{ID: w, Name: w, Country: "FR"})
	}
	for _, l := range levels {
		b.StockLevel(l)
	}
	if err := acc.Save(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return ordersFixture{tbl: tbl, orders: &dynamo.Orders{Table: tbl}}
}

// level is ref's stock in warehouse w.
func level(ref, w string, onHand int64) stock.Level {
	return stock.Level{Ref: ref, Warehouse: w, OnHand: onHand, Min: 2, Max: 100}
}

// line is an order line of ref served by allocs.
func line(ref string, allocs ...order.Allocation) order.Line {
	var units int64
	for _, a := range allocs {
		units += a.Units
	}
	return order.Line{PricedLine: pricing.PricedLine{Ref: ref, Quantity: units, Units: units}, Allocations: allocs}
}

func alloc(w string, units int64) order.Allocation {
	return order.Allocation{Warehouse: w, Units: units}
}

// anOrder is an order of customer placed at placedAt with lines, of a
// gross amount of gross euros.
func anOrder(id, customer string, placedAt time.Time, gross string, lines ...order.Line) order.Order {
	g := decimal.RequireFromString(gross)
	return order.Order{
		ID: id, Merchant: shopM, Customer: customer, CustomerKind: "pro",
		PlacedBy: order.PlacedBy{Role: "buyer", ID: "sub-" + customer}, PlacedAt: placedAt,
		Status: order.AwaitingPayment, Storefront: "fr", ShipFrom: "FR", Lines: lines,
		Shipping: order.Shipping{Method: "std", Country: "FR"},
		Payment:  order.Payment{Method: payment.Card},
		Totals:   order.Totals{Currency: "EUR", Tax: tax.Summary{Gross: g}},
	}
}

// stored is a level as the table holds it: the document and the numeric
// attributes.
type stored struct {
	available, siteOrders int64
	found                 bool
}

func (f ordersFixture) level(t *testing.T, ref, w string) stored {
	t.Helper()
	out, err := f.tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#" + string(shopM) + "#P#" + ref},
			"SK": &types.AttributeValueMemberS{Value: "STOCK#" + w},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return stored{}
	}
	return stored{available: num(t, out.Item, "Available"), siteOrders: num(t, out.Item, "SiteOrders"), found: true}
}

// levels reads the stored levels of refs in warehouses with BatchGetItem,
// by ref and warehouse.
func (f ordersFixture) levels(t *testing.T, refs []string, warehouses ...string) map[[2]string]stored {
	t.Helper()
	var keys []map[string]types.AttributeValue
	for _, r := range refs {
		for _, w := range warehouses {
			keys = append(keys, map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "M#" + string(shopM) + "#P#" + r},
				"SK": &types.AttributeValueMemberS{Value: "STOCK#" + w},
			})
		}
	}
	out := map[[2]string]stored{}
	for start := 0; start < len(keys); start += 100 {
		pending := map[string]types.KeysAndAttributes{f.tbl.Name: {Keys: keys[start:min(start+100, len(keys))], ConsistentRead: aws.Bool(true)}}
		for len(pending[f.tbl.Name].Keys) > 0 {
			res, err := f.tbl.Client.BatchGetItem(context.Background(), &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range res.Responses[f.tbl.Name] {
				pk := it["PK"].(*types.AttributeValueMemberS).Value
				sk := it["SK"].(*types.AttributeValueMemberS).Value
				ref := pk[len("M#"+string(shopM)+"#P#"):]
				out[[2]string{ref, sk[len("STOCK#"):]}] = stored{available: num(t, it, "Available"), siteOrders: num(t, it, "SiteOrders"), found: true}
			}
			pending = res.UnprocessedKeys
		}
	}
	return out
}

func num(t *testing.T, av map[string]types.AttributeValue, name string) int64 {
	t.Helper()
	n, ok := av[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("no number %s in %v", name, av["SK"])
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// getItem reads an item by key; nil when absent.
func (f ordersFixture) getItem(t *testing.T, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// putCart stores a cart item at version, as the cart store keeps it.
func (f ordersFixture) putCart(t *testing.T, customer, owner string, version int64) {
	t.Helper()
	_, err := f.tbl.Client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(f.tbl.Name),
		Item: map[string]types.AttributeValue{
			"PK":        &types.AttributeValueMemberS{Value: "M#" + string(shopM) + "#C#" + customer},
			"SK":        &types.AttributeValueMemberS{Value: "CART#" + owner},
			"Type":      &types.AttributeValueMemberS{Value: "CART"},
			"Doc":       &types.AttributeValueMemberS{Value: `{"lines":[{"ref":"A","quantity":1,"chosen":true}]}`},
			"Version":   &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)},
			"ExpiresAt": &types.AttributeValueMemberN{Value: strconv.FormatInt(cartExpiry.Unix(), 10)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// cartExpiry is when the carts putCart stores expire.
var cartExpiry = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

// cartIs fails unless the stored cart, as the cart store reads it, is at
// version with lines lines, and still expires at cartExpiry.
func (f ordersFixture) cartIs(t *testing.T, customer, owner string, version int64, lines int) {
	t.Helper()
	c, err := (&dynamo.Carts{Table: f.tbl, Now: func() time.Time { return placedAt }}).Get(context.Background(), shopM, customer, cart.Owner(owner))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != version || len(c.Lines) != lines || !c.ExpiresAt.Equal(cartExpiry) {
		t.Errorf("cart %s: version %d, %d lines, expires %s; want version %d, %d lines, expires %s", owner, c.Version, len(c.Lines), c.ExpiresAt, version, lines, cartExpiry)
	}
}

func (f ordersFixture) outstanding(t *testing.T, customer string) (decimal.Decimal, bool) {
	t.Helper()
	av := f.getItem(t, "M#"+string(shopM)+"#C#"+customer, "CREDIT")
	if av == nil {
		return decimal.Zero, false
	}
	return decimal.RequireFromString(av["Outstanding"].(*types.AttributeValueMemberN).Value), true
}

var placedAt = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

func TestOrders_Place_WritesOrderStockCartCreditAndIdempotencyInOneRoundTrip(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1", "W2"}, level("A", "W1", 10), level("A", "W2", 5), level("B", "W1", 3))
	ctx := context.Background()
	k := order.IdempotencyKey{Customer: "C1", Key: "key-1"}
	claim := order.Claim{RequestHash: "rh", CartHash: "ch", OrderID: "20261202-AAAA", Now: placedAt, Lease: 30 * time.Second}
	if c, err := f.orders.Begin(ctx, shopM, k, claim); err != nil || c.State != order.Started {
		t.Fatalf("begin: %+v %v", c, err)
	}
	f.putCart(t, "C1", "B#sub-C1", 4)
	ord := anOrder("20261202-AAAA", "C1", placedAt, "240.00",
		line("A", alloc("W1", 10), alloc("W2", 2)), line("B", alloc("W1", 1)), line("A", alloc("W2", 1)))
	ord.Status, ord.Payment.Method = order.Accepted, payment.OnAccount
	cctx := dynamo.WithCallCounter(ctx)
	err := f.orders.Place(cctx, order.Placement{
		Order: ord, Cart: order.CartRef{Customer: "C1", Owner: "B#sub-C1", Version: 4},
		Idempotency: &k, Credit: &order.Credit{Limit: decimal.RequireFromString("1000")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(cctx); n != 1 {
		t.Errorf("Place made %d round trips, want 1", n)
	}
	for _, c := range []struct {
		ref, w          string
		available, site int64
	}{{"A", "W1", 0, 10}, {"A", "W2", 2, 3}, {"B", "W1", 2, 1}} {
		if got := f.level(t, c.ref, c.w); got.available != c.available || got.siteOrders != c.site {
			t.Errorf("%s in %s: available %d site orders %d, want %d %d", c.ref, c.w, got.available, got.siteOrders, c.available, c.site)
		}
	}
	f.cartIs(t, "C1", "B#sub-C1", 5, 0)
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("240")) {
		t.Errorf("outstanding %s, want 240", out)
	}
	got, err := f.orders.Order(ctx, shopM, ord.ID)
	if err != nil || got.ID != ord.ID || got.Status != order.Accepted || len(got.Lines) != 3 || !got.PlacedAt.Equal(placedAt) {
		t.Fatalf("order read back: %+v %v", got, err)
	}
	c, err := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "rh", CartHash: "ch", OrderID: "other", Now: placedAt.Add(time.Minute), Lease: 30 * time.Second})
	if err != nil || c.State != order.Completed || c.OrderID != ord.ID {
		t.Errorf("begin after place: %+v %v, want completed with %s", c, err, ord.ID)
	}
	if _, err := f.orders.Order(ctx, shopM, "nope"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
	if _, err := f.orders.Order(ctx, shopM, "bad#id"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order number that cannot be a key: %v", err)
	}
}

// allocateAndPlace reads the levels, allocates one unit of ref and places
// order id, again while the stock read was stale.
func allocateAndPlace(ctx context.Context, o *dynamo.Orders, id, ref string, units int64) error {
	for attempt := 0; attempt < 200; attempt++ {
		levels, err := o.Levels(ctx, shopM, []string{ref})
		if err != nil {
			return err
		}
		served, err := order.Allocate([]order.Request{{Ref: ref, Units: units}}, levels, map[string]order.Product{ref: {Ref: ref}}, []string{"W1"})
		if err != nil {
			return err
		}
		ord := anOrder(id, "C-"+id, placedAt, "10.00", line(ref, served[0].Allocations...))
		err = o.Place(ctx, order.Placement{Order: ord})
		var stale *order.StaleStockError
		if !errors.As(err, &stale) && !errors.Is(err, order.ErrBusy) {
			return err
		}
	}
	return fmt.Errorf("order %s: still stale", id)
}

func TestOrders_Place_NeverOversells(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1", "W2"}, level("HOT", "W1", 40), level("HOT", "W2", 25))
	ctx := context.Background()
	var placed, out atomic.Int64
	var wg sync.WaitGroup
	// 120 writers for 65 units: the stack test sends the 300
	// through the API.
	errs := make(chan error, 120)
	for i := range 120 {
		wg.Go(func() {
			switch err := allocateAndPlace(ctx, f.orders, fmt.Sprintf("O-%03d", i), "HOT", 1); {
			case err == nil:
				placed.Add(1)
			case errors.Is(err, order.ErrOutOfStock):
				out.Add(1)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if placed.Load() != 65 || out.Load() != 55 {
		t.Errorf("placed %d, out of stock %d; want 65 and 55", placed.Load(), out.Load())
	}
	for w, site := range map[string]int64{"W1": 40, "W2": 25} {
		if got := f.level(t, "HOT", w); got.available != 0 || got.siteOrders != site {
			t.Errorf("%s: available %d site orders %d, want 0 and %d", w, got.available, got.siteOrders, site)
		}
	}
	page, err := f.orders.List(ctx, shopM, order.Query{Limit: order.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	var units int64
	for _, o := range page.Orders {
		for _, a := range o.Lines[0].Allocations {
			units += a.Units
		}
	}
	if len(page.Orders) != 65 || units != 65 {
		t.Errorf("%d orders holding %d units stored, want 65 and 65", len(page.Orders), units)
	}
}

func TestOrders_Place_StaleStockNamesTheProductsAndWritesNothing(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 5), level("B", "W1", 1))
	ctx := context.Background()
	f.putCart(t, "C1", "B#u", 1)
	ord := anOrder("O-1", "C1", placedAt, "10", line("A", alloc("W1", 5)), line("B", alloc("W1", 2)))
	err := f.orders.Place(ctx, order.Placement{Order: ord, Cart: order.CartRef{Customer: "C1", Owner: "B#u", Version: 1}})
	var stale *order.StaleStockError
	if !errors.As(err, &stale) || !slices.Equal(stale.Refs, []string{"B"}) {
		t.Fatalf("got %v, want stale stock of B", err)
	}
	if got := f.level(t, "A", "W1"); got.available != 5 || got.siteOrders != 0 {
		t.Errorf("A was taken: %+v", got)
	}
	f.cartIs(t, "C1", "B#u", 1, 1)
	if _, err := f.orders.Order(ctx, shopM, "O-1"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("the order was written: %v", err)
	}
	// A warehouse without a level is stale too.
	ord = anOrder("O-2", "C1", placedAt, "10", line("A", alloc("W9", 1)))
	if err := f.orders.Place(ctx, order.Placement{Order: ord}); !errors.As(err, &stale) || !slices.Equal(stale.Refs, []string{"A"}) {
		t.Errorf("level that does not exist: %v", err)
	}
}

func TestOrders_Place_CartVersionMismatchIsCartChangedAndWritesNothing(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 5))
	ctx := context.Background()
	f.putCart(t, "C1", "B#u", 3)
	k := order.IdempotencyKey{Customer: "C1", Key: "k"}
	if _, err := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "r", OrderID: "O-1", Now: placedAt, Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	ord := anOrder("O-1", "C1", placedAt, "10", line("A", alloc("W1", 2)))
	for _, v := range []int64{2, 0} {
		err := f.orders.Place(ctx, order.Placement{Order: ord, Cart: order.CartRef{Customer: "C1", Owner: "B#u", Version: v}, Idempotency: &k})
		if !errors.Is(err, order.ErrCartChanged) {
			t.Fatalf("version %d: got %v, want ErrCartChanged", v, err)
		}
	}
	if got := f.level(t, "A", "W1"); got.available != 5 {
		t.Errorf("stock taken: %+v", got)
	}
	f.cartIs(t, "C1", "B#u", 3, 1)
	if c, _ := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "r", OrderID: "O-9", Now: placedAt, Lease: time.Minute}); c.State != order.InFlight {
		t.Errorf("idempotency record %+v, want still in flight", c)
	}
	if _, err := f.orders.Order(ctx, shopM, "O-1"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order written: %v", err)
	}
}

func TestOrders_Place_CreditLimitRefusedWithTheFiguresAndWritesNothing(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 50))
	ctx := context.Background()
	limit := decimal.RequireFromString("1000")
	first := anOrder("O-1", "C1", placedAt, "900.50", line("A", alloc("W1", 1)))
	if err := f.orders.Place(ctx, order.Placement{Order: first, Credit: &order.Credit{Limit: limit}}); err != nil {
		t.Fatal(err)
	}
	second := anOrder("O-2", "C1", placedAt, "100.00", line("A", alloc("W1", 1)))
	err := f.orders.Place(ctx, order.Placement{Order: second, Credit: &order.Credit{Limit: limit}})
	var cl *payment.CreditLimitError
	if !errors.As(err, &cl) || !cl.Limit.Equal(limit) || !cl.Outstanding.Equal(decimal.RequireFromString("900.5")) || !cl.Order.Equal(decimal.RequireFromString("100")) {
		t.Fatalf("got %v, want a credit limit error 1000 / 900.50 / 100.00", err)
	}
	if got := f.level(t, "A", "W1"); got.available != 49 {
		t.Errorf("stock taken by the refused order: %+v", got)
	}
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("900.5")) {
		t.Errorf("outstanding %s", out)
	}
	// Reaching the limit exactly is accepted.
	exact := anOrder("O-3", "C1", placedAt, "99.50", line("A", alloc("W1", 1)))
	if err := f.orders.Place(ctx, order.Placement{Order: exact, Credit: &order.Credit{Limit: limit}}); err != nil {
		t.Errorf("order up to the limit: %v", err)
	}
	// A zero limit allows nothing, even to a customer without outstanding.
	zero := anOrder("O-4", "C2", placedAt, "1.00", line("A", alloc("W1", 1)))
	err = f.orders.Place(ctx, order.Placement{Order: zero, Credit: &order.Credit{}})
	if !errors.As(err, &cl) || !cl.Outstanding.IsZero() || !cl.Order.Equal(decimal.RequireFromString("1")) {
		t.Errorf("zero limit: %v", err)
	}
	// A first order over the limit on its own is refused with no outstanding.
	big := anOrder("O-5", "C3", placedAt, "1000.01", line("A", alloc("W1", 1)))
	if err := f.orders.Place(ctx, order.Placement{Order: big, Credit: &order.Credit{Limit: limit}}); !errors.As(err, &cl) || !cl.Outstanding.IsZero() {
		t.Errorf("first order over the limit: %v", err)
	}
}

func TestOrders_Place_RetryOfAPlacedOrderSucceedsWithoutTakingStockAgain(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 5))
	ctx := context.Background()
	ord := anOrder("O-1", "C1", placedAt, "10", line("A", alloc("W1", 2)))
	for range 2 {
		if err := f.orders.Place(ctx, order.Placement{Order: ord}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.level(t, "A", "W1"); got.available != 3 || got.siteOrders != 2 {
		t.Errorf("level %+v, want 3 available and 2 taken", got)
	}
	other := anOrder("O-1", "C2", placedAt, "10", line("A", alloc("W1", 1)))
	if err := f.orders.Place(ctx, order.Placement{Order: other}); err == nil {
		t.Error("another customer's order under a taken number was accepted")
	}
}

// bigOrder is an order of n products each served from W1 and W2.
func bigOrder(id string, refs []string) order.Order {
	var lines []order.Line
	for _, r := range refs {
		lines = append(lines, line(r, alloc("W1", 2), alloc("W2", 1)))
	}
	return anOrder(id, "C1", placedAt, "500", lines...)
}

func TestOrders_Place_HundredLinesOverSeveralWarehouses(t *testing.T) {
	var refs []string
	var levels []stock.Level
	for i := range 100 {
		r := fmt.Sprintf("R%03d", i)
		refs = append(refs, r)
		levels = append(levels, level(r, "W1", 2), level(r, "W2", 2))
	}
	f := newOrdersFixture(t, []string{"W1", "W2"}, levels...)
	ctx := context.Background()
	f.putCart(t, "C1", "B#u", 7)
	k := order.IdempotencyKey{Customer: "C1", Key: "big"}
	if _, err := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "r", OrderID: "BIG-1", Now: placedAt, Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	// 200 stock takes: three holds, then the order.
	cctx := dynamo.WithCallCounter(ctx)
	err := f.orders.Place(cctx, order.Placement{Order: bigOrder("BIG-1", refs), Cart: order.CartRef{Customer: "C1", Owner: "B#u", Version: 7}, Idempotency: &k})
	if err != nil {
		t.Fatal(err)
	}
	// 200 takes: holds of 99, 99 and 2, then the order's transaction.
	if n := dynamo.Calls(cctx); n != 4 {
		t.Errorf("a 100-line order over two warehouses: %d round trips, want 4", n)
	}
	stock1 := f.levels(t, refs, "W1", "W2")
	for _, r := range refs {
		if a, b := stock1[[2]string{r, "W1"}], stock1[[2]string{r, "W2"}]; a.available != 0 || a.siteOrders != 2 || b.available != 1 || b.siteOrders != 1 {
			t.Fatalf("%s: %+v %+v", r, a, b)
		}
	}
	for n := range 3 {
		if h := f.getItem(t, "M#shop#ORDER#BIG-1", fmt.Sprintf("HOLD#%d", n)); h == nil || h["Type"].(*types.AttributeValueMemberS).Value != "HOLD-CONSUMED" {
			t.Errorf("hold %d after the order was written: %v, want consumed", n, h)
		}
	}
	f.cartIs(t, "C1", "B#u", 8, 0)
	if c, _ := f.orders.Begin(ctx, shopM, k, order.Claim{RequestHash: "r", OrderID: "x", Now: placedAt, Lease: time.Minute}); c.State != order.Completed || c.OrderID != "BIG-1" {
		t.Errorf("idempotency %+v", c)
	}

	// The second order finds its last product short in the third chunk:
	// the two chunks before it go back, nothing is written.
	refs2 := refs[:99:99]
	refs2 = append(refs2, "ZLAST")
	var levels2 []stock.Level
	for _, r := range refs2 {
		levels2 = append(levels2, level(r, "W1", 5), level(r, "W2", 5))
	}
	levels2[len(levels2)-1].OnHand = 0 // ZLAST in W2
	acc := &dynamo.Accounts{Table: f.tbl}
	b := acc.NewBatch(shopM)
	for _, l := range levels2 {
		b.StockLevel(l)
	}
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	f.putCart(t, "C1", "B#u", 8)
	err = f.orders.Place(ctx, order.Placement{Order: bigOrder("BIG-2", refs2), Cart: order.CartRef{Customer: "C1", Owner: "B#u", Version: 8}})
	var stale *order.StaleStockError
	if !errors.As(err, &stale) || !slices.Equal(stale.Refs, []string{"ZLAST"}) {
		t.Fatalf("got %v, want stale stock of ZLAST", err)
	}
	stock2 := f.levels(t, refs2, "W1", "W2")
	for _, r := range refs2 {
		for _, w := range []string{"W1", "W2"} {
			want := int64(5)
			if r == "ZLAST" && w == "W2" {
				want = 0
			}
			if got := stock2[[2]string{r, w}]; got.available != want || got.siteOrders != 0 {
				t.Fatalf("%s in %s after the refusal: %+v, want %d available and nothing taken", r, w, got, want)
			}
		}
	}
	if _, err := f.orders.Order(ctx, shopM, "BIG-2"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order written: %v", err)
	}
	f.cartIs(t, "C1", "B#u", 8, 1)
	for n := range 2 {
		h := f.getItem(t, "M#shop#ORDER#BIG-2", fmt.Sprintf("HOLD#%d", n))
		if h == nil || h["GivenBack"] == nil || h["Type"].(*types.AttributeValueMemberS).Value != "HOLD-RETURNED" {
			t.Errorf("hold %d: %v, want marked given back", n, h)
		}
	}

	// Once the stock is there, the same order goes through over the holds
	// given back.
	levels2[len(levels2)-1].OnHand = 5
	b = acc.NewBatch(shopM).StockLevel(levels2[len(levels2)-1])
	if err := acc.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := f.orders.Place(ctx, order.Placement{Order: bigOrder("BIG-2", refs2), Cart: order.CartRef{Customer: "C1", Owner: "B#u", Version: 8}}); err != nil {
		t.Fatal(err)
	}
	if got := f.level(t, "ZLAST", "W2"); got.available != 4 || got.siteOrders != 1 {
		t.Errorf("ZLAST in W2: %+v", got)
	}
	if got := f.level(t, "R000", "W1"); got.available != 3 || got.siteOrders != 2 {
		t.Errorf("R000 in W1: %+v", got)
	}
}

func TestOrders_Place_HoldsLeftByACheckoutThatDiedAreGivenBackByItsRetry(t *testing.T) {
	var refs []string
	var levels []stock.Level
	for i := range 60 {
		r := fmt.Sprintf("R%03d", i)
		refs = append(refs, r)
		levels = append(levels, level(r, "W1", 4), level(r, "W2", 4))
	}
	f := newOrdersFixture(t, []string{"W1", "W2"}, levels...)
	ctx := context.Background()
	// The first chunk is held, then every write fails: the hold stays.
	dying := &dynamo.Orders{Table: failTransactions(f.tbl, func(i int32) bool { return i > 1 })}
	if err := dying.Place(ctx, order.Placement{Order: bigOrder("BIG", refs)}); !errors.Is(err, errCrashed) {
		t.Fatalf("dying checkout: %v", err)
	}
	if h := f.getItem(t, "M#shop#ORDER#BIG", "HOLD#0"); h == nil || h["GivenBack"] != nil {
		t.Fatalf("hold 0: %v, want it left holding", h)
	}
	if got := f.level(t, "R000", "W1"); got.siteOrders != 2 {
		t.Fatalf("R000 in W1 under the hold: %+v", got)
	}
	// The retry of the same order gives the hold back before taking again.
	if err := f.orders.Place(ctx, order.Placement{Order: bigOrder("BIG", refs)}); err != nil {
		t.Fatal(err)
	}
	after := f.levels(t, refs, "W1", "W2")
	for _, r := range refs {
		if a, b := after[[2]string{r, "W1"}], after[[2]string{r, "W2"}]; a.available != 2 || a.siteOrders != 2 || b.available != 3 || b.siteOrders != 1 {
			t.Fatalf("%s: %+v %+v, want the order's units taken once", r, a, b)
		}
	}
	for n := range 2 {
		if h := f.getItem(t, "M#shop#ORDER#BIG", fmt.Sprintf("HOLD#%d", n)); h == nil || h["Type"].(*types.AttributeValueMemberS).Value != "HOLD-CONSUMED" {
			t.Errorf("hold %d: %v, want consumed by the order", n, h)
		}
	}
}

func TestOrders_Cancel_GivesStockAndCreditBackOnce(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1", "W2"}, level("A", "W1", 5), level("A", "W2", 5))
	ctx := context.Background()
	ord := anOrder("O-1", "C1", placedAt, "120", line("A", alloc("W1", 5), alloc("W2", 1)))
	ord.Status, ord.Payment.Method = order.Accepted, payment.OnAccount
	if err := f.orders.Place(ctx, order.Placement{Order: ord, Credit: &order.Credit{Limit: decimal.RequireFromString("500")}}); err != nil {
		t.Fatal(err)
	}
	by := order.PlacedBy{Role: "staff", ID: "alice"}
	when := placedAt.Add(time.Hour)
	cctx := dynamo.WithCallCounter(ctx)
	got, err := f.orders.Cancel(cctx, shopM, "O-1", by, when)
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(cctx); n != 2 {
		t.Errorf("Cancel: %d round trips, want 2 (read, then one transaction)", n)
	}
	if got.Status != order.Cancelled || got.CancelledBy == nil || *got.CancelledBy != by || !got.CancelledAt.Equal(when) {
		t.Errorf("cancelled order %+v", got)
	}
	for _, w := range []string{"W1", "W2"} {
		if l := f.level(t, "A", w); l.available != 5 || l.siteOrders != 0 {
			t.Errorf("%s: %+v, want the stock back", w, l)
		}
	}
	if out, _ := f.outstanding(t, "C1"); !out.IsZero() {
		t.Errorf("outstanding %s, want 0", out)
	}
	read, err := f.orders.Order(ctx, shopM, "O-1")
	if err != nil || read.Status != order.Cancelled || read.CancelledAt == nil {
		t.Errorf("read back %+v %v", read, err)
	}
	if _, err := f.orders.Cancel(ctx, shopM, "O-1", by, when); !errors.Is(err, order.ErrNotCancellable) {
		t.Errorf("second cancel: %v", err)
	}
	if l := f.level(t, "A", "W1"); l.available != 5 {
		t.Errorf("second cancel gave stock back again: %+v", l)
	}
	if _, err := f.orders.Cancel(ctx, shopM, "nope", by, when); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
}

func TestOrders_Cancel_ManyCancelsAtOnceOneWins(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 5))
	ctx := context.Background()
	if err := f.orders.Place(ctx, order.Placement{Order: anOrder("O-1", "C1", placedAt, "10", line("A", alloc("W1", 3)))}); err != nil {
		t.Fatal(err)
	}
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := f.orders.Cancel(ctx, shopM, "O-1", order.PlacedBy{Role: "staff", ID: strconv.Itoa(i)}, placedAt)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, order.ErrNotCancellable):
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != 19 {
		t.Errorf("%d cancelled, %d refused; want 1 and 19", ok.Load(), refused.Load())
	}
	if l := f.level(t, "A", "W1"); l.available != 5 || l.siteOrders != 0 {
		t.Errorf("level %+v, want the 3 units back once", l)
	}
}

// errCrashed stands for a function that stopped in the middle of its work.
var errCrashed = errors.New("the function stopped")

// failTransaction returns tbl with a client whose n-th TransactWriteItems
// (from 1) fails with errCrashed, once, without reaching DynamoDB.
func failTransaction(tbl dynamo.Table, n int32) dynamo.Table {
	return failTransactions(tbl, func(i int32) bool { return i == n })
}

// failTransactions returns tbl with a client whose i-th TransactWriteItems
// (from 1) fails with errCrashed when fail(i), without reaching DynamoDB.
func failTransactions(tbl dynamo.Table, fail func(i int32) bool) dynamo.Table {
	var seen atomic.Int32
	tbl.Client = dynamodb.New(tbl.Client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("FailTransaction", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if _, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && fail(seen.Add(1)) {
					return middleware.InitializeOutput{}, middleware.Metadata{}, errCrashed
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		})
	})
	return tbl
}

func TestOrders_Cancel_AnOrderOfMoreLevelsThanATransactionStoppedHalfWayResumes(t *testing.T) {
	var refs []string
	var levels []stock.Level
	for i := range 60 {
		r := fmt.Sprintf("R%03d", i)
		refs = append(refs, r)
		levels = append(levels, level(r, "W1", 4), level(r, "W2", 4))
	}
	f := newOrdersFixture(t, []string{"W1", "W2"}, levels...)
	ctx := context.Background()
	if err := f.orders.Place(ctx, order.Placement{Order: bigOrder("BIG", refs)}); err != nil {
		t.Fatal(err)
	}
	// 120 levels: the order's transaction gives 98 back, the second the
	// other 22; the second fails.
	crashing := &dynamo.Orders{Table: failTransaction(f.tbl, 2)}
	by := order.PlacedBy{Role: "staff", ID: "a"}
	if _, err := crashing.Cancel(ctx, shopM, "BIG", by, placedAt); !errors.Is(err, errCrashed) {
		t.Fatalf("first cancel: %v, want it stopped", err)
	}
	back := 0
	for _, l := range f.levels(t, refs, "W1", "W2") {
		if l.siteOrders == 0 {
			back++
		}
	}
	if back != 98 {
		t.Fatalf("%d levels given back before the stop, want 98", back)
	}
	got, err := f.orders.Cancel(ctx, shopM, "BIG", by, placedAt)
	if err != nil || got.Status != order.Cancelled {
		t.Fatalf("resumed cancel: %+v %v", got.Status, err)
	}
	final := f.levels(t, refs, "W1", "W2")
	for _, r := range refs {
		if a, b := final[[2]string{r, "W1"}], final[[2]string{r, "W2"}]; a.available != 4 || b.available != 4 || a.siteOrders != 0 || b.siteOrders != 0 {
			t.Fatalf("%s: %+v %+v, want every unit back once", r, a, b)
		}
	}
	if _, err := f.orders.Cancel(ctx, shopM, "BIG", by, placedAt); !errors.Is(err, order.ErrNotCancellable) {
		t.Errorf("third cancel: %v", err)
	}
}

func TestOrders_List_ACompanysOrdersNewestFirstByPageWithFilters(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"})
	ctx := context.Background()
	// 25 orders of C1 an hour apart, every third cancelled; 3 of C2.
	for i := range 25 {
		o := anOrder(fmt.Sprintf("A-%02d", i), "C1", placedAt.Add(time.Duration(i)*time.Hour), "1")
		if i%3 == 0 {
			o.Status = order.Accepted
		}
		if err := f.orders.Place(ctx, order.Placement{Order: o}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := f.orders.Place(ctx, order.Placement{Order: anOrder(fmt.Sprintf("B-%02d", i), "C2", placedAt, "1")}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	q := order.Query{Customer: "C1", Limit: 10}
	pages := 0
	for {
		cctx := dynamo.WithCallCounter(ctx)
		p, err := f.orders.List(cctx, shopM, q)
		if err != nil {
			t.Fatal(err)
		}
		if n := dynamo.Calls(cctx); n != 1 {
			t.Errorf("page %d: %d round trips, want 1", pages, n)
		}
		pages++
		for _, o := range p.Orders {
			ids = append(ids, o.ID)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if pages != 3 || len(ids) != 25 || ids[0] != "A-24" || ids[24] != "A-00" {
		t.Errorf("%d pages, ids %v", pages, ids)
	}
	if !slices.IsSortedFunc(ids, func(a, b string) int { return -compareStrings(a, b) }) {
		t.Errorf("not newest first: %v", ids)
	}

	p, err := f.orders.List(ctx, shopM, order.Query{Customer: "C1", Status: order.Accepted, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(p.Orders); !slices.Equal(got, []string{"A-24", "A-21", "A-18", "A-15", "A-12"}) || p.Next == "" {
		t.Errorf("accepted: %v next %q", got, p.Next)
	}
	p, err = f.orders.List(ctx, shopM, order.Query{Customer: "C1", Status: order.Accepted, Limit: 5, After: p.Next})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(p.Orders); !slices.Equal(got, []string{"A-09", "A-06", "A-03", "A-00"}) || p.Next != "" {
		t.Errorf("accepted, page 2: %v next %q", got, p.Next)
	}

	// From inclusive, To exclusive.
	p, err = f.orders.List(ctx, shopM, order.Query{Customer: "C1", From: placedAt.Add(3 * time.Hour), To: placedAt.Add(6 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(p.Orders); !slices.Equal(got, []string{"A-05", "A-04", "A-03"}) {
		t.Errorf("from 3 h to 6 h: %v", got)
	}
	p, err = f.orders.List(ctx, shopM, order.Query{Customer: "C1", To: placedAt.Add(2 * time.Hour)})
	if err != nil || !slices.Equal(idsOf(p.Orders), []string{"A-01", "A-00"}) {
		t.Errorf("to 2 h: %v %v", idsOf(p.Orders), err)
	}
	p, err = f.orders.List(ctx, shopM, order.Query{Customer: "C2"})
	if err != nil || len(p.Orders) != 3 || p.Next != "" {
		t.Errorf("C2: %v %q %v", idsOf(p.Orders), p.Next, err)
	}

	// A position of another customer's list is refused.
	p, _ = f.orders.List(ctx, shopM, order.Query{Customer: "C2", Limit: 1})
	if _, err := f.orders.List(ctx, shopM, order.Query{Customer: "C1", After: p.Next}); !errors.Is(err, dynamo.ErrBadPosition) {
		t.Errorf("foreign position: %v", err)
	}
	if _, err := f.orders.List(ctx, shopM, order.Query{Customer: "C1", After: "%%%"}); !errors.Is(err, dynamo.ErrBadPosition) {
		t.Errorf("garbage position: %v", err)
	}
}

func TestOrders_List_EveryOrderWalksMonthsBackwards(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"})
	ctx := context.Background()
	now := time.Date(2026, 12, 15, 12, 0, 0, 0, time.UTC)
	f.orders.Now = func() time.Time { return now }
	// Orders in December, October (none in November) and January 2025.
	at := map[string]time.Time{
		"D1": time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "D2": time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC),
		"O1": time.Date(2026, 10, 31, 23, 59, 0, 0, time.UTC), "O2": time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC),
		"J1": time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC), "OLD": time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC),
	}
	for id, t0 := range at {
		if err := f.orders.Place(ctx, order.Placement{Order: anOrder(id, "C-"+id, t0, "1")}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	q := order.Query{Limit: 2}
	for i := 0; ; i++ {
		p, err := f.orders.List(ctx, shopM, q)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, idsOf(p.Orders)...)
		if p.Next == "" || i > 30 {
			break
		}
		q.After = p.Next
	}
	// 24 months back from December 2026: January 2025 is the oldest.
	if !slices.Equal(ids, []string{"D2", "D1", "O1", "O2", "J1"}) {
		t.Errorf("every order: %v", ids)
	}
	p, err := f.orders.List(ctx, shopM, order.Query{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Limit: 10})
	if err != nil || !slices.Equal(idsOf(p.Orders), []string{"O1", "O2", "J1", "OLD"}) {
		t.Errorf("from 2024 to November 2026: %v %v", idsOf(p.Orders), err)
	}
}

func idsOf(os []order.Order) []string {
	var ids []string
	for _, o := range os {
		ids = append(ids, o.ID)
	}
	return ids
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestOrders_Settle_MarksPaidAndTakesTheAmountOffTheOutstandingOnce(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 10))
	ctx := context.Background()
	limit := &order.Credit{Limit: decimal.RequireFromString("500")}
	onAccount := func(id, gross string) order.Order {
		o := anOrder(id, "C1", placedAt, gross, line("A", alloc("W1", 2)))
		o.Status, o.Payment.Method = order.Accepted, payment.OnAccount
		return o
	}
	for _, o := range []order.Order{onAccount("O-1", "120"), onAccount("O-2", "30")} {
		if err := f.orders.Place(ctx, order.Placement{Order: o, Credit: limit}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.orders.Place(ctx, order.Placement{Order: anOrder("O-3", "C1", placedAt, "40", line("A", alloc("W1", 1)))}); err != nil {
		t.Fatal(err)
	}
	by := order.PlacedBy{Role: "staff", ID: "alice"}
	got, err := f.orders.Settle(ctx, shopM, "O-1", by, placedAt.Add(time.Hour))
	if err != nil || got.Status != order.Paid {
		t.Fatalf("settle: %+v %v", got.Status, err)
	}
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("30")) {
		t.Errorf("outstanding %s after settling 120 of 150, want 30", out)
	}
	if read, err := f.orders.Order(ctx, shopM, "O-1"); err != nil || read.Status != order.Paid {
		t.Errorf("read back %v %v", read.Status, err)
	}
	if _, err := f.orders.Settle(ctx, shopM, "O-1", by, placedAt.Add(2*time.Hour)); !errors.Is(err, order.ErrNotSettleable) {
		t.Errorf("second settle: %v, want ErrNotSettleable", err)
	}
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("30")) {
		t.Errorf("outstanding %s after a second settle, want 30", out)
	}
	// Cancelling the paid order gives its stock back but no credit.
	if _, err := f.orders.Cancel(ctx, shopM, "O-1", by, placedAt.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("30")) {
		t.Errorf("outstanding %s after cancelling a paid order, want 30", out)
	}
	if l := f.level(t, "A", "W1"); l.available != 7 {
		t.Errorf("stock %+v after cancelling the paid order, want 7 available", l)
	}
	// A card order awaiting payment is marked paid; credit untouched.
	if got, err := f.orders.Settle(ctx, shopM, "O-3", by, placedAt); err != nil || got.Status != order.Paid {
		t.Errorf("settle card order: %v %v", got.Status, err)
	}
	if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString("30")) {
		t.Errorf("outstanding %s after settling a card order, want 30", out)
	}
	if _, err := f.orders.Cancel(ctx, shopM, "O-2", by, placedAt); err != nil {
		t.Fatal(err)
	}
	if _, err := f.orders.Settle(ctx, shopM, "O-2", by, placedAt); !errors.Is(err, order.ErrNotSettleable) {
		t.Errorf("settle a cancelled order: %v", err)
	}
	if _, err := f.orders.Settle(ctx, shopM, "nope", by, placedAt); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
}

func TestOrders_Settle_ManySettlesAtOnceOneWins(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 10))
	ctx := context.Background()
	o := anOrder("O-1", "C1", placedAt, "100", line("A", alloc("W1", 2)))
	o.Status, o.Payment.Method = order.Accepted, payment.OnAccount
	if err := f.orders.Place(ctx, order.Placement{Order: o, Credit: &order.Credit{Limit: decimal.RequireFromString("500")}}); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.orders.Settle(ctx, shopM, "O-1", order.PlacedBy{Role: "staff", ID: strconv.Itoa(i)}, placedAt)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, order.ErrNotSettleable) && !errors.Is(err, order.ErrBusy):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d settles won, want 1", n)
	}
	if out, _ := f.outstanding(t, "C1"); !out.IsZero() {
		t.Errorf("outstanding %s, want 0", out)
	}
}

// beforeTransaction returns tbl with a client that calls do before its
// n-th TransactWriteItems (from 1).
func beforeTransaction(tbl dynamo.Table, n int32, do func()) dynamo.Table {
	var seen atomic.Int32
	tbl.Client = dynamodb.New(tbl.Client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("BeforeTransaction", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if _, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && seen.Add(1) == n {
					do()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		})
	})
	return tbl
}

func TestOrders_Place_AHoldItsExpiryRemovedFailsTheOrder(t *testing.T) {
	var refs []string
	var levels []stock.Level
	for i := range 60 {
		r := fmt.Sprintf("R%03d", i)
		refs = append(refs, r)
		levels = append(levels, level(r, "W1", 4), level(r, "W2", 4))
	}
	f := newOrdersFixture(t, []string{"W1", "W2"}, levels...)
	ctx := context.Background()
	// Two holds, then the order's transaction: the expiry removes hold 0
	// just before it (the stream gives that stock back).
	slow := &dynamo.Orders{Table: beforeTransaction(f.tbl, 3, func() {
		_, err := f.tbl.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(f.tbl.Name), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#shop#ORDER#BIG"}, "SK": &types.AttributeValueMemberS{Value: "HOLD#0"},
		}})
		if err != nil {
			t.Error(err)
		}
	})}
	var stale *order.StaleStockError
	if err := slow.Place(ctx, order.Placement{Order: bigOrder("BIG", refs)}); !errors.As(err, &stale) {
		t.Fatalf("got %v, want stale stock", err)
	}
	if _, err := f.orders.Order(ctx, shopM, "BIG"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order written over an expired hold: %v", err)
	}
	if h := f.getItem(t, "M#shop#ORDER#BIG", "HOLD#1"); h == nil || h["Type"].(*types.AttributeValueMemberS).Value != "HOLD-RETURNED" {
		t.Errorf("hold 1: %v, want given back", h)
	}
	// Hold 1 held the last takes (R049 in W2 on): given back.
	if got := f.level(t, "R059", "W2"); got.available != 4 || got.siteOrders != 0 {
		t.Errorf("R059 in W2: %+v, want given back", got)
	}
	// The retry places it; a retry of the placed order takes nothing more.
	if err := f.orders.Place(ctx, order.Placement{Order: bigOrder("BIG", refs)}); err != nil {
		t.Fatal(err)
	}
	if err := f.orders.Place(ctx, order.Placement{Order: bigOrder("BIG", refs)}); err != nil {
		t.Fatalf("retry of the placed order: %v", err)
	}
	if got := f.level(t, "R059", "W2"); got.available != 3 || got.siteOrders != 1 {
		t.Errorf("R059 in W2 after the order: %+v, want 1 taken once", got)
	}
}

func TestOrders_Place_AHoldLeftOnAProductNowShortIsGivenBackByTheRetry(t *testing.T) {
	var refs []string
	var levels []stock.Level
	for i := range 60 {
		r := fmt.Sprintf("R%03d", i)
		refs = append(refs, r)
		levels = append(levels, level(r, "W1", 4), level(r, "W2", 4))
	}
	f := newOrdersFixture(t, []string{"W1", "W2"}, levels...)
	ctx := context.Background()
	dying := &dynamo.Orders{Table: failTransactions(f.tbl, func(i int32) bool { return i > 1 })}
	if err := dying.Place(ctx, order.Placement{Order: bigOrder("BIG", refs)}); !errors.Is(err, errCrashed) {
		t.Fatalf("dying checkout: %v", err)
	}
	// The retry wants 3 of R000 in W1: only 2 are left beside the hold.
	retry := bigOrder("BIG", refs)
	retry.Lines[0] = line("R000", alloc("W1", 3), alloc("W2", 1))
	if err := f.orders.Place(ctx, order.Placement{Order: retry}); err != nil {
		t.Fatalf("retry: %v, want the leftover hold given back and the order placed", err)
	}
	if got := f.level(t, "R000", "W1"); got.available != 1 || got.siteOrders != 3 {
		t.Errorf("R000 in W1: %+v, want the retry's 3 taken once", got)
	}
}

func TestOrders_Place_AnOrderTooLargeToStoreWritesNothing(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 10))
	ctx := context.Background()
	var lines []order.Line
	for i := range 500 {
		l := line("A", alloc("W1", 0))
		l.Name = fmt.Sprintf("%03d %0800d", i, 0)
		lines = append(lines, l)
	}
	lines[0] = line("A", alloc("W1", 2))
	f.putCart(t, "C1", "B#u", 3)
	err := f.orders.Place(ctx, order.Placement{Order: anOrder("HUGE", "C1", placedAt, "10", lines...), Cart: order.CartRef{Customer: "C1", Owner: "B#u", Version: 3}})
	if !errors.Is(err, order.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if got := f.level(t, "A", "W1"); got.available != 10 || got.siteOrders != 0 {
		t.Errorf("stock %+v, want untouched", got)
	}
	if _, err := f.orders.Order(ctx, shopM, "HUGE"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order: %v", err)
	}
}
