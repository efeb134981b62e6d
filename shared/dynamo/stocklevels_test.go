package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/stock"
)

func TestOrders_Levels_EveryWarehouseInOneQueryAndOneBatchPerHundredLevels(t *testing.T) {
	var levels []stock.Level
	var refs []string
	for i := range 60 {
		r := fmt.Sprintf("R%02d", i)
		refs = append(refs, r)
		levels = append(levels, level(r, "W1", int64(i)), level(r, "W2", 1))
	}
	f := newOrdersFixture(t, []string{"W1", "W2", "W3"}, levels...)
	f.orders.WarehousesTTL = time.Minute
	ctx := dynamo.WithCallCounter(context.Background())
	got, err := f.orders.Levels(ctx, shopM, append(refs, "R00", "NONE"))
	if err != nil {
		t.Fatal(err)
	}
	// 60 refs x 3 warehouses = 180 keys: 2 BatchGetItem, plus the Query.
	if n := dynamo.Calls(ctx); n != 3 {
		t.Errorf("Levels: %d round trips, want 3", n)
	}
	if len(got) != 60 || len(got["R07"]) != 2 || got["R07"][0].Warehouse != "W1" || got["R07"][0].OnHand != 7 || got["R07"][1].Warehouse != "W2" {
		t.Errorf("levels: %d refs, R07 %+v", len(got), got["R07"])
	}
	if _, ok := got["NONE"]; ok {
		t.Error("a product without levels has some")
	}
	ctx = dynamo.WithCallCounter(context.Background())
	if _, err := f.orders.Levels(ctx, shopM, []string{"R01"}); err != nil {
		t.Fatal(err)
	}
	if n := dynamo.Calls(ctx); n != 1 {
		t.Errorf("Levels with the warehouses cached: %d round trips, want 1", n)
	}
}

func TestOrders_Levels_SiteOrdersComeFromWhatOrdersTook(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, stock.Level{Ref: "A", Warehouse: "W1", OnHand: 10, Reserved: 2, Min: 3})
	ctx := context.Background()
	if got := f.level(t, "A", "W1"); got.available != 8 || got.siteOrders != 0 {
		t.Fatalf("loaded level: %+v, want 8 available (10 on hand less 2 reserved)", got)
	}
	if err := f.orders.Place(ctx, order.Placement{Order: anOrder("O-1", "C1", placedAt, "1", line("A", alloc("W1", 6)))}); err != nil {
		t.Fatal(err)
	}
	levels, err := f.orders.Levels(ctx, shopM, []string{"A"})
	if err != nil {
		t.Fatal(err)
	}
	if l := levels["A"][0]; l.SiteOrders != 6 || l.Available() != 2 || l.Status() != stock.Low {
		t.Errorf("level after the order: %+v available %d", l, l.Available())
	}
	// The product page reads the same.
	cat := &dynamo.Catalog{Table: f.tbl}
	if err := cat.SaveCategories(ctx, shopM, []catalog.Category{{ID: "POMPES"}}); err != nil {
		t.Fatal(err)
	}
	if err := cat.SaveProducts(ctx, shopM, []catalog.Product{{Ref: "A", CategoryID: "POMPES"}}); err != nil {
		t.Fatal(err)
	}
	_, ls, err := cat.ProductWithStock(ctx, shopM, "A")
	if err != nil || len(ls) != 1 || ls[0].SiteOrders != 6 || ls[0].Available() != 2 {
		t.Errorf("product with stock: %+v %v", ls, err)
	}
}

func TestOrders_Levels_AvailableIsTheAttributeTheTakesTest(t *testing.T) {
	// More promised than counted: the loader keeps the deficit.
	f := newOrdersFixture(t, []string{"W1"},
		stock.Level{Ref: "A", Warehouse: "W1", OnHand: 5, Reserved: 2, SiteOrders: 6},
		stock.Level{Ref: "B", Warehouse: "W1", OnHand: 10})
	ctx := context.Background()
	if got := f.level(t, "A", "W1"); got.available != -3 || got.siteOrders != 6 {
		t.Fatalf("loaded A: %+v, want -3 available (5 on hand less 2 reserved less 6 sold), not floored", got)
	}
	// B's Available attribute says 4 (orders took 6 the document does not
	// know of): allocation must see 4, what the take's condition tests.
	_, err := f.tbl.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(f.tbl.Name),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#shop#P#B"}, "SK": &types.AttributeValueMemberS{Value: "STOCK#W1"},
		},
		UpdateExpression:          aws.String("SET Available = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberN{Value: "4"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	levels, err := f.orders.Levels(ctx, shopM, []string{"A", "B"})
	if err != nil {
		t.Fatal(err)
	}
	if a := levels["A"][0]; a.Available() != 0 || a.OnHand-a.Reserved-a.SiteOrders != -3 {
		t.Errorf("A: %+v, want available 0 from an attribute of -3", a)
	}
	if b := levels["B"][0]; b.Available() != 4 {
		t.Errorf("B: available %d, want 4 as its attribute", b.Available())
	}
	// Taking 4 succeeds, a fifth does not.
	if err := f.orders.Place(ctx, order.Placement{Order: anOrder("O-1", "C1", placedAt, "1", line("B", alloc("W1", 4)))}); err != nil {
		t.Fatal(err)
	}
	var stale *order.StaleStockError
	if err := f.orders.Place(ctx, order.Placement{Order: anOrder("O-2", "C1", placedAt, "1", line("B", alloc("W1", 1)))}); !errors.As(err, &stale) {
		t.Errorf("fifth unit: %v, want stale stock", err)
	}
}

func TestOrders_Levels_ReadsAreStronglyConsistent(t *testing.T) {
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 3))
	var reads, consistent atomic.Int32
	tbl := f.tbl
	tbl.Client = dynamodb.New(tbl.Client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("SeeBatchGet", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if b, ok := in.Parameters.(*dynamodb.BatchGetItemInput); ok {
					reads.Add(1)
					if ka := b.RequestItems[tbl.Name]; aws.ToBool(ka.ConsistentRead) {
						consistent.Add(1)
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		})
	})
	orders := &dynamo.Orders{Table: tbl}
	if _, err := orders.Levels(context.Background(), shopM, []string{"A"}); err != nil {
		t.Fatal(err)
	}
	if reads.Load() == 0 || consistent.Load() != reads.Load() {
		t.Errorf("%d of %d batch reads consistent, want all", consistent.Load(), reads.Load())
	}
}
