package order

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Kind says whether an order is an ordinary order or a pre-order.
type Kind string

// Kinds of order.
const (
	// Ordinary orders take their stock at checkout (the zero value).
	Ordinary Kind = ""
	// PreOrderKind orders ("précommandes") hold lines of products taken on
	// pre-order, of one season; they take no stock until converted.
	PreOrderKind Kind = "pre-order"
)

// TotalsShards is the number of partitions a season's totals are spread
// over, so that a burst of pre-orders of one product never queues behind
// one item: each pre-order adds to one shard, and a read sums them all.
const TotalsShards = 16

// PreOrderInfo is what a pre-order keeps of its season.
type PreOrderInfo struct {
	Season string `json:"season"`
	// Closes is the season's last day when the order was placed: a buyer
	// may cancel until then.
	Closes time.Time `json:"closes"`
	// AvailableFrom is the day the goods were expected.
	AvailableFrom time.Time `json:"availableFrom"`
	// Shard is the totals shard (0 to TotalsShards-1) the pre-order added
	// to, and its cancellation takes from.
	Shard int `json:"shard"`
	// Capped are the products of the pre-order whose cap counted it: its
	// cancellation gives their units back to the cap.
	Capped []string `json:"capped,omitempty"`
	// ConvertedAt and ConvertedBy are set once staff turned the pre-order
	// into an ordinary order with its stock allocated (or backordered).
	ConvertedAt *time.Time `json:"convertedAt,omitempty"`
	ConvertedBy *PlacedBy  `json:"convertedBy,omitempty"`
}

// CapShortage is a pre-order line its product's cap cannot take.
type CapShortage struct {
	Ref string `json:"ref"`
	// Requested and Remaining are in units: Remaining is what the cap
	// still allows now.
	Requested int64 `json:"requested"`
	Remaining int64 `json:"remaining"`
	Cap       int64 `json:"cap"`
}

// CapError lists the pre-order lines that would take their product past
// its cap: nothing was written.
type CapError struct{ Lines []CapShortage }

func (e *CapError) Error() string {
	return fmt.Sprintf("%d pre-order lines over their product's cap", len(e.Lines))
}

// ProductTotal is what a season's pre-orders hold of one product, not
// counting cancelled ones: the exact figure the merchant orders from
// their suppliers with.
type ProductTotal struct {
	Ref string `json:"ref"`
	// Units pre-ordered; Lines is the number of pre-order lines.
	Units int64 `json:"units"`
	Lines int64 `json:"lines"`
}

// CustomerTotal is what one customer pre-ordered of one product in a
// season.
type CustomerTotal struct {
	Customer string `json:"customer"`
	Ref      string `json:"ref"`
	Units    int64  `json:"units"`
	Lines    int64  `json:"lines"`
}

// SeasonTotals are a season's pre-order totals, per product (by
// reference) and per customer and product (by customer, then reference).
type SeasonTotals struct {
	Season    string          `json:"season"`
	Products  []ProductTotal  `json:"products"`
	Customers []CustomerTotal `json:"customers"`
	// Units is the season's units over every product.
	Units int64 `json:"units"`
}

// ConvertResult says what a conversion did.
type ConvertResult struct {
	// Converted are the pre-orders turned into ordinary orders by this
	// call, Backordered the units they could not be served from stock.
	Converted   []string `json:"converted"`
	Backordered int64    `json:"backordered"`
	// Remaining are the season's pre-orders still to convert: call again.
	Remaining int `json:"remaining"`
}

// Bounds of one conversion call: how many pre-orders it converts when
// not told, and at most.
const (
	ConvertDefault = 50
	ConvertMax     = 100
)

// PreOrderBook reads a season's pre-order totals and converts its
// pre-orders.
type PreOrderBook interface {
	// Totals sums the season's shards: exact, whatever the concurrency
	// of the pre-orders that wrote them.
	Totals(ctx context.Context, m merchant.ID, season string) (SeasonTotals, error)
	// Convert turns at most limit of the season's pre-orders (neither
	// cancelled nor converted) into ordinary orders: each line is
	// allocated across the warehouses (prefer first), what stock cannot
	// serve is backordered, and the order and its stock takes are written
	// in one conditional write, so that no unit is sold twice.
	Convert(ctx context.Context, m merchant.ID, season string, prefer []string, limit int, by PlacedBy, at time.Time) (ConvertResult, error)
}

// TotalsCSVHeader are the columns of WriteTotalsCSV: the season, what the
// row totals ("product": every customer's pre-orders of the product;
// "customer": one customer's), the customer (empty on a product row), the
// product's reference, the units and the number of pre-order lines.
var TotalsCSVHeader = []string{"season", "total", "customer", "ref", "units", "lines"}

// What a row of WriteTotalsCSV totals.
const (
	TotalsRowProduct  = "product"
	TotalsRowCustomer = "customer"
)

// WriteTotalsCSV writes a season's totals as CSV (";"-separated, as the
// ERP's files are): the header (TotalsCSVHeader), one row per product,
// then one per customer and product, in the order of t; text cells are
// formula-neutralised as WriteCSV's, counts written as they are.
func WriteTotalsCSV(w io.Writer, t SeasonTotals) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(TotalsCSVHeader); err != nil {
		return err
	}
	season := textCell(t.Season)
	for _, p := range t.Products {
		row := []string{season, TotalsRowProduct, "", textCell(p.Ref), strconv.FormatInt(p.Units, 10), strconv.FormatInt(p.Lines, 10)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	for _, c := range t.Customers {
		row := []string{season, TotalsRowCustomer, textCell(c.Customer), textCell(c.Ref), strconv.FormatInt(c.Units, 10), strconv.FormatInt(c.Lines, 10)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
