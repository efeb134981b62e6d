package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// Stock levels in the table:
//
//	warehouse    PK=M#<m>#STOCK    SK=WH#<id>              Doc=stock.Warehouse
//	stock level  PK=M#<m>#P#<ref>  SK=STOCK#<warehouse>    Doc=stock.Level, Available (N), SiteOrders (N)
//
// The level's document is what the ERP counted; the numeric attributes are
// what site orders change: an order takes units with
// SET Available = Available - :u, SiteOrders = SiteOrders + :u on the
// condition Available >= :u, a cancellation gives them back the other way.
// Readers decode the document and set SiteOrders so that the level's
// Available() is the Available attribute (SiteOrders = OnHand - Reserved -
// Available): what an order allocates from is exactly what its take tests.
// The loader (Batch.StockLevel, levelAttributes) always writes both
// attributes; a level item without them is not one this table holds (it
// would be read from its document, and every take from it would fail).

// Attributes of a stock level item.
const (
	// AttrAvailable is what can still be sold from the warehouse.
	AttrAvailable = "Available"
	// AttrSiteOrders is what site orders took since the ERP's count.
	AttrSiteOrders = "SiteOrders"
)

// typeStockLevel is the Type of a stock level item.
const typeStockLevel = "STOCK"

// levelAttributes is the stored item of a level, as the ERP loads it:
// Available = OnHand - Reserved - SiteOrders, not floored at zero (a
// negative Available means more is promised than counted; the level's
// Available() shows 0 and no take succeeds until the stock comes in).
func levelAttributes(m merchant.ID, l stock.Level) (map[string]types.AttributeValue, error) {
	pk, sk, err := stockLevelKey(m, l.Ref, l.Warehouse)
	if err != nil {
		return nil, err
	}
	av, err := item{PK: pk, SK: sk, Type: typeStockLevel, Doc: l}.attributes()
	if err != nil {
		return nil, err
	}
	av[AttrAvailable] = &types.AttributeValueMemberN{Value: strconv.FormatInt(l.OnHand-l.Reserved-l.SiteOrders, 10)}
	av[AttrSiteOrders] = &types.AttributeValueMemberN{Value: strconv.FormatInt(l.SiteOrders, 10)}
	return av, nil
}

// decodeLevel reads a stock level item: its document, with SiteOrders set
// so that Available() is the numeric Available attribute when the item has
// it (else from the SiteOrders attribute, else from the document).
func decodeLevel(av map[string]types.AttributeValue) (stock.Level, error) {
	var l stock.Level
	if err := decodeDoc(av, &l); err != nil {
		return stock.Level{}, err
	}
	if _, ok := av[AttrAvailable].(*types.AttributeValueMemberN); ok {
		n, err := number[int64](av, AttrAvailable)
		if err != nil {
			return stock.Level{}, err
		}
		l.SiteOrders = l.OnHand - l.Reserved - n
		return l, nil
	}
	if _, ok := av[AttrSiteOrders].(*types.AttributeValueMemberN); ok {
		n, err := number[int64](av, AttrSiteOrders)
		if err != nil {
			return stock.Level{}, err
		}
		l.SiteOrders = n
	}
	return l, nil
}

// Warehouses returns a merchant's warehouses (1 Query, kept for
// WarehousesTTL), as Merchants.Warehouses lists them.
func (o *Orders) Warehouses(ctx context.Context, m merchant.ID) ([]stock.Warehouse, error) {
	return listWarehouses(ctx, o.Table, &o.warehouses, o.WarehousesTTL, m)
}

// Levels returns the levels of refs in every warehouse of the merchant, by
// reference, in the warehouses' order: the warehouses (1 Query, cached for
// WarehousesTTL) then one BatchGetItem per 100 levels (refs x warehouses),
// unprocessed keys retried. Reads are strongly consistent, so that a
// checkout that failed with *order.StaleStockError reads the write that
// beat it.
func (o *Orders) Levels(ctx context.Context, m merchant.ID, refs []string) (map[string][]stock.Level, error) {
	ws, err := o.Warehouses(ctx, m)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var keys []map[string]string
	var order []string
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		order = append(order, ref)
		for _, w := range ws {
			pk, sk, err := stockLevelKey(m, ref, w.ID)
			if err != nil {
				return nil, err
			}
			keys = append(keys, keyOf(pk, sk))
		}
	}
	out := make(map[string][]stock.Level, len(order))
	if len(keys) == 0 {
		return out, nil
	}
	got, err := o.Table.consistentBatchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("stock levels of %s: %w", m, err)
	}
	for _, k := range keys {
		av, ok := got[k[AttrPK]+"|"+k[AttrSK]]
		if !ok {
			continue
		}
		l, err := decodeLevel(av)
		if err != nil {
			return nil, err
		}
		if l.Ref == "" {
			l.Ref = refOfLevelPK(k[AttrPK])
		}
		out[l.Ref] = append(out[l.Ref], l)
	}
	return out, nil
}

// refOfLevelPK returns the reference of a product partition key.
func refOfLevelPK(pk string) string {
	_, ref, _ := strings.Cut(pk, "#P#")
	return ref
}
