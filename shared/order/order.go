// Package order holds placed orders ("commandes"): what a checkout turns a
// cart into, how its lines are served from the warehouses ("multi-dépôts")
// or kept as backorders ("reliquats"), its payment and its due date, and
// the storage port that places an order together with its stock, so that
// no unit is ever sold twice.
package order

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
	"github.com/comptoir/comptoir/shared/tax"
)

// Status is where an order stands.
type Status string

// Statuses of an order.
const (
	// AwaitingPayment: paid by card or transfer, the payment is not in yet.
	AwaitingPayment Status = "awaiting-payment"
	// Accepted: on account; the customer pays by the due date.
	Accepted Status = "accepted"
	// Paid: the merchant received the payment (card, transfer, or an
	// order on account settled); an order on account no longer counts in
	// the customer's outstanding.
	Paid Status = "paid"
	// Cancelled: the order no longer counts; its stock went back.
	Cancelled Status = "cancelled"
)

// Allocation is the part of a line served from one warehouse, in units.
type Allocation struct {
	Warehouse string `json:"warehouse"`
	Units     int64  `json:"units"`
}

// Line is one line of an order: the priced line as the buyer saw it at
// checkout, its VAT, and how its units are served.
type Line struct {
	pricing.PricedLine
	// Name is the product's name in the storefront's language at checkout.
	Name string `json:"name,omitempty"`
	// Tax is the line's VAT.
	Tax tax.LineTax `json:"tax"`
	// Allocations are the units served from each warehouse, preferred
	// warehouse first; their sum plus Backordered is Units.
	Allocations []Allocation `json:"allocations,omitempty"`
	// Backordered are the units that stock could not serve, to ship when
	// the goods come in ("reliquat"); only for a product that allows it.
	Backordered int64 `json:"backordered,omitempty"`
	// LinkedTo are the products whose mandatory links brought the line.
	LinkedTo []string `json:"linkedTo,omitempty"`
	// Shipped are the units the ERP shipped so far (its acknowledgement
	// files); ToShip gives what remains.
	Shipped int64 `json:"shipped,omitempty"`
}

// Shipping is the delivery an order was placed with.
type Shipping struct {
	Method string `json:"method"`
	// Address is the customer's delivery address the goods go to.
	AddressID string `json:"addressId,omitempty"`
	Country   string `json:"country"`
	// Cost is excluding VAT, zero when free; Tax is its VAT: delivery
	// follows the VAT of the goods, split over their rates in proportion
	// to their bases (see ShippingTax).
	Cost decimal.Decimal `json:"cost"`
	Free bool            `json:"free,omitempty"`
	Tax  []tax.LineTax   `json:"tax,omitempty"`
}

// Payment is how an order is paid.
type Payment struct {
	Method payment.Method `json:"method"`
	// Terms and Due are set for an order on account: the due date is
	// printed on the order ("date d'échéance").
	Terms *payment.Terms `json:"terms,omitempty"`
	Due   *payment.Due   `json:"due,omitempty"`
	// Reference is the payment provider's reference, for a card or a
	// transfer.
	Reference string `json:"reference,omitempty"`
	// Instructions tell the buyer how to pay (a transfer's details).
	Instructions string `json:"instructions,omitempty"`
}

// Totals are an order's amounts in its currency: the goods and the
// delivery excluding VAT (HT), the VAT per rate, the VAT and the amount
// including VAT (TTC). Net = the lines' totals + the shipping cost.
type Totals struct {
	Currency string          `json:"currency"`
	Goods    decimal.Decimal `json:"goods"`
	Shipping decimal.Decimal `json:"shipping"`
	Tax      tax.Summary     `json:"tax"`
	// ExchangeRate is set for an order in another currency than the euro;
	// NetEUR is the net amount in euros (the distance-selling ledger's).
	ExchangeRate *pricing.ExchangeRate `json:"exchangeRate,omitempty"`
	NetEUR       decimal.Decimal       `json:"netEUR"`
}

// Order is a placed order.
type Order struct {
	// ID is the order number ("20261202-K3M9Q2TX"): unique per merchant,
	// made at checkout (NewID).
	ID       string      `json:"id"`
	Merchant merchant.ID `json:"merchant"`
	Customer string      `json:"customer"`
	// CustomerKind is "pro" or "consumer" at checkout.
	CustomerKind string `json:"customerKind"`
	CustomerName string `json:"customerName,omitempty"`
	// PlacedBy is who placed it: the buyer's subject, or the rep's code
	// for an order a rep took for the customer ("commande déportée").
	PlacedBy PlacedBy  `json:"placedBy"`
	PlacedAt time.Time `json:"placedAt"`
	Status   Status    `json:"status"`
	// Reference is the customer's own order reference ("référence
	// client", "votre commande n°").
	Reference string `json:"reference,omitempty"`
	// RequestedDelivery is the day the customer asked to be delivered.
	RequestedDelivery *time.Time `json:"requestedDelivery,omitempty"`
	// Storefront is the storefront the order was placed on.
	Storefront string `json:"storefront"`
	// ShipFrom is the seller's country, ShipTo the delivery country.
	ShipFrom string   `json:"shipFrom"`
	Lines    []Line   `json:"lines"`
	Shipping Shipping `json:"shipping"`
	Payment  Payment  `json:"payment"`
	Totals   Totals   `json:"totals"`
	// Mentions are the legal mentions the order and its invoice carry
	// (VAT exemptions, the recovery indemnity of an order on account).
	Mentions []string `json:"mentions,omitempty"`
	// CancelledAt and CancelledBy are set once the order is cancelled.
	CancelledAt *time.Time `json:"cancelledAt,omitempty"`
	CancelledBy *PlacedBy  `json:"cancelledBy,omitempty"`
	// Kind is Ordinary or PreOrderKind.
	Kind Kind `json:"kind,omitempty"`
	// PreOrder is set on a pre-order: its season and what its
	// cancellation and its conversion need.
	PreOrder *PreOrderInfo `json:"preOrder,omitempty"`
	// Linked are the other orders the same checkout placed: a cart that
	// mixes ordinary lines and pre-order lines becomes one order for the
	// ordinary lines and one pre-order per season, linked to each other.
	Linked []string `json:"linked,omitempty"`
	// ERP is what the merchant's ERP said of the order (its number, the
	// fulfilment stage, the invoice); nil until it acknowledges it.
	ERP *ERP `json:"erp,omitempty"`
}

// PlacedBy is who acted on an order.
type PlacedBy struct {
	// Role is "buyer", "rep" or "staff".
	Role string `json:"role"`
	// ID is the buyer's or staff member's subject, or the rep's code.
	ID string `json:"id"`
}

// Backorders reports whether some line is (partly) backordered.
func (o Order) Backorders() bool {
	for _, l := range o.Lines {
		if l.Backordered > 0 {
			return true
		}
	}
	return false
}

// Product is what allocation needs to know of a line's product.
type Product struct {
	Ref string
	// Backorder is catalog.Product.Backorder.
	Backorder bool
}

// ProductOf returns what allocation needs of a catalog product.
func ProductOf(p catalog.Product) Product { return Product{Ref: p.Ref, Backorder: p.Backorder} }

// Errors of placing and reading orders.
var (
	// ErrNotFound: no such order (or not one the caller may see).
	ErrNotFound = errors.New("no such order")
	// ErrOutOfStock is wrapped by *ShortageError.
	ErrOutOfStock = errors.New("not enough stock")
	// ErrCartChanged: the cart changed between its read and the order's
	// write; nothing was written.
	ErrCartChanged = errors.New("the cart changed during checkout")
	// ErrBusy: the order could not be written through every retry of
	// transaction conflicts; nothing was written, trying again may
	// succeed (503 with Retry-After).
	ErrBusy = errors.New("too many concurrent orders on the same items")
	// ErrNotCancellable: the order is cancelled already, or its status
	// does not allow it.
	ErrNotCancellable = errors.New("the order cannot be cancelled")
	// ErrNotSettleable: the order is paid or cancelled already; only an
	// order awaiting payment or accepted can be marked paid.
	ErrNotSettleable = errors.New("the order cannot be marked paid")
	// ErrTooLarge: the order is more than one stored order can hold
	// (too many lines); nothing was written.
	ErrTooLarge = errors.New("the order is too large to be stored")
)

// Shortage is a line that stock cannot serve and whose product does not
// allow backorders.
type Shortage struct {
	Ref string `json:"ref"`
	// Requested and Available are in units; Available is what all the
	// warehouses hold for the line now.
	Requested int64 `json:"requested"`
	Available int64 `json:"available"`
}

// ShortageError lists the lines stock cannot serve: the order was not
// written.
type ShortageError struct{ Lines []Shortage }

// StockReader reads the stock levels of products in every warehouse.
type StockReader interface {
	// Levels returns the levels of refs, by reference; a product with no
	// level has none in the map.
	Levels(ctx context.Context, m merchant.ID, refs []string) (map[string][]stock.Level, error)
}

// Placement is an order ready to be written, with what must hold for it.
type Placement struct {
	Order Order
	// PreOrders are the pre-orders the same checkout places with Order,
	// in the same write (Order may itself be a pre-order when the cart
	// holds nothing else). Each pre-order line adds to its season's
	// totals and, for a capped product, to its capped count on the
	// condition that the cap holds (*CapError otherwise); none takes
	// stock.
	PreOrders []Order
	// Caps are the caps of the pre-orders' capped products (their
	// PreOrderInfo.Capped), in units, by reference: the write counts each
	// such line in its product's capped count on the condition that the
	// count stays within the cap.
	Caps map[string]int64
	// Cart is the cart the order consumes: emptied with the order (at the
	// next version, so that versions never restart), on the condition
	// that it is still at Version; empty Owner: no cart.
	Cart CartRef
	// Idempotency, when set, is completed with the order in the same
	// write.
	Idempotency *IdempotencyKey
	// Credit, when set, adds the order's amount including VAT to the
	// customer's outstanding ("encours") on the condition that it stays
	// within Limit.
	Credit *Credit
}

// CartRef names a stored cart at a version.
type CartRef struct {
	Customer string
	// Owner is the cart's owner (see cart storage): "B#<buyer subject>"
	// or "R#<rep code>".
	Owner   string
	Version int64
}

// Credit is the credit limit an order on account must stay within.
type Credit struct {
	Limit decimal.Decimal
}

// IdempotencyKey scopes a client's Idempotency-Key to the customer.
type IdempotencyKey struct {
	Customer string
	Key      string
}

// Store is the storage port of orders.
type Store interface {
	// Place writes the order, takes each allocation from its warehouse's
	// stock on the condition that it is available, empties the cart at its
	// next version and completes the idempotency record, all or nothing. A warehouse that
	// no longer holds an allocation fails with a *StaleStockError (the
	// caller reads the levels again and allocates again); the cart at
	// another version with ErrCartChanged; the credit with a
	// *payment.CreditLimitError. Transaction conflicts are retried with
	// jitter inside, then ErrBusy.
	Place(ctx context.Context, p Placement) error
	// Order reads one order by number, or ErrNotFound.
	Order(ctx context.Context, m merchant.ID, id string) (Order, error)
	// Cancel sets the order cancelled and gives its allocations back to
	// stock, and its amount back to the customer's outstanding when it
	// was on account, in one write conditioned on the status read.
	Cancel(ctx context.Context, m merchant.ID, id string, by PlacedBy, at time.Time) (Order, error)
	// Settle marks an order awaiting payment or accepted Paid and, for an
	// order on account, takes its amount off the customer's outstanding,
	// in one write conditioned on the status read; an order paid or
	// cancelled already is ErrNotSettleable, an unknown one ErrNotFound.
	Settle(ctx context.Context, m merchant.ID, id string, by PlacedBy, at time.Time) (Order, error)
}

// StaleStockError says which warehouses no longer hold what an order took
// from them: another order got there first.
type StaleStockError struct {
	// Refs are the products concerned.
	Refs []string
}

func (e *StaleStockError) Error() string { return "stock changed since it was read" }

// Error sums the shortages up.
func (e *ShortageError) Error() string { return "not enough stock for some lines" }

// Unwrap makes errors.Is(err, ErrOutOfStock) true.
func (e *ShortageError) Unwrap() error { return ErrOutOfStock }

// Query selects a list of orders, newest first.
type Query struct {
	// Customer is the company whose orders to list; empty lists every
	// order of the merchant (merchant staff only).
	Customer string
	// Status keeps the orders with that status; empty keeps all.
	Status Status
	// From and To keep the orders placed at or after From and before To;
	// zero: unbounded.
	From, To time.Time
	// Limit is at most MaxPage; 0 is DefaultPage.
	Limit int
	// After is the position the previous page ended at (Page.Next).
	After string
}

// Page sizes of order lists.
const (
	DefaultPage = 20
	MaxPage     = 100
)

// Page is one page of a list of orders.
type Page struct {
	Orders []Order
	// Next is the position to pass as Query.After for the next page;
	// empty on the last page.
	Next string
}

// ErrBadPosition is a list position (Query.After) that is not one of the
// list's: made for another customer, another list, or a month out of
// reach.
var ErrBadPosition = errors.New("invalid list position")

// History lists orders; a Query.After that is not one of the list's
// positions fails with an error wrapping ErrBadPosition.
type History interface {
	List(ctx context.Context, m merchant.ID, q Query) (Page, error)
}

// ClaimState is where an idempotency record stands.
type ClaimState string

// Claim states.
const (
	// Started: the record is new (or its former holder's lease ran out):
	// the caller places the order, with Claimed.OrderID.
	Started ClaimState = "started"
	// InFlight: another request holds the key and is placing the order.
	InFlight ClaimState = "in-flight"
	// Completed: the order was placed; Claimed.OrderID names it.
	Completed ClaimState = "completed"
)

// Claim is a checkout's claim on an idempotency key.
type Claim struct {
	// RequestHash digests the checkout request, CartHash the cart it
	// orders (empty for an empty cart).
	RequestHash, CartHash string
	// OrderID is the order number to use if the claim starts.
	OrderID string
	Now     time.Time
	// Lease is how long the claim holds before another request may take
	// it over (a crashed checkout).
	Lease time.Duration
}

// Claimed is the idempotency record as a claim found or left it.
type Claimed struct {
	State                 ClaimState
	OrderID               string
	RequestHash, CartHash string
}

// IdempotencyStore keeps the idempotency records of checkouts.
type IdempotencyStore interface {
	// Begin records the claim when the key is new or its lease ran out
	// (keeping the former order number), in one conditional write, and
	// otherwise returns the record as it stands.
	Begin(ctx context.Context, m merchant.ID, k IdempotencyKey, c Claim) (Claimed, error)
	// Release deletes a started claim that placed no order (a refusal), on
	// the condition that it still holds orderID, so that the key may be
	// used again.
	Release(ctx context.Context, m merchant.ID, k IdempotencyKey, orderID string) error
}
