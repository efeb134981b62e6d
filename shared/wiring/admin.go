package wiring

import (
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
)

// AdminAPI builds the back-office function: the category tree, products,
// assortments, storefronts, discount rules and precedence policy of the
// caller's merchant, for its staff.
// Its pipeline resolves hosts with the same storefront store that the
// admin routes write through, so a storefront write drops this process's
// cached copy; its assortments are read uncached. The other functions see
// storefront and assortment changes within CACHE_TTL.
func AdminAPI(d Deps) APIHandler {
	storefronts := &dynamo.Storefronts{Table: d.table(), TTL: d.Env.CacheTTL}
	pipeline := d.pipeline()
	pipeline.Storefronts = storefronts
	api := &httpapi.AdminAPI{
		Pipeline:    pipeline,
		Catalog:     &dynamo.Catalog{Table: d.table()},
		Storefronts: storefronts,
		Assortments: &dynamo.Assortments{Table: d.table()},
		Pricing:     &dynamo.Pricing{Table: d.table()},
	}
	return serve(api.Routes())
}
