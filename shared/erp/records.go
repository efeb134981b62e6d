package erp

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tariff"
)

// Kind is what one ERP file holds: every row of a file is of one kind.
type Kind string

// The kinds of file the ERP drops into a merchant's inbox.
const (
	// KindCategories: categories and families (Sage F_FAMILLE).
	KindCategories Kind = "categories"
	// KindProducts: articles with their names, packaging, quantity rules,
	// tax category, linked articles and "hors remise" (Sage F_ARTICLE).
	KindProducts Kind = "products"
	// KindCustomers: customer accounts (Sage F_COMPTET).
	KindCustomers Kind = "customers"
	// KindReps: sales reps and their portfolios (Sage F_COLLABORATEUR).
	KindReps Kind = "reps"
	// KindPriceCategories: price categories (Sage P_CATTARIF).
	KindPriceCategories Kind = "price-categories"
	// KindPrices: prices per price category or per customer (Sage
	// F_ARTCLIENT).
	KindPrices Kind = "prices"
	// KindQuantityBreaks: quantity breaks of those prices (Sage
	// F_TARIFQTE).
	KindQuantityBreaks Kind = "quantity-breaks"
	// KindFamilyDiscounts: a customer's discount on a family (Sage
	// F_FAMCLIENT).
	KindFamilyDiscounts Kind = "family-discounts"
	// KindWarehouses: warehouses (Sage F_DEPOT).
	KindWarehouses Kind = "warehouses"
	// KindStock: stock per product and warehouse with its alert
	// thresholds (Sage F_ARTSTOCK).
	KindStock Kind = "stock"
	// KindExchangeRates: exchange rates, units of a currency per euro.
	KindExchangeRates Kind = "exchange-rates"
	// KindAcknowledgements: the ERP's acknowledgements of the orders
	// Comptoir exported, one row per order line (Sage F_DOCLIGNE): its
	// order number, the units shipped, the invoice.
	KindAcknowledgements Kind = "acknowledgements"
)

// Kinds lists every kind, in the order a merchant's first full load
// applies them (a product names its category, a price its product).
var Kinds = []Kind{KindCategories, KindPriceCategories, KindWarehouses, KindReps, KindProducts,
	KindCustomers, KindPrices, KindQuantityBreaks, KindFamilyDiscounts, KindStock, KindExchangeRates,
	KindAcknowledgements}

// Record is one valid row of an ERP file, decoded into the domain's own
// terms: exactly one of the pointer fields is set, the one of Kind.
type Record struct {
	Kind Kind `json:"kind"`
	// Line is the line of the file where the row starts (1 is the first
	// line, the header of a CSV file).
	Line int `json:"line"`
	// Stamp is the ERP's modification stamp of the row, or the file's own
	// timestamp when the row has none: an older row never overwrites a
	// newer one.
	Stamp time.Time `json:"stamp"`
	// Key is the business key of the row within its kind (a product's
	// reference, "ref|warehouse" for stock...): two records of one kind
	// and Key write the same data.
	Key string `json:"key"`

	Category       *catalog.Category       `json:"category,omitempty"`
	Product        *catalog.Product        `json:"product,omitempty"`
	Customer       *customer.Customer      `json:"customer,omitempty"`
	Rep            *customer.Rep           `json:"rep,omitempty"`
	PriceCategory  *customer.PriceCategory `json:"priceCategory,omitempty"`
	Price          *tariff.Entry           `json:"price,omitempty"`
	QuantityBreak  *QuantityBreak          `json:"quantityBreak,omitempty"`
	FamilyDiscount *FamilyDiscount         `json:"familyDiscount,omitempty"`
	Warehouse      *stock.Warehouse        `json:"warehouse,omitempty"`
	Stock          *stock.Level            `json:"stock,omitempty"`
	Rate           *ExchangeRate           `json:"rate,omitempty"`
	Ack            *Acknowledgement        `json:"ack,omitempty"`
}

// Acknowledgement is the ERP's word on one line of an order Comptoir
// exported (Sage F_DOCLIGNE of the sales order, delivery note or invoice
// the order became): the ERP's order number, the units of the line
// shipped so far, and the invoice once there is one. A row without Ref
// acknowledges the order alone (its number, invoice or status).
type Acknowledgement struct {
	// Order is the Comptoir order number, as the order export gave it to
	// the ERP (Sage DO_Ref).
	Order string `json:"order"`
	// ERPNumber is the ERP's number of the order (Sage DO_Piece).
	ERPNumber string `json:"erpNumber,omitempty"`
	// Ref is the article of the line (Sage AR_Ref); empty: the row is
	// about the order, not a line.
	Ref string `json:"ref,omitempty"`
	// Shipped are the units of the line shipped so far, cumulative (Sage
	// DL_QteBL): a row delivered again changes nothing. Nil: the row does
	// not say (the shipped units stay as they are).
	Shipped *int64 `json:"shipped,omitempty"`
	// Invoice and InvoiceDate are the ERP's invoice of the order, once
	// invoiced; InvoiceDate is a civil day (midnight UTC).
	Invoice     string    `json:"invoice,omitempty"`
	InvoiceDate time.Time `json:"invoiceDate,omitzero"`
	// Status is the ERP's status of the order when it says more than the
	// quantities do: "cancelled" (the ERP will not serve it); empty
	// otherwise.
	Status string `json:"status,omitempty"`
	// PaidOn is the day the ERP recorded the order's payment (its
	// settlement of the invoice); the zero time: not paid, or not said.
	// A civil day (midnight UTC).
	PaidOn time.Time `json:"paidOn,omitzero"`
}

// AckCancelled is the ERP's status of an order it cancelled.
const AckCancelled = "cancelled"

// QuantityBreak is one break of a price (Sage F_TARIFQTE): from Break.From
// units (or amount, for tariff.AmountDiscount), the price entry of Ref for
// Scope/ScopeID gives Break.Value (a net price or a discount percentage, as
// the entry's mode says).
type QuantityBreak struct {
	Scope   tariff.Scope `json:"scope"`
	ScopeID string       `json:"scopeId"`
	Ref     string       `json:"ref"`
	Break   tariff.Break `json:"break"`
}

// FamilyDiscount is a customer's discount on a family of products (Sage
// F_FAMCLIENT: CT_Num, FA_CodeFamille, FC_Remise). It becomes the discount
// rule FamilyDiscountRule gives.
type FamilyDiscount struct {
	Customer string          `json:"customer"`
	Family   string          `json:"family"`
	Percent  decimal.Decimal `json:"percent"`
}

// FamilyDiscountRule is the pricing rule of a family discount: its id is
// derived from the customer and the family, so that a row of the same pair
// always writes the same rule.
func FamilyDiscountRule(d FamilyDiscount) pricing.Rule {
	return pricing.Rule{
		ID:     "erp-fc-" + d.Customer + "-" + d.Family,
		Name:   "ERP family discount " + d.Family + " for " + d.Customer,
		Who:    pricing.Who{Customer: d.Customer},
		Target: pricing.Target{Family: d.Family},
		Kind:   pricing.Percent,

		Percent: d.Percent,
	}
}

// ExchangeRate is the ERP's rate of one currency on one day: 1 EUR =
// PerEUR units of Currency.
type ExchangeRate struct {
	Date     time.Time       `json:"date"`
	Currency string          `json:"currency"`
	PerEUR   decimal.Decimal `json:"perEur"`
}

// RowError is a row of an ERP file that was rejected: the import report
// lists each with its line, the column at fault and why.
type RowError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
	// Value is what the column held, cut to 80 bytes.
	Value string `json:"value,omitempty"`
}

// ErrUnreadable is what a file reader's error wraps when the file cannot
// be read past a point (an unclosed quote that makes the rest of the file
// one over-long field): reading it again will not help, so the import
// reports it as a rejected row and applies what came before.
var ErrUnreadable = errors.New("the file cannot be read past this point")

// Chunk is a run of valid records of one file, sent by erp-ingest to
// erp-sync (and, for stock, on to stock-update) as one SQS message.
type Chunk struct {
	Merchant merchant.ID `json:"merchant"`
	// Job is the import job of the file.
	Job  string `json:"job"`
	Kind Kind   `json:"kind"`
	// Seq numbers the file's chunks from 0; the same file always gives the
	// same chunks, so a chunk is applied and counted once per (Job, Seq).
	Seq int `json:"seq"`
	// Full says that the file is a full export of its kind (not a delta).
	Full bool `json:"full,omitempty"`
	// DeactivateMissing says that the file is a full file whose kind the
	// merchant's settings deactivate what it lacks of: each item a record
	// names is marked as seen by the file (at FileStamp), even when the
	// record changes nothing, so that the file's sweep (see Sweeper)
	// leaves it active.
	DeactivateMissing bool `json:"deactivateMissing,omitempty"`
	// FileStamp is the file's own timestamp, set with DeactivateMissing.
	FileStamp time.Time `json:"fileStamp,omitzero"`
	Records   []Record  `json:"records"`
}

// Counts are what applying records did.
type Counts struct {
	// Applied rows changed what Comptoir holds.
	Applied int `json:"applied"`
	// Unchanged rows held what was already there, or older data than what
	// is there (a row never overwrites a newer one).
	Unchanged int `json:"unchanged"`
	// Rejected rows were refused: by the file's validation (with their
	// RowError in the report), or when applied (an unknown product...).
	Rejected int `json:"rejected"`
}

// Add returns c + o.
func (c Counts) Add(o Counts) Counts {
	return Counts{Applied: c.Applied + o.Applied, Unchanged: c.Unchanged + o.Unchanged, Rejected: c.Rejected + o.Rejected}
}

// Applier applies the records of one chunk to what Comptoir holds. It is
// idempotent: a chunk applied twice, or records older than what is stored,
// change nothing the second time and count as Unchanged. Rejections are
// the records it refused, with their line.
type Applier interface {
	Apply(ctx context.Context, c Chunk) (Counts, []RowError, error)
}
