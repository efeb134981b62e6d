package dynamo

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
)

// Orders in the table:
//
//	order        PK=M#<m>#ORDER#<id>       SK=ORDER    Type=ORDER, Doc=order.Order, Status, Customer, PlacedAt
//	                                                    GSI1PK=M#<m>#C#<customer>#ORDERS  GSI1SK=<placedAt UTC, fixed width>#<id>
//	                                                    GSI2PK=M#<m>#ORDERS#<yyyy-mm>     GSI2SK=GSI1SK
//	export mark  PK=M#<m>#ORDER#<id>       SK=EXPORT
//	stock hold   PK=M#<m>#ORDER#<id>       SK=HOLD#<n> Type=HOLD (holding), HOLD-CONSUMED (its order was
//	                                                    written), HOLD-RETURNED (given back); Doc=the chunk's
//	                                                    takes, ExpiresAt (15 min)
//	credit       PK=M#<m>#C#<customer>     SK=CREDIT   Outstanding (N), Currency
//	idempotency  PK=M#<m>#IDEM#<c>#<key>   SK=IDEM     (idempotency.go)
//
// Pre-orders (order.PreOrderKind) are orders as above, and each adds to
// its season's totals in the shard n it drew (0 to order.TotalsShards-1):
//
//	product total   PK=M#<m>#PRE#<season>#<nn>  SK=REF#<ref>              Type=PRE-ORDER-TOTAL, Ref, Units (N), Lines (N)
//	customer total  PK=M#<m>#PRE#<season>#<nn>  SK=C#<customer>#<ref>     Type=PRE-ORDER-TOTAL, Customer, Ref, Units, Lines
//	season index    PK=M#<m>#PRE#<season>#<nn>  SK=O#<order id>           Type=PRE-ORDER, Customer, Units (Converted once converted)
//	capped count    PK=M#<m>#PRE#<season>#CAP   SK=REF#<ref>              Type=PRE-ORDER-CAP, Units (N), Cap (N)
//
// Place writes an order in one TransactWriteItems when its actions fit
// (order, idempotency record, cart, credit and one update per warehouse
// level it takes from: at most 100); a larger order takes its stock chunk
// by chunk under holds first (see placeWithHolds).

// Attributes of orders, holds and credit.
const (
	AttrCustomer    = "Customer"
	AttrPlacedAt    = "PlacedAt"
	AttrOutstanding = "Outstanding"
	AttrCurrency    = "Currency"
	// AttrReturned counts the chunks of a cancelled order's allocations
	// given back to stock, so that a cancellation that stopped half way
	// resumes where it stopped.
	AttrReturned = "Returned"
	// AttrGivenBack marks a hold whose stock went back (its order was not
	// placed): the stream must not give it back again when it expires.
	AttrGivenBack = "GivenBack"
	// AttrCredited is the amount an order added to its customer's
	// outstanding, which its cancellation takes off.
	AttrCredited = "Credited"
	// AttrPreOrderUnits and AttrPreOrderLines are the units and the lines
	// a pre-order total counts; AttrPreOrderUnits is also a capped count's
	// units and a season index item's.
	AttrPreOrderUnits = "Units"
	AttrPreOrderLines = "Lines"
	// AttrPreOrderCap is the cap a capped count was last written with.
	AttrPreOrderCap = "Cap"
)

// Item types of orders.
const (
	typeOrder      = "ORDER"
	typeHold       = "HOLD"
	typeHoldReturn = "HOLD-RETURNED"
	// typeHoldUsed is a hold its order consumed: the order's transaction
	// retyped it, so that its expiry gives nothing back.
	typeHoldUsed = "HOLD-CONSUMED"
	typeCredit   = "CREDIT"
	// Pre-order items: a total of a shard, a season index item, a capped
	// count.
	typePreOrderTotal = "PRE-ORDER-TOTAL"
	typePreOrderIndex = "PRE-ORDER"
	typePreOrderCap   = "PRE-ORDER-CAP"
)

// maxOrderDoc is the largest order document stored: an item holds at most
// 400 KB, and the order's index keys and attributes need some room (both
// indexes project every attribute, so the same bound holds there).
const maxOrderDoc = 350 * 1024

// Retries of a transaction that conflicts with others: full jitter from
// placeBase, capped at placeCap, placeAttempts in all.
const (
	placeBase     = 20 * time.Millisecond
	placeCap      = time.Second
	placeAttempts = 8
	// holdLifetime is how long a hold keeps its stock when its checkout
	// dies before the order is written.
	holdLifetime = 15 * time.Minute
	// chunkTakes is the most stock takes of one hold transaction (plus
	// the hold's Put).
	chunkTakes = maxTransactItems - 1
)

// Orders stores placed orders, the stock they take, the customers'
// outstanding on account and the checkouts' idempotency records. It
// implements order.Store, order.History, order.IdempotencyStore and
// order.StockReader.
type Orders struct {
	Table Table
	// Now stamps holds and idempotency records; time.Now when nil.
	Now func() time.Time
	// WarehousesTTL is how long a merchant's warehouses are kept in
	// memory; 0 reads them every time.
	WarehousesTTL time.Duration

	warehouses ttlCache[merchant.ID, []stock.Warehouse]
}

var (
	_ order.Store            = (*Orders)(nil)
	_ order.History          = (*Orders)(nil)
	_ order.IdempotencyStore = (*Orders)(nil)
	_ order.StockReader      = (*Orders)(nil)
)

func (o *Orders) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// jitter sleeps before retry number attempt (from 0): full jitter,
// exponential from placeBase, capped at placeCap.
func jitter(ctx context.Context, attempt int) error {
	limit := min(placeBase<<attempt, placeCap)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(limit)) + 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// take is units taken from (or given back to) one warehouse's level of a
// product.
type take struct {
	Ref       string `json:"ref"`
	Warehouse string `json:"warehouse"`
	Units     int64  `json:"units"`
}

// takesOf merges an order's allocations per product and warehouse, in
// reference then warehouse order.
func takesOf(o order.Order) []take {
	idx := map[[2]string]int{}
	var out []take
	for _, l := range o.Lines {
		for _, a := range l.Allocations {
			if a.Units <= 0 {
				continue
			}
			k := [2]string{l.Ref, a.Warehouse}
			if i, ok := idx[k]; ok {
				out[i].Units += a.Units
				continue
			}
			idx[k] = len(out)
			out = append(out, take{Ref: l.Ref, Warehouse: a.Warehouse, Units: a.Units})
		}
	}
	slices.SortFunc(out, func(a, b take) int {
		return cmp.Or(cmp.Compare(a.Ref, b.Ref), cmp.Compare(a.Warehouse, b.Warehouse))
	})
	return out
}

// takeUpdate takes t's units from its level on the condition that they
// are available; giveBack gives them back.
func (o *Orders) takeUpdate(m merchant.ID, t take, giveBack bool) (*types.Update, error) {
	pk, sk, err := stockLevelKey(m, t.Ref, t.Warehouse)
	if err != nil {
		return nil, err
	}
	u := &types.Update{
		TableName:                aws.String(o.Table.Name),
		Key:                      key(pk, sk),
		ExpressionAttributeNames: map[string]string{"#a": AttrAvailable, "#s": AttrSiteOrders},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":u": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Units, 10)},
		},
	}
	if giveBack {
		u.UpdateExpression = aws.String("SET #a = #a + :u, #s = #s - :u")
		u.ConditionExpression = aws.String("attribute_exists(#a) AND attribute_exists(#s)")
	} else {
		u.UpdateExpression = aws.String("SET #a = #a - :u, #s = #s + :u")
		u.ConditionExpression = aws.String("#a >= :u")
	}
	return u, nil
}

// orderAttributes is the stored order item with its index keys.
func orderAttributes(m merchant.ID, ord order.Order) (map[string]types.AttributeValue, error) {
	pk, sk, err := orderKey(m, ord.ID)
	if err != nil {
		return nil, err
	}
	g1, err := customerOrdersPK(m, ord.Customer)
	if err != nil {
		return nil, err
	}
	g2, err := monthOrdersPK(m, ord.PlacedAt)
	if err != nil {
		return nil, err
	}
	sortKey := orderSortKey(ord.PlacedAt, ord.ID)
	av, err := item{PK: pk, SK: sk, Type: typeOrder, Doc: ord, GSI1PK: g1, GSI1SK: sortKey}.attributes()
	if err != nil {
		return nil, err
	}
	av[AttrGSI2PK] = &types.AttributeValueMemberS{Value: g2}
	av[AttrGSI2SK] = &types.AttributeValueMemberS{Value: sortKey}
	av[AttrStatus] = &types.AttributeValueMemberS{Value: string(ord.Status)}
	av[AttrCustomer] = &types.AttributeValueMemberS{Value: ord.Customer}
	av[AttrPlacedAt] = &types.AttributeValueMemberS{Value: ord.PlacedAt.UTC().Format(time.RFC3339Nano)}
	return av, nil
}

// decodeOrder reads a stored order; its Status attribute is the truth.
func decodeOrder(av map[string]types.AttributeValue) (order.Order, error) {
	var ord order.Order
	if err := decodeDoc(av, &ord); err != nil {
		return order.Order{}, err
	}
	if s := str(av, AttrStatus); s != "" {
		ord.Status = order.Status(s)
	}
	return ord, nil
}

// actionKind says what a transaction's action is, to read why it failed.
type actionKind int

const (
	actOrder actionKind = iota
	actIdem
	actCart
	actCredit
	actStock
	actHold
	actNewHold
	// actPreOrder is a pre-order's total or index item (no condition),
	// actCap a capped count (condition: the cap holds).
	actPreOrder
	actCap
)

// action is one write of a transaction with what it is; a capped count's
// action keeps the units it adds and the cap.
type action struct {
	kind       actionKind
	ref        string
	units, cap int64
	item       types.TransactWriteItem
}

// finalActions are the order's writes besides stock: the order Put, the
// idempotency record completed, the cart emptied at its next version, the credit raised.
func (o *Orders) finalActions(ctx context.Context, p order.Placement) ([]action, error) {
	m, ord := p.Order.Merchant, p.Order
	table := aws.String(o.Table.Name)
	av, err := orderAttributes(m, ord)
	if err != nil {
		return nil, err
	}
	put := func(av map[string]types.AttributeValue) action {
		return action{kind: actOrder, item: types.TransactWriteItem{Put: &types.Put{
			TableName: table, Item: av,
			ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}}
	}
	acts := []action{put(av)}
	// The pre-orders placed with the order: their Puts follow its own.
	avs := []map[string]types.AttributeValue{av}
	for _, pre := range p.PreOrders {
		pav, err := orderAttributes(m, pre)
		if err != nil {
			return nil, err
		}
		acts, avs = append(acts, put(pav)), append(avs, pav)
	}
	if k := p.Idempotency; k != nil {
		pk, sk, err := idempotencyKey(m, k.Customer, k.Key)
		if err != nil {
			return nil, err
		}
		acts = append(acts, action{kind: actIdem, item: types.TransactWriteItem{Update: &types.Update{
			TableName: table, Key: key(pk, sk),
			UpdateExpression:         aws.String("SET #st = :done"),
			ConditionExpression:      aws.String("#st = :ip AND #oid = :id"),
			ExpressionAttributeNames: map[string]string{"#st": AttrStatus, "#oid": AttrOrderID},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":done": &types.AttributeValueMemberS{Value: idemCompleted},
				":ip":   &types.AttributeValueMemberS{Value: idemInProgress},
				":id":   &types.AttributeValueMemberS{Value: ord.ID},
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}})
	}
	if c := p.Cart; c.Owner != "" {
		pk, sk, err := cartKey(m, c.Customer, c.Owner)
		if err != nil {
			return nil, err
		}
		// The cart is emptied at the next version, not deleted, so that its
		// versions never restart (an old If-Match cannot match again); it
		// keeps its expiry.
		now := o.now()
		empty, err := json.Marshal(cart.Stored{
			Customer: c.Customer, Owner: cart.Owner(c.Owner), Lines: []cart.Line{},
			Version: c.Version + 1, UpdatedAt: now.UTC(),
		})
		if err != nil {
			return nil, err
		}
		up := &types.Update{
			TableName: table, Key: key(pk, sk),
			UpdateExpression:         aws.String("SET #ty = :cart, #doc = :doc, #v = :next, #e = if_not_exists(#e, :exp)"),
			ExpressionAttributeNames: map[string]string{"#v": AttrVersion, "#ty": AttrType, "#doc": AttrDoc, "#e": AttrExpires},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":cart": &types.AttributeValueMemberS{Value: typeCart},
				":doc":  &types.AttributeValueMemberS{Value: string(empty)},
				":next": &types.AttributeValueMemberN{Value: strconv.FormatInt(c.Version+1, 10)},
				":exp":  &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(cart.Lifetime).Unix(), 10)},
			},
		}
		if c.Version == 0 {
			up.ConditionExpression = aws.String("attribute_not_exists(#v)")
		} else {
			up.ConditionExpression = aws.String("#v = :v")
			up.ExpressionAttributeValues[":v"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(c.Version, 10)}
		}
		acts = append(acts, action{kind: actCart, item: types.TransactWriteItem{Update: up}})
	}
	if c := p.Credit; c != nil {
		// The credit covers every order of the placement; each order
		// records what it added, which its cancellation takes off.
		gross := placementGross(p)
		if c.Limit.IsNegative() {
			return nil, fmt.Errorf("order %s: %w: %s", ord.ID, payment.ErrNegativeCreditLimit, c.Limit)
		}
		if gross.IsPositive() && c.Limit.IsZero() {
			// A zero limit allows no order on account at all.
			out, err := o.creditOutstanding(ctx, m, ord.Customer)
			if err != nil {
				return nil, err
			}
			return nil, &payment.CreditLimitError{Limit: c.Limit, Outstanding: out, Order: gross}
		}
		if gross.IsPositive() {
			pk, sk, err := creditKey(m, ord.Customer)
			if err != nil {
				return nil, err
			}
			headroom := c.Limit.Sub(gross)
			cond := "#o <= :h"
			if !headroom.IsNegative() {
				cond = "attribute_not_exists(#o) OR #o <= :h"
			}
			for i, o := range placementOrders(p) {
				if g := o.Totals.Tax.Gross; g.IsPositive() {
					avs[i][AttrCredited] = &types.AttributeValueMemberN{Value: g.String()}
				}
			}
			acts = append(acts, action{kind: actCredit, item: types.TransactWriteItem{Update: &types.Update{
				TableName: table, Key: key(pk, sk),
				UpdateExpression:         aws.String("SET #o = if_not_exists(#o, :zero) + :g, #c = :cur, #ty = :ty"),
				ConditionExpression:      aws.String(cond),
				ExpressionAttributeNames: map[string]string{"#o": AttrOutstanding, "#c": AttrCurrency, "#ty": AttrType},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":zero": &types.AttributeValueMemberN{Value: "0"},
					":g":    &types.AttributeValueMemberN{Value: gross.String()},
					":h":    &types.AttributeValueMemberN{Value: headroom.String()},
					":cur":  &types.AttributeValueMemberS{Value: ord.Totals.Currency},
					":ty":   &types.AttributeValueMemberS{Value: typeCredit},
				},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}}})
		}
	}
	return acts, nil
}

// placementOrders are p's orders: its Order, then its PreOrders.
func placementOrders(p order.Placement) []order.Order {
	return append([]order.Order{p.Order}, p.PreOrders...)
}

// placementGross is the amount including VAT of p's orders together.
func placementGross(p order.Placement) decimal.Decimal {
	sum := decimal.Zero
	for _, o := range placementOrders(p) {
		sum = sum.Add(o.Totals.Tax.Gross)
	}
	return sum
}

// preOrdersOf are the pre-orders among p's orders.
func preOrdersOf(p order.Placement) []order.Order {
	var out []order.Order
	for _, o := range placementOrders(p) {
		if o.Kind == order.PreOrderKind {
			out = append(out, o)
		}
	}
	return out
}

// preOrderRef is what a pre-order holds of one product: its units and its
// number of lines.
type preOrderRef struct {
	Ref          string
	Units, Lines int64
}

// preOrderRefs merges a pre-order's lines per product, in reference order,
// so that no transaction writes one total twice.
func preOrderRefs(o order.Order) []preOrderRef {
	idx := map[string]int{}
	var out []preOrderRef
	for _, l := range o.Lines {
		i, ok := idx[l.Ref]
		if !ok {
			i = len(out)
			idx[l.Ref] = i
			out = append(out, preOrderRef{Ref: l.Ref})
		}
		out[i].Units += l.Units
		out[i].Lines++
	}
	slices.SortFunc(out, func(a, b preOrderRef) int { return cmp.Compare(a.Ref, b.Ref) })
	return out
}

// preOrderTotals are the updates of a pre-order's product total and
// customer total of r in its shard: sign 1 adds r's units and lines
// (placing), -1 takes them off (cancelling). No condition: an ADD is
// exact whatever the order of concurrent writes.
func (o *Orders) preOrderTotals(m merchant.ID, pre order.Order, r preOrderRef, sign int64) ([]types.TransactWriteItem, error) {
	info := pre.PreOrder
	ppk, psk, err := preOrderProductKey(m, info.Season, info.Shard, r.Ref)
	if err != nil {
		return nil, err
	}
	cpk, csk, err := preOrderCustomerKey(m, info.Season, info.Shard, pre.Customer, r.Ref)
	if err != nil {
		return nil, err
	}
	values := func(customer bool) map[string]types.AttributeValue {
		v := map[string]types.AttributeValue{
			":u":   &types.AttributeValueMemberN{Value: strconv.FormatInt(sign*r.Units, 10)},
			":l":   &types.AttributeValueMemberN{Value: strconv.FormatInt(sign*r.Lines, 10)},
			":ty":  &types.AttributeValueMemberS{Value: typePreOrderTotal},
			":ref": &types.AttributeValueMemberS{Value: r.Ref},
		}
		if customer {
			v[":c"] = &types.AttributeValueMemberS{Value: pre.Customer}
		}
		return v
	}
	names := func(customer bool) map[string]string {
		n := map[string]string{"#u": AttrPreOrderUnits, "#l": AttrPreOrderLines, "#ty": AttrType, "#ref": AttrRef}
		if customer {
			n["#c"] = AttrCustomer
		}
		return n
	}
	table := aws.String(o.Table.Name)
	return []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: table, Key: key(ppk, psk),
			UpdateExpression:          aws.String("SET #ty = :ty, #ref = :ref ADD #u :u, #l :l"),
			ExpressionAttributeNames:  names(false),
			ExpressionAttributeValues: values(false),
		}},
		{Update: &types.Update{
			TableName: table, Key: key(cpk, csk),
			UpdateExpression:          aws.String("SET #ty = :ty, #ref = :ref, #c = :c ADD #u :u, #l :l"),
			ExpressionAttributeNames:  names(true),
			ExpressionAttributeValues: values(true),
		}},
	}, nil
}

// preOrderActions are the writes of p's pre-orders besides their Puts: per
// pre-order and product, the product's and the customer's totals in the
// pre-order's shard and, for a capped product, its capped count, raised on
// the condition that it stays within the cap; per pre-order its season
// index item. A line larger than its cap alone is a *order.CapError before
// any write (1 consistent GetItem per such product, for what remains).
func (o *Orders) preOrderActions(ctx context.Context, p order.Placement) ([]action, error) {
	m := p.Order.Merchant
	table := aws.String(o.Table.Name)
	var (
		acts []action
		over []order.CapShortage
	)
	for _, pre := range preOrdersOf(p) {
		info := pre.PreOrder
		if info == nil {
			return nil, fmt.Errorf("place pre-order %s: no season", pre.ID)
		}
		if len(takesOf(pre)) > 0 {
			return nil, fmt.Errorf("place pre-order %s: a pre-order takes no stock", pre.ID)
		}
		var units int64
		for _, r := range preOrderRefs(pre) {
			units += r.Units
			totals, err := o.preOrderTotals(m, pre, r, 1)
			if err != nil {
				return nil, err
			}
			for _, t := range totals {
				acts = append(acts, action{kind: actPreOrder, ref: r.Ref, item: t})
			}
			if !slices.Contains(info.Capped, r.Ref) {
				continue
			}
			limit := p.Caps[r.Ref]
			if limit <= 0 {
				return nil, fmt.Errorf("place pre-order %s: %s is capped but its cap is not given", pre.ID, r.Ref)
			}
			if r.Units > limit {
				over = append(over, order.CapShortage{Ref: r.Ref, Requested: r.Units, Cap: limit})
				continue
			}
			pk, sk, err := preOrderCapKey(m, info.Season, r.Ref)
			if err != nil {
				return nil, err
			}
			acts = append(acts, action{kind: actCap, ref: r.Ref, units: r.Units, cap: limit, item: types.TransactWriteItem{Update: &types.Update{
				TableName: table, Key: key(pk, sk),
				UpdateExpression:         aws.String("SET #u = if_not_exists(#u, :zero) + :q, #cap = :cap, #ty = :ty"),
				ConditionExpression:      aws.String("attribute_not_exists(#u) OR #u <= :room"),
				ExpressionAttributeNames: map[string]string{"#u": AttrPreOrderUnits, "#cap": AttrPreOrderCap, "#ty": AttrType},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":zero": &types.AttributeValueMemberN{Value: "0"},
					":q":    &types.AttributeValueMemberN{Value: strconv.FormatInt(r.Units, 10)},
					":cap":  &types.AttributeValueMemberN{Value: strconv.FormatInt(limit, 10)},
					":room": &types.AttributeValueMemberN{Value: strconv.FormatInt(limit-r.Units, 10)},
					":ty":   &types.AttributeValueMemberS{Value: typePreOrderCap},
				},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}}})
		}
		pk, sk, err := preOrderOrderKey(m, info.Season, info.Shard, pre.ID)
		if err != nil {
			return nil, err
		}
		acts = append(acts, action{kind: actPreOrder, item: types.TransactWriteItem{Put: &types.Put{
			TableName: table, Item: map[string]types.AttributeValue{
				AttrPK:            &types.AttributeValueMemberS{Value: pk},
				AttrSK:            &types.AttributeValueMemberS{Value: sk},
				AttrType:          &types.AttributeValueMemberS{Value: typePreOrderIndex},
				AttrCustomer:      &types.AttributeValueMemberS{Value: pre.Customer},
				AttrPreOrderUnits: &types.AttributeValueMemberN{Value: strconv.FormatInt(units, 10)},
			},
		}}})
	}
	if len(over) == 0 {
		return acts, nil
	}
	for i, s := range over {
		season := ""
		for _, pre := range preOrdersOf(p) {
			if slices.ContainsFunc(pre.Lines, func(l order.Line) bool { return l.Ref == s.Ref }) {
				season = pre.PreOrder.Season
			}
		}
		pk, sk, err := preOrderCapKey(m, season, s.Ref)
		if err != nil {
			return nil, err
		}
		out, err := o.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("read the capped count of %s: %w", s.Ref, err)
		}
		counted, err := number[int64](out.Item, AttrPreOrderUnits)
		if err != nil {
			return nil, err
		}
		over[i].Remaining = max(0, s.Cap-counted)
	}
	return nil, &order.CapError{Lines: over}
}

// preOrderCancellation are the writes that take a pre-order off its
// season: its units and lines off its shard's product and customer
// totals, its units off the capped count of each product its cap counted
// it in, and its season index item deleted. None for an ordinary order.
func (o *Orders) preOrderCancellation(m merchant.ID, ord order.Order) ([]types.TransactWriteItem, error) {
	if ord.Kind != order.PreOrderKind || ord.PreOrder == nil {
		return nil, nil
	}
	info := ord.PreOrder
	table := aws.String(o.Table.Name)
	var items []types.TransactWriteItem
	for _, r := range preOrderRefs(ord) {
		totals, err := o.preOrderTotals(m, ord, r, -1)
		if err != nil {
			return nil, err
		}
		items = append(items, totals...)
		if !slices.Contains(info.Capped, r.Ref) {
			continue
		}
		pk, sk, err := preOrderCapKey(m, info.Season, r.Ref)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: table, Key: key(pk, sk),
			UpdateExpression:         aws.String("ADD #u :q"),
			ExpressionAttributeNames: map[string]string{"#u": AttrPreOrderUnits},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":q": &types.AttributeValueMemberN{Value: strconv.FormatInt(-r.Units, 10)},
			},
		}})
	}
	pk, sk, err := preOrderOrderKey(m, info.Season, info.Shard, ord.ID)
	if err != nil {
		return nil, err
	}
	items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: table, Key: key(pk, sk)}})
	return items, nil
}

// creditOutstanding reads a customer's outstanding on account (1 GetItem).
func (o *Orders) creditOutstanding(ctx context.Context, m merchant.ID, customer string) (decimal.Decimal, error) {
	pk, sk, err := creditKey(m, customer)
	if err != nil {
		return decimal.Zero, err
	}
	out, err := o.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(o.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return decimal.Zero, fmt.Errorf("read the outstanding of %s: %w", customer, err)
	}
	return decimalAttr(out.Item, AttrOutstanding)
}

// Place writes p's order with its stock takes, the cart emptied, the
// idempotency record's completion and the credit, all or nothing (see
// order.Store). An order whose actions fit in one transaction (at most
// 100: 1 order + idempotency + cart + credit + 1 per product and
// warehouse) costs 1 round trip (plus one per retry of a conflict);
// larger orders take their stock under holds first (placeWithHolds).
// Pre-orders (Placement.PreOrders, and Order when it is one) are written in
// the same transaction: each one's Put, per product its two totals and,
// when capped, its capped count (preOrderActions), and its season index
// item; with them, more than 100 actions is order.ErrTooLarge, and a cap
// that cannot take a line is a *order.CapError.
func (o *Orders) Place(ctx context.Context, p order.Placement) error {
	m := p.Order.Merchant
	if _, err := merchantPrefix(m); err != nil {
		return err
	}
	for _, pre := range p.PreOrders {
		if pre.Merchant != m || pre.Customer != p.Order.Customer {
			return fmt.Errorf("place order %s: pre-order %s is another merchant's or customer's", p.Order.ID, pre.ID)
		}
	}
	final, err := o.finalActions(ctx, p)
	if err != nil {
		return err
	}
	for _, a := range final {
		if a.kind != actOrder {
			continue
		}
		if doc := a.item.Put.Item[AttrDoc].(*types.AttributeValueMemberS); len(doc.Value) > maxOrderDoc {
			return fmt.Errorf("place order %s: %d bytes: %w", str(a.item.Put.Item, AttrPK), len(doc.Value), order.ErrTooLarge)
		}
	}
	takes := takesOf(p.Order)
	pre, err := o.preOrderActions(ctx, p)
	if err != nil {
		return err
	}
	switch {
	case len(pre) > 0 && len(final)+len(pre)+len(takes) > maxTransactItems:
		// Pre-orders count in their totals in the order's own write: no
		// holds for them.
		return fmt.Errorf("place order %s: %d writes with its pre-orders: %w", p.Order.ID, len(final)+len(pre)+len(takes), order.ErrTooLarge)
	case len(final)+len(takes) > maxTransactItems:
		return o.placeWithHolds(ctx, p, final, takes)
	}
	acts := append(final, pre...)
	for _, t := range takes {
		u, err := o.takeUpdate(m, t, false)
		if err != nil {
			return err
		}
		acts = append(acts, action{kind: actStock, ref: t.Ref, item: types.TransactWriteItem{Update: u}})
	}
	if err := o.transact(ctx, p, acts); !errors.Is(err, errAlreadyPlaced) {
		return err
	}
	return nil
}

// transact writes acts in one transaction, retrying conflicts with
// jitter, and reads a refusal into the port's errors.
func (o *Orders) transact(ctx context.Context, p order.Placement, acts []action) error {
	items := make([]types.TransactWriteItem, len(acts))
	for i, a := range acts {
		items[i] = a.item
	}
	for attempt := 0; ; attempt++ {
		_, err := o.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil
		}
		retry, err := o.refusal(ctx, p, acts, err)
		if !retry {
			return err
		}
		if attempt+1 >= placeAttempts {
			return fmt.Errorf("place order %s: %d attempts: %w", p.Order.ID, placeAttempts, order.ErrBusy)
		}
		if err := jitter(ctx, attempt); err != nil {
			return err
		}
	}
}

// refusal reads why a transaction of acts failed: retry for conflicts and
// throttling, else the error to return (nil when the order turns out to be
// placed already by an earlier attempt of the same placement).
func (o *Orders) refusal(ctx context.Context, p order.Placement, acts []action, err error) (retry bool, _ error) {
	var tce *types.TransactionCanceledException
	switch {
	case retryable(err):
		return true, nil
	case !errors.As(err, &tce):
		return false, fmt.Errorf("place order %s: %w", p.Order.ID, err)
	}
	var (
		failed  = map[actionKind]bool{}
		capped  []order.CapShortage
		stale   []string
		orderAV map[string]types.AttributeValue
		credit  map[string]types.AttributeValue
		other   bool
	)
	for i, r := range tce.CancellationReasons {
		if i >= len(acts) {
			break
		}
		switch aws.ToString(r.Code) {
		case "", "None":
		case "ConditionalCheckFailed":
			a := acts[i]
			failed[a.kind] = true
			switch a.kind {
			case actOrder:
				orderAV = r.Item
			case actCredit:
				credit = r.Item
			case actCap:
				units, err := number[int64](r.Item, AttrPreOrderUnits)
				if err != nil {
					return false, err
				}
				capped = append(capped, order.CapShortage{Ref: a.ref, Requested: a.units, Remaining: max(0, a.cap-units), Cap: a.cap})
			case actStock:
				if !slices.Contains(stale, a.ref) {
					stale = append(stale, a.ref)
				}
			}
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
			retry = true
		default:
			other = true
		}
	}
	switch {
	case failed[actOrder]:
		if orderAV == nil {
			return false, fmt.Errorf("place order %s: the order number is taken", p.Order.ID)
		}
		stored, err := decodeOrder(orderAV)
		if err != nil {
			return false, err
		}
		if stored.Customer == p.Order.Customer && slices.ContainsFunc(placementOrders(p), func(o order.Order) bool { return o.ID == stored.ID }) {
			return false, errAlreadyPlaced
		}
		return false, fmt.Errorf("place order %s: the order number is taken by another customer's order", p.Order.ID)
	case failed[actCart]:
		return false, order.ErrCartChanged
	case failed[actCredit]:
		out, err := decimalAttr(credit, AttrOutstanding)
		if err != nil {
			return false, err
		}
		if credit == nil {
			if out, err = o.creditOutstanding(ctx, p.Order.Merchant, p.Order.Customer); err != nil {
				return false, err
			}
		}
		return false, &payment.CreditLimitError{Limit: p.Credit.Limit, Outstanding: out, Order: placementGross(p)}
	case len(capped) > 0:
		return false, &order.CapError{Lines: capped}
	case failed[actNewHold]:
		// Before stock: the hold left by an earlier attempt must go back,
		// or its stock stays taken.
		return false, errHoldTaken
	case len(stale) > 0:
		slices.Sort(stale)
		return false, &order.StaleStockError{Refs: stale}
	case failed[actIdem]:
		return false, fmt.Errorf("place order %s: the idempotency key is no longer held by this checkout", p.Order.ID)
	case failed[actHold]:
		if len(stale) == 0 {
			for _, l := range p.Order.Lines {
				if len(l.Allocations) > 0 && !slices.Contains(stale, l.Ref) {
					stale = append(stale, l.Ref)
				}
			}
			slices.Sort(stale)
		}
		return false, &order.StaleStockError{Refs: stale}
	case other || len(failed) > 0:
		return false, fmt.Errorf("place order %s: %w", p.Order.ID, err)
	}
	return retry || len(failed) == 0, nil
}

// retryable reports whether a transaction's error is worth another
// attempt: a conflict, or an internal error (DynamoDB Local's lock
// timeouts among them). A transaction is safe to send again even when an
// internal error hides that it was committed: the order's Put, a hold's
// Put and the conditions of give-backs fail on a second write, and Place
// reads that failure as the order placed.
func retryable(err error) bool {
	var tcf *types.TransactionConflictException
	var ise *types.InternalServerError
	return errors.As(err, &tcf) || errors.As(err, &ise)
}

// errAlreadyPlaced: the order was written by an earlier attempt of the
// same placement.
var errAlreadyPlaced = errors.New("order placed already")

// errHoldTaken: a hold of this order number exists already (an earlier
// attempt of the same order left it).
var errHoldTaken = errors.New("stock hold exists")

// errHoldUsed: a hold of this order number was consumed by the order's
// own transaction: an earlier attempt placed the order.
var errHoldUsed = errors.New("stock hold consumed by its order")

// creditRelease is the write that takes an order on account off its
// customer's outstanding: none when the stored order (av) has no
// positive Credited amount (not on account, or taken off already).
func (o *Orders) creditRelease(m merchant.ID, customer string, av map[string]types.AttributeValue) ([]types.TransactWriteItem, error) {
	credited, err := decimalAttr(av, AttrCredited)
	if err != nil || !credited.IsPositive() {
		return nil, err
	}
	cpk, csk, err := creditKey(m, customer)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(o.Table.Name), Key: key(cpk, csk),
		UpdateExpression:         aws.String("SET #o = if_not_exists(#o, :zero) - :g"),
		ExpressionAttributeNames: map[string]string{"#o": AttrOutstanding},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero": &types.AttributeValueMemberN{Value: "0"},
			":g":    &types.AttributeValueMemberN{Value: credited.String()},
		},
	}}}, nil
}

// Order reads one order by number (1 consistent GetItem), or
// order.ErrNotFound.
func (o *Orders) Order(ctx context.Context, m merchant.ID, id string) (order.Order, error) {
	ord, _, err := o.readOrder(ctx, m, id)
	return ord, err
}

// readOrder reads an order and its item.
func (o *Orders) readOrder(ctx context.Context, m merchant.ID, id string) (order.Order, map[string]types.AttributeValue, error) {
	pk, sk, err := orderKey(m, id)
	if err != nil {
		if errors.Is(err, ErrBadOrderKey) {
			return order.Order{}, nil, order.ErrNotFound
		}
		return order.Order{}, nil, err
	}
	out, err := o.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(o.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return order.Order{}, nil, fmt.Errorf("read order %s of %s: %w", id, m, err)
	}
	if out.Item == nil {
		return order.Order{}, nil, order.ErrNotFound
	}
	ord, err := decodeOrder(out.Item)
	if err != nil {
		return order.Order{}, nil, fmt.Errorf("order %s of %s: %w", id, m, err)
	}
	return ord, out.Item, nil
}

// chunksOf splits takes into chunks of at most n.
func chunksOf(takes []take, n int) [][]take {
	var out [][]take
	for start := 0; start < len(takes); start += n {
		out = append(out, takes[start:min(start+n, len(takes))])
	}
	return out
}

// placeWithHolds places an order whose writes exceed one transaction: each
// chunk of at most 99 stock takes is one transaction with the Put of a
// hold HOLD#<n> (Doc = the chunk's takes, ExpiresAt = now + 15 min); then
// one transaction writes the order, the idempotency record, the cart and
// the credit and retypes every hold HOLD-CONSUMED on the condition that it
// is still Type HOLD: a hold whose expiry removed it meanwhile (the stream
// gave its stock back) fails the order with a *order.StaleStockError, and
// the checkout tries again from fresh stock. A chunk that fails gives the
// chunks before it back, one transaction each (releaseHold: Type
// HOLD-RETURNED); so does a final transaction that fails. A checkout that
// dies between chunks leaves holds of Type HOLD that expire: the
// order-events stream gives back the stock of every removed item whose old
// Type is HOLD, whatever became of its order (consumed and returned holds
// are typed otherwise). A hold found consumed means an earlier attempt
// placed the order. Round trips: one per chunk, plus one.
func (o *Orders) placeWithHolds(ctx context.Context, p order.Placement, final []action, takes []take) error {
	m, id := p.Order.Merchant, p.Order.ID
	chunks := chunksOf(takes, chunkTakes)
	if len(final)+len(chunks) > maxTransactItems {
		return fmt.Errorf("place order %s: %d stock takes are more than an order can hold", id, len(takes))
	}
	release := func(cause error, upto int) error {
		for i := upto - 1; i >= 0; i-- {
			// A hold its order consumed (this attempt's own order, written
			// by a try whose answer was lost) is never given back.
			if err := o.releaseHold(ctx, m, id, i); err != nil && !errors.Is(err, errHoldUsed) {
				return errors.Join(cause, err)
			}
		}
		return cause
	}
	for n, ch := range chunks {
		err := o.holdChunk(ctx, p, n, ch)
		if errors.Is(err, errHoldTaken) {
			// An earlier attempt of this order left the hold: its stock
			// goes back before this attempt takes again.
			if err = o.releaseHold(ctx, m, id, n); err == nil {
				err = o.holdChunk(ctx, p, n, ch)
			}
		}
		if errors.Is(err, errHoldUsed) {
			// An earlier attempt placed the order: this attempt's holds
			// go back.
			return release(nil, n)
		}
		if err != nil {
			return release(err, n)
		}
	}
	acts := slices.Clone(final)
	for n := range chunks {
		pk, sk, err := orderHoldKey(m, id, n)
		if err != nil {
			return release(err, len(chunks))
		}
		acts = append(acts, action{kind: actHold, item: types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(o.Table.Name), Key: key(pk, sk),
			UpdateExpression:         aws.String("SET #ty = :used"),
			ConditionExpression:      aws.String("#ty = :hold"),
			ExpressionAttributeNames: map[string]string{"#ty": AttrType},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":used": &types.AttributeValueMemberS{Value: typeHoldUsed},
				":hold": &types.AttributeValueMemberS{Value: typeHold},
			},
		}}})
	}
	err := o.transact(ctx, p, acts)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errAlreadyPlaced):
		// An earlier attempt placed it with its own stock: this attempt's
		// holds go back.
		return release(nil, len(chunks))
	}
	return release(err, len(chunks))
}

// holdChunk takes a chunk of stock under hold n, in one transaction.
func (o *Orders) holdChunk(ctx context.Context, p order.Placement, n int, ch []take) error {
	m := p.Order.Merchant
	pk, sk, err := orderHoldKey(m, p.Order.ID, n)
	if err != nil {
		return err
	}
	av, err := item{PK: pk, SK: sk, Type: typeHold, Doc: ch}.attributes()
	if err != nil {
		return err
	}
	av[AttrExpires] = &types.AttributeValueMemberN{Value: strconv.FormatInt(o.now().Add(holdLifetime).Unix(), 10)}
	acts := []action{{kind: actNewHold, item: types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(o.Table.Name), Item: av,
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #ty = :ret"),
		ExpressionAttributeNames: map[string]string{"#ty": AttrType},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":ret": &types.AttributeValueMemberS{Value: typeHoldReturn},
		},
	}}}}
	for _, t := range ch {
		u, err := o.takeUpdate(m, t, false)
		if err != nil {
			return err
		}
		acts = append(acts, action{kind: actStock, ref: t.Ref, item: types.TransactWriteItem{Update: u}})
	}
	return o.transact(ctx, p, acts)
}

// releaseHold gives the stock of hold n back, once: it reads the hold (1
// consistent GetItem) and, when it still holds (Type HOLD), gives its
// takes back and marks it given back (Type HOLD-RETURNED, GivenBack) in
// one transaction conditioned on Type HOLD. The marked hold expires by
// TTL; the stream ignores it. A level that no longer exists is skipped. A
// hold its order consumed is errHoldUsed, and gives nothing back.
func (o *Orders) releaseHold(ctx context.Context, m merchant.ID, id string, n int) error {
	pk, sk, err := orderHoldKey(m, id, n)
	if err != nil {
		return err
	}
	out, err := o.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(o.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("read hold %d of order %s: %w", n, id, err)
	}
	switch str(out.Item, AttrType) {
	case typeHold:
	case typeHoldUsed:
		return errHoldUsed
	default:
		// Gone (its expiry gave it back) or given back already.
		return nil
	}
	var takes []take
	if err := decodeDoc(out.Item, &takes); err != nil {
		return fmt.Errorf("hold %d of order %s: %w", n, id, err)
	}
	mark := &types.Update{
		TableName: aws.String(o.Table.Name), Key: key(pk, sk),
		UpdateExpression:         aws.String("SET #gb = :t, #ty = :ty"),
		ConditionExpression:      aws.String("#ty = :hold"),
		ExpressionAttributeNames: map[string]string{"#gb": AttrGivenBack, "#ty": AttrType},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t":    &types.AttributeValueMemberBOOL{Value: true},
			":ty":   &types.AttributeValueMemberS{Value: typeHoldReturn},
			":hold": &types.AttributeValueMemberS{Value: typeHold},
		},
	}
	if _, err = o.giveBack(ctx, m, []types.TransactWriteItem{{Update: mark}}, takes); errors.Is(err, errMaybeApplied) {
		// Given back, by this call or another: either way once.
		return nil
	}
	return err
}

// giveBack writes head with the give-back of takes in one transaction,
// retrying conflicts and skipping levels that no longer exist. applied is
// false when a condition of head failed: nothing was written (the work was
// done already, or another write came first), unless an earlier attempt
// failed with an internal error: then it may be that attempt's write that
// the condition saw, and the error is errMaybeApplied.
func (o *Orders) giveBack(ctx context.Context, m merchant.ID, head []types.TransactWriteItem, takes []take) (applied bool, _ error) {
	unsure := false
	for attempt := 0; ; attempt++ {
		items := slices.Clone(head)
		for _, t := range takes {
			u, err := o.takeUpdate(m, t, true)
			if err != nil {
				return false, err
			}
			items = append(items, types.TransactWriteItem{Update: u})
		}
		_, err := o.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return true, nil
		}
		var tce *types.TransactionCanceledException
		var ise *types.InternalServerError
		switch {
		case retryable(err):
			unsure = unsure || errors.As(err, &ise)
		case errors.As(err, &tce):
			var gone []int
			for i, r := range tce.CancellationReasons {
				switch code := aws.ToString(r.Code); {
				case code == "ConditionalCheckFailed" && i < len(head) && unsure:
					return false, errMaybeApplied
				case code == "ConditionalCheckFailed" && i < len(head):
					return false, nil
				case code == "ConditionalCheckFailed":
					gone = append(gone, i-len(head))
				case code == "", code == "None", code == "TransactionConflict", code == "ThrottlingError",
					code == "ProvisionedThroughputExceeded", code == "RequestLimitExceeded":
				default:
					return false, fmt.Errorf("give stock back: %w", err)
				}
			}
			if len(gone) > 0 {
				kept := takes[:0:0]
				for i, t := range takes {
					if !slices.Contains(gone, i) {
						kept = append(kept, t)
					}
				}
				takes = kept
				continue
			}
		default:
			return false, fmt.Errorf("give stock back: %w", err)
		}
		if attempt+1 >= placeAttempts {
			return false, fmt.Errorf("give stock back: %d attempts: %w", placeAttempts, order.ErrBusy)
		}
		if err := jitter(ctx, attempt); err != nil {
			return false, err
		}
	}
}

// errMaybeApplied: a give-back's condition failed after an attempt whose
// outcome is unknown (see giveBack).
var errMaybeApplied = errors.New("the give-back may have been written by an earlier attempt")

// cancelChunk is the most give-backs in one transaction of a cancellation
// (besides the order's update and the credit's).
const cancelChunk = maxTransactItems - 2

// Cancel sets an order cancelled and gives its stock back, and its amount
// back to the customer's outstanding when it added to it (see
// order.Store): 1 consistent GetItem, then 1 TransactWriteItems (the order
// on the condition that its Status is the one read, the credit, the
// give-backs of up to 98 levels). A pre-order is taken off its season in
// the same transaction (preOrderCancellation: its totals, its capped
// counts, its index item), on the further condition, when read before its
// conversion, that it is still not converted; a converted pre-order also
// gives back the stock its conversion took. Whether the season still
// allows a cancellation is the caller's rule. An order with more levels gives the rest
// back in further transactions, each conditioned on the order's Returned
// count, so that a cancellation that stopped half way resumes when called
// again. An order cancelled already is order.ErrNotCancellable.
func (o *Orders) Cancel(ctx context.Context, m merchant.ID, id string, by order.PlacedBy, at time.Time) (order.Order, error) {
	pk, sk, err := orderKey(m, id)
	if err != nil {
		return order.Order{}, order.ErrNotFound
	}
	table := aws.String(o.Table.Name)
	mine := false
	for attempt := 0; ; attempt++ {
		ord, av, err := o.readOrder(ctx, m, id)
		if err != nil {
			return order.Order{}, err
		}
		returned, err := number[int](av, AttrReturned)
		if err != nil {
			return order.Order{}, err
		}
		// A pre-order's cancellation takes it off its season in the
		// order's own transaction: fewer give-backs fit with it.
		season, err := o.preOrderCancellation(m, ord)
		if err != nil {
			return order.Order{}, err
		}
		if cancelChunk-len(season) < 1 {
			return order.Order{}, fmt.Errorf("cancel order %s: %d season writes: %w", id, len(season), order.ErrTooLarge)
		}
		chunks := chunksOf(takesOf(ord), cancelChunk-len(season))
		if attempt >= placeAttempts+len(chunks) {
			return order.Order{}, fmt.Errorf("cancel order %s: %w", id, order.ErrBusy)
		}
		if ord.Status == order.Cancelled {
			if returned >= len(chunks) {
				if mine {
					return ord, nil
				}
				return order.Order{}, order.ErrNotCancellable
			}
			// A cancellation stopped half way: give the rest back.
			_, err := o.giveBack(ctx, m, []types.TransactWriteItem{{Update: &types.Update{
				TableName: table, Key: key(pk, sk),
				UpdateExpression:         aws.String("SET #r = :next"),
				ConditionExpression:      aws.String("#st = :c AND #r = :r"),
				ExpressionAttributeNames: map[string]string{"#st": AttrStatus, "#r": AttrReturned},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":c":    &types.AttributeValueMemberS{Value: string(order.Cancelled)},
					":r":    &types.AttributeValueMemberN{Value: strconv.Itoa(returned)},
					":next": &types.AttributeValueMemberN{Value: strconv.Itoa(returned + 1)},
				},
			}}}, chunks[returned])
			if err != nil && !errors.Is(err, errMaybeApplied) {
				return order.Order{}, err
			}
			mine = true
			continue
		}
		if ord.Status != order.AwaitingPayment && ord.Status != order.Accepted && ord.Status != order.Paid {
			return order.Order{}, order.ErrNotCancellable
		}
		if _, acked := av[AttrErpAcked]; acked || ord.ERP != nil {
			// The ERP has the order: it cancels it (its acknowledgement
			// file), the site no longer does.
			return order.Order{}, order.ErrNotCancellable
		}
		was := ord.Status
		ord.Status = order.Cancelled
		when, who := at.UTC(), by
		ord.CancelledAt, ord.CancelledBy = &when, &who
		doc, err := item{Doc: ord}.attributes()
		if err != nil {
			return order.Order{}, err
		}
		cancel := &types.Update{
			TableName: table, Key: key(pk, sk),
			UpdateExpression:         aws.String("SET #st = :c, #doc = :doc, #r = :r"),
			ConditionExpression:      aws.String("#st = :was AND attribute_not_exists(#acked)"),
			ExpressionAttributeNames: map[string]string{"#st": AttrStatus, "#doc": AttrDoc, "#r": AttrReturned, "#acked": AttrErpAcked},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":c":   &types.AttributeValueMemberS{Value: string(order.Cancelled)},
				":doc": doc[AttrDoc],
				":r":   &types.AttributeValueMemberN{Value: strconv.Itoa(min(1, len(chunks)))},
				":was": &types.AttributeValueMemberS{Value: string(was)},
			},
		}
		if _, converted := av[AttrPreOrderConverted]; ord.Kind == order.PreOrderKind && !converted {
			// A pre-order read before its conversion: a conversion
			// meanwhile took stock this cancellation would not give back.
			cancel.ConditionExpression = aws.String("#st = :was AND attribute_not_exists(#acked) AND attribute_not_exists(#cv)")
			cancel.ExpressionAttributeNames["#cv"] = AttrPreOrderConverted
		}
		head := []types.TransactWriteItem{{Update: cancel}}
		release, err := o.creditRelease(m, ord.Customer, av)
		if err != nil {
			return order.Order{}, err
		}
		head = append(head, release...)
		head = append(head, season...)
		var takes []take
		if len(chunks) > 0 {
			takes = chunks[0]
		}
		applied, err := o.giveBack(ctx, m, head, takes)
		if errors.Is(err, errMaybeApplied) {
			// Read again: the order cancelled by this very call is ours.
			again, _, rerr := o.readOrder(ctx, m, id)
			if rerr != nil {
				return order.Order{}, rerr
			}
			mine = again.Status == order.Cancelled && again.CancelledBy != nil && *again.CancelledBy == by &&
				again.CancelledAt != nil && again.CancelledAt.Equal(when)
			continue
		}
		if err != nil {
			return order.Order{}, err
		}
		if applied {
			mine = true
			if len(chunks) <= 1 {
				return ord, nil
			}
		}
		// Not applied: another write changed the order first; read again.
	}
}

// Attributes of a settled order.
const (
	// AttrPaidAt is when the order was marked paid (RFC3339Nano UTC).
	AttrPaidAt = "PaidAt"
	// AttrPaidBy is who marked it paid ("<role>:<id>").
	AttrPaidBy = "PaidBy"
)

// Settle marks an order awaiting payment or accepted paid (see
// order.Store): 1 consistent GetItem, then 1 TransactWriteItems: the order
// (Status paid, PaidAt, PaidBy, its Credited amount removed) on the
// condition that its Status is the one read, and, for an order that added
// to its customer's outstanding, the outstanding lowered by that amount.
// The cancellation of a paid order therefore gives no credit back. An order
// paid or cancelled already is order.ErrNotSettleable.
func (o *Orders) Settle(ctx context.Context, m merchant.ID, id string, by order.PlacedBy, at time.Time) (order.Order, error) {
	pk, sk, err := orderKey(m, id)
	if err != nil {
		return order.Order{}, order.ErrNotFound
	}
	table := aws.String(o.Table.Name)
	for attempt := 0; ; attempt++ {
		ord, av, err := o.readOrder(ctx, m, id)
		if err != nil {
			return order.Order{}, err
		}
		if ord.Status == order.Paid && attempt > 0 && str(av, AttrPaidAt) == at.UTC().Format(time.RFC3339Nano) &&
			str(av, AttrPaidBy) == by.Role+":"+by.ID {
			// An attempt whose outcome was unknown went through.
			return ord, nil
		}
		if ord.Status != order.AwaitingPayment && ord.Status != order.Accepted {
			return order.Order{}, order.ErrNotSettleable
		}
		was := ord.Status
		ord.Status = order.Paid
		doc, err := item{Doc: ord}.attributes()
		if err != nil {
			return order.Order{}, err
		}
		items := []types.TransactWriteItem{{Update: &types.Update{
			TableName: table, Key: key(pk, sk),
			UpdateExpression:         aws.String("SET #st = :p, #doc = :doc, #pa = :at, #pb = :by REMOVE #cr"),
			ConditionExpression:      aws.String("#st = :was"),
			ExpressionAttributeNames: map[string]string{"#st": AttrStatus, "#doc": AttrDoc, "#pa": AttrPaidAt, "#pb": AttrPaidBy, "#cr": AttrCredited},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p":   &types.AttributeValueMemberS{Value: string(order.Paid)},
				":doc": doc[AttrDoc],
				":at":  &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339Nano)},
				":by":  &types.AttributeValueMemberS{Value: by.Role + ":" + by.ID},
				":was": &types.AttributeValueMemberS{Value: string(was)},
			},
		}}}
		release, err := o.creditRelease(m, ord.Customer, av)
		if err != nil {
			return order.Order{}, err
		}
		items = append(items, release...)
		_, err = o.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		switch {
		case err == nil:
			return ord, nil
		case retryable(err), errors.As(err, &tce):
			// A conflict, or the status changed since it was read: read
			// again (a write that may have gone through shows as paid).
		default:
			return order.Order{}, fmt.Errorf("settle order %s: %w", id, err)
		}
		if attempt+1 >= placeAttempts {
			return order.Order{}, fmt.Errorf("settle order %s: %w", id, order.ErrBusy)
		}
		if err := jitter(ctx, attempt); err != nil {
			return order.Order{}, err
		}
	}
}

// ErrBadPosition is order.ErrBadPosition: a list position that is not one
// of this list's.
var ErrBadPosition = order.ErrBadPosition

// monthsBack is how far back a merchant's whole list goes without From.
const monthsBack = 24

// maxMonths bounds the months one list walks, From or not.
const maxMonths = 120

// position is where a page of orders ended: the month partition (lists
// of every order) and the index key of the last order returned.
type position struct {
	Month string            `json:"m,omitempty"`
	Key   map[string]string `json:"k,omitempty"`
}

func (p position) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePosition(s string) (position, error) {
	var p position
	if s == "" {
		return p, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &p) != nil {
		return position{}, ErrBadPosition
	}
	return p, nil
}

// List returns a page of orders, newest first (see order.History). A
// company's orders are one Query of GSI1 (M#<m>#C#<customer>#ORDERS) per
// page, more when a status filter leaves too few; every order of the
// merchant is a Query of GSI2 per month partition (M#<m>#ORDERS#<yyyy-mm>),
// walking months backwards from To (or now) to From (or 24 months back).
// From and To bound the index's sort key; Status is a filter. Page.Next is
// an opaque position (base64url JSON of the month and the last key).
func (o *Orders) List(ctx context.Context, m merchant.ID, q order.Query) (order.Page, error) {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = order.DefaultPage
	case limit > order.MaxPage:
		limit = order.MaxPage
	}
	pos, err := decodePosition(q.After)
	if err != nil {
		return order.Page{}, err
	}
	if q.Customer != "" {
		pk, err := customerOrdersPK(m, q.Customer)
		if err != nil {
			return order.Page{}, err
		}
		if pos.Month != "" || (pos.Key != nil && pos.Key[AttrGSI1PK] != pk) {
			return order.Page{}, ErrBadPosition
		}
		orders, last, err := o.queryOrders(ctx, GSI1, AttrGSI1PK, AttrGSI1SK, pk, q, limit, pos.Key)
		if err != nil {
			return order.Page{}, err
		}
		page := order.Page{Orders: orders}
		if last != nil {
			page.Next = position{Key: last}.encode()
		}
		return page, nil
	}
	newest := o.now()
	if !q.To.IsZero() {
		newest = q.To.Add(-time.Nanosecond)
	}
	first := monthStart(newest)
	oldest := first.AddDate(0, -(monthsBack - 1), 0)
	if !q.From.IsZero() {
		oldest = monthStart(q.From)
		if limit := first.AddDate(0, -(maxMonths - 1), 0); oldest.Before(limit) {
			oldest = limit
		}
	}
	month, start := first, map[string]string(nil)
	if pos.Month != "" {
		t, err := time.Parse("2006-01", pos.Month)
		if err != nil || t.After(first) || t.Before(oldest) {
			return order.Page{}, ErrBadPosition
		}
		month, start = t, pos.Key
	}
	var page order.Page
	for ; !month.Before(oldest); month, start = month.AddDate(0, -1, 0), nil {
		pk, err := monthOrdersPK(m, month)
		if err != nil {
			return order.Page{}, err
		}
		if start != nil && start[AttrGSI2PK] != pk {
			return order.Page{}, ErrBadPosition
		}
		orders, last, err := o.queryOrders(ctx, GSI2, AttrGSI2PK, AttrGSI2SK, pk, q, limit-len(page.Orders), start)
		if err != nil {
			return order.Page{}, err
		}
		page.Orders = append(page.Orders, orders...)
		if last != nil {
			page.Next = position{Month: month.Format("2006-01"), Key: last}.encode()
			return page, nil
		}
		if len(page.Orders) >= limit {
			if prev := month.AddDate(0, -1, 0); !prev.Before(oldest) {
				page.Next = position{Month: prev.Format("2006-01")}.encode()
			}
			return page, nil
		}
	}
	return page, nil
}

// monthStart is the first instant of t's month in UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// queryOrders reads up to want orders of one index partition, newest
// first, from start on; last is the key to go on from, nil when the
// partition has no more.
func (o *Orders) queryOrders(ctx context.Context, index, pkName, skName, pk string, q order.Query, want int, start map[string]string) ([]order.Order, map[string]string, error) {
	names := map[string]string{"#pk": pkName}
	vals := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}
	cond := "#pk = :pk"
	from, to := "", ""
	if !q.From.IsZero() {
		from = orderInstant(q.From)
	}
	if !q.To.IsZero() {
		to = orderInstant(q.To)
	}
	switch {
	case from != "" && to != "":
		if to <= from {
			return nil, nil, nil
		}
		cond += " AND #sk BETWEEN :from AND :to"
	case from != "":
		cond += " AND #sk >= :from"
	case to != "":
		cond += " AND #sk < :to"
	}
	if from != "" {
		names["#sk"] = skName
		vals[":from"] = &types.AttributeValueMemberS{Value: from}
	}
	if to != "" {
		names["#sk"] = skName
		vals[":to"] = &types.AttributeValueMemberS{Value: to}
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(o.Table.Name),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(cond),
		ScanIndexForward:          aws.Bool(false),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	}
	if q.Status != "" {
		in.FilterExpression = aws.String("#st = :st")
		names["#st"] = AttrStatus
		vals[":st"] = &types.AttributeValueMemberS{Value: string(q.Status)}
	}
	if start != nil {
		in.ExclusiveStartKey = map[string]types.AttributeValue{}
		for _, k := range []string{AttrPK, AttrSK, pkName, skName} {
			v, ok := start[k]
			if !ok {
				return nil, nil, ErrBadPosition
			}
			in.ExclusiveStartKey[k] = &types.AttributeValueMemberS{Value: v}
		}
		if len(start) != 4 {
			return nil, nil, ErrBadPosition
		}
	}
	var out []order.Order
	for {
		in.Limit = aws.Int32(int32(want - len(out)))
		if q.Status != "" {
			in.Limit = aws.Int32(int32(max(want-len(out), order.MaxPage)))
		}
		res, err := o.Table.Client.Query(ctx, in)
		if err != nil {
			return nil, nil, fmt.Errorf("list orders of %s: %w", pk, err)
		}
		for i, av := range res.Items {
			ord, err := decodeOrder(av)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ord)
			if len(out) == want {
				if i == len(res.Items)-1 && res.LastEvaluatedKey == nil {
					return out, nil, nil
				}
				return out, map[string]string{
					AttrPK: str(av, AttrPK), AttrSK: str(av, AttrSK), pkName: str(av, pkName), skName: str(av, skName),
				}, nil
			}
		}
		if res.LastEvaluatedKey == nil {
			return out, nil, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
