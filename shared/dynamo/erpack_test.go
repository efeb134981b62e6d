package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
)

var ackStamp = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func ackRecord(line int, id, number, ref string, shipped int64) erp.Record {
	a := &erp.Acknowledgement{Order: id, ERPNumber: number, Ref: ref}
	if ref != "" {
		a.Shipped = &shipped
	}
	return erp.Record{Kind: erp.KindAcknowledgements, Line: line, Stamp: ackStamp, Key: id + "|" + ref, Ack: a}
}

func ackChunk(seq int, records ...erp.Record) erp.Chunk {
	return erp.Chunk{Merchant: shopM, Job: "ack-job", Kind: erp.KindAcknowledgements, Seq: seq, Records: records}
}

func newAcks(f ordersFixture) *dynamo.ERPAcknowledgements {
	return &dynamo.ERPAcknowledgements{Table: f.tbl, MonthEnd: func(context.Context, merchant.ID) (payment.MonthEndMethod, error) {
		return payment.EndOfMonthThenDays, nil
	}}
}

func acknowledgedUnits(t *testing.T, f ordersFixture, ref, w string) int64 {
	t.Helper()
	out, err := f.tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#" + string(shopM) + "#P#" + ref},
			"SK": &types.AttributeValueMemberS{Value: "STOCK#" + w},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Item["Acknowledged"]; !ok {
		return 0
	}
	return num(t, out.Item, "Acknowledged")
}

// The ERP's acknowledgement gives the order its number and shipped units,
// moves its units from SiteOrders to Acknowledged (Available unchanged),
// a chunk delivered again changes nothing, the site can no longer cancel
// the order, and the ERP's next count frees Acknowledged.
func TestERPAcknowledgements_OrderAndStock(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t, []string{"LYON", "PARIS"}, level("VIS-M6", "LYON", 100), level("VIS-M6", "PARIS", 50), level("ECR-M6", "LYON", 40))
	ctx := context.Background()
	placed := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	o := anOrder("O-1", "C1", placed, "10.00", line("VIS-M6", alloc("LYON", 10), alloc("PARIS", 5)), line("ECR-M6", alloc("LYON", 4)))
	if err := f.orders.Place(ctx, orderPlacement(o)); err != nil {
		t.Fatal(err)
	}
	acks := newAcks(f)
	chunk := ackChunk(0, ackRecord(2, "O-1", "BC00042", "VIS-M6", 15), ackRecord(3, "O-1", "BC00042", "ECR-M6", 1),
		ackRecord(4, "O-404", "BC00043", "VIS-M6", 1), ackRecord(5, "O-1", "BC00042", "NOPE", 1))
	counts, rejects, err := acks.Apply(ctx, chunk)
	if err != nil {
		t.Fatal(err)
	}
	if counts != (erp.Counts{Applied: 2, Rejected: 2}) || len(rejects) != 2 {
		t.Fatalf("counts %+v, rejects %+v", counts, rejects)
	}
	lines := map[int]string{}
	for _, r := range rejects {
		lines[r.Line] = r.Reason
	}
	if lines[4] != "unknown order" || lines[5] != "the order has no line of this article" {
		t.Errorf("rejects = %+v", rejects)
	}
	got, err := f.orders.Order(ctx, shopM, "O-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ERP == nil || got.ERP.Number != "BC00042" || got.ERP.Fulfilment != order.PartlyShipped ||
		got.Lines[0].Shipped != 15 || got.Lines[1].Shipped != 1 || got.Lines[1].ToShip() != 3 {
		t.Fatalf("order after the acknowledgement: erp %+v, lines %+v", got.ERP, got.Lines)
	}
	for _, c := range []struct {
		ref, w               string
		siteOrders, acked, a int64
	}{{"VIS-M6", "LYON", 0, 10, 90}, {"VIS-M6", "PARIS", 0, 5, 45}, {"ECR-M6", "LYON", 0, 4, 36}} {
		l := f.level(t, c.ref, c.w)
		if l.siteOrders != c.siteOrders || l.available != c.a || acknowledgedUnits(t, f, c.ref, c.w) != c.acked {
			t.Errorf("%s in %s: %+v, acknowledged %d; want SiteOrders %d, Available %d, Acknowledged %d",
				c.ref, c.w, l, acknowledgedUnits(t, f, c.ref, c.w), c.siteOrders, c.a, c.acked)
		}
	}

	// The same chunk delivered again changes nothing.
	counts, _, err = acks.Apply(ctx, chunk)
	if err != nil {
		t.Fatal(err)
	}
	if counts != (erp.Counts{Unchanged: 2, Rejected: 2}) {
		t.Errorf("chunk delivered again: %+v", counts)
	}
	if acknowledgedUnits(t, f, "VIS-M6", "LYON") != 10 {
		t.Errorf("acknowledged units moved twice")
	}

	// The site no longer cancels it.
	if _, err := f.orders.Cancel(ctx, shopM, "O-1", order.PlacedBy{Role: "staff", ID: "s"}, placed.Add(time.Hour)); !errors.Is(err, order.ErrNotCancellable) {
		t.Errorf("cancel an acknowledged order: %v", err)
	}

	// The ERP's next count includes the acknowledged units: they leave
	// Available's deductions now; the theoretical stock counted them.
	s := &dynamo.ERPStock{Table: f.tbl, Now: func() time.Time { return ackStamp }}
	applyStock(t, s, stockChunk("job-1", 0, stockRecord(2, ackStamp.Add(time.Hour), "VIS-M6", "LYON", 90, 0, 2, 100)))
	if l := f.level(t, "VIS-M6", "LYON"); l.siteOrders != 0 || l.available != 90 || acknowledgedUnits(t, f, "VIS-M6", "LYON") != 0 {
		t.Errorf("after the count: %+v, acknowledged %d", l, acknowledgedUnits(t, f, "VIS-M6", "LYON"))
	}
	diffs, err := s.Differences(ctx, shopM)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 0 {
		t.Errorf("the count agrees with the theoretical stock, differences %+v", diffs)
	}
}

// Acknowledgements of different lines of one order applied at once, each
// delivered twice: every line's shipped units are there, the stock moved
// once.
func TestERPAcknowledgements_ConcurrentLinesOfOneOrder(t *testing.T) {
	t.Parallel()
	refs := []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"}
	var lines []order.Line
	f := newOrdersFixture(t, []string{"LYON"})
	acc := &dynamo.Accounts{Table: f.tbl}
	b := acc.NewBatch(shopM)
	for _, r := range refs {
		b.StockLevel(level(r, "LYON", 100))
		lines = append(lines, line(r, alloc("LYON", 10)))
	}
	if err := acc.Save(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := f.orders.Place(ctx, orderPlacement(anOrder("O-9", "C1", ackStamp.Add(-time.Hour), "10.00", lines...))); err != nil {
		t.Fatal(err)
	}
	acks := newAcks(f)
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(refs))
	for round := 0; round < 2; round++ {
		for i, r := range refs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, rej, err := acks.Apply(ctx, ackChunk(i, ackRecord(i+2, "O-9", "BC9", r, int64(i+1))))
				if err == nil && len(rej) > 0 {
					err = errors.New(rej[0].Reason)
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.orders.Order(ctx, shopM, "O-9")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range got.Lines {
		if l.Shipped != int64(i+1) {
			t.Errorf("line %s shipped %d, want %d", l.Ref, l.Shipped, i+1)
		}
	}
	for _, r := range refs {
		if l := f.level(t, r, "LYON"); l.siteOrders != 0 || l.available != 90 || acknowledgedUnits(t, f, r, "LYON") != 10 {
			t.Errorf("%s: %+v, acknowledged %d", r, l, acknowledgedUnits(t, f, r, "LYON"))
		}
	}
}

// An acknowledgement that says the order was paid marks it paid on that
// day and takes an order on account off its customer's outstanding, once:
// with the ERP's first word on the order, or later alone, and never again
// when the row is delivered again.
func TestERPAcknowledgements_PaymentSettlesTheOrderOnce(t *testing.T) {
	t.Parallel()
	f := newOrdersFixture(t, []string{"W1"}, level("A", "W1", 10))
	ctx := context.Background()
	limit := &order.Credit{Limit: decimal.RequireFromString("500")}
	for _, c := range []struct{ id, gross string }{{"O-1", "120"}, {"O-2", "30"}} {
		o := anOrder(c.id, "C1", placedAt, c.gross, line("A", alloc("W1", 1)))
		o.Status, o.Payment.Method = order.Accepted, payment.OnAccount
		if err := f.orders.Place(ctx, order.Placement{Order: o, Credit: limit}); err != nil {
			t.Fatal(err)
		}
	}
	paidOn := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	paidRow := func(line int, id, number string) erp.Record {
		r := ackRecord(line, id, number, "", 0)
		r.Ack.PaidOn = paidOn
		return r
	}
	acks := newAcks(f)
	outstanding := func(want string) {
		t.Helper()
		if out, _ := f.outstanding(t, "C1"); !out.Equal(decimal.RequireFromString(want)) {
			t.Errorf("outstanding %s, want %s", out, want)
		}
	}
	outstanding("150")

	// O-1: the ERP's first word on it says it was paid.
	counts, rejects, err := acks.Apply(ctx, ackChunk(0, paidRow(2, "O-1", "BC1")))
	if err != nil || counts != (erp.Counts{Applied: 1}) || len(rejects) != 0 {
		t.Fatalf("first: %+v %+v %v", counts, rejects, err)
	}
	if o, err := f.orders.Order(ctx, shopM, "O-1"); err != nil || o.Status != order.Paid || o.ERP == nil || o.ERP.Number != "BC1" {
		t.Fatalf("O-1 after its payment: %+v %v", o, err)
	}
	outstanding("30")
	// Delivered again: nothing changes, and says so.
	if counts, _, err := acks.Apply(ctx, ackChunk(0, paidRow(2, "O-1", "BC1"))); err != nil || counts != (erp.Counts{Unchanged: 1}) {
		t.Fatalf("again: %+v %v", counts, err)
	}
	outstanding("30")

	// O-2: acknowledged first, paid in a later file whose row says
	// nothing else new.
	if counts, _, err := acks.Apply(ctx, ackChunk(1, ackRecord(3, "O-2", "BC2", "", 0))); err != nil || counts != (erp.Counts{Applied: 1}) {
		t.Fatalf("O-2 acknowledged: %+v %v", counts, err)
	}
	outstanding("30")
	if counts, _, err := acks.Apply(ctx, ackChunk(2, paidRow(4, "O-2", "BC2"))); err != nil || counts != (erp.Counts{Applied: 1}) {
		t.Fatalf("O-2 paid: %+v %v", counts, err)
	}
	outstanding("0")
	if counts, _, err := acks.Apply(ctx, ackChunk(2, paidRow(4, "O-2", "BC2"))); err != nil || counts != (erp.Counts{Unchanged: 1}) {
		t.Fatalf("O-2 paid again: %+v %v", counts, err)
	}
	outstanding("0")
}
