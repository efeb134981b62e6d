package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// Accounts stores merchants, customers, tariffs, reps and warehouses.
//
// Keys:
//
//	merchant        PK=M#<m>              SK=MERCHANT
//	customer        PK=M#<m>#C#<id>       SK=PROFILE
//	price category  PK=M#<m>#TARIFF       SK=PC#<id>
//	buying group    PK=M#<m>#TARIFF       SK=BG#<id>
//	rep             PK=M#<m>#REP#<id>     SK=PROFILE
//	warehouse       PK=M#<m>#STOCK        SK=WH#<id>
//	stock level     PK=M#<m>#P#<ref>      SK=STOCK#<warehouse>  (beside the product)
type Accounts struct{ Table Table }

// Merchant is a tenant of the deployment, stored in its merchant item.
type Merchant = merchant.Merchant

// Batch gathers the items of several entities of one merchant, to be written
// in one batched load.
type Batch struct {
	m     merchant.ID
	items []item
	// levels are stock level items with their numeric attributes
	// (levelAttributes).
	levels []map[string]types.AttributeValue
	err    error
}

// NewBatch starts a batch for merchant m.
func (a *Accounts) NewBatch(m merchant.ID) *Batch {
	_, err := merchantPrefix(m)
	return &Batch{m: m, err: err}
}

// add appends an item under the key built for the batch's merchant.
func (b *Batch) add(pk, sk string, err error, typ string, doc any) *Batch {
	if err != nil {
		b.err = errors.Join(b.err, err)
		return b
	}
	b.items = append(b.items, item{PK: pk, SK: sk, Type: typ, Doc: doc})
	return b
}

// Merchant adds the merchant item.
func (b *Batch) Merchant(v Merchant) *Batch {
	pk, sk, err := merchantRecordKey(b.m)
	return b.add(pk, sk, err, "Merchant", v)
}

// Customer adds a customer.
func (b *Batch) Customer(c customer.Customer) *Batch {
	pk, sk, err := customerKey(b.m, c.ID)
	return b.add(pk, sk, err, "Customer", c)
}

// PriceCategory adds a price category.
func (b *Batch) PriceCategory(pc customer.PriceCategory) *Batch {
	pk, sk, err := priceCategoryKey(b.m, pc.ID)
	return b.add(pk, sk, err, "PriceCategory", pc)
}

// BuyingGroup adds a buying group.
func (b *Batch) BuyingGroup(g customer.BuyingGroup) *Batch {
	pk, sk, err := buyingGroupKey(b.m, g.ID)
	return b.add(pk, sk, err, "BuyingGroup", g)
}

// Rep adds a sales rep with their portfolio.
func (b *Batch) Rep(r customer.Rep) *Batch {
	pk, sk, err := repKey(b.m, r.ID)
	return b.add(pk, sk, err, "Rep", r)
}

// Warehouse adds a warehouse.
func (b *Batch) Warehouse(w stock.Warehouse) *Batch {
	pk, sk, err := warehouseKey(b.m, w.ID)
	return b.add(pk, sk, err, "Warehouse", w)
}

// StockLevel adds a product's level in one warehouse, with the numeric
// Available and SiteOrders attributes that site orders take stock from
// (Available = OnHand - Reserved - SiteOrders, not floored at zero: see
// levelAttributes).
func (b *Batch) StockLevel(l stock.Level) *Batch {
	av, err := levelAttributes(b.m, l)
	if err != nil {
		b.err = errors.Join(b.err, err)
		return b
	}
	b.levels = append(b.levels, av)
	return b
}

// Len is the number of items in the batch.
func (b *Batch) Len() int { return len(b.items) + len(b.levels) }

// Save writes the batch.
func (a *Accounts) Save(ctx context.Context, b *Batch) error {
	if b.err != nil {
		return b.err
	}
	if err := a.Table.put(ctx, b.items); err != nil {
		return err
	}
	reqs := make([]types.WriteRequest, 0, len(b.levels))
	for _, av := range b.levels {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return a.Table.write(ctx, reqs)
}
