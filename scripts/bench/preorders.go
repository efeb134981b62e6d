package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/devstack/localaws"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing/benchdata"
	"github.com/comptoir/comptoir/shared/samtemplate"
	"github.com/comptoir/comptoir/shared/stock"
)

// Flags of the pre-order burst measurement.
var (
	preOrderBuyers   = flag.Int("preorder-buyers", 2000, "buyers of the pre-order burst, each with their own cart of pre-order lines filled beforehand")
	preOrderWorkers  = flag.Int("preorder-workers", 64, "checkouts of the pre-order burst at once (and writers of the raw DynamoDB writes beside it)")
	preOrderDuration = flag.Duration("preorder-duration", 60*time.Second, "time budget of each pre-order measurement (the burst, each raw write run)")
	skipPreOrders    = flag.Bool("skip-preorders", false, "skip the pre-order burst measurement")
)

// Figures of the pre-order world.
const (
	// preOrderSeason is the season the burst pre-orders.
	preOrderSeason = "bench-2027"
	// preOrderCustomers are the companies the buyers belong to.
	preOrderCustomers = 30
	// preOrderStock is what W1 holds of each pre-order product: the burst
	// must leave it untouched.
	preOrderStock = 1000
)

// preOrderRefs are the season's four products (benchdata products, taken
// on pre-order in this table).
var preOrderRefs = []string{benchdata.Ref(0), benchdata.Ref(1), benchdata.Ref(2), benchdata.Ref(3)}

// PreOrdersReport is a burst of pre-orders through the API next to raw
// DynamoDB Local writes, and the season's totals read right after it.
type PreOrdersReport struct {
	Endpoint string `json:"dynamodbEndpoint"`
	// Buyers each checked out their own cart of 1 or 2 of Products, 1 to
	// 6 units each; Workers of them at once.
	Buyers    int `json:"buyers"`
	Workers   int `json:"workers"`
	Products  int `json:"products"`
	Customers int `json:"customers"`
	// Shards is order.TotalsShards: the partitions a season's totals are
	// spread over.
	Shards int `json:"shards"`
	// LoadSeconds is the time to write the shop; CartFillSeconds the
	// carts'.
	LoadSeconds     float64 `json:"loadSeconds"`
	CartFillSeconds float64 `json:"cartFillSeconds"`
	// Burst is the checkouts that answered 201 (errors: the others);
	// Statuses counts every answer; Accepted is pre-orders placed per
	// second of the burst.
	Burst    LatencyStats   `json:"burst"`
	Statuses map[string]int `json:"statuses"`
	Accepted float64        `json:"acceptedPerSecond"`
	// RawPut is PutItem of a new item, RawTransaction a TransactWriteItems
	// of a pre-order's shape (the Put of a new item and ADD on a product
	// and a customer total in one of 16 shards), with as many writers,
	// right before the burst; RawPutAfter the PutItems again right after
	// it. Ceiling is the higher PutItem throughput.
	RawPut         LatencyStats `json:"rawPut"`
	RawPutAfter    LatencyStats `json:"rawPutAfter"`
	RawTransaction LatencyStats `json:"rawTransaction"`
	Ceiling        float64      `json:"ceiling"`
	Ratio          float64      `json:"ratio"`
	Totals         TotalsCheck  `json:"totals"`
	// Items are the sizes of the items one pre-order of the burst wrote,
	// as DynamoDB counts them (attribute names and values), and the write
	// units they would cost on DynamoDB.
	Items *PreOrderItems `json:"items,omitempty"`
}

// PreOrderItems are the items a pre-order writes, measured on one placed
// in the burst, and what they cost in write request units (WRU) on
// DynamoDB: 2 per started KB of each item written in a transaction, 1 per
// started KB of each index entry.
type PreOrderItems struct {
	Order         string `json:"order"`
	OrderBytes    int    `json:"orderBytes"`
	ProductTotal  int    `json:"productTotalBytes"`
	CustomerTotal int    `json:"customerTotalBytes"`
	SeasonIndex   int    `json:"seasonIndexBytes"`
	Idempotency   int    `json:"idempotencyBytes"`
	Cart          int    `json:"cartBytes"`
	// Indexes is the order's index entries (GSI1, GSI2), each the whole
	// item (projection ALL).
	Indexes int `json:"indexes"`
	// WRU is the write units of a one-product pre-order: the order, its
	// index entries, the idempotency record, the cart, the product and
	// customer totals and the season's index item.
	WRU   int    `json:"wru"`
	Error string `json:"error,omitempty"`
}

// TotalsCheck is the season's totals read right after the burst, against
// the sums of the pre-orders placed.
type TotalsCheck struct {
	// Exact: every product's and every customer's total is the sum of the
	// lines of the pre-orders answered 201.
	Exact bool `json:"exact"`
	// Units are the totals' units; Placed the placed pre-orders' units.
	Units  int64 `json:"units"`
	Placed int64 `json:"placed"`
	// Products and Customers are the rows read.
	Products  int `json:"products"`
	Customers int `json:"customers"`
	// ReadMS and RoundTrips are the read's (order.PreOrderBook.Totals).
	ReadMS     float64 `json:"readMs"`
	RoundTrips int     `json:"roundTrips"`
	// SecondsAfterBurst is the time from the burst's last answer until the
	// totals were read exact: the read itself, since nothing applies them
	// later.
	SecondsAfterBurst float64 `json:"secondsAfterBurst"`
	// StockUntouched: no pre-order took stock.
	StockUntouched bool   `json:"stockUntouched"`
	Mismatch       string `json:"mismatch,omitempty"`
	Error          string `json:"error,omitempty"`
}

// placedPreOrder is what the bench keeps of a pre-order answered 201.
type placedPreOrder struct {
	id, key  string
	owner    string
	customer string
	units    map[string]int64
}

// benchPreOrders creates a fresh table with a season of four products
// taken on pre-order, fills -preorder-buyers carts, and measures the
// burst of their checkouts through the API next to raw DynamoDB Local
// writes, then reads the season's totals and checks them against the
// orders placed. The cleanup deletes the table.
func benchPreOrders(ctx context.Context, o options) (*PreOrdersReport, func(), error) {
	tpl, err := samtemplate.Load(o.template)
	if err != nil {
		return nil, nil, fmt.Errorf("pre-orders: %w", err)
	}
	client := localaws.DynamoDB(o.dynamodb, dynamo.CountRoundTrips, localaws.LambdaLikeRetries, countAttempts)
	name := fmt.Sprintf("comptoir-bench-preorders-%d", time.Now().UnixNano()%1e9)
	logf("pre-orders: creating table %s", name)
	closers, err := sectionTable(ctx, client, tpl, name)
	if err != nil {
		return nil, nil, fmt.Errorf("pre-orders: %w", err)
	}
	cleanup := closers.run
	tbl := dynamo.Table{Client: client, Name: name}
	n, workers := max(1, *preOrderBuyers), max(1, *preOrderWorkers)
	rep := &PreOrdersReport{Endpoint: o.dynamodb, Buyers: n, Workers: workers, Products: len(preOrderRefs),
		Customers: preOrderCustomers, Shards: order.TotalsShards, Statuses: map[string]int{}}
	ob := &ordersBench{tbl: tbl, o: o, carts: &dynamo.Carts{Table: tbl}, orders: &dynamo.Orders{Table: tbl}}
	ob.o.workers = workers
	t0 := time.Now()
	if err := ob.loadPreOrderShop(ctx); err != nil {
		return nil, cleanup, err
	}
	rep.LoadSeconds = time.Since(t0).Seconds()

	st, closeStack, err := newCatalogStack(ctx, tpl, client, name, "cart", "checkout")
	if closeStack != nil {
		closers.add(closeStack)
	}
	if err != nil {
		return nil, cleanup, err
	}
	ob.st = st

	t0 = time.Now()
	warm, err := ob.fill(ctx, "pre-warm", 3, preOrderLines)
	if err != nil {
		return nil, cleanup, err
	}
	buyers, err := ob.fill(ctx, "pre", n, func(i int) []cart.Line { return preOrderLines(i + 3) })
	if err != nil {
		return nil, cleanup, err
	}
	rep.CartFillSeconds = time.Since(t0).Seconds()
	logf("pre-orders: filled %d carts in %.1f s", n+3, rep.CartFillSeconds)
	for i, b := range warm {
		if _, oc := ob.preOrderCheckout(ctx, b, "pre-warm-"+strconv.Itoa(i)); oc.err != nil {
			return nil, cleanup, fmt.Errorf("pre-orders warm-up: %w", oc.err)
		}
	}
	// The warm-up's pre-orders count in the totals too.
	var (
		mu     sync.Mutex
		placed []placedPreOrder
	)
	for i := range warm {
		placed = append(placed, placedPreOrder{customer: warm[i].customer, units: linesUnits(preOrderLines(i))})
	}

	logf("pre-orders: raw PutItem of new items, %d writers", workers)
	rep.RawPut = ob.rawPuts(ctx, workers, 2*n, "BENCH#PREPUT#BEFORE")
	logf("pre-orders: raw transaction of a pre-order's shape, %d writers", workers)
	rep.RawTransaction = ob.rawPreOrderTransactions(ctx, workers, 2*n)

	logf("pre-orders: burst of %d checkouts, %d at once", n, workers)
	s := load(ctx, workers, n, *preOrderDuration, func(ctx context.Context, i int) outcome {
		po, oc := ob.preOrderCheckout(ctx, buyers[i], "pre-"+strconv.Itoa(i))
		mu.Lock()
		defer mu.Unlock()
		rep.Statuses[oc.status]++
		if oc.err == nil {
			placed = append(placed, po)
		}
		return oc.outcome
	})
	burstEnd := time.Now()
	rep.Burst = latencyStats(s, "Checkout of a cart of pre-order lines (1 or 2 products, 1 to 6 units each), each buyer their own cart", "POST "+benchHost+"/checkout", workers)
	rep.Burst.Lines = "1 to 2"
	rep.Accepted = rep.Burst.Throughput
	rep.Totals = ob.checkPreOrderTotals(ctx, placed, burstEnd)
	if len(placed) > 0 {
		rep.Items = ob.preOrderItems(ctx, placed[len(placed)-1])
	}

	logf("pre-orders: raw PutItem of new items again, %d writers", workers)
	rep.RawPutAfter = ob.rawPuts(ctx, workers, 2*n, "BENCH#PREPUT#AFTER")
	rep.Ceiling = max(rep.RawPut.Throughput, rep.RawPutAfter.Throughput)
	rep.Ratio = ratio(rep.Accepted, rep.Ceiling)
	return rep, cleanup, nil
}

// preOrderLines is pre-order cart i: 1 or 2 distinct products of the
// season, 1 to 6 units each, the same for every run.
func preOrderLines(i int) []cart.Line {
	r := rand.New(rand.NewPCG(uint64(i), 10))
	var lines []cart.Line
	for _, j := range r.Perm(len(preOrderRefs))[:1+r.IntN(2)] {
		lines = append(lines, cart.Line{Ref: preOrderRefs[j], Packaging: catalog.Unit, Quantity: int64(1 + r.IntN(6)), Chosen: true})
	}
	return lines
}

// linesUnits sums a cart's units per product.
func linesUnits(lines []cart.Line) map[string]int64 {
	out := map[string]int64{}
	for _, l := range lines {
		out[l.Ref] += l.Quantity
	}
	return out
}

// loadPreOrderShop writes the storefront, the merchant, the customers, a
// warehouse, the season's four products with their pre-order settings
// (open from 30 days ago to 30 days on) and their stock.
func (ob *ordersBench) loadPreOrderShop(ctx context.Context) error {
	d := benchdata.Generate(benchSeed)
	sf := merchant.Storefront{ID: "bench", Merchant: benchMerchant, Host: benchHost, Country: "FR", Language: "fr",
		Currency: benchdata.Currency, Mode: merchant.Closed, MerchantLanguage: "fr", Warehouse: mainWarehouse,
		Shipping: merchant.Shipping{Methods: []merchant.ShippingMethod{{ID: shippingMethod, Name: "Messagerie",
			Rates: []merchant.ShippingRate{{Country: "*", Amount: decimal.RequireFromString("12.50")}}}}}}
	if err := (&dynamo.Storefronts{Table: ob.tbl}).Save(ctx, []merchant.Storefront{sf}); err != nil {
		return fmt.Errorf("pre-orders: storefront: %w", err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	products := slices.Clone(d.Products[:len(preOrderRefs)])
	for i := range products {
		po := &catalog.PreOrder{Season: preOrderSeason, Opens: today.AddDate(0, 0, -30), Closes: today.AddDate(0, 0, 30), AvailableFrom: today.AddDate(0, 0, 90)}
		from := po.AvailableFrom
		products[i].PreOrder, products[i].AvailableFrom = po, &from
		products[i].Links = nil
	}
	cat := &dynamo.Catalog{Table: ob.tbl}
	if err := cat.SaveCategories(ctx, benchMerchant, d.Categories); err != nil {
		return fmt.Errorf("pre-orders: categories: %w", err)
	}
	if err := cat.SaveProducts(ctx, benchMerchant, products); err != nil {
		return fmt.Errorf("pre-orders: products: %w", err)
	}
	acc := &dynamo.Accounts{Table: ob.tbl}
	b := acc.NewBatch(benchMerchant).Merchant(dynamo.Merchant{ID: benchMerchant, Name: "Bench", Country: "FR", DefaultLanguage: "fr", Currency: benchdata.Currency})
	for i := 1; i <= benchdata.PriceCategories; i++ {
		b.PriceCategory(customer.PriceCategory{ID: strconv.Itoa(i), Name: "Catégorie " + strconv.Itoa(i)})
	}
	b.BuyingGroup(customer.BuyingGroup{ID: "BG1", Name: "Centrale"})
	for _, c := range d.Customers[:min(preOrderCustomers, len(d.Customers))] {
		c.Address = customer.Address{Line1: "1 rue du Port", PostalCode: "69001", City: "Lyon", Country: "FR"}
		b.Customer(c)
		ob.customers = append(ob.customers, c)
	}
	b.Warehouse(stock.Warehouse{ID: mainWarehouse, Name: "Lyon", Country: "FR"})
	for _, ref := range preOrderRefs {
		b.StockLevel(stock.Level{Ref: ref, Warehouse: mainWarehouse, OnHand: preOrderStock})
	}
	if err := acc.Save(ctx, b); err != nil {
		return fmt.Errorf("pre-orders: accounts and stock: %w", err)
	}
	logf("pre-orders: loaded %d products on pre-order, %d customers", len(products), len(ob.customers))
	return nil
}

// preOrderCheckout places b's cart of pre-order lines: the answer must be
// a 201 pre-order of the season holding the cart's lines, none allocated.
func (ob *ordersBench) preOrderCheckout(ctx context.Context, b buyer, key string) (placedPreOrder, checkoutOutcome) {
	body := httpapi.CheckoutRequest{ShippingMethod: shippingMethod, PaymentMethod: string(payment.Card), OrderReference: "BENCH-" + key}
	a, err := ob.send(ctx, b, http.MethodPost, "/checkout", body, map[string]string{"Idempotency-Key": key})
	if err != nil {
		return placedPreOrder{}, checkoutOutcome{outcome: outcome{err: err}, status: "error"}
	}
	status := strconv.Itoa(a.rec.Code)
	if a.rec.Code != http.StatusCreated {
		var p struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(a.rec.Body.Bytes(), &p) == nil && p.Type != "" {
			status += " " + strings.TrimPrefix(p.Type, httpapi.ProblemBase)
		}
		if ra := a.rec.Header().Get("Retry-After"); ra != "" {
			status += " (Retry-After)"
		}
		return placedPreOrder{}, checkoutOutcome{outcome: outcome{err: a.failure("checkout " + key)}, status: status}
	}
	var v struct {
		ID       string `json:"id"`
		Customer string `json:"customer"`
		Kind     string `json:"kind"`
		PreOrder *struct {
			Season string `json:"season"`
		} `json:"preOrder"`
		Lines []struct {
			Ref         string             `json:"ref"`
			Units       int64              `json:"units"`
			Allocations []order.Allocation `json:"allocations"`
		} `json:"lines"`
	}
	fail := func(format string, args ...any) (placedPreOrder, checkoutOutcome) {
		return placedPreOrder{}, checkoutOutcome{outcome: outcome{err: fmt.Errorf("checkout %s: "+format, append([]any{key}, args...)...)}, status: status}
	}
	if err := json.Unmarshal(a.rec.Body.Bytes(), &v); err != nil {
		return fail("decode order: %v", err)
	}
	if v.ID == "" || v.Kind != string(order.PreOrderKind) || v.PreOrder == nil || v.PreOrder.Season != preOrderSeason || len(v.Lines) != b.lines {
		return fail("order %q of kind %q with %d lines, want a pre-order of %s with %d lines", v.ID, v.Kind, len(v.Lines), preOrderSeason, b.lines)
	}
	po := placedPreOrder{id: v.ID, key: key, owner: "B#" + b.subject, customer: v.Customer, units: map[string]int64{}}
	for _, l := range v.Lines {
		if len(l.Allocations) > 0 {
			return fail("%s: a pre-order line took stock", l.Ref)
		}
		po.units[l.Ref] += l.Units
	}
	return po, checkoutOutcome{outcome: a.outcome(), status: status}
}

// checkPreOrderTotals reads the season's totals as the staff route does
// (order.PreOrderBook.Totals) and compares them with the sums of the
// pre-orders placed, then checks the stock levels were not touched.
func (ob *ordersBench) checkPreOrderTotals(ctx context.Context, placed []placedPreOrder, burstEnd time.Time) TotalsCheck {
	c := TotalsCheck{}
	type key struct{ customer, ref string }
	products, customers := map[string]order.ProductTotal{}, map[key]order.CustomerTotal{}
	for _, p := range placed {
		for ref, u := range p.units {
			pt := products[ref]
			pt.Ref, pt.Units, pt.Lines = ref, pt.Units+u, pt.Lines+1
			products[ref] = pt
			ct := customers[key{p.customer, ref}]
			ct.Customer, ct.Ref, ct.Units, ct.Lines = p.customer, ref, ct.Units+u, ct.Lines+1
			customers[key{p.customer, ref}] = ct
			c.Placed += u
		}
	}
	cctx := dynamo.WithCallCounter(ctx)
	t0 := time.Now()
	got, err := ob.orders.Totals(cctx, benchMerchant, preOrderSeason)
	c.ReadMS = float64(time.Since(t0).Microseconds()) / 1000
	c.SecondsAfterBurst = time.Since(burstEnd).Seconds()
	c.RoundTrips = int(dynamo.Calls(cctx))
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.Units, c.Products, c.Customers = got.Units, len(got.Products), len(got.Customers)
	var diffs []string
	for _, p := range got.Products {
		if products[p.Ref] != p {
			diffs = append(diffs, fmt.Sprintf("%s: %d units, %d lines, want %d, %d", p.Ref, p.Units, p.Lines, products[p.Ref].Units, products[p.Ref].Lines))
		}
	}
	for _, ct := range got.Customers {
		if customers[key{ct.Customer, ct.Ref}] != ct {
			diffs = append(diffs, fmt.Sprintf("%s/%s: %d units, want %d", ct.Customer, ct.Ref, ct.Units, customers[key{ct.Customer, ct.Ref}].Units))
		}
	}
	if len(got.Products) != len(products) || len(got.Customers) != len(customers) {
		diffs = append(diffs, fmt.Sprintf("%d product and %d customer rows, want %d and %d", len(got.Products), len(got.Customers), len(products), len(customers)))
	}
	if len(diffs) > 0 {
		c.Mismatch = strings.Join(diffs[:min(len(diffs), 5)], "; ")
	}
	c.Exact = len(diffs) == 0 && c.Units == c.Placed
	levels, err := ob.orders.Levels(ctx, benchMerchant, preOrderRefs)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.StockUntouched = len(levels) == len(preOrderRefs)
	for _, ls := range levels {
		for _, l := range ls {
			c.StockUntouched = c.StockUntouched && l.SiteOrders == 0 && l.Available() == preOrderStock
		}
	}
	return c
}

// rawPuts runs n PutItems of new items (prefix#i) on workers goroutines.
func (ob *ordersBench) rawPuts(ctx context.Context, workers, n int, prefix string) LatencyStats {
	s := load(ctx, workers, n, *preOrderDuration, func(ctx context.Context, i int) outcome {
		c := &sdkCounters{}
		ctx = context.WithValue(context.WithoutCancel(ctx), sdkCountersKey{}, c)
		_, err := ob.tbl.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(ob.tbl.Name), ConditionExpression: aws.String("attribute_not_exists(PK)"),
			Item: map[string]types.AttributeValue{
				dynamo.AttrPK: &types.AttributeValueMemberS{Value: fmt.Sprintf("%s#%d", prefix, i)},
				dynamo.AttrSK: &types.AttributeValueMemberS{Value: "ORDER"},
				"Units":       &types.AttributeValueMemberN{Value: "1"},
			},
		})
		return outcome{calls: int(c.ops.Load()), retries: int(c.attempts.Load() - c.ops.Load()), ops: c.signature(), err: err}
	})
	st := latencyStats(s, "Raw PutItem of a new item ("+prefix+")", "PutItem", workers)
	st.Lines = "–"
	return st
}

// rawPreOrderTransactions runs n TransactWriteItems of a pre-order's
// shape: the Put of a new item, and ADD Units, Lines on a product total
// and on a customer total of shard i mod 16.
func (ob *ordersBench) rawPreOrderTransactions(ctx context.Context, workers, n int) LatencyStats {
	add := func(pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(ob.tbl.Name), Key: rawKey(pk, sk),
			UpdateExpression:          aws.String("ADD #u :u, #l :one"),
			ExpressionAttributeNames:  map[string]string{"#u": "Units", "#l": "Lines"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberN{Value: "3"}, ":one": &types.AttributeValueMemberN{Value: "1"}},
		}}
	}
	s := load(ctx, workers, n, *preOrderDuration, func(ctx context.Context, i int) outcome {
		c := &sdkCounters{}
		ctx = context.WithValue(context.WithoutCancel(ctx), sdkCountersKey{}, c)
		shard := fmt.Sprintf("BENCH#PRETX#%02d", i%order.TotalsShards)
		_, err := ob.tbl.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName: aws.String(ob.tbl.Name), ConditionExpression: aws.String("attribute_not_exists(PK)"),
				Item: map[string]types.AttributeValue{
					dynamo.AttrPK: &types.AttributeValueMemberS{Value: fmt.Sprintf("BENCH#PRETXORDER#%d", i)},
					dynamo.AttrSK: &types.AttributeValueMemberS{Value: "ORDER"},
					"Units":       &types.AttributeValueMemberN{Value: "3"},
				},
			}},
			add(shard, "REF#"+preOrderRefs[i%len(preOrderRefs)]),
			add(shard, fmt.Sprintf("C#C%02d#%s", i%preOrderCustomers, preOrderRefs[i%len(preOrderRefs)])),
		}})
		return outcome{calls: int(c.ops.Load()), retries: int(c.attempts.Load() - c.ops.Load()), ops: c.signature(), err: err}
	})
	st := latencyStats(s, "Raw transaction of a pre-order's shape: Put of a new item + ADD on a product and a customer total of one of 16 shards", "TransactWriteItems (3 items)", workers)
	st.Lines = "–"
	return st
}

// preOrdersTargets are the pre-order promises: totals exact right after
// the burst, no stock taken, and every answer a pre-order or a retryable
// refusal.
func preOrdersTargets(r *PreOrdersReport) []Target {
	t := r.Totals
	exact := Target{
		Name: "Pre-order totals exact right after the burst",
		Goal: "every product's and customer's total = the sum of the pre-orders placed, read at once; no stock taken",
		Measured: fmt.Sprintf("%d units in the totals, %d placed (%d pre-orders), read in %s ms with %d round trips %.2f s after the burst; stock untouched: %v",
			t.Units, t.Placed, r.Burst.Count, f2(t.ReadMS), t.RoundTrips, t.SecondsAfterBurst, t.StockUntouched),
		Met: t.Exact && t.StockUntouched && t.Error == "" && r.Burst.Count > 0,
	}
	if t.Mismatch != "" || t.Error != "" {
		exact.Measured += "; " + t.Mismatch + t.Error
	}
	answers := Target{Name: "Pre-order burst answers", Goal: "201, or a retryable 503/429 with Retry-After; never a 500", Met: r.Burst.Count > 0}
	var parts []string
	for status, n := range r.Statuses {
		parts = append(parts, fmt.Sprintf("%s: %d", status, n))
		if status != "201" && !strings.Contains(status, "Retry-After") {
			answers.Met = false
		}
	}
	slices.Sort(parts)
	answers.Measured = fmt.Sprintf("%s; %.0f pre-orders/s accepted with %d buyers at once = %.2f× raw PutItem", strings.Join(parts, ", "), r.Accepted, r.Workers, r.Ratio)
	return []Target{exact, answers}
}

// preOrdersMarkdown renders the pre-order burst.
func (r *Report) preOrdersMarkdown(p func(format string, args ...any)) {
	po := r.PreOrders
	p("")
	p("## Pre-orders: a season's burst and its exact totals")
	p("")
	p("A fresh table of its own on DynamoDB Local (%s) holds a season of %d products taken on pre-order (open today), %d customers "+
		"and their stock in %s, written in %.1f s. %d buyers of those customers each have their own cart of 1 or 2 of the "+
		"products, 1 to 6 units each, filled beforehand with `dynamo.Carts` in %.1f s; then they check out, %d at once, through "+
		"the local runner's gateway (`wiring.CheckoutAPI`, a card payment, an `Idempotency-Key` each). Every answer must be a 201 "+
		"pre-order of the season holding the cart's lines, none of them allocated. Each pre-order adds its units to one of the "+
		"season's %d total shards in its own transaction, so the totals are read right after the burst, with no worker to wait for.",
		po.Endpoint, po.Products, po.Customers, mainWarehouse, po.LoadSeconds, po.Buyers, po.CartFillSeconds, po.Workers, po.Shards)
	p("")
	p("| Measure | Writers | Count | Errors | Round trips min / median / max | DynamoDB operations | SDK retries | p50 ms | p95 ms | p99 ms | per second | × raw PutItem |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	rows := []LatencyStats{po.RawPut, po.RawTransaction, po.Burst, po.RawPutAfter}
	for _, e := range rows {
		p("| %s | %d | %d | %d | %s | %s | %d | %s | %s | %s | %.0f | %.2f |", e.Name, e.Workers, e.Count, e.Errors, roundTrips(e.EndpointStats),
			e.Operations, e.Retries, latency(e, "p50"), latency(e, "p95"), latency(e, "p99"), e.Throughput, ratio(e.Throughput, po.Ceiling))
	}
	firstErrors(p, rows)
	var st []string
	for k, n := range po.Statuses {
		st = append(st, fmt.Sprintf("%s: %d", k, n))
	}
	slices.Sort(st)
	p("")
	p("Answers of the burst: %s.", strings.Join(st, ", "))
	p("")
	t := po.Totals
	p("**%.0f pre-orders per second accepted** (p50 %s ms, p95 %s ms, p99 %s ms) = %.2f× the raw PutItem ceiling of %.0f new items per second "+
		"with as many writers. The season's totals read right after the burst (`order.PreOrderBook.Totals`: %d round trips, one "+
		"Query per shard in parallel, %s ms): %d units for %d placed; exact: **%v**; stock untouched: **%v**.",
		po.Accepted, latency(po.Burst, "p50"), latency(po.Burst, "p95"), latency(po.Burst, "p99"), po.Ratio, po.Ceiling,
		t.RoundTrips, f2(t.ReadMS), t.Units, t.Placed, t.Exact, t.StockUntouched)
	if t.Mismatch != "" || t.Error != "" {
		p("")
		p("Totals: `%s%s`", t.Mismatch, t.Error)
	}
	if it := po.Items; it != nil {
		p("")
		if it.Error != "" {
			p("Items of pre-order %s: `%s`", it.Order, it.Error)
		} else {
			p("What pre-order %s wrote, in bytes as DynamoDB counts them: the order %d (and %d index entries of the same size), "+
				"the idempotency record %d, the cart %d, the product total %d, the customer total %d, the season's index item %d. "+
				"On DynamoDB a one-product pre-order therefore costs about **%d write request units** (2 per started KB of an item "+
				"written in a transaction, 1 per started KB of an index entry).",
				it.Order, it.OrderBytes, it.Indexes, it.Idempotency, it.Cart, it.ProductTotal, it.CustomerTotal, it.SeasonIndex, it.WRU)
		}
	}
	p("")
	p("A pre-order checkout costs the round trips of any checkout (the cart, the idempotency claim, the quote's reads) but " +
		"reads no stock level and takes none; its one transaction holds the order, the idempotency record, the cart, and per " +
		"product an ADD on the product's total and on the customer's total in the order's shard, and the season's index item. " +
		"DynamoDB Local has no partition limits: what this measures is the function's cost around its writes on one machine, " +
		"not DynamoDB's ceiling (see docs/architecture.md, \"50,000 pre-orders in 10 minutes\").")
}

// preOrderItems reads the items pre-order p wrote and measures them.
func (ob *ordersBench) preOrderItems(ctx context.Context, p placedPreOrder) *PreOrderItems {
	r := &PreOrderItems{Order: p.id, Indexes: 2}
	get := func(pk, sk string) (int, error) {
		out, err := ob.tbl.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(ob.tbl.Name), Key: rawKey(pk, sk), ConsistentRead: aws.Bool(true)})
		if err == nil && out.Item == nil {
			err = fmt.Errorf("no item %s / %s", pk, sk)
		}
		if err != nil {
			return 0, err
		}
		return itemBytes(out.Item), nil
	}
	m := "M#" + string(benchMerchant)
	ref := ""
	for k := range p.units {
		ref = k
	}
	var err error
	if r.OrderBytes, err = get(m+"#ORDER#"+p.id, "ORDER"); err != nil {
		r.Error = err.Error()
		return r
	}
	// The shard is not in the order view: find the pre-order's own items.
	for n := range order.TotalsShards {
		pk := fmt.Sprintf("%s#PRE#%s#%02d", m, preOrderSeason, n)
		if size, err := get(pk, "O#"+p.id); err == nil {
			r.SeasonIndex = size
			r.ProductTotal, _ = get(pk, "REF#"+ref)
			r.CustomerTotal, _ = get(pk, "C#"+p.customer+"#"+ref)
			break
		}
	}
	r.Idempotency, _ = get(m+"#IDEM#"+p.customer+"#"+p.key, "IDEM")
	r.Cart, _ = get(m+"#C#"+p.customer, "CART#"+p.owner)
	kb := func(n int) int { return max(1, (n+1023)/1024) }
	r.WRU = 2*(kb(r.OrderBytes)+kb(r.Idempotency)+kb(r.Cart)+kb(r.ProductTotal)+kb(r.CustomerTotal)+kb(r.SeasonIndex)) + r.Indexes*kb(r.OrderBytes)
	return r
}

// itemBytes is an item's size as DynamoDB counts it: the names and values
// of its attributes (numbers at about one byte per two digits, plus one).
func itemBytes(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueBytes(v)
	}
	return n
}

func valueBytes(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(v.Value, "-0"))+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		n := 3
		for k, x := range v.Value {
			n += len(k) + valueBytes(x) + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, x := range v.Value {
			n += valueBytes(x) + 1
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, x := range v.Value {
			n += len(x)
		}
		return n
	}
	return 0
}
