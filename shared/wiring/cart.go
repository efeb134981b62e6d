package wiring

import (
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/pricing"
)

// CartAPI builds the cart function: the buyer's or rep's open cart, priced
// live. The cart is priced as the pricing function prices a quote (the
// rules, assortments, merchant, VAT and exchange rates cached for the cache
// TTL; the customer's account and prices, the products and the
// distance-selling ledger read fresh); the cart itself is read fresh, and
// a reorder reads the past order fresh.
func CartAPI(d Deps) APIHandler {
	products := &dynamo.Catalog{Table: d.table()}
	assortments := d.assortments()
	api := &httpapi.CartAPI{
		Pipeline: d.pipeline(),
		Carts:    &dynamo.Carts{Table: d.table()},
		Quoter: &pricing.Quoter{Store: d.prices(), Products: products,
			Assortments: assortments, Tax: d.taxInputs()},
		Catalog:     products,
		Assortments: assortments,
		Orders:      &dynamo.Orders{Table: d.table(), WarehousesTTL: d.Env.CacheTTL},
	}
	return serve(api.Routes())
}
