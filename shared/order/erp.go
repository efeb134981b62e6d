package order

import (
	"errors"
	"time"

	"github.com/comptoir/comptoir/shared/payment"
)

// Fulfilment is where the merchant's ERP stands with an order: the order's
// Status keeps telling its standing and its payment, Fulfilment its
// progress through the ERP (empty until the ERP acknowledges it).
type Fulfilment string

// Fulfilment stages, in the order an order goes through them.
const (
	// Acknowledged: the ERP recorded the order under its own number.
	Acknowledged Fulfilment = "acknowledged"
	// PartlyShipped: some units are shipped, others remain to ship
	// (backorders, "reliquats").
	PartlyShipped Fulfilment = "partly-shipped"
	// Shipped: every unit of every line is shipped.
	Shipped Fulfilment = "shipped"
	// Invoiced: the ERP invoiced the order.
	Invoiced Fulfilment = "invoiced"
	// ERPCancelled: the ERP cancelled the order; it will not serve it.
	ERPCancelled Fulfilment = "cancelled-by-erp"
)

// ERP is what the merchant's ERP said of an order, from its
// acknowledgement files.
type ERP struct {
	// Number is the ERP's own number of the order (Sage DO_Piece).
	Number string `json:"number,omitempty"`
	// Fulfilment is the stage the acknowledgements give.
	Fulfilment Fulfilment `json:"fulfilment"`
	// Invoice and InvoiceDate are the ERP's invoice, once invoiced.
	Invoice     string     `json:"invoice,omitempty"`
	InvoiceDate *time.Time `json:"invoiceDate,omitempty"`
	// Cancelled says the ERP cancelled the order.
	Cancelled bool `json:"cancelled,omitempty"`
	// Stamp is the stamp of the latest acknowledgement that set the
	// number, the invoice or the cancellation: an older one never
	// replaces them.
	Stamp time.Time `json:"stamp"`
}

// Ack is one acknowledgement row applied to an order (erp.Acknowledgement
// in the order's terms).
type Ack struct {
	Number string
	// Ref is the line's article; empty: the row is about the order.
	Ref string
	// Shipped are the units of Ref shipped so far, cumulative; nil: not
	// said.
	Shipped     *int64
	Invoice     string
	InvoiceDate time.Time
	Cancelled   bool
	Stamp       time.Time
}

// Errors of applying an acknowledgement.
var (
	// ErrNoSuchLine: the order has no line of the acknowledged article.
	ErrNoSuchLine = errors.New("the order has no line of this article")
	// ErrOrderCancelled: the order was cancelled on the site; the ERP
	// must not serve it.
	ErrOrderCancelled = errors.New("the order was cancelled on the site")
	// ErrNoInvoiceDateGiven: an invoice number without its date.
	ErrNoInvoiceDateGiven = errors.New("an invoice needs its date")
)

// ToShip is what remains to ship of the line: its units less those
// shipped (the backorder, "reliquat", once the ERP ships part of it).
func (l Line) ToShip() int64 { return max(l.Units-l.Shipped, 0) }

// AckResult tells what an acknowledgement did to an order.
type AckResult struct {
	// Changed is false when the order is exactly as it was (an
	// acknowledgement delivered again, or older than what it holds).
	Changed bool
	// First is true when the acknowledgement is the ERP's first word on
	// the order: its stock leaves the site's orders for the acknowledged
	// units (see the stock rule in docs/architecture.md).
	First bool
}

// ApplyAck applies the ERP's acknowledgement a to o. Shipped units are
// cumulative and never go down nor above the units ordered (a row
// delivered again, or an older one, changes nothing); the number, the
// invoice and the cancellation are replaced only by an acknowledgement at
// least as recent as the one that set them. An invoice date given, when
// the order's terms count from the invoice (end of month or net), gives
// the due date again from it, by the merchant's month-end method. The
// fulfilment stage follows: invoiced, else cancelled by the ERP, else
// shipped when every unit is, partly shipped when some are, acknowledged
// otherwise.
func ApplyAck(o *Order, a Ack, monthEnd payment.MonthEndMethod) (AckResult, error) {
	if o.Status == Cancelled {
		return AckResult{}, ErrOrderCancelled
	}
	if a.Invoice != "" && a.InvoiceDate.IsZero() {
		return AckResult{}, ErrNoInvoiceDateGiven
	}
	var res AckResult
	if o.ERP == nil {
		o.ERP = &ERP{Fulfilment: Acknowledged}
		res.Changed, res.First = true, true
	}
	e := o.ERP
	if a.Ref != "" {
		idx := []int{}
		for i, l := range o.Lines {
			if l.Ref == a.Ref {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			if res.First {
				o.ERP = nil
			}
			return AckResult{}, ErrNoSuchLine
		}
		if a.Shipped != nil {
			// The units shipped of the article spread over its lines in
			// their order, each up to its units.
			left := max(*a.Shipped, 0)
			for _, i := range idx {
				n := min(left, o.Lines[i].Units)
				left -= n
				if n > o.Lines[i].Shipped {
					o.Lines[i].Shipped = n
					res.Changed = true
				}
			}
		}
	}
	if !a.Stamp.Before(e.Stamp) {
		if a.Number != "" && a.Number != e.Number {
			e.Number, res.Changed = a.Number, true
		}
		if a.Invoice != "" {
			day := payment.Day(a.InvoiceDate)
			if a.Invoice != e.Invoice || e.InvoiceDate == nil || !e.InvoiceDate.Equal(day) {
				e.Invoice, e.InvoiceDate, res.Changed = a.Invoice, &day, true
				if err := dueFromInvoice(o, day, monthEnd); err != nil {
					return AckResult{}, err
				}
			}
		}
		if a.Cancelled && !e.Cancelled {
			e.Cancelled, res.Changed = true, true
		}
		if res.Changed && a.Stamp.After(e.Stamp) {
			e.Stamp = a.Stamp.UTC()
		}
	}
	if f := stageOf(o); f != e.Fulfilment {
		e.Fulfilment, res.Changed = f, true
	}
	return res, nil
}

// dueFromInvoice gives an order on account whose terms count from the
// invoice its due date from the invoice's day.
func dueFromInvoice(o *Order, day time.Time, monthEnd payment.MonthEndMethod) error {
	t := o.Payment.Terms
	if t == nil || (t.Basis != payment.EndOfMonth && t.Basis != payment.Net) {
		return nil
	}
	if t.Basis == payment.EndOfMonth && monthEnd.Validate() != nil {
		// No month-end method set: the due date printed stays.
		return nil
	}
	due, err := payment.DueDate(*t, monthEnd, payment.Dates{Invoice: day})
	if err != nil {
		return err
	}
	o.Payment.Due = &due
	return nil
}

// stageOf is the fulfilment stage an order's ERP state and lines give.
func stageOf(o *Order) Fulfilment {
	e := o.ERP
	switch {
	case e.Invoice != "":
		return Invoiced
	case e.Cancelled:
		return ERPCancelled
	}
	var shipped, units int64
	for _, l := range o.Lines {
		shipped += l.Shipped
		units += l.Units
	}
	switch {
	case shipped > 0 && shipped >= units:
		return Shipped
	case shipped > 0:
		return PartlyShipped
	}
	return Acknowledged
}
