package wiring

import (
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
)

// OrdersAPI builds the orders function: order history, detail, cancellation
// and export. Orders are read fresh; the merchant (its time zone, for the
// date filters) is cached for the cache TTL; a rep's portfolio is read
// with the customer's account, fresh. Page cursors are sealed with
// CURSOR_KEY.
func OrdersAPI(d Deps) APIHandler {
	orders := &dynamo.Orders{Table: d.table(), WarehousesTTL: d.Env.CacheTTL}
	api := &httpapi.OrdersAPI{
		Pipeline:  d.pipeline(),
		Orders:    orders,
		History:   orders,
		Accounts:  &dynamo.Pricing{Table: d.table(), TTL: d.Env.CacheTTL},
		Merchants: &dynamo.Merchants{Table: d.table(), TTL: d.Env.CacheTTL},
	}
	if len(d.Env.CursorKey) > 0 {
		// ReadEnv checked the key's length: New cannot fail.
		api.Cursors, _ = cursor.New(d.Env.CursorKey)
	}
	return serve(api.Routes())
}
