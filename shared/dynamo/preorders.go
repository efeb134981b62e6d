package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/stock"
)

// A season's pre-orders (keys in keys.go, "Pre-orders"): Place adds each
// pre-order to the totals of its shard and lists it there (O#<id>);
// Totals sums the shards, Convert turns the listed pre-orders into
// ordinary orders with their stock.

// Attributes of a converted pre-order (the totals' are in orders.go).
const (
	// AttrPreOrderConverted is the instant (RFC3339Nano, UTC) a pre-order
	// was converted, on its order item and on its O#<id> item, both set in
	// the conversion's transaction: a write that must not follow a
	// conversion (a conversion, a cancellation of a pre-order read as not
	// converted) conditions on its absence.
	AttrPreOrderConverted = "Converted"
)

// Bounds of a conversion.
const (
	// convertStaleTries is how many times a conversion reads the stock
	// levels again and allocates again when another order took the
	// stock first.
	convertStaleTries = 5
	// convertHead is the actions of a conversion besides stock takes:
	// the order's update and its index item's.
	convertHead = 2
	// convertMargin is the time before the request's deadline after which
	// a conversion starts no other pre-order: it answers what it did, and
	// the next call goes on.
	convertMargin = 2 * time.Second
)

var _ order.PreOrderBook = (*Orders)(nil)

// Totals sums a season's totals over its order.TotalsShards shards (see
// order.PreOrderBook): per shard, one Query of its product totals (SK
// REF#…) and one of its customer totals (SK C#…), strongly consistent and
// followed page after page; the 32 Queries run at once, so that the read
// costs one Query's latency and never reads the pre-orders' own O# items,
// whose number grows with the burst. Rows at 0 units (every pre-order
// cancelled) are left out; products come by reference, customers by
// customer then reference.
func (o *Orders) Totals(ctx context.Context, m merchant.ID, season string) (order.SeasonTotals, error) {
	prefixes := []string{skPreOrderProduct, skPreOrderCustomer}
	pages := make([][]map[string]types.AttributeValue, order.TotalsShards*len(prefixes))
	g, gtx := errgroup.WithContext(ctx)
	for n := range order.TotalsShards {
		pk, err := preOrderShardPK(m, season, n)
		if err != nil {
			return order.SeasonTotals{}, err
		}
		for j, prefix := range prefixes {
			g.Go(func() error {
				items, err := o.Table.query(gtx, pk, &dynamodb.QueryInput{
					TableName:                aws.String(o.Table.Name),
					ConsistentRead:           aws.Bool(true),
					KeyConditionExpression:   aws.String("PK = :pk AND begins_with(SK, :sk)"),
					ProjectionExpression:     aws.String("SK, #u, #l"),
					ExpressionAttributeNames: map[string]string{"#u": AttrPreOrderUnits, "#l": AttrPreOrderLines},
					ExpressionAttributeValues: map[string]types.AttributeValue{
						":pk": &types.AttributeValueMemberS{Value: pk},
						":sk": &types.AttributeValueMemberS{Value: prefix},
					},
				})
				pages[n*len(prefixes)+j] = items
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return order.SeasonTotals{}, fmt.Errorf("pre-order totals of %s: %w", season, err)
	}
	products := map[string]*order.ProductTotal{}
	customers := map[[2]string]*order.CustomerTotal{}
	for _, items := range pages {
		for _, av := range items {
			units, err := number[int64](av, AttrPreOrderUnits)
			if err != nil {
				return order.SeasonTotals{}, err
			}
			lines, err := number[int64](av, AttrPreOrderLines)
			if err != nil {
				return order.SeasonTotals{}, err
			}
			sk := str(av, AttrSK)
			if ref, ok := strings.CutPrefix(sk, skPreOrderProduct); ok {
				p := products[ref]
				if p == nil {
					p = &order.ProductTotal{Ref: ref}
					products[ref] = p
				}
				p.Units += units
				p.Lines += lines
				continue
			}
			rest, _ := strings.CutPrefix(sk, skPreOrderCustomer)
			customer, ref, ok := strings.Cut(rest, "#")
			if !ok {
				return order.SeasonTotals{}, fmt.Errorf("pre-order totals of %s: customer total %q has no product", season, sk)
			}
			k := [2]string{customer, ref}
			c := customers[k]
			if c == nil {
				c = &order.CustomerTotal{Customer: customer, Ref: ref}
				customers[k] = c
			}
			c.Units += units
			c.Lines += lines
		}
	}
	out := order.SeasonTotals{Season: season, Products: []order.ProductTotal{}, Customers: []order.CustomerTotal{}}
	for _, p := range products {
		if p.Units != 0 {
			out.Products = append(out.Products, *p)
			out.Units += p.Units
		}
	}
	for _, c := range customers {
		if c.Units != 0 {
			out.Customers = append(out.Customers, *c)
		}
	}
	slices.SortFunc(out.Products, func(a, b order.ProductTotal) int { return cmp.Compare(a.Ref, b.Ref) })
	slices.SortFunc(out.Customers, func(a, b order.CustomerTotal) int {
		return cmp.Or(cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Ref, b.Ref))
	})
	return out, nil
}

// listedPreOrder is a pre-order listed in a shard of its season.
type listedPreOrder struct {
	id    string
	shard int
}

// unconverted lists a season's pre-orders not converted yet, by order
// number (the day they were placed first): one Query per shard (SK O#…,
// without Converted), the 16 at once, page after page.
func (o *Orders) unconverted(ctx context.Context, m merchant.ID, season string) ([]listedPreOrder, error) {
	shards := make([][]listedPreOrder, order.TotalsShards)
	g, gtx := errgroup.WithContext(ctx)
	for n := range order.TotalsShards {
		pk, err := preOrderShardPK(m, season, n)
		if err != nil {
			return nil, err
		}
		g.Go(func() error {
			items, err := o.Table.query(gtx, pk, &dynamodb.QueryInput{
				TableName:                aws.String(o.Table.Name),
				ConsistentRead:           aws.Bool(true),
				KeyConditionExpression:   aws.String("PK = :pk AND begins_with(SK, :sk)"),
				FilterExpression:         aws.String("attribute_not_exists(#cv)"),
				ProjectionExpression:     aws.String("SK"),
				ExpressionAttributeNames: map[string]string{"#cv": AttrPreOrderConverted},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":pk": &types.AttributeValueMemberS{Value: pk},
					":sk": &types.AttributeValueMemberS{Value: skPreOrderOrder},
				},
			})
			for _, av := range items {
				shards[n] = append(shards[n], listedPreOrder{id: strings.TrimPrefix(str(av, AttrSK), skPreOrderOrder), shard: n})
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("pre-orders of %s: %w", season, err)
	}
	out := slices.Concat(shards...)
	slices.SortFunc(out, func(a, b listedPreOrder) int { return cmp.Compare(a.id, b.id) })
	return out, nil
}

// Convert turns up to limit of a season's pre-orders into ordinary orders
// (see order.PreOrderBook), oldest order numbers first: limit ≤ 0 is
// order.ConvertDefault, at most order.ConvertMax. It lists the
// unconverted pre-orders (16 Queries at once), then for each: 1
// consistent GetItem of the order; a cancelled or converted one is
// skipped; its lines are allocated with order.Allocate, every product
// allowing backorders, as the checkout serves an order: the customer's
// preferred warehouse first (its account read once per call, 1 GetItem),
// then those of prefer (the storefront's), then the others, from the
// levels this call holds (read with Levels, 1 BatchGetItem, the first
// time a product comes up, then kept up to date with what this call
// took); then 1 TransactWriteItems: the order (Doc with its allocations,
// backorders and PreOrder.ConvertedAt/By; Converted) on the condition
// that its status is the one read and that it is not converted, Converted
// on its O#<id> item on the condition that the item exists and is not
// converted, and one take per product and warehouse on the condition that
// the units are available (Place's). A take that fails reads the order's
// levels again and allocates again (up to 5 times); a conflict is retried
// with jitter; either way too often is order.ErrBusy. Round trips per
// pre-order: 2, plus 1 for a customer and 1 for products the call meets
// first. Concurrent conversions of a season convert each pre-order once
// between them, and no unit is taken twice. The totals do not change. A
// call whose context ends within 2 s starts no other pre-order: it
// answers what it converted, Remaining counting the rest.
func (o *Orders) Convert(ctx context.Context, m merchant.ID, season string, prefer []string, limit int, by order.PlacedBy, at time.Time) (order.ConvertResult, error) {
	switch {
	case limit <= 0:
		limit = order.ConvertDefault
	case limit > order.ConvertMax:
		limit = order.ConvertMax
	}
	res := order.ConvertResult{Converted: []string{}}
	listed, err := o.unconverted(ctx, m, season)
	if err != nil {
		return res, err
	}
	c := &conversion{orders: o, m: m, season: season, prefer: prefer, by: by, at: at.UTC(), levels: map[string][]stock.Level{}, preferred: map[string]string{}}
	i := 0
	deadline, bounded := ctx.Deadline()
	for ; i < len(listed) && len(res.Converted) < limit; i++ {
		if bounded && time.Until(deadline) < convertMargin {
			break
		}
		ord, done, err := c.convert(ctx, listed[i])
		if err != nil {
			res.Remaining = len(listed) - i
			return res, err
		}
		if done {
			res.Converted = append(res.Converted, ord.ID)
			for _, l := range ord.Lines {
				res.Backordered += l.Backordered
			}
		}
	}
	res.Remaining = len(listed) - i
	return res, nil
}

// conversion is one Convert call: what it converts with, and the stock
// levels it read, less what it took since.
type conversion struct {
	orders *Orders
	m      merchant.ID
	season string
	prefer []string
	by     order.PlacedBy
	at     time.Time
	// levels are by product; a product read with no level has an entry
	// (nil).
	levels map[string][]stock.Level
	// preferred are the customers' preferred warehouses ("" for none), by
	// customer.
	preferred map[string]string
}

// preferFor is the warehouses to serve customer's pre-orders from first:
// the customer's preferred warehouse, then the conversion's (the
// storefront's), as the checkout serves an order. A customer's account is
// read once per conversion (1 GetItem); an unknown one prefers none.
func (c *conversion) preferFor(ctx context.Context, customerID string) ([]string, error) {
	w, ok := c.preferred[customerID]
	if !ok {
		cu, err := (&Customers{Table: c.orders.Table}).Customer(ctx, c.m, customerID)
		if err != nil && !errors.Is(err, customer.ErrUnknown) {
			return nil, err
		}
		w = cu.PreferredWarehouse
		c.preferred[customerID] = w
	}
	prefer := make([]string, 0, len(c.prefer)+1)
	for _, id := range append([]string{w}, c.prefer...) {
		if id != "" && !slices.Contains(prefer, id) {
			prefer = append(prefer, id)
		}
	}
	return prefer, nil
}

// readLevels reads the levels of refs: all of them when fresh, else the
// ones this conversion has not read yet.
func (c *conversion) readLevels(ctx context.Context, refs []string, fresh bool) error {
	var want []string
	for _, r := range refs {
		if _, ok := c.levels[r]; fresh || !ok {
			want = append(want, r)
		}
	}
	if len(want) == 0 {
		return nil
	}
	got, err := c.orders.Levels(ctx, c.m, want)
	if err != nil {
		return err
	}
	for _, r := range want {
		c.levels[r] = got[r]
	}
	return nil
}

// took counts takes in the levels held: they are site orders now.
func (c *conversion) took(takes []take) {
	for _, t := range takes {
		for i := range c.levels[t.Ref] {
			if l := &c.levels[t.Ref][i]; l.Warehouse == t.Warehouse {
				l.SiteOrders += t.Units
			}
		}
	}
}

// convert converts one listed pre-order; done is false when it was not
// to convert (cancelled, converted already, or no longer listed).
func (c *conversion) convert(ctx context.Context, p listedPreOrder) (_ order.Order, done bool, _ error) {
	o := c.orders
	table := aws.String(o.Table.Name)
	opk, osk, err := orderKey(c.m, p.id)
	if err != nil {
		return order.Order{}, false, err
	}
	ipk, isk, err := preOrderOrderKey(c.m, c.season, p.shard, p.id)
	if err != nil {
		return order.Order{}, false, err
	}
	converted := &types.AttributeValueMemberS{Value: c.at.Format(time.RFC3339Nano)}
	unsure, stale := false, 0
	for attempt := 0; ; attempt++ {
		ord, av, err := o.readOrder(ctx, c.m, p.id)
		if errors.Is(err, order.ErrNotFound) {
			return order.Order{}, false, nil
		}
		if err != nil {
			return order.Order{}, false, err
		}
		if ord.Kind != order.PreOrderKind || ord.PreOrder == nil || ord.PreOrder.Season != c.season {
			return order.Order{}, false, nil
		}
		if _, ok := av[AttrPreOrderConverted]; ok || ord.PreOrder.ConvertedAt != nil {
			// Converted: by an attempt of this call whose answer was lost,
			// or by another conversion.
			mine := unsure && ord.PreOrder.ConvertedAt != nil && ord.PreOrder.ConvertedAt.Equal(c.at) &&
				ord.PreOrder.ConvertedBy != nil && *ord.PreOrder.ConvertedBy == c.by
			return ord, mine, nil
		}
		if ord.Status != order.AwaitingPayment && ord.Status != order.Accepted && ord.Status != order.Paid {
			return order.Order{}, false, nil
		}
		requests := make([]order.Request, len(ord.Lines))
		products := map[string]order.Product{}
		var refs []string
		for i, l := range ord.Lines {
			requests[i] = order.Request{Ref: l.Ref, Units: l.Units}
			if _, ok := products[l.Ref]; !ok {
				// A pre-order is served as far as stock goes, the rest
				// backordered, whatever the product's own setting.
				products[l.Ref] = order.Product{Ref: l.Ref, Backorder: true}
				refs = append(refs, l.Ref)
			}
		}
		if err := c.readLevels(ctx, refs, false); err != nil {
			return order.Order{}, false, err
		}
		prefer, err := c.preferFor(ctx, ord.Customer)
		if err != nil {
			return order.Order{}, false, err
		}
		served, err := order.Allocate(requests, c.levels, products, prefer)
		if err != nil {
			return order.Order{}, false, fmt.Errorf("convert pre-order %s: %w", p.id, err)
		}
		for i, s := range served {
			ord.Lines[i].Allocations, ord.Lines[i].Backordered = s.Allocations, s.Backordered
		}
		when, who := c.at, c.by
		ord.PreOrder.ConvertedAt, ord.PreOrder.ConvertedBy = &when, &who
		doc, err := item{Doc: ord}.attributes()
		if err != nil {
			return order.Order{}, false, err
		}
		if s, _ := doc[AttrDoc].(*types.AttributeValueMemberS); s != nil && len(s.Value) > maxOrderDoc {
			return order.Order{}, false, fmt.Errorf("convert pre-order %s: %d bytes: %w", p.id, len(s.Value), order.ErrTooLarge)
		}
		takes := takesOf(ord)
		if convertHead+len(takes) > maxTransactItems {
			return order.Order{}, false, fmt.Errorf("convert pre-order %s: %d stock takes: %w", p.id, len(takes), order.ErrTooLarge)
		}
		items := []types.TransactWriteItem{
			{Update: &types.Update{
				TableName: table, Key: key(opk, osk),
				UpdateExpression:         aws.String("SET #doc = :doc, #cv = :cv"),
				ConditionExpression:      aws.String("#st = :was AND attribute_not_exists(#cv)"),
				ExpressionAttributeNames: map[string]string{"#doc": AttrDoc, "#cv": AttrPreOrderConverted, "#st": AttrStatus},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":doc": doc[AttrDoc],
					":cv":  converted,
					":was": &types.AttributeValueMemberS{Value: string(ord.Status)},
				},
			}},
			{Update: &types.Update{
				TableName: table, Key: key(ipk, isk),
				UpdateExpression:          aws.String("SET #cv = :cv"),
				ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(#cv)"),
				ExpressionAttributeNames:  map[string]string{"#cv": AttrPreOrderConverted},
				ExpressionAttributeValues: map[string]types.AttributeValue{":cv": converted},
			}},
		}
		for _, t := range takes {
			u, err := o.takeUpdate(c.m, t, false)
			if err != nil {
				return order.Order{}, false, err
			}
			items = append(items, types.TransactWriteItem{Update: u})
		}
		_, err = o.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			c.took(takes)
			return ord, true, nil
		}
		var tce *types.TransactionCanceledException
		var ise *types.InternalServerError
		switch {
		case retryable(err):
			unsure = unsure || errors.As(err, &ise)
		case errors.As(err, &tce):
			reason := func(i int) string {
				if i < len(tce.CancellationReasons) {
					return aws.ToString(tce.CancellationReasons[i].Code)
				}
				return ""
			}
			var staleRefs []string
			for i, t := range takes {
				if reason(convertHead+i) == "ConditionalCheckFailed" && !slices.Contains(staleRefs, t.Ref) {
					staleRefs = append(staleRefs, t.Ref)
				}
			}
			switch {
			case reason(0) == "ConditionalCheckFailed":
				// The order changed (cancelled, paid, converted): read it
				// again.
			case reason(1) == "ConditionalCheckFailed":
				// No longer listed, or listed as converted: its
				// cancellation or its conversion came first.
				return order.Order{}, false, nil
			case len(staleRefs) > 0:
				if stale++; stale > convertStaleTries {
					return order.Order{}, false, fmt.Errorf("convert pre-order %s: the stock kept changing: %w", p.id, order.ErrBusy)
				}
				if err := c.readLevels(ctx, staleRefs, true); err != nil {
					return order.Order{}, false, err
				}
				continue
			case slices.ContainsFunc(tce.CancellationReasons, func(r types.CancellationReason) bool {
				code := aws.ToString(r.Code)
				return code != "" && code != "None" && code != "TransactionConflict" && code != "ThrottlingError" &&
					code != "ProvisionedThroughputExceeded" && code != "RequestLimitExceeded"
			}):
				return order.Order{}, false, fmt.Errorf("convert pre-order %s: %w", p.id, err)
			}
		default:
			return order.Order{}, false, fmt.Errorf("convert pre-order %s: %w", p.id, err)
		}
		if attempt+1 >= placeAttempts+convertStaleTries {
			return order.Order{}, false, fmt.Errorf("convert pre-order %s: %d attempts: %w", p.id, attempt+1, order.ErrBusy)
		}
		if err := jitter(ctx, min(attempt, placeAttempts-1)); err != nil {
			return order.Order{}, false, err
		}
	}
}
