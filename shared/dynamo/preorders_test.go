package dynamo_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
)

const summer = "ete-2027"

// convertedAt is when staff convert in these tests.
var convertedAt = time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)

var staffMember = order.PlacedBy{Role: "staff", ID: "sub-staff"}

// preOrderLine is a pre-order line of units of ref: no allocation.
func preOrderLine(ref string, units int64) order.Line {
	return order.Line{PricedLine: pricing.PricedLine{Ref: ref, Quantity: units, Units: units}}
}

// seasonPreOrder is a pre-order of customer in season, counted in shard.
func seasonPreOrder(id, customer, season string, shard int, lines ...order.Line) order.Order {
	o := anOrder(id, customer, placedAt, "100.00", lines...)
	o.Kind = order.PreOrderKind
	o.PreOrder = &order.PreOrderInfo{
		Season: season, Shard: shard,
		Closes:        time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
		AvailableFrom: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
	}
	return o
}

func seed(t *testing.T, o *dynamo.Orders, ords ...order.Order) {
	t.Helper()
	for _, ord := range ords {
		if err := o.SeedPreOrder(context.Background(), ord); err != nil {
			t.Fatal(err)
		}
	}
}

// putTotal writes a total item as it stands after cancellations.
func putTotal(t *testing.T, tbl dynamo.Table, season string, shard int, sk string, units, lines int64) {
	t.Helper()
	_, err := tbl.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(tbl.Name), Item: map[string]types.AttributeValue{
		"PK":    &types.AttributeValueMemberS{Value: fmt.Sprintf("M#%s#PRE#%s#%02d", shopM, season, shard)},
		"SK":    &types.AttributeValueMemberS{Value: sk},
		"Units": &types.AttributeValueMemberN{Value: fmt.Sprint(units)},
		"Lines": &types.AttributeValueMemberN{Value: fmt.Sprint(lines)},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// A hundred and twenty pre-orders written at once, each into a random shard, add
// up exactly: every product's and every customer's total is the sum of
// the lines, read in 32 Queries; rows cancelled down to 0 and other
// seasons are left out.
func TestPreOrders_Totals_SumEveryShardExactlyUnderConcurrentWriters(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"})
	// The writers retry their conflicts until then.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	refs := []string{"BANC", "CHAISE", "PARASOL", "TABLE"}
	var (
		mu        sync.Mutex
		products  = map[string]*order.ProductTotal{}
		customers = map[[2]string]*order.CustomerTotal{}
		shards    = map[int]bool{}
		units     int64
		wg        sync.WaitGroup
		errs      = make(chan error, 120)
	)
	for i := range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			customer := fmt.Sprintf("C%02d", rand.IntN(7))
			var lines []order.Line
			for range 1 + rand.IntN(3) {
				lines = append(lines, preOrderLine(refs[rand.IntN(len(refs))], 1+rand.Int64N(6)))
			}
			shard := rand.IntN(order.TotalsShards)
			ord := seasonPreOrder(fmt.Sprintf("20270105-%08d", i), customer, summer, shard, lines...)
			if err := f.orders.SeedPreOrder(ctx, ord); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			shards[shard] = true
			for _, l := range lines {
				p := products[l.Ref]
				if p == nil {
					p = &order.ProductTotal{Ref: l.Ref}
					products[l.Ref] = p
				}
				c := customers[[2]string{customer, l.Ref}]
				if c == nil {
					c = &order.CustomerTotal{Customer: customer, Ref: l.Ref}
					customers[[2]string{customer, l.Ref}] = c
				}
				p.Units, p.Lines, c.Units, c.Lines = p.Units+l.Units, p.Lines+1, c.Units+l.Units, c.Lines+1
				units += l.Units
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(shards) < 2 {
		t.Fatalf("the pre-orders went to %d shard", len(shards))
	}
	// Every pre-order of a product and of a customer cancelled, and another
	// season.
	putTotal(t, f.tbl, summer, 5, "REF#GONE", 0, 0)
	putTotal(t, f.tbl, summer, 9, "C#C99#PARASOL", 0, 0)
	seed(t, f.orders, seasonPreOrder("20270105-WINTER01", "C01", "hiver-2027", 2, preOrderLine("PARASOL", 50)))

	want := order.SeasonTotals{Season: summer, Units: units}
	for _, p := range products {
		want.Products = append(want.Products, *p)
	}
	for _, c := range customers {
		want.Customers = append(want.Customers, *c)
	}
	slices.SortFunc(want.Products, func(a, b order.ProductTotal) int { return cmp.Compare(a.Ref, b.Ref) })
	slices.SortFunc(want.Customers, func(a, b order.CustomerTotal) int {
		if a.Customer != b.Customer {
			return cmp.Compare(a.Customer, b.Customer)
		}
		return cmp.Compare(a.Ref, b.Ref)
	})
	cctx := dynamo.WithCallCounter(ctx)
	got, err := f.orders.Totals(cctx, shopM, summer)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("totals =\n%+v\nwant\n%+v", got, want)
	}
	if n := dynamo.Calls(cctx); n != 2*order.TotalsShards {
		t.Errorf("Totals made %d round trips, want %d", n, 2*order.TotalsShards)
	}

	empty, err := f.orders.Totals(ctx, shopM, "automne-2027")
	if err != nil {
		t.Fatal(err)
	}
	if empty.Products == nil || empty.Customers == nil || len(empty.Products)+len(empty.Customers) != 0 || empty.Units != 0 {
		t.Errorf("a season without pre-orders = %+v, want empty lists", empty)
	}
	if _, err := f.orders.Totals(ctx, shopM, "a#b"); err == nil {
		t.Error("a season that cannot be a key part is read")
	}
}

// totals reads a season's totals or fails.
func totals(t *testing.T, o *dynamo.Orders, season string) order.SeasonTotals {
	t.Helper()
	got, err := o.Totals(context.Background(), shopM, season)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A conversion serves each pre-order as the checkout does, from the
// customer's preferred warehouse, then the storefront's, then the others,
// backorders what stock lacks (whatever the product's own setting),
// leaves the status and the totals as they were, and is done once: a
// second call converts nothing.
func TestPreOrders_Convert_AllocatesAcrossWarehousesAndBackordersTheRest(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1", "W2"}, level("P1", "W1", 5), level("P1", "W2", 3), level("P2", "W1", 2), level("P2", "W2", 1))
	ctx := context.Background()
	acc := &dynamo.Accounts{Table: f.tbl}
	if err := acc.Save(ctx, acc.NewBatch(shopM).Customer(customer.Customer{ID: "C2", Name: "Jardins du Sud", PreferredWarehouse: "W2"})); err != nil {
		t.Fatal(err)
	}
	a := seasonPreOrder("20270105-AAAAAAA1", "C1", summer, 3, preOrderLine("P1", 6))
	b := seasonPreOrder("20270105-AAAAAAA2", "C2", summer, 11, preOrderLine("P1", 4), preOrderLine("P2", 5))
	b.Status = order.Accepted
	seed(t, f.orders, a, b)
	before := totals(t, f.orders, summer)

	conv := &dynamo.Orders{Table: f.tbl, WarehousesTTL: time.Minute}
	cctx := dynamo.WithCallCounter(ctx)
	res, err := conv.Convert(cctx, shopM, summer, []string{"W1"}, 50, staffMember, convertedAt)
	if err != nil {
		t.Fatal(err)
	}
	want := order.ConvertResult{Converted: []string{a.ID, b.ID}, Backordered: 4}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	// 16 Queries listing the season's pre-orders; per pre-order 1
	// GetItem of the order, 1 of its customer and 1 TransactWriteItems;
	// the warehouses once (1 Query) and each product's levels the first
	// time it comes up (1 BatchGetItem).
	if want := 16 + 2*3 + 1 + 2; dynamo.Calls(cctx) != int64(want) {
		t.Errorf("Convert made %d round trips, want %d", dynamo.Calls(cctx), want)
	}
	wantLines := map[string][]struct {
		allocs      []order.Allocation
		backordered int64
	}{
		a.ID: {{[]order.Allocation{alloc("W1", 5), alloc("W2", 1)}, 0}},
		b.ID: {{[]order.Allocation{alloc("W2", 2)}, 2}, {[]order.Allocation{alloc("W2", 1), alloc("W1", 2)}, 2}},
	}
	for _, placed := range []order.Order{a, b} {
		got, err := f.orders.Order(ctx, shopM, placed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != placed.Status || got.Kind != order.PreOrderKind {
			t.Errorf("%s: status %s kind %q, want %s pre-order", placed.ID, got.Status, got.Kind, placed.Status)
		}
		if p := got.PreOrder; p == nil || p.ConvertedAt == nil || !p.ConvertedAt.Equal(convertedAt) || p.ConvertedBy == nil || *p.ConvertedBy != staffMember {
			t.Errorf("%s: pre-order %+v, want converted at %s by %v", placed.ID, got.PreOrder, convertedAt, staffMember)
		}
		for i, l := range got.Lines {
			w := wantLines[placed.ID][i]
			if !reflect.DeepEqual(l.Allocations, w.allocs) || l.Backordered != w.backordered {
				t.Errorf("%s line %d (%s): %v + %d backordered, want %v + %d", placed.ID, i, l.Ref, l.Allocations, l.Backordered, w.allocs, w.backordered)
			}
		}
	}
	for _, c := range []struct {
		ref, w          string
		available, site int64
	}{{"P1", "W1", 0, 5}, {"P1", "W2", 0, 3}, {"P2", "W1", 0, 2}, {"P2", "W2", 0, 1}} {
		if got := f.level(t, c.ref, c.w); got.available != c.available || got.siteOrders != c.site {
			t.Errorf("%s in %s: available %d site orders %d, want %d %d", c.ref, c.w, got.available, got.siteOrders, c.available, c.site)
		}
	}
	if after := totals(t, f.orders, summer); !reflect.DeepEqual(after, before) {
		t.Errorf("totals after conversion = %+v, want %+v", after, before)
	}

	again, err := conv.Convert(ctx, shopM, summer, []string{"W1"}, 50, staffMember, convertedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Converted) != 0 || again.Backordered != 0 || again.Remaining != 0 {
		t.Errorf("second conversion = %+v, want nothing", again)
	}
	if got := f.level(t, "P1", "W1"); got.siteOrders != 5 {
		t.Errorf("P1 in W1: site orders %d after a second conversion, want 5", got.siteOrders)
	}
}

// endingContext says its deadline is a second away, and never ends.
type endingContext struct{ context.Context }

func (endingContext) Deadline() (time.Time, bool) { return time.Now().Add(time.Second), true }

// A conversion converts at most its limit, oldest order numbers first,
// says how many are left, skips a cancelled pre-order and one no longer
// stored, and starts none when its request is about to end.
func TestPreOrders_Convert_LimitAndSkipsWhatIsNotToConvert(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("P1", "W1", 100))
	ctx := context.Background()
	ords := []order.Order{
		seasonPreOrder("20270103-AAAAAAA1", "C1", summer, 0, preOrderLine("P1", 1)),
		seasonPreOrder("20270104-AAAAAAA2", "C2", summer, 15, preOrderLine("P1", 2)),
		seasonPreOrder("20270105-AAAAAAA3", "C3", summer, 7, preOrderLine("P1", 3)),
	}
	cancelled := seasonPreOrder("20270106-AAAAAAA4", "C4", summer, 7, preOrderLine("P1", 4))
	cancelled.Status = order.Cancelled
	seed(t, f.orders, append(ords, cancelled)...)
	// The listing of a pre-order whose order is gone.
	putTotal(t, f.tbl, summer, 2, "O#20270102-GONE0000", 1, 0)

	// A request about to end starts no conversion.
	res, err := f.orders.Convert(endingContext{ctx}, shopM, summer, nil, 2, staffMember, convertedAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (order.ConvertResult{Converted: []string{}, Remaining: 5}); !reflect.DeepEqual(res, want) {
		t.Errorf("a call about to end = %+v, want %+v", res, want)
	}
	res, err = f.orders.Convert(ctx, shopM, summer, nil, 2, staffMember, convertedAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (order.ConvertResult{Converted: []string{ords[0].ID, ords[1].ID}, Remaining: 2}); !reflect.DeepEqual(res, want) {
		t.Errorf("first call = %+v, want %+v", res, want)
	}
	res, err = f.orders.Convert(ctx, shopM, summer, nil, 2, staffMember, convertedAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (order.ConvertResult{Converted: []string{ords[2].ID}}); !reflect.DeepEqual(res, want) {
		t.Errorf("second call = %+v, want %+v", res, want)
	}
	got, err := f.orders.Order(ctx, shopM, cancelled.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PreOrder.ConvertedAt != nil || len(got.Lines[0].Allocations) != 0 {
		t.Errorf("the cancelled pre-order was converted: %+v", got)
	}
	if got := f.level(t, "P1", "W1"); got.available != 94 || got.siteOrders != 6 {
		t.Errorf("P1: available %d site orders %d, want 94 6", got.available, got.siteOrders)
	}
}

// Three conversions of the same season at once convert each pre-order
// once between them and never take a unit twice: the stock ends at 0,
// never below, what it served is what the orders hold, and the rest is
// backordered.
func TestPreOrders_Convert_ConcurrentConversionsNeverOversell(t *testing.T) {
	initial := map[[2]string]int64{{"P1", "W1"}: 20, {"P1", "W2"}: 10, {"P2", "W1"}: 5}
	var levels []stock.Level
	for k, n := range initial {
		levels = append(levels, level(k[0], k[1], n))
	}
	f := newOrdersFixture(t, []string{"W1", "W2"}, levels...)
	ctx := context.Background()
	demand := map[string]int64{}
	var ids []string
	for i := range 40 {
		lines := []order.Line{preOrderLine("P1", 1+rand.Int64N(3))}
		if i%3 == 0 {
			lines = append(lines, preOrderLine("P2", 1+rand.Int64N(2)))
		}
		for _, l := range lines {
			demand[l.Ref] += l.Units
		}
		ord := seasonPreOrder(fmt.Sprintf("20270105-%08d", i), fmt.Sprintf("C%d", i%6), summer, rand.IntN(order.TotalsShards), lines...)
		seed(t, f.orders, ord)
		ids = append(ids, ord.ID)
	}

	callers := []order.PlacedBy{{Role: "staff", ID: "s1"}, {Role: "staff", ID: "s2"}, {Role: "staff", ID: "s3"}}
	results := make([]order.ConvertResult, len(callers))
	errs := make([]error, len(callers))
	var wg sync.WaitGroup
	for i, by := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &dynamo.Orders{Table: f.tbl}
			results[i], errs[i] = o.Convert(ctx, shopM, summer, []string{"W1"}, order.ConvertMax, by, convertedAt)
		}()
	}
	wg.Wait()
	by := map[string]order.PlacedBy{}
	var backordered int64
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("conversion %d: %v", i, errs[i])
		}
		for _, id := range res.Converted {
			if prev, ok := by[id]; ok {
				t.Errorf("%s converted by %v and by %v", id, prev, callers[i])
			}
			by[id] = callers[i]
		}
		backordered += res.Backordered
	}
	if len(by) != len(ids) {
		t.Errorf("%d pre-orders converted, want %d", len(by), len(ids))
	}

	served := map[[2]string]int64{}
	var held int64
	for _, id := range ids {
		got, err := f.orders.Order(ctx, shopM, id)
		if err != nil {
			t.Fatal(err)
		}
		if p := got.PreOrder; p.ConvertedBy == nil || *p.ConvertedBy != by[id] {
			t.Errorf("%s: converted by %v, the call that says so is %v", id, p.ConvertedBy, by[id])
		}
		for _, l := range got.Lines {
			sum := l.Backordered
			for _, a := range l.Allocations {
				served[[2]string{l.Ref, a.Warehouse}] += a.Units
				sum += a.Units
			}
			if sum != l.Units {
				t.Errorf("%s %s: %v + %d backordered for %d units", id, l.Ref, l.Allocations, l.Backordered, l.Units)
			}
			held += l.Backordered
		}
	}
	if held != backordered {
		t.Errorf("the orders hold %d backordered units, the calls said %d", held, backordered)
	}
	var stockTotal int64
	for k, n := range initial {
		got := f.level(t, k[0], k[1])
		if got.available != 0 {
			t.Errorf("%s in %s: %d available, want 0 (all served, never below)", k[0], k[1], got.available)
		}
		if got.siteOrders != served[k] || served[k] != n {
			t.Errorf("%s in %s: site orders %d, orders hold %d, stock was %d", k[0], k[1], got.siteOrders, served[k], n)
		}
		stockTotal += n
	}
	if want := demand["P1"] + demand["P2"] - stockTotal; backordered != want {
		t.Errorf("backordered %d, want %d", backordered, want)
	}

	again, err := f.orders.Convert(ctx, shopM, summer, nil, order.ConvertMax, staffMember, convertedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Converted) != 0 || again.Remaining != 0 {
		t.Errorf("a conversion after them = %+v, want nothing", again)
	}
}

// A pre-order placed by a mixed checkout counts in the totals the moment
// it is placed, takes no stock until converted, takes it when converted,
// and its cancellation afterwards gives the stock back and takes it off
// the totals.
func TestPreOrders_PlacedThenConvertedThenCancelled(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 10), level("P1", "W1", 4))
	ctx := context.Background()
	ordinary := anOrder("20270105-ORDINARY", "C1", placedAt, "50.00", line("A", alloc("W1", 2)))
	ordinary.Linked = []string{"20270105-PREORDER"}
	pre := seasonPreOrder("20270105-PREORDER", "C1", summer, 5, preOrderLine("P1", 3), preOrderLine("P1", 2))
	pre.Linked = []string{ordinary.ID}
	if err := f.orders.Place(ctx, order.Placement{Order: ordinary, PreOrders: []order.Order{pre}}); err != nil {
		t.Fatal(err)
	}
	want := order.SeasonTotals{
		Season:    summer,
		Products:  []order.ProductTotal{{Ref: "P1", Units: 5, Lines: 2}},
		Customers: []order.CustomerTotal{{Customer: "C1", Ref: "P1", Units: 5, Lines: 2}},
		Units:     5,
	}
	if got := totals(t, f.orders, summer); !reflect.DeepEqual(got, want) {
		t.Errorf("totals after placing = %+v, want %+v", got, want)
	}
	if got := f.level(t, "P1", "W1"); got.available != 4 {
		t.Fatalf("P1: %d available after placing a pre-order, want 4", got.available)
	}

	res, err := f.orders.Convert(ctx, shopM, summer, []string{"W1"}, 10, staffMember, convertedAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (order.ConvertResult{Converted: []string{pre.ID}, Backordered: 1}); !reflect.DeepEqual(res, want) {
		t.Errorf("conversion = %+v, want %+v", res, want)
	}
	if got := f.level(t, "P1", "W1"); got.available != 0 || got.siteOrders != 4 {
		t.Errorf("P1 after conversion: available %d site orders %d, want 0 4", got.available, got.siteOrders)
	}
	if got := totals(t, f.orders, summer); !reflect.DeepEqual(got, want) {
		t.Errorf("totals after conversion = %+v, want %+v", got, want)
	}

	if _, err := f.orders.Cancel(ctx, shopM, pre.ID, order.PlacedBy{Role: "buyer", ID: "sub-C1"}, convertedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := f.level(t, "P1", "W1"); got.available != 4 || got.siteOrders != 0 {
		t.Errorf("P1 after cancelling: available %d site orders %d, want 4 0", got.available, got.siteOrders)
	}
	if got := totals(t, f.orders, summer); len(got.Products)+len(got.Customers) != 0 || got.Units != 0 {
		t.Errorf("totals after cancelling = %+v, want none", got)
	}
	again, err := f.orders.Convert(ctx, shopM, summer, nil, 10, staffMember, convertedAt.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Converted) != 0 || again.Remaining != 0 {
		t.Errorf("a conversion after the cancellation = %+v, want nothing", again)
	}
}
