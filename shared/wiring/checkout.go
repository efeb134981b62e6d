package wiring

import (
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
)

// CheckoutAPI builds the checkout function: turns a cart into an order.
// The cart is priced as the pricing function prices a quote (the rules,
// assortments, merchant, VAT and exchange rates cached for the cache TTL;
// the distance-selling ledger read fresh), the warehouses are kept for the
// cache TTL, the stock levels, the cart and the customer are read fresh.
// Card and transfer payments go through payment.Manual, the local default
// with no payment service behind it.
func CheckoutAPI(d Deps) APIHandler {
	orders := &dynamo.Orders{Table: d.table(), WarehousesTTL: d.Env.CacheTTL}
	api := &httpapi.CheckoutAPI{
		Pipeline: d.pipeline(),
		Carts:    &dynamo.Carts{Table: d.table()},
		Quoter: &pricing.Quoter{Store: d.prices(), Products: &dynamo.Catalog{Table: d.table()},
			Assortments: d.assortments(), Tax: d.taxInputs()},
		Orders:      orders,
		Idempotency: orders,
		Stock:       orders,
		Payments:    payment.Manual{},
	}
	return serve(api.Routes())
}
