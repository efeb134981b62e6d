package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/vat"
)

// CatalogAdmin is what the back office needs from catalog storage.
type CatalogAdmin interface {
	catalog.Repository
	// Products reads products by reference; unknown ones are absent.
	Products(ctx context.Context, m merchant.ID, refs []string) (map[string]catalog.Product, error)
	// FamilyStore changes the category tree and refreshes the families
	// of the products below a moved category.
	catalog.FamilyStore
}

// StorefrontAdmin is what the back office needs from storefront storage.
// A save drops the hosts it changed from the process's storefront cache.
type StorefrontAdmin interface {
	List(ctx context.Context, m merchant.ID) ([]merchant.Storefront, error)
	merchant.StorefrontStore
}

// AssortmentAdmin is what the back office needs from assortment storage.
type AssortmentAdmin interface {
	AssortmentReader
	// Put creates or replaces an assortment; created is true when there
	// was none.
	Put(ctx context.Context, m merchant.ID, a catalog.Assortment) (created bool, err error)
	// Delete removes an assortment; found is false when there was none.
	Delete(ctx context.Context, m merchant.ID, scope catalog.AssortmentScope, scopeID string) (found bool, err error)
}

// AdminAPI serves the back office ("back-office") of the merchant's staff:
// the category tree, products, assortments and storefronts. Every route
// needs a staff token of the storefront's merchant.
//
// Caches: the storefront and assortment stores given here should be the
// admin function's own; writes drop their entries in this process. The
// other functions keep their cached storefronts and assortments for up to
// CACHE_TTL after a write. Categories and products are never cached.
type AdminAPI struct {
	Pipeline    *Pipeline
	Catalog     CatalogAdmin
	Storefronts StorefrontAdmin
	Assortments AssortmentAdmin
	Pricing     PricingAdmin

	// Tax (admin_tax.go): the VAT rate table, the distance-selling ledger
	// and the queue of its recomputations, the customers' VAT checks with
	// the validator (nil: vat.Offline), the merchant's record (its
	// country), and the clock (nil: time.Now).
	TaxRates          TaxRatesAdmin
	VATLedger         VATLedgerAdmin
	VATThresholdQueue QueueSender
	Customers         CustomerVATAdmin
	VATValidator      vat.Validator
	Merchants         merchant.Reader
	Now               func() time.Time

	// ExchangeRates (admin_fx.go): the merchant's exchange rates per day.
	ExchangeRates ExchangeRatesAdmin

	// Payment (admin_payment.go): customers' payment accounts, and the
	// merchant's settings with its warehouses (the storefronts' and
	// customers' preferred warehouses are checked against them).
	CustomerPayments CustomerPaymentAdmin
	Settings         MerchantSettingsAdmin

	// StockAlerts (admin_stock.go): the alerts of products fallen to their
	// warehouse's alert minimum, raised by the order-events function.
	StockAlerts StockAlertsAdmin
	// StockDifferences (admin_stockdiff.go): the differences between the
	// ERP's stock counts and the site's theoretical stock.
	StockDifferences StockDifferencesAdmin

	// PreOrders (admin_preorders.go): the seasons' pre-order totals and
	// their conversion into ordinary orders.
	PreOrders order.PreOrderBook

	// Imports (admin_imports.go): the ERP import jobs and their reports.
	Imports ImportsAdmin
	// ERPSettings (admin_erp.go): the merchant's ERP settings, column
	// mappings and full files that deactivate.
	ERPSettings erp.SettingsStore
}

// Bounds of the back office's inputs, so that a stored item stays well under
// DynamoDB's 400 KB and a request cannot fan out without limit.
const (
	maxLanguages       = 20
	maxNameLen         = 200
	maxDescriptionLen  = 4000
	maxAttributes      = 50
	maxImages          = 20
	maxPackagings      = 10
	maxLinks           = 50
	maxAssortmentItems = 1000
)

// Routes returns the admin function's router.
func (a *AdminAPI) Routes() http.Handler {
	rt := NewRouter()
	rt.Handle("GET /admin/categories", a.staff(a.categories))
	rt.Handle("PUT /admin/categories/{id}", a.staff(a.putCategory))
	rt.Handle("DELETE /admin/categories/{id}", a.staff(a.deleteCategory))
	rt.Handle("GET /admin/products/{ref}", a.staff(a.product))
	rt.Handle("PUT /admin/products/{ref}", a.staff(a.putProduct))
	rt.Handle("GET /admin/assortments", a.staff(a.assortments))
	rt.Handle("PUT /admin/assortments/{scope}/{scopeId}", a.staff(a.putAssortment))
	rt.Handle("DELETE /admin/assortments/{scope}/{scopeId}", a.staff(a.deleteAssortment))
	rt.Handle("GET /admin/storefronts", a.staff(a.storefronts))
	rt.Handle("PUT /admin/storefronts/{id}", a.staff(a.putStorefront))
	rt.Handle("GET /admin/pricing", a.staff(a.pricingSettings))
	rt.Handle("PUT /admin/pricing/policy", a.staff(a.putPolicy))
	rt.Handle("PUT /admin/pricing/rules/{id}", a.staff(a.putRule))
	rt.Handle("DELETE /admin/pricing/rules/{id}", a.staff(a.deleteRule))
	rt.Handle("GET /admin/tax/rates", a.staff(a.taxRates))
	rt.Handle("PUT /admin/tax/rates/{country}/{category}/{from}", a.staff(a.putTaxRate))
	rt.Handle("GET /admin/vat/ledger", a.staff(a.vatLedger))
	rt.Handle("PUT /admin/vat/settings", a.staff(a.putVATSettings))
	rt.Handle("GET /admin/vat/alerts", a.staff(a.vatAlerts))
	rt.Handle("POST /admin/vat/recompute", a.staff(a.recomputeVATLedger))
	rt.Handle("POST /admin/customers/{id}/vat-check", a.staff(a.checkCustomerVAT))
	rt.Handle("GET /admin/customers/{id}/payment", a.staff(a.customerPayment))
	rt.Handle("PUT /admin/customers/{id}/payment", a.staff(a.putCustomerPayment))
	rt.Handle("PUT /admin/payment/settings", a.staff(a.putPaymentSettings))
	rt.Handle("GET /admin/stock/alerts", a.staff(a.stockAlerts))
	rt.Handle("GET /admin/stock/differences", a.staff(a.stockDifferences))
	rt.Handle("PUT /admin/products/{ref}/pre-order", a.staff(a.putPreOrder))
	rt.Handle("DELETE /admin/products/{ref}/pre-order", a.staff(a.deletePreOrder))
	rt.Handle("GET /admin/pre-orders/{season}/totals", a.staff(a.preOrderTotals))
	rt.Handle("POST /admin/pre-orders/{season}/convert", a.staff(a.convertPreOrders))
	rt.Handle("GET /admin/exchange-rates", a.staff(a.exchangeRates))
	rt.Handle("PUT /admin/exchange-rates/days/{date}", a.staff(a.putExchangeRates))
	rt.Handle("POST /admin/exchange-rates/ecb", a.staff(a.importECB))
	rt.Handle("GET /admin/imports", a.staff(a.imports))
	rt.Handle("GET /admin/imports/{id}", a.staff(a.importJob))
	rt.Handle("GET /admin/imports/{id}/report", a.staff(a.importReport))
	rt.Handle("GET /admin/erp/settings", a.staff(a.erpSettings))
	rt.Handle("PUT /admin/erp/settings", a.staff(a.putERPSettings))
	return rt
}

// Conflict: the request is valid but clashes with what is stored.
var Conflict = func(detail string) *Problem { return problem(http.StatusConflict, "conflict", "Conflict", detail) }

// staff lets only the storefront merchant's staff through. A token of
// another merchant never gets here: the pipeline refuses it (invalid-token).
func (a *AdminAPI) staff(h HandlerFunc) http.Handler {
	return a.Pipeline.Handle(func(w http.ResponseWriter, r *Request) error {
		switch {
		case r.Caller.IsAnonymous():
			return Unauthenticated("log in as the merchant's staff to use the back office")
		case r.Caller.Role != identity.Staff || r.Caller.Merchant != r.Merchant():
			return Forbidden("the back office is for the merchant's staff only")
		}
		return h(w, r)
	})
}
