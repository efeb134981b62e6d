package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/order"
	"github.com/comptoir/comptoir/shared/payment"
)

// AttrAcknowledged, on a stock level, are the units of site orders the ERP
// acknowledged since its last count: they left SiteOrders and are still
// deducted from Available until the ERP's next count includes them (the
// stock import then sets them back to 0).
const AttrAcknowledged = "Acknowledged"

// AttrErpAcked, on an order, marks an order the ERP acknowledged (the
// stamp of its first acknowledgement): the site no longer cancels it (the
// ERP does, through its acknowledgement file).
const AttrErpAcked = "ErpAcked"

// ERPAcknowledgements applies the ERP's acknowledgement files to orders
// (erp.KindAcknowledgements): the ERP's number, the units shipped, the
// invoice and the due date counted from it (order.ApplyAck).
//
// Keys: the order item PK=M#<m>#ORDER#<id> (orderKey) and, on the ERP's
// first acknowledgement of an order, its stock levels
// PK=M#<m>#P#<ref> SK=STOCK#<warehouse>.
//
// The rows of a chunk are grouped by order; each order costs one strongly
// consistent GetItem, then, when the rows change it, one
// TransactWriteItems: the order's Doc put back on the condition that it is
// the Doc read (and its Status the one read), and, on the first
// acknowledgement, for each warehouse the order took units from,
// SiteOrders − units and Acknowledged + units (Available unchanged). A
// lost race (another acknowledgement of the same order, a payment) reads
// again, with jitter, placeAttempts times. An acknowledgement applied
// already changes nothing (no write: Unchanged). An unknown order, a line
// the order does not have, or an order cancelled on the site is Rejected
// with its line. Orders are applied erpStockParallel at once.
//
// A row that says the order was paid (erp.Acknowledgement.PaidOn), on an
// order awaiting payment or accepted, then settles it (Orders.Settle: 1
// GetItem and 1 TransactWriteItems more): the order is paid on that day
// and an order on account leaves its customer's outstanding. An order paid
// already changes nothing, so a row delivered again never lowers the
// outstanding twice.
type ERPAcknowledgements struct {
	Table Table
	// MonthEnd gives the merchant's month-end method, for due dates
	// counted from the invoice; nil: read from the merchant's item.
	MonthEnd func(ctx context.Context, m merchant.ID) (payment.MonthEndMethod, error)
}

var _ erp.Applier = (*ERPAcknowledgements)(nil)

// Apply applies a chunk of acknowledgements as the type's comment says.
func (s *ERPAcknowledgements) Apply(ctx context.Context, c erp.Chunk) (erp.Counts, []erp.RowError, error) {
	if c.Kind != erp.KindAcknowledgements {
		return erp.Counts{}, nil, fmt.Errorf("ERP acknowledgements: chunk %d of job %s is of kind %q", c.Seq, c.Job, c.Kind)
	}
	if _, err := merchantPrefix(c.Merchant); err != nil {
		return erp.Counts{}, nil, err
	}
	var counts erp.Counts
	var rows []erp.RowError
	byOrder := map[string][]*erp.Record{}
	var ids []string
	for i := range c.Records {
		r := &c.Records[i]
		if rej := checkAckRecord(r); rej != nil {
			counts.Rejected++
			rows = append(rows, *rej)
			continue
		}
		if _, ok := byOrder[r.Ack.Order]; !ok {
			ids = append(ids, r.Ack.Order)
		}
		byOrder[r.Ack.Order] = append(byOrder[r.Ack.Order], r)
	}
	if len(ids) == 0 {
		return counts, rows, nil
	}
	monthEnd, err := s.monthEnd(ctx, c.Merchant)
	if err != nil {
		return erp.Counts{}, nil, err
	}
	type result struct {
		counts erp.Counts
		rows   []erp.RowError
	}
	results := make([]result, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(erpStockParallel)
	for i, id := range ids {
		g.Go(func() error {
			cs, rs, err := s.order(gctx, c.Merchant, id, byOrder[id], monthEnd)
			results[i] = result{cs, rs}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return erp.Counts{}, nil, fmt.Errorf("apply acknowledgements chunk %d of job %s: %w", c.Seq, c.Job, err)
	}
	for _, r := range results {
		counts = counts.Add(r.counts)
		rows = append(rows, r.rows...)
	}
	return counts, rows, nil
}

// monthEnd is the merchant's month-end method.
func (s *ERPAcknowledgements) monthEnd(ctx context.Context, m merchant.ID) (payment.MonthEndMethod, error) {
	if s.MonthEnd != nil {
		return s.MonthEnd(ctx, m)
	}
	mm, err := (&Merchants{Table: s.Table}).Merchant(ctx, m)
	if errors.Is(err, ErrNoMerchant) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("month-end method of %s: %w", m, err)
	}
	return mm.MonthEnd, nil
}

// checkAckRecord refuses a record that cannot name an order line.
func checkAckRecord(r *erp.Record) *erp.RowError {
	switch {
	case r.Ack == nil:
		return &erp.RowError{Line: r.Line, Reason: "not an acknowledgement"}
	case !catalog.ValidID(r.Ack.Order):
		return &erp.RowError{Line: r.Line, Column: "order", Reason: "not a Comptoir order number", Value: erp.Truncate(r.Ack.Order, 80)}
	case r.Ack.Ref != "" && !catalog.ValidID(r.Ack.Ref):
		return &erp.RowError{Line: r.Line, Column: "ref", Reason: "not a product reference: 1 to 64 bytes without spaces, '#' or '/'", Value: erp.Truncate(r.Ack.Ref, 80)}
	}
	return nil
}

// ackOf is a record in the order's terms.
func ackOf(r *erp.Record) order.Ack {
	a := r.Ack
	return order.Ack{Number: a.ERPNumber, Ref: a.Ref, Shipped: a.Shipped, Invoice: a.Invoice, InvoiceDate: a.InvoiceDate,
		Cancelled: a.Status == erp.AckCancelled, Stamp: r.Stamp}
}

// ackReason is the report's reason for a refused acknowledgement.
func ackReason(err error) (column, reason string) {
	switch {
	case errors.Is(err, order.ErrNoSuchLine):
		return "ref", "the order has no line of this article"
	case errors.Is(err, order.ErrOrderCancelled):
		return "order", "the order was cancelled on the site"
	case errors.Is(err, order.ErrNoInvoiceDateGiven):
		return "invoiceDate", "is required with an invoice number"
	}
	return "", err.Error()
}

// order applies the rows of one order: read, apply, write under the read.
func (s *ERPAcknowledgements) order(ctx context.Context, m merchant.ID, id string, recs []*erp.Record, monthEnd payment.MonthEndMethod) (erp.Counts, []erp.RowError, error) {
	pk, sk, err := orderKey(m, id)
	if err != nil {
		return erp.Counts{}, nil, err
	}
	orders := &Orders{Table: s.Table}
	for attempt := 0; ; attempt++ {
		ord, av, err := orders.readOrder(ctx, m, id)
		if errors.Is(err, order.ErrNotFound) {
			var counts erp.Counts
			var rows []erp.RowError
			for _, r := range recs {
				counts.Rejected++
				rows = append(rows, erp.RowError{Line: r.Line, Column: "order", Reason: "unknown order", Value: erp.Truncate(id, 80)})
			}
			return counts, rows, nil
		}
		if err != nil {
			return erp.Counts{}, nil, err
		}
		var counts erp.Counts
		var rows []erp.RowError
		first, changed := false, false
		// paid: the day of the first row that says the order was paid;
		// payers: those of its rows that changed nothing else.
		var paid time.Time
		payers := 0
		for _, r := range recs {
			res, err := order.ApplyAck(&ord, ackOf(r), monthEnd)
			if err != nil {
				col, reason := ackReason(err)
				counts.Rejected++
				rows = append(rows, erp.RowError{Line: r.Line, Column: col, Reason: reason, Value: erp.Truncate(r.Ack.Ref, 80)})
				continue
			}
			if paid.IsZero() {
				paid = r.Ack.PaidOn
			}
			if res.Changed {
				counts.Applied++
				changed = true
			} else {
				counts.Unchanged++
				if !r.Ack.PaidOn.IsZero() {
					payers++
				}
			}
			first = first || res.First
		}
		err = nil
		if changed {
			items, werr := s.ackWrites(m, pk, sk, ord, av, first, recs[0])
			if werr != nil {
				return erp.Counts{}, nil, werr
			}
			_, err = s.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		}
		if err == nil {
			settled, err := s.settle(ctx, m, id, ord, paid)
			if err != nil {
				return erp.Counts{}, nil, err
			}
			if settled {
				counts.Unchanged -= payers
				counts.Applied += payers
			}
			return counts, rows, nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return erp.Counts{}, nil, fmt.Errorf("acknowledge order %s: %w", id, err)
		}
		for i, r := range tce.CancellationReasons {
			if i > 0 && aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return erp.Counts{}, nil, fmt.Errorf("acknowledge order %s: a stock level it took from is missing", id)
			}
		}
		if attempt+1 >= placeAttempts {
			return erp.Counts{}, nil, fmt.Errorf("acknowledge order %s: %w", id, order.ErrBusy)
		}
		if err := jitter(ctx, attempt); err != nil {
			return erp.Counts{}, nil, err
		}
	}
}

// settle marks the order paid on the day the ERP recorded its payment
// (Orders.Settle: an order on account leaves its customer's outstanding),
// when the ERP said it was paid and the order, as read, awaits payment or
// was accepted. It reports whether it marked the order paid; an order
// paid already (by staff, or by this row delivered again) or cancelled
// meanwhile is left as it is.
func (s *ERPAcknowledgements) settle(ctx context.Context, m merchant.ID, id string, ord order.Order, paid time.Time) (bool, error) {
	if paid.IsZero() || (ord.Status != order.AwaitingPayment && ord.Status != order.Accepted) {
		return false, nil
	}
	by := order.PlacedBy{Role: ERPActor}
	if ord.ERP != nil {
		by.ID = ord.ERP.Number
	}
	_, err := (&Orders{Table: s.Table}).Settle(ctx, m, id, by, paid)
	switch {
	case errors.Is(err, order.ErrNotSettleable):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("settle order %s: %w", id, err)
	}
	return true, nil
}

// ERPActor is the role of what the ERP did to an order (its PaidBy when
// its acknowledgement said it was paid).
const ERPActor = "erp"

// ackWrites are the order's update under what was read and, on the
// first acknowledgement, its stock levels' SiteOrders moved to
// Acknowledged.
func (s *ERPAcknowledgements) ackWrites(m merchant.ID, pk, sk string, ord order.Order, read map[string]types.AttributeValue, first bool, r *erp.Record) ([]types.TransactWriteItem, error) {
	doc, err := item{Doc: ord}.attributes()
	if err != nil {
		return nil, err
	}
	if len(doc[AttrDoc].(*types.AttributeValueMemberS).Value) > maxOrderDoc {
		return nil, fmt.Errorf("acknowledge order %s: %w", ord.ID, order.ErrTooLarge)
	}
	up := &types.Update{
		TableName:                aws.String(s.Table.Name),
		Key:                      key(pk, sk),
		UpdateExpression:         aws.String("SET #doc = :doc"),
		ConditionExpression:      aws.String("#doc = :read AND #st = :status"),
		ExpressionAttributeNames: map[string]string{"#doc": AttrDoc, "#st": AttrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":doc": doc[AttrDoc], ":read": read[AttrDoc], ":status": read[AttrStatus],
		},
	}
	items := []types.TransactWriteItem{{Update: up}}
	if !first {
		return items, nil
	}
	up.UpdateExpression = aws.String("SET #doc = :doc, #ack = :stamp")
	up.ExpressionAttributeNames["#ack"] = AttrErpAcked
	up.ExpressionAttributeValues[":stamp"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.Stamp.UnixNano(), 10)}
	takes := takesOf(ord)
	if len(takes)+1 > maxTransactItems {
		return nil, fmt.Errorf("acknowledge order %s: %d stock levels: %w", ord.ID, len(takes), order.ErrTooLarge)
	}
	for _, t := range takes {
		lpk, lsk, err := stockLevelKey(m, t.Ref, t.Warehouse)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                aws.String(s.Table.Name),
			Key:                      key(lpk, lsk),
			UpdateExpression:         aws.String("SET #so = #so - :u, #ack = if_not_exists(#ack, :zero) + :u"),
			ConditionExpression:      aws.String("attribute_exists(#so)"),
			ExpressionAttributeNames: map[string]string{"#so": AttrSiteOrders, "#ack": AttrAcknowledged},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":u":    &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Units, 10)},
				":zero": &types.AttributeValueMemberN{Value: "0"},
			},
		}})
	}
	return items, nil
}
