package dynamo

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
)

// Key builders: every key of the single table is built here, from the
// merchant prefix (merchantPrefix) and the entity's own id, so that the key
// design of docs/architecture.md reads in one place.

func categoryKey(m merchant.ID, id string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#CATALOG", "CAT#" + id, err
}

func productKey(m merchant.ID, ref string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#P#" + ref, "PRODUCT", err
}

// productKeys returns the keys of the product items of refs.
func productKeys(m merchant.ID, refs []string) ([]map[string]string, error) {
	keys := make([]map[string]string, 0, len(refs))
	for _, ref := range refs {
		pk, sk, err := productKey(m, ref)
		if err != nil {
			return nil, err
		}
		keys = append(keys, keyOf(pk, sk))
	}
	return keys, nil
}

func productsByCategoryKey(m merchant.ID, categoryID string) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#CAT#" + categoryID, err
}

func assortmentsPK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#ASSORT", err
}

func importJobKey(m merchant.ID, id string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	if err != nil {
		return "", "", err
	}
	if len(id) > 64 {
		return "", "", ErrBadImportJob
	}
	return p + "#IMPORT", "JOB#" + id, nil
}

// Import jobs (ERP connector, pipeline): the jobs newest first on GSI1,
// and the marker of each chunk applied beside its job.

// importJobsByTimePK is the GSI1 partition of a merchant's import jobs.
func importJobsByTimePK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#IMPORTS", err
}

// importTimeLayout is a fixed-width UTC time, so that GSI1SK sorts by it.
const importTimeLayout = "2006-01-02T15:04:05.000000000Z"

// importJobsByTimeSK orders a job by the time it was received.
func importJobsByTimeSK(at time.Time, id string) string {
	return at.UTC().Format(importTimeLayout) + "#" + id
}

// importChunkSK is the sort key of the marker of chunk seq of a job.
func importChunkSK(job string, seq int) (string, error) {
	if job == "" || len(job) > 64 || strings.ContainsAny(job, "#/ ") || seq < 0 || seq > 999999 {
		return "", ErrBadImportJob
	}
	return fmt.Sprintf("JOB#%s#CHUNK#%06d", job, seq), nil
}

func rulesPK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#RULES", err
}

func customerPK(m merchant.ID, id string) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#C#" + id, err
}

func repPK(m merchant.ID, id string) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#REP#" + id, err
}

// refIndexKey returns the GSI2 key of an active product: references are
// spread over one partition per first character, which a prefix always
// names.
func refIndexKey(m merchant.ID, ref string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	up := strings.ToUpper(ref)
	first, _ := utf8.DecodeRuneInString(up)
	return p + "#REF#" + string(first), up, err
}

func eanKey(m merchant.ID, ean string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#EAN#" + ean, "EAN", err
}

func wordKey(m merchant.ID, word, ref, lang string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#W#" + word, ref + "#" + lang, err
}

func storefrontKey(m merchant.ID, id string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#STOREFRONT", id, err
}

func hostClaimKey(host string) (pk, sk string) { return "HOST#" + host, "HOST" }

func merchantRecordKey(m merchant.ID) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p, skMerchant, err
}

func treeKey(m merchant.ID) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#CATALOG", "TREE", err
}

// Sort keys shared by several items.
const (
	// skProfile is the sort key of a customer's or a rep's own item.
	skProfile = "PROFILE"
	// skMerchant is the sort key of the merchant item.
	skMerchant = "MERCHANT"
	// skCustomerPrice prefixes a customer price's sort key, before the
	// product reference.
	skCustomerPrice = "PRICE#"
)

func customerKey(m merchant.ID, id string) (pk, sk string, err error) {
	pk, err = customerPK(m, id)
	return pk, skProfile, err
}

func repKey(m merchant.ID, id string) (pk, sk string, err error) {
	pk, err = repPK(m, id)
	return pk, skProfile, err
}

func priceCategoryKey(m merchant.ID, id string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#TARIFF", "PC#" + id, err
}

func buyingGroupKey(m merchant.ID, id string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#TARIFF", "BG#" + id, err
}

func warehouseKey(m merchant.ID, id string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#STOCK", "WH#" + id, err
}

// stockLevelKey keeps a product's level in a warehouse beside the product.
func stockLevelKey(m merchant.ID, ref, warehouse string) (pk, sk string, err error) {
	pk, _, err = productKey(m, ref)
	return pk, "STOCK#" + warehouse, err
}

// Distance-selling ledger (vatledger.go): the ledger partition holds the
// totals per year and scope, the settings and the alerts, so that a
// threshold state is one Query; each order's entry lives in its year's
// partition.

func vatLedgerPK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#VAT", err
}

// vatTotalSK is the sort key of a year's total of a scope (a country or
// "EU"): "2026#BE". Years have four digits, so totals sort by year.
func vatTotalSK(year int, scope string) string { return fmt.Sprintf("%04d#%s", year, scope) }

// vatYearSK is the smallest sort key of a year's totals.
func vatYearSK(year int) string { return fmt.Sprintf("%04d", year) }

// vatAlertSK is the sort key of an alert.
func vatAlertSK(id string) string { return skVATAlert + id }

// Sort keys of the ledger partition.
const (
	skVATSettings = "SETTINGS"
	skVATAlert    = "ALERT#"
)

func vatOrderPK(m merchant.ID, year int) (string, error) {
	p, err := merchantPrefix(m)
	return fmt.Sprintf("%s#VATORDER#%04d", p, year), err
}

func vatOrderKey(m merchant.ID, year int, order string) (pk, sk string, err error) {
	pk, err = vatOrderPK(m, year)
	return pk, order, err
}

// Tax rates (TaxRates): a merchant's VAT rate changes, one partition.

// skRateChange prefixes the sort key of a rate change.
const skRateChange = "RATE#"

func taxRatesPK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#TAX", err
}

// rateChangeKey is a rate change's key: its country, category and first
// day (YYYY-MM-DD) make it one.
func rateChangeKey(m merchant.ID, country, category, from string) (pk, sk string, err error) {
	pk, err = taxRatesPK(m)
	return pk, skRateChange + country + "#" + category + "#" + from, err
}

// Exchange rates (ExchangeRates): one item per day of a merchant's rates,
// in one partition sorted by day, so that "the latest on or before a day"
// is one Query.

func exchangeRatesPK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#FX", err
}

// exchangeRatesKey is a day's key: its date, YYYY-MM-DD, which sorts as
// the days do.
func exchangeRatesKey(m merchant.ID, day string) (pk, sk string, err error) {
	pk, err = exchangeRatesPK(m)
	return pk, day, err
}

// Orders (orders.go, idempotency.go, stocklevels.go, carts.go): carts and
// the credit outstanding live in the customer's partition; an order, its
// export marker and its stock holds in the order's own partition; the
// order is listed by customer on GSI1 and by month on GSI2; idempotency
// records have one partition each.

// ErrBadOrderKey is an order number, customer, cart owner or idempotency
// key that cannot be part of a key (empty, too long, or holding '#' where
// the key design forbids it).
var ErrBadOrderKey = errors.New("invalid order key part")

// keyPart checks an id that becomes a key part: 1 to 64 printable bytes
// without spaces or '#'.
func keyPart(s string) error {
	if !catalog.ValidRef(s) {
		return fmt.Errorf("%w: %q", ErrBadOrderKey, s)
	}
	return nil
}

// Sort keys and prefixes of the order partition.
const (
	skOrder  = "ORDER"
	skExport = "EXPORT"
	skHold   = "HOLD#"
	skCredit = "CREDIT"
	skCart   = "CART#"
	skIdem   = "IDEM"
)

func orderKey(m merchant.ID, id string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	if err == nil {
		err = keyPart(id)
	}
	return p + "#ORDER#" + id, skOrder, err
}

// orderExportKey is the marker put once an order's export files are
// written.
func orderExportKey(m merchant.ID, id string) (pk, sk string, err error) {
	pk, _, err = orderKey(m, id)
	return pk, skExport, err
}

// orderHoldKey is the n-th stock hold of an order written in several
// transactions.
func orderHoldKey(m merchant.ID, id string, n int) (pk, sk string, err error) {
	pk, _, err = orderKey(m, id)
	return pk, fmt.Sprintf("%s%d", skHold, n), err
}

// orderSortKey is the sort key of an order on both indexes: its placing
// instant in UTC with a fixed width (nanoseconds always written), so that
// keys sort as instants do, then its number.
func orderSortKey(placedAt time.Time, id string) string {
	return orderInstant(placedAt) + "#" + id
}

// orderInstant writes an instant as the sort keys of orders start.
func orderInstant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// customerOrdersPK is the GSI1 partition of a company's orders.
func customerOrdersPK(m merchant.ID, customer string) (string, error) {
	pk, err := customerPK(m, customer)
	if err == nil {
		err = keyPart(customer)
	}
	return pk + "#ORDERS", err
}

// monthOrdersPK is the GSI2 partition of a merchant's orders placed in the
// UTC month of t.
func monthOrdersPK(m merchant.ID, t time.Time) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#ORDERS#" + t.UTC().Format("2006-01"), err
}

// creditKey is a customer's outstanding on account ("encours").
func creditKey(m merchant.ID, customer string) (pk, sk string, err error) {
	pk, err = customerPK(m, customer)
	if err == nil {
		err = keyPart(customer)
	}
	return pk, skCredit, err
}

// cartKey is the cart of one owner ("B#<subject>", "R#<rep>", "S#<subject>")
// for a customer.
func cartKey(m merchant.ID, customer, owner string) (pk, sk string, err error) {
	pk, err = customerPK(m, customer)
	if err == nil {
		err = keyPart(customer)
	}
	if err == nil {
		kind, id, ok := strings.Cut(owner, "#")
		if !ok || len(kind) != 1 || keyPart(id) != nil {
			err = fmt.Errorf("%w: cart owner %q", ErrBadOrderKey, owner)
		}
	}
	return pk, skCart + owner, err
}

// idempotencyKey is the record of a customer's Idempotency-Key.
func idempotencyKey(m merchant.ID, customer, k string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	if err == nil {
		err = errors.Join(keyPart(customer), keyPart(k))
	}
	return p + "#IDEM#" + customer + "#" + k, skIdem, err
}

// Stock alerts (stockalerts.go): one item per product and warehouse whose
// level fell to its alert minimum, in the partition of the merchant's
// warehouses, so that every alert of a merchant is one Query.

// skStockAlert prefixes the sort key of a stock alert.
const skStockAlert = "ALERT#"

func stockAlertKey(m merchant.ID, ref, warehouse string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#STOCK", skStockAlert + ref + "#" + warehouse, err
}

// ERP stock differences (erpstock.go): the latest difference between the
// ERP's count and the site's theoretical stock per product and warehouse,
// in one partition per merchant so that staff list them with one Query.

// skStockDiff prefixes the sort key of a stock difference.
const skStockDiff = "DIFF#"

func stockDiffPK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#STOCKDIFF", err
}

func stockDiffKey(m merchant.ID, ref, warehouse string) (pk, sk string, err error) {
	pk, err = stockDiffPK(m)
	return pk, skStockDiff + ref + "#" + warehouse, err
}

// Order export of a cancellation (orderstream.go): the marker put once the
// cancelled order's export files are written.
func orderCancelExportKey(m merchant.ID, id string) (pk, sk string, err error) {
	pk, _, err = orderKey(m, id)
	return pk, skExport + "#CANCELLED", err
}

// orderReleasedKey marks the n-th stock hold of an order, the one that
// expired at expiresAt (epoch seconds), as given back by the stream after it
// expired, so that it is given back once; a later hold of the same number
// (a retried checkout) has its own mark.
func orderReleasedKey(m merchant.ID, id string, n int, expiresAt int64) (pk, sk string, err error) {
	pk, _, err = orderKey(m, id)
	return pk, fmt.Sprintf("RELEASED#%d#%d", n, expiresAt), err
}

// Pre-orders (orders.go places them, preorders.go reads the totals and
// converts). A season's totals are spread over order.TotalsShards
// partitions, so that a burst of pre-orders of one product never queues
// behind one item; a read queries every shard and sums:
//
//	product total   PK=M#<m>#PRE#<season>#<nn>  SK=REF#<ref>              Units, Lines (N)
//	customer total  PK=M#<m>#PRE#<season>#<nn>  SK=C#<customer>#<ref>     Units, Lines (N)
//	season's order  PK=M#<m>#PRE#<season>#<nn>  SK=O#<order id>           Customer, Units; Converted once converted
//	capped count    PK=M#<m>#PRE#<season>#CAP   SK=REF#<ref>              Units (N), Cap (N)
//
// <nn> is the shard, two digits: a pre-order writes all its items in the
// shard of its order (order.PreOrderInfo.Shard), and its cancellation
// takes them off there.
const (
	skPreOrderProduct  = "REF#"
	skPreOrderCustomer = "C#"
	skPreOrderOrder    = "O#"
)

// preOrderShardPK is shard n of a season's pre-order partitions.
func preOrderShardPK(m merchant.ID, season string, n int) (string, error) {
	p, err := merchantPrefix(m)
	if err == nil {
		err = keyPart(season)
	}
	if err == nil && (n < 0 || n >= order.TotalsShards) {
		err = fmt.Errorf("%w: pre-order shard %d", ErrBadOrderKey, n)
	}
	return fmt.Sprintf("%s#PRE#%s#%02d", p, season, n), err
}

// preOrderProductKey is a product's total in shard n of a season.
func preOrderProductKey(m merchant.ID, season string, n int, ref string) (pk, sk string, err error) {
	pk, err = preOrderShardPK(m, season, n)
	if err == nil {
		err = keyPart(ref)
	}
	return pk, skPreOrderProduct + ref, err
}

// preOrderCustomerKey is a customer's total of a product in shard n of a
// season.
func preOrderCustomerKey(m merchant.ID, season string, n int, customer, ref string) (pk, sk string, err error) {
	pk, err = preOrderShardPK(m, season, n)
	if err == nil {
		err = errors.Join(keyPart(customer), keyPart(ref))
	}
	return pk, skPreOrderCustomer + customer + "#" + ref, err
}

// preOrderOrderKey lists a pre-order in shard n of its season.
func preOrderOrderKey(m merchant.ID, season string, n int, id string) (pk, sk string, err error) {
	pk, err = preOrderShardPK(m, season, n)
	if err == nil {
		err = keyPart(id)
	}
	return pk, skPreOrderOrder + id, err
}

// preOrderCapKey is the count of a capped product's pre-ordered units in a
// season: one item, the cap's single point of truth.
func preOrderCapKey(m merchant.ID, season, ref string) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	if err == nil {
		err = errors.Join(keyPart(season), keyPart(ref))
	}
	return p + "#PRE#" + season + "#CAP", skPreOrderProduct + ref, err
}

// ERP catalog imports (erpcatalog.go): a family discount's rule and a
// customer's price, written by rows of the ERP's files; both ids come from
// a file and are checked as key parts.

// ruleKey is a discount rule's key (pricing.go reads the partition).
func ruleKey(m merchant.ID, id string) (pk, sk string, err error) {
	pk, err = rulesPK(m)
	if err == nil && (id == "" || len(id) > 200 || strings.ContainsAny(id, "# ")) {
		err = fmt.Errorf("%w: rule %q", ErrBadOrderKey, id)
	}
	return pk, "RULE#" + id, err
}

// customerPriceKey is a customer's price of a product.
func customerPriceKey(m merchant.ID, customer, ref string) (pk, sk string, err error) {
	pk, err = customerPK(m, customer)
	if err == nil {
		err = errors.Join(keyPart(customer), keyPart(ref))
	}
	return pk, skCustomerPrice + ref, err
}

// ERP settings and full files (ERP connector): a merchant's ERP settings
// (column mappings, full files that deactivate), and the partition of
// GSI1 that lists the customers the ERP wrote, which the sweep of a full
// customers file reads.

// erpSettingsKey is a merchant's ERP settings.
func erpSettingsKey(m merchant.ID) (pk, sk string, err error) {
	p, err := merchantPrefix(m)
	return p + "#ERP", "SETTINGS", err
}

// erpCustomersPK is the GSI1 partition of the customers the ERP wrote
// (GSI1SK = the customer id).
func erpCustomersPK(m merchant.ID) (string, error) {
	p, err := merchantPrefix(m)
	return p + "#ERPCUSTOMERS", err
}
