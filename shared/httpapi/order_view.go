package httpapi

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/tax"
)

// OrderView shows a placed order to a client: the checkout's response and
// the orders function's detail. Every amount is in the order's currency,
// printed with its minor units; days are YYYY-MM-DD, instants RFC 3339.
type OrderView struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	// CustomerKind is "pro" or "consumer" at checkout.
	CustomerKind string `json:"customerKind"`
	CustomerName string `json:"customerName,omitempty"`
	// PlacedBy is who placed it: a buyer, or a rep for the customer.
	PlacedBy PlacedByView `json:"placedBy"`
	PlacedAt string       `json:"placedAt"`
	Status   order.Status `json:"status"`
	// Reference is the customer's own order reference.
	Reference string `json:"reference,omitempty"`
	// RequestedDelivery is the day the customer asked to be delivered.
	RequestedDelivery string `json:"requestedDelivery,omitempty"`
	Storefront        string `json:"storefront"`
	ShipFrom          string `json:"shipFrom"`
	ShipTo            string `json:"shipTo"`
	Currency          string `json:"currency"`
	// Backorders is true when some line is (partly) backordered.
	Backorders bool              `json:"backorders"`
	Lines      []OrderLineView   `json:"lines"`
	Shipping   OrderShippingView `json:"shipping"`
	Payment    OrderPaymentView  `json:"payment"`
	Totals     OrderTotalsView   `json:"totals"`
	// Mentions are the legal mentions the order and its invoice carry.
	Mentions []string `json:"mentions"`
	// CancelledAt (RFC 3339) and CancelledBy are set once cancelled.
	CancelledAt string        `json:"cancelledAt,omitempty"`
	CancelledBy *PlacedByView `json:"cancelledBy,omitempty"`
	// Kind is "pre-order" for a pre-order ("précommande"), absent for an
	// ordinary order.
	Kind order.Kind `json:"kind,omitempty"`
	// PreOrder is a pre-order's season.
	PreOrder *PreOrderInfoView `json:"preOrder,omitempty"`
	// Linked are the other orders the same checkout placed (a cart mixing
	// ordinary and pre-order lines).
	Linked []string `json:"linked,omitempty"`
	// ERP is what the merchant's ERP said of the order, once it
	// acknowledged it: its number, the fulfilment stage, the invoice.
	ERP *OrderERPView `json:"erp,omitempty"`
}

// OrderERPView is the ERP's word on an order: its own number, the
// fulfilment stage (acknowledged, partly-shipped, shipped, invoiced,
// cancelled-by-erp), and the invoice number and day (YYYY-MM-DD) once
// invoiced.
type OrderERPView struct {
	Number      string           `json:"number,omitempty"`
	Fulfilment  order.Fulfilment `json:"fulfilment"`
	Invoice     string           `json:"invoice,omitempty"`
	InvoiceDate string           `json:"invoiceDate,omitempty"`
}

// PreOrderInfoView is what a pre-order shows of its season: its name, its
// last day (a buyer may cancel until then) and the day the goods are
// expected, YYYY-MM-DD; ConvertedAt (RFC 3339) once staff turned it into
// an ordinary order with its stock.
type PreOrderInfoView struct {
	Season        string `json:"season"`
	Closes        string `json:"closes"`
	AvailableFrom string `json:"availableFrom"`
	ConvertedAt   string `json:"convertedAt,omitempty"`
}

// PlacedByView is who acted on an order: role "buyer", "rep" or "staff",
// and the buyer's or staff member's subject, or the rep's code.
type PlacedByView struct {
	Role string `json:"role"`
	ID   string `json:"id"`
}

// OrderLineView is one line of an order: the priced line as the buyer saw
// it at checkout, its VAT, and how its units are served: from which
// warehouses, and how many are backordered ("reliquat").
type OrderLineView struct {
	Ref       string                `json:"ref"`
	Name      string                `json:"name,omitempty"`
	Quantity  int64                 `json:"quantity"`
	Packaging catalog.PackagingKind `json:"packaging"`
	// Units is Quantity times the packaging's units.
	Units     int64               `json:"units"`
	UnitPrice money.Amount        `json:"unitPrice"`
	Gross     money.Amount        `json:"gross"`
	Discounts []OrderDiscountView `json:"discounts"`
	// Total is the line's amount excluding VAT: Gross − Σ discounts.
	Total money.Amount `json:"total"`
	// Net is true when a net price fixed the line.
	Net bool        `json:"net"`
	Tax LineTaxView `json:"tax"`
	// Allocations are the units served from each warehouse; their sum plus
	// Backordered is Units.
	Allocations []order.Allocation `json:"allocations"`
	Backordered int64              `json:"backordered"`
	// LinkedTo are the products whose mandatory links brought the line.
	LinkedTo []string `json:"linkedTo,omitempty"`
	// Shipped are the units the ERP shipped so far; ToShip what remains
	// to ship (the backorder once the ERP ships part of the line).
	Shipped int64 `json:"shipped"`
	ToShip  int64 `json:"toShip"`
}

// OrderDiscountView is one discount applied to a line.
type OrderDiscountView struct {
	Rule    string          `json:"rule"`
	Name    string          `json:"name"`
	Kind    string          `json:"kind"`
	Percent decimal.Decimal `json:"percent,omitzero"`
	Amount  money.Amount    `json:"amount"`
	Reason  string          `json:"reason"`
}

// OrderShippingView is the delivery: method, address and country, its cost
// excluding VAT (zero when free) and its VAT, which follows the goods'.
type OrderShippingView struct {
	Method    string        `json:"method"`
	AddressID string        `json:"addressId,omitempty"`
	Country   string        `json:"country"`
	Cost      money.Amount  `json:"cost"`
	Free      bool          `json:"free"`
	Tax       []LineTaxView `json:"tax"`
	// VAT and Gross sum the cost's VAT parts and the cost including them.
	VAT   money.Amount `json:"vat"`
	Gross money.Amount `json:"gross"`
}

// OrderPaymentView is how the order is paid: the method and its French
// label; for an order on account the terms (id and wording) and the due
// date; for a card or a transfer the provider's reference and
// instructions.
type OrderPaymentView struct {
	Method       payment.Method `json:"method"`
	Label        string         `json:"label"`
	Terms        string         `json:"terms,omitempty"`
	TermsLabel   string         `json:"termsLabel,omitempty"`
	Due          *DueView       `json:"due,omitempty"`
	Reference    string         `json:"reference,omitempty"`
	Instructions string         `json:"instructions,omitempty"`
}

// DueView is a due date ("date d'échéance"), YYYY-MM-DD; Estimated marks a
// date counted from a delivery that has not happened yet.
type DueView struct {
	Day       string `json:"day"`
	Estimated bool   `json:"estimated"`
}

// OrderTotalsView are the order's amounts: goods and shipping excluding
// VAT, the VAT per rate with its mentions, then HT, VAT and TTC; for an
// order in another currency than the euro, its exchange rate and its net
// amount in euros.
type OrderTotalsView struct {
	Currency     string            `json:"currency"`
	Goods        money.Amount      `json:"goods"`
	Shipping     money.Amount      `json:"shipping"`
	PerRate      []RateTotalView   `json:"perRate"`
	Net          money.Amount      `json:"net"`
	VAT          money.Amount      `json:"vat"`
	Gross        money.Amount      `json:"gross"`
	ExchangeRate *ExchangeRateView `json:"exchangeRate,omitempty"`
	NetEUR       *money.Amount     `json:"netEUR,omitempty"`
}

// NewOrderView shows o.
func NewOrderView(o order.Order) OrderView {
	cur := o.Totals.Currency
	amount := func(d decimal.Decimal) money.Amount { return money.AmountIn(d, cur) }
	v := OrderView{
		ID: o.ID, Customer: o.Customer, CustomerKind: o.CustomerKind, CustomerName: o.CustomerName,
		PlacedBy: PlacedByView(o.PlacedBy), PlacedAt: o.PlacedAt.UTC().Format(time.RFC3339),
		Status: o.Status, Reference: o.Reference, Storefront: o.Storefront,
		ShipFrom: o.ShipFrom, ShipTo: o.Shipping.Country, Currency: cur, Backorders: o.Backorders(),
		Lines: make([]OrderLineView, len(o.Lines)), Mentions: append([]string{}, o.Mentions...),
	}
	if o.RequestedDelivery != nil {
		v.RequestedDelivery = o.RequestedDelivery.Format(time.DateOnly)
	}
	if o.CancelledAt != nil {
		v.CancelledAt = o.CancelledAt.UTC().Format(time.RFC3339)
	}
	if o.CancelledBy != nil {
		by := PlacedByView(*o.CancelledBy)
		v.CancelledBy = &by
	}
	v.Kind, v.Linked = o.Kind, o.Linked
	if p := o.PreOrder; p != nil {
		v.PreOrder = &PreOrderInfoView{Season: p.Season, Closes: p.Closes.Format(time.DateOnly), AvailableFrom: p.AvailableFrom.Format(time.DateOnly)}
		if p.ConvertedAt != nil {
			v.PreOrder.ConvertedAt = p.ConvertedAt.UTC().Format(time.RFC3339)
		}
	}
	if e := o.ERP; e != nil {
		v.ERP = &OrderERPView{Number: e.Number, Fulfilment: e.Fulfilment, Invoice: e.Invoice}
		if e.InvoiceDate != nil {
			v.ERP.InvoiceDate = e.InvoiceDate.Format(time.DateOnly)
		}
	}
	for i, l := range o.Lines {
		lv := OrderLineView{
			Ref: l.Ref, Name: l.Name, Quantity: l.Quantity, Packaging: l.Packaging, Units: l.Units,
			UnitPrice: amount(l.UnitPrice.Decimal), Gross: amount(l.Gross.Decimal),
			Discounts: make([]OrderDiscountView, len(l.Discounts)),
			Total:     amount(l.Total.Decimal), Net: l.Net, Tax: lineTaxView(l.Tax, cur),
			Allocations: append([]order.Allocation{}, l.Allocations...), Backordered: l.Backordered,
			LinkedTo: l.LinkedTo, Shipped: l.Shipped, ToShip: l.ToShip(),
		}
		for j, d := range l.Discounts {
			lv.Discounts[j] = OrderDiscountView{Rule: d.Rule, Name: d.Name, Kind: d.Kind, Percent: d.Percent, Amount: amount(d.Amount.Decimal), Reason: d.Reason}
		}
		v.Lines[i] = lv
	}
	s := o.Shipping
	v.Shipping = OrderShippingView{Method: s.Method, AddressID: s.AddressID, Country: s.Country, Cost: amount(s.Cost), Free: s.Free, Tax: make([]LineTaxView, len(s.Tax))}
	shipVAT := decimal.Zero
	for i, t := range s.Tax {
		v.Shipping.Tax[i] = lineTaxView(t, cur)
		shipVAT = shipVAT.Add(t.VAT)
	}
	v.Shipping.VAT, v.Shipping.Gross = amount(shipVAT), amount(s.Cost.Add(shipVAT))
	p := o.Payment
	v.Payment = OrderPaymentView{Method: p.Method, Label: p.Method.Label(), Reference: p.Reference, Instructions: p.Instructions}
	if p.Terms != nil {
		v.Payment.Terms, v.Payment.TermsLabel = p.Terms.String(), p.Terms.Label()
	}
	if p.Due != nil {
		v.Payment.Due = &DueView{Day: p.Due.Day.Format(time.DateOnly), Estimated: p.Due.Estimated}
	}
	t := o.Totals
	v.Totals = OrderTotalsView{Currency: cur, Goods: amount(t.Goods), Shipping: amount(t.Shipping),
		PerRate: make([]RateTotalView, len(t.Tax.PerRate)), Net: amount(t.Tax.Net), VAT: amount(t.Tax.VAT), Gross: amount(t.Tax.Gross)}
	for i, r := range t.Tax.PerRate {
		v.Totals.PerRate[i] = RateTotalView{Regime: r.Regime, Country: r.Country, Rate: r.Rate, Mention: r.Mention, Base: amount(r.Base), VAT: amount(r.VAT)}
	}
	if t.ExchangeRate != nil {
		v.Totals.ExchangeRate = &ExchangeRateView{Rate: t.ExchangeRate.Rate, Date: t.ExchangeRate.Date.Format(time.DateOnly)}
		eur := money.AmountIn(t.NetEUR, fx.EUR)
		v.Totals.NetEUR = &eur
	}
	return v
}

// lineTaxView shows one VAT part in currency.
func lineTaxView(lt tax.LineTax, currency string) LineTaxView {
	return LineTaxView{Regime: lt.Regime, Country: lt.Country, Category: lt.Category, Rate: lt.Rate,
		Base: money.AmountIn(lt.Base, currency), VAT: money.AmountIn(lt.VAT, currency), Gross: money.AmountIn(lt.Gross, currency),
		Mention: lt.Mention, Reason: lt.Reason}
}

// OrderSummaryView is an order in a list: enough to find it and open it.
type OrderSummaryView struct {
	ID           string       `json:"id"`
	PlacedAt     string       `json:"placedAt"`
	Status       order.Status `json:"status"`
	Reference    string       `json:"reference,omitempty"`
	Customer     string       `json:"customer"`
	CustomerName string       `json:"customerName,omitempty"`
	PlacedBy     PlacedByView `json:"placedBy"`
	Currency     string       `json:"currency"`
	// Net and Gross are the order's amounts excluding and including VAT.
	Net   money.Amount `json:"net"`
	Gross money.Amount `json:"gross"`
	// Lines is the number of lines.
	Lines int `json:"lines"`
	// Backorders is true when some line is (partly) backordered.
	Backorders bool `json:"backorders"`
	// Due is the due date of an order on account.
	Due *DueView `json:"due,omitempty"`
}

// NewOrderSummaryView shows o in a list.
func NewOrderSummaryView(o order.Order) OrderSummaryView {
	cur := o.Totals.Currency
	v := OrderSummaryView{ID: o.ID, PlacedAt: o.PlacedAt.UTC().Format(time.RFC3339), Status: o.Status, Reference: o.Reference,
		Customer: o.Customer, CustomerName: o.CustomerName, PlacedBy: PlacedByView(o.PlacedBy), Currency: cur,
		Net: money.AmountIn(o.Totals.Tax.Net, cur), Gross: money.AmountIn(o.Totals.Tax.Gross, cur),
		Lines: len(o.Lines), Backorders: o.Backorders()}
	if d := o.Payment.Due; d != nil {
		v.Due = &DueView{Day: d.Day.Format(time.DateOnly), Estimated: d.Estimated}
	}
	return v
}
