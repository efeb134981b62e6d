package wiring

import (
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/queue"
)

// AdminAPI builds the back-office function: the category tree, products,
// assortments, storefronts, discount rules and precedence policy, VAT
// rates, distance-selling ledger, customers' VAT checks and seasons'
// pre-orders of the caller's merchant, for its staff. Ledger
// recomputations go to the vat-threshold queue (VAT_THRESHOLD_QUEUE_URL).
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
	// Tax: the rate table is read uncached, like the assortments, so that
	// staff see a change at once; the quotes see it within CACHE_TTL.
	api.TaxRates = &dynamo.TaxRates{Table: d.table(), Logger: d.Logger}
	api.VATLedger = &dynamo.VATLedger{Table: d.table()}
	api.VATThresholdQueue = &queue.Sender{Client: d.SQS, URL: d.Env.QueueURLs["VAT_THRESHOLD_QUEUE_URL"]}
	customers := &dynamo.Customers{Table: d.table()}
	merchants := &dynamo.Merchants{Table: d.table(), TTL: d.Env.CacheTTL}
	api.Customers, api.Merchants = customers, merchants
	// Payment: customers' accounts and the merchant's settings; a setting
	// written here drops this process's cached record, the checkouts read
	// it within CACHE_TTL.
	api.CustomerPayments, api.Settings = customers, merchants
	api.StockAlerts = &dynamo.StockAlerts{Table: d.table()}
	api.StockDifferences = &dynamo.ERPStock{Table: d.table()}
	// Exchange rates, uncached here: staff see a day they set at once.
	api.ExchangeRates = &dynamo.ExchangeRates{Table: d.table()}
	// Pre-orders: a season's totals and their conversion, which takes
	// stock as the checkout does (the warehouses kept for CACHE_TTL).
	api.PreOrders = &dynamo.Orders{Table: d.table(), WarehousesTTL: d.Env.CacheTTL}
	// ERP imports: the jobs, and their reports from the ERP bucket.
	api.ERPSettings = &dynamo.ERPSettings{Table: d.table()}
	api.Imports = importsAdmin{ImportJobs: &dynamo.ImportJobs{Table: d.table()}, bucket: bucket{d.S3}, name: d.Env.ERPBucket}
	return serve(api.Routes())
}
