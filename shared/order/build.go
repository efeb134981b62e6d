package order

import (
	"errors"
	"io"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/orderevent"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
)

// errNotBuilt marks the functions whose bodies are still to come.
var errNotBuilt = errors.New("not built yet")

// Errors of the checkout's choices.
var (
	// ErrUnknownShippingMethod: the storefront has no such method.
	ErrUnknownShippingMethod = errors.New("unknown shipping method")
	// ErrNoShippingRate: the method does not deliver to the country.
	ErrNoShippingRate = errors.New("the shipping method does not deliver to that country")
	// ErrPaymentMethodRefused: the method is not offered to the customer
	// for that delivery country.
	ErrPaymentMethodRefused = errors.New("payment method not offered")
)

// NewID makes an order number from the merchant's calendar day and 8
// random characters of Crockford's base 32 read from random
// ("20261202-K3M9Q2TX").
func NewID(day time.Time, random io.Reader) (string, error) { return "", errNotBuilt }

// Request is one order line to serve, in units.
type Request struct {
	Ref   string
	Units int64
}

// Served is how one line is served: its allocations and its backorder.
type Served struct {
	Allocations []Allocation
	Backordered int64
}

// Allocate serves each line from the warehouses' levels, in order, the
// warehouses of prefer first (the customer's, then the storefront's), then
// the others from the most available down (ties by id), splitting a line
// when one warehouse cannot serve it all. Lines of the same product share
// its stock. What stock cannot serve is backordered when the product
// allows it; otherwise the result is a *ShortageError listing every such
// line with what is available, and nothing is served.
func Allocate(lines []Request, levels map[string][]stock.Level, products map[string]Product, prefer []string) ([]Served, error) {
	return nil, errNotBuilt
}

// ShippingCost is the cost excluding VAT of a method to a country, free
// from the storefront's threshold on the goods' amount excluding VAT,
// rounded to the currency's minor unit.
func ShippingCost(s merchant.Shipping, method, country string, goods decimal.Decimal, currency string) (cost decimal.Decimal, free bool, err error) {
	return decimal.Zero, false, errNotBuilt
}

// ShippingTax is the VAT of a delivery cost: it follows the goods'
// decisions, split over their rates in proportion to their bases, each
// part rounded to the minor unit, the last taking the remainder so that
// the parts add up to cost.
func ShippingTax(goods []tax.LineTax, cost decimal.Decimal, currency string) []tax.LineTax {
	return nil
}

// PaymentMethods are the methods a customer may pay an order delivered to
// country with: the storefront's for the country (or "*"), narrowed by
// the customer's, plus on account when the customer has terms.
func PaymentMethods(storefront map[string][]string, country string, c customer.PaymentAccount) []payment.Method {
	return nil
}

// PlacedEvent is the order.placed event of an order (orderevent, v1): its
// id is "<order id>.placed".
func PlacedEvent(o Order) orderevent.Event { return orderevent.Event{} }

// CancelledEvent is the order.cancelled event of a cancelled order: it
// repeats the order as placed, PlacedAt included; its id is
// "<order id>.cancelled".
func CancelledEvent(o Order) orderevent.Event { return orderevent.Event{} }

// WriteCSV writes orders as CSV, one row per line (order number, date,
// customer, reference, status, line, product, quantities, warehouse
// split, backorder, amounts), with a header; amounts in the currency's
// minor units with a dot.
func WriteCSV(w io.Writer, orders []Order) error { return errNotBuilt }
