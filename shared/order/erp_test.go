package order

import (
	"errors"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/pricing"
)

func ackOrder() Order {
	terms := payment.ThirtyDaysEndOfMonth
	return Order{ID: "O-1", Status: Accepted,
		Lines: []Line{{PricedLine: pricing.PricedLine{Ref: "A", Units: 10}}, {PricedLine: pricing.PricedLine{Ref: "B", Units: 4}}},
		Payment: Payment{Method: payment.OnAccount, Terms: &terms,
			Due: &payment.Due{Day: time.Date(2027, 1, 30, 0, 0, 0, 0, time.UTC)}}}
}

func units(n int64) *int64 { return &n }

func TestApplyAck(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	inv := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name        string
		acks        []Ack
		status      Status
		terms       *payment.Terms
		wantErr     error
		wantStage   Fulfilment
		wantShipped [2]int64
		wantChanged bool // of the last ack
		wantNumber  string
		wantDue     string
	}{
		{name: "order acknowledged alone", acks: []Ack{{Number: "BC1", Stamp: t0}}, wantStage: Acknowledged, wantChanged: true, wantNumber: "BC1", wantDue: "2027-01-30"},
		{name: "a line partly shipped", acks: []Ack{{Number: "BC1", Ref: "A", Shipped: units(4), Stamp: t0}}, wantStage: PartlyShipped, wantShipped: [2]int64{4, 0}, wantChanged: true, wantNumber: "BC1", wantDue: "2027-01-30"},
		{name: "the same row again changes nothing", acks: []Ack{{Number: "BC1", Ref: "A", Shipped: units(4), Stamp: t0}, {Number: "BC1", Ref: "A", Shipped: units(4), Stamp: t0}},
			wantStage: PartlyShipped, wantShipped: [2]int64{4, 0}, wantNumber: "BC1", wantDue: "2027-01-30"},
		{name: "an older row never lowers shipped units", acks: []Ack{{Ref: "A", Shipped: units(6), Stamp: t1}, {Ref: "A", Shipped: units(2), Stamp: t0}},
			wantStage: PartlyShipped, wantShipped: [2]int64{6, 0}, wantDue: "2027-01-30"},
		{name: "never more than ordered", acks: []Ack{{Ref: "A", Shipped: units(12), Stamp: t0}, {Ref: "B", Shipped: units(4), Stamp: t0}},
			wantStage: Shipped, wantShipped: [2]int64{10, 4}, wantChanged: true, wantDue: "2027-01-30"},
		{name: "invoiced: due date from the invoice, end of month then 30 days",
			acks:      []Ack{{Ref: "A", Shipped: units(10), Stamp: t0}, {Number: "BC1", Invoice: "FA77", InvoiceDate: inv, Stamp: t1}},
			wantStage: Invoiced, wantShipped: [2]int64{10, 0}, wantChanged: true, wantNumber: "BC1", wantDue: "2027-03-02"},
		{name: "net terms count from the invoice", terms: &payment.SixtyDaysNet,
			acks:      []Ack{{Invoice: "FA77", InvoiceDate: inv, Stamp: t0}},
			wantStage: Invoiced, wantChanged: true, wantDue: "2027-03-16"},
		{name: "delivery terms keep their due date", terms: &payment.ThirtyDaysAfterDelivery,
			acks:      []Ack{{Invoice: "FA77", InvoiceDate: inv, Stamp: t0}},
			wantStage: Invoiced, wantChanged: true, wantDue: "2027-01-30"},
		{name: "an older invoice does not replace a newer one",
			acks:      []Ack{{Invoice: "FA78", InvoiceDate: inv, Stamp: t1}, {Invoice: "FA77", InvoiceDate: inv.AddDate(0, 0, -5), Stamp: t0}},
			wantStage: Invoiced, wantDue: "2027-03-02"},
		{name: "cancelled by the ERP", acks: []Ack{{Number: "BC1", Cancelled: true, Stamp: t0}}, wantStage: ERPCancelled, wantChanged: true, wantNumber: "BC1", wantDue: "2027-01-30"},
		{name: "unknown line", acks: []Ack{{Ref: "Z", Shipped: units(1), Stamp: t0}}, wantErr: ErrNoSuchLine},
		{name: "invoice without its date", acks: []Ack{{Invoice: "FA1", Stamp: t0}}, wantErr: ErrNoInvoiceDateGiven},
		{name: "order cancelled on the site", status: Cancelled, acks: []Ack{{Number: "BC1", Stamp: t0}}, wantErr: ErrOrderCancelled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := ackOrder()
			if c.status != "" {
				o.Status = c.status
			}
			if c.terms != nil {
				o.Payment.Terms = c.terms
			}
			var res AckResult
			var err error
			for _, a := range c.acks {
				if res, err = ApplyAck(&o, a, payment.EndOfMonthThenDays); err != nil {
					break
				}
			}
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if o.ERP != nil {
					t.Errorf("a refused first acknowledgement left %+v", o.ERP)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.ERP.Fulfilment != c.wantStage || o.Lines[0].Shipped != c.wantShipped[0] || o.Lines[1].Shipped != c.wantShipped[1] ||
				res.Changed != c.wantChanged || o.ERP.Number != c.wantNumber || o.Payment.Due.Day.Format(time.DateOnly) != c.wantDue {
				t.Errorf("got stage %s, shipped %d/%d, changed %v, number %q, due %s", o.ERP.Fulfilment, o.Lines[0].Shipped, o.Lines[1].Shipped,
					res.Changed, o.ERP.Number, o.Payment.Due.Day.Format(time.DateOnly))
			}
			if got := o.Lines[0].ToShip(); got != 10-c.wantShipped[0] {
				t.Errorf("to ship %d", got)
			}
		})
	}
}
