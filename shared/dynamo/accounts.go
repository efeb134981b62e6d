package dynamo

import (
	"context"

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
	p     string
	items []item
	err   error
}

// NewBatch starts a batch for merchant m.
func (a *Accounts) NewBatch(m merchant.ID) *Batch {
	p, err := merchantPrefix(m)
	return &Batch{m: m, p: p, err: err}
}

// Merchant adds the merchant item.
func (b *Batch) Merchant(v Merchant) *Batch {
	b.items = append(b.items, item{PK: b.p, SK: "MERCHANT", Type: "Merchant", Doc: v})
	return b
}

// Customer adds a customer.
func (b *Batch) Customer(c customer.Customer) *Batch {
	b.items = append(b.items, item{PK: b.p + "#C#" + c.ID, SK: "PROFILE", Type: "Customer", Doc: c})
	return b
}

// PriceCategory adds a price category.
func (b *Batch) PriceCategory(pc customer.PriceCategory) *Batch {
	b.items = append(b.items, item{PK: b.p + "#TARIFF", SK: "PC#" + pc.ID, Type: "PriceCategory", Doc: pc})
	return b
}

// BuyingGroup adds a buying group.
func (b *Batch) BuyingGroup(g customer.BuyingGroup) *Batch {
	b.items = append(b.items, item{PK: b.p + "#TARIFF", SK: "BG#" + g.ID, Type: "BuyingGroup", Doc: g})
	return b
}

// Rep adds a sales rep with their portfolio.
func (b *Batch) Rep(r customer.Rep) *Batch {
	b.items = append(b.items, item{PK: b.p + "#REP#" + r.ID, SK: "PROFILE", Type: "Rep", Doc: r})
	return b
}

// Warehouse adds a warehouse.
func (b *Batch) Warehouse(w stock.Warehouse) *Batch {
	b.items = append(b.items, item{PK: b.p + "#STOCK", SK: "WH#" + w.ID, Type: "Warehouse", Doc: w})
	return b
}

// StockLevel adds a product's level in one warehouse.
func (b *Batch) StockLevel(l stock.Level) *Batch {
	b.items = append(b.items, item{PK: b.p + "#P#" + l.Ref, SK: "STOCK#" + l.Warehouse, Type: "StockLevel", Doc: l})
	return b
}

// Len is the number of items in the batch.
func (b *Batch) Len() int { return len(b.items) }

// Save writes the batch.
func (a *Accounts) Save(ctx context.Context, b *Batch) error {
	if b.err != nil {
		return b.err
	}
	return a.Table.put(ctx, b.items)
}
