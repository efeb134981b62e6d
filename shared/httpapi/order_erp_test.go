package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/httpapi"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
)

// Once the ERP's acknowledgement file went through, the order's detail
// shows the ERP's number, the shipped units, what remains to ship and the
// invoice, with the due date counted from the invoice; the buyer can no
// longer cancel it on the site.
func TestOrders_ShowTheERPAcknowledgement(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	f := newCheckoutFixture(t, payment.EndOfMonthThenDays)
	_, ordersAPI := orderingAPIs(t, f)
	buyer := coBuyer(coSmallPro)
	f.fillCart(t, buyer, line(refA, 4))
	placed := orderingExchange(t, f, f.handler, buyer, "POST", "/checkout", nil, standard("on-account"))
	if placed.resp.status != 201 {
		t.Fatalf("checkout: %d %s", placed.resp.status, placed.resp.body)
	}
	v := decode[httpapi.OrderView](t, placed.resp)
	shipped := int64(3)
	stamp := time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC)
	acks := &dynamo.ERPAcknowledgements{Table: f.table}
	counts, rejects, err := acks.Apply(context.Background(), erp.Chunk{Merchant: coMerchant, Job: "ack", Kind: erp.KindAcknowledgements, Records: []erp.Record{
		{Kind: erp.KindAcknowledgements, Line: 2, Stamp: stamp, Key: v.ID + "|" + refA, Ack: &erp.Acknowledgement{Order: v.ID, ERPNumber: "BC00042", Ref: refA, Shipped: &shipped}},
		{Kind: erp.KindAcknowledgements, Line: 3, Stamp: stamp, Key: v.ID + "|", Ack: &erp.Acknowledgement{Order: v.ID, ERPNumber: "BC00042", Invoice: "FA00077",
			InvoiceDate: time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)}},
	}})
	if err != nil || counts.Applied != 2 || len(rejects) != 0 {
		t.Fatalf("acknowledgement: %+v %v %v", counts, rejects, err)
	}
	got := orderingExchange(t, f, ordersAPI, buyer, "GET", "/orders/"+v.ID, nil, nil)
	if got.resp.status != 200 {
		t.Fatalf("detail: %d %s", got.resp.status, got.resp.body)
	}
	c.mustConform(t, got, true)
	d := decode[httpapi.OrderView](t, got.resp)
	if d.ERP == nil || d.ERP.Number != "BC00042" || d.ERP.Fulfilment != order.Invoiced || d.ERP.Invoice != "FA00077" || d.ERP.InvoiceDate != "2027-01-15" {
		t.Fatalf("erp = %+v", d.ERP)
	}
	if l := d.Lines[0]; l.Shipped != 3 || l.ToShip != l.Units-3 {
		t.Errorf("line = shipped %d, to ship %d of %d", l.Shipped, l.ToShip, l.Units)
	}
	// 30 days end of month, end of month then days: 31 January + 30 days.
	if d.Payment.Due == nil || d.Payment.Due.Day != "2027-03-02" {
		t.Errorf("due = %+v, want 2027-03-02 from the invoice", d.Payment.Due)
	}
	if e := orderingExchange(t, f, ordersAPI, buyer, "POST", "/orders/"+v.ID+"/cancel", nil, nil); e.resp.status != 409 {
		t.Errorf("cancel an order the ERP has: %d %s", e.resp.status, e.resp.body)
	}
}
