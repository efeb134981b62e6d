package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// ERPStock applies the ERP's stock levels (F_ARTSTOCK: a product's stock
// in a warehouse with its alert thresholds), finds the differences between
// the ERP's count and the site's theoretical stock, and raises or clears
// the levels' stock alerts.
//
// Keys:
//
//	stock level       PK=M#<m>#P#<ref>    SK=STOCK#<warehouse>       Doc=stock.Level, Available, SiteOrders, ErpStamp/ErpJob/ErpLine
//	stock difference  PK=M#<m>#STOCKDIFF  SK=DIFF#<ref>#<warehouse>  Doc=stock.Difference, ErpStamp/ErpJob/ErpLine
//	stock alert       PK=M#<m>#STOCK      SK=ALERT#<ref>#<warehouse> (StockAlerts)
//
// A level is written with ONE UpdateItem, without reading it first:
//
//	SET Doc = :level, Type, ErpStamp, ErpJob, ErpLine,
//	    SiteOrders = if_not_exists(SiteOrders, 0),
//	    Available = :onHandLessReserved - if_not_exists(SiteOrders, 0),
//	    Acknowledged = 0
//
// SiteOrders are the units of site orders the ERP has not acknowledged;
// Acknowledged those of orders it acknowledged since its last count
// (ERPAcknowledgements moves them there): this count includes them, so
// they leave Available's deductions now and no sooner.
// on the condition that the record is newer than the stored level's stamp
// (see erpapply.go: no stamp, an earlier one, or the same one and a later
// line of the same file). SiteOrders, what site orders took since the
// ERP's count, is never overwritten: an order placed while the import
// runs keeps its units, before or after the level's write (DynamoDB
// serialises the writes of one item). ReturnValues ALL_OLD gives the
// level as it was, from which, for each level written:
//
//   - the difference between the ERP's count and the theoretical stock
//     (the previous OnHand less the site orders since it, SiteOrders plus
//     Acknowledged, stock.DifferenceOf), when not
//     zero, is put as the latest difference of the product and warehouse
//     (one PutItem, under the same stamp condition);
//   - the alert is raised when the level falls to or below its minimum
//     and was not there (StockAlerts.Raise: once per fall, not on every
//     count), and deleted when the level is back above it (one
//     DeleteItem), stock.AlertAfterCount.
//
// Round trips for a chunk of n levels: n UpdateItem (erpStockParallel at
// once), plus one PutItem per level whose count differs from the
// theoretical stock, plus one write per alert raised or cleared. A record
// older than the stored level costs its UpdateItem alone (condition
// failed: Unchanged).
//
// The write also keeps on the level the ERP's count (ErpOnHand) and, as
// it found them, the previous count (ErpPrevOnHand, "unknown" when the
// level had none from the ERP) and the site orders (ErpPrevSiteOrders). A
// worker stopped after a level's write and before its difference or alert
// leaves them undone; the chunk delivered again finds the level stamped
// with this very record (the failed condition returns the stored item, no
// extra read), counts it Unchanged, and settles them again: the
// difference from those attributes (conditional on its stamp: written
// once), the alert from the level as it stands (put when below its
// minimum and none is stored, deleted above it). A level whose previous
// count was the seed's (no ErpOnHand) cannot have its lost difference
// found again.
type ERPStock struct {
	Table Table
	// Alerts raises the levels' alerts; nil: the table's StockAlerts.
	Alerts *StockAlerts
	// Now is the clock of differences and alerts; nil: time.Now.
	Now func() time.Time

	// afterLevel, when set (tests), runs after each level's write: an
	// error stops the chunk there, as a worker stopped at that point.
	afterLevel func() error
}

var _ erp.Applier = (*ERPStock)(nil)

const (
	// erpStockParallel bounds the levels of one chunk written at once.
	erpStockParallel = 16
	// typeStockDiff is the Type of a stock difference item.
	typeStockDiff = "STOCK_DIFF"
	// erpNewer is the condition that a record (:st, :job, :line) is newer
	// than the item's stamp.
	erpNewer = "attribute_not_exists(#st) OR #st < :st OR (#st = :st AND #job = :job AND #line < :line)"
)

// Attributes of a level the ERP wrote, from which a chunk delivered again
// settles what a stopped worker left undone: the ERP's count, and, as the
// write found them, the previous count ("unknown" when the level had none
// from the ERP) and the site orders.
const (
	attrErpOnHand         = "ErpOnHand"
	attrErpPrevOnHand     = "ErpPrevOnHand"
	attrErpPrevSiteOrders = "ErpPrevSiteOrders"
)

// Apply writes the chunk's stock levels as the type's comment says. A
// record without a level or whose product or warehouse cannot be a key is
// rejected; a record older than what is stored, or the same counts again,
// is Unchanged.
func (s *ERPStock) Apply(ctx context.Context, c erp.Chunk) (erp.Counts, []erp.RowError, error) {
	if c.Kind != erp.KindStock {
		return erp.Counts{}, nil, fmt.Errorf("ERP stock: chunk %d of job %s is of kind %q", c.Seq, c.Job, c.Kind)
	}
	if _, err := merchantPrefix(c.Merchant); err != nil {
		return erp.Counts{}, nil, err
	}
	outcomes := make([]erpOutcome, len(c.Records))
	rejects := make([]*erp.RowError, len(c.Records))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(erpStockParallel)
	for i := range c.Records {
		r := &c.Records[i]
		if rej := checkStockRecord(r); rej != nil {
			outcomes[i], rejects[i] = outRejected, rej
			continue
		}
		g.Go(func() error {
			o, err := s.level(gctx, c.Merchant, c.Job, r)
			outcomes[i] = o
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return erp.Counts{}, nil, fmt.Errorf("apply stock chunk %d of job %s: %w", c.Seq, c.Job, err)
	}
	var counts erp.Counts
	tally(&counts, outcomes)
	var rows []erp.RowError
	for i, o := range outcomes {
		if o == outRejected {
			rows = append(rows, *rejects[i])
		}
	}
	return counts, rows, nil
}

// checkStockRecord refuses a record that cannot be written as a level.
func checkStockRecord(r *erp.Record) *erp.RowError {
	switch {
	case r.Stock == nil:
		return &erp.RowError{Line: r.Line, Reason: "not a stock level"}
	case !catalog.ValidID(r.Stock.Ref):
		return &erp.RowError{Line: r.Line, Column: "ref", Reason: "not a product reference: 1 to 64 bytes without spaces, '#' or '/'", Value: erp.Truncate(r.Stock.Ref, 80)}
	case !catalog.ValidID(r.Stock.Warehouse):
		return &erp.RowError{Line: r.Line, Column: "warehouse", Reason: "not a warehouse id: 1 to 64 bytes without spaces, '#' or '/'", Value: erp.Truncate(r.Stock.Warehouse, 80)}
	}
	return nil
}

func (s *ERPStock) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// stampValues are the expression values of a record's stamp.
func stampValues(job string, r *erp.Record) map[string]types.AttributeValue {
	st := recordStamp(job, r)
	return map[string]types.AttributeValue{
		":st":   &types.AttributeValueMemberN{Value: strconv.FormatInt(st.Stamp, 10)},
		":job":  &types.AttributeValueMemberS{Value: st.Job},
		":line": &types.AttributeValueMemberN{Value: strconv.FormatInt(st.Line, 10)},
	}
}

// stampNames are the expression names of the stamp attributes.
func stampNames() map[string]string {
	return map[string]string{"#st": AttrErpStamp, "#job": AttrErpJob, "#line": AttrErpLine}
}

// level writes one level and what follows from it.
func (s *ERPStock) level(ctx context.Context, m merchant.ID, job string, r *erp.Record) (erpOutcome, error) {
	counted := stock.Level{Ref: r.Stock.Ref, Warehouse: r.Stock.Warehouse, OnHand: r.Stock.OnHand, Reserved: r.Stock.Reserved,
		Min: r.Stock.Min, Max: r.Stock.Max}
	pk, sk, err := stockLevelKey(m, counted.Ref, counted.Warehouse)
	if err != nil {
		return outRejected, err
	}
	av, err := item{PK: pk, SK: sk, Type: typeStockLevel, Doc: counted}.attributes()
	if err != nil {
		return outRejected, err
	}
	names := stampNames()
	names["#doc"], names["#type"], names["#av"], names["#so"] = AttrDoc, AttrType, AttrAvailable, AttrSiteOrders
	names["#eoh"], names["#poh"], names["#pso"] = attrErpOnHand, attrErpPrevOnHand, attrErpPrevSiteOrders
	names["#ack"] = AttrAcknowledged
	values := stampValues(job, r)
	values[":doc"], values[":type"] = av[AttrDoc], av[AttrType]
	values[":net"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(counted.OnHand-counted.Reserved, 10)}
	values[":onHand"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(counted.OnHand, 10)}
	values[":zero"] = &types.AttributeValueMemberN{Value: "0"}
	values[":unknown"] = &types.AttributeValueMemberS{Value: "unknown"}
	out, err := s.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table.Name),
		Key:       key(pk, sk),
		UpdateExpression: aws.String("SET #doc = :doc, #type = :type, #st = :st, #job = :job, #line = :line, " +
			"#so = if_not_exists(#so, :zero), #av = :net - if_not_exists(#so, :zero), #ack = :zero, " +
			"#eoh = :onHand, #poh = if_not_exists(#eoh, :unknown), #pso = if_not_exists(#so, :zero) + if_not_exists(#ack, :zero)"),
		ConditionExpression:                 aws.String(erpNewer),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		// The stored level is as new or newer. When it is this very
		// record's (a chunk delivered again after a worker stopped between
		// the level and what follows from it), what follows is settled
		// again from the stored level.
		return outUnchanged, s.settle(ctx, m, job, r, counted, cond.Item)
	}
	if err != nil {
		return outRejected, fmt.Errorf("stock level %s in %s: %w", counted.Ref, counted.Warehouse, err)
	}
	if s.afterLevel != nil {
		if err := s.afterLevel(); err != nil {
			return outRejected, err
		}
	}
	at := s.now()
	if len(out.Attributes) == 0 {
		return outApplied, s.alert(ctx, m, nil, 0, counted, counted.OnHand-counted.Reserved, at)
	}
	var previous stock.Level
	if err := decodeDoc(out.Attributes, &previous); err != nil {
		return outRejected, fmt.Errorf("stock level %s in %s: %w", counted.Ref, counted.Warehouse, err)
	}
	siteOrders, err := number[int64](out.Attributes, AttrSiteOrders)
	if err != nil {
		return outRejected, err
	}
	// The site orders since the previous count: those the ERP has not
	// acknowledged and those it acknowledged since (this count includes
	// them).
	var acknowledged int64
	if _, ok := out.Attributes[AttrAcknowledged]; ok {
		if acknowledged, err = number[int64](out.Attributes, AttrAcknowledged); err != nil {
			return outRejected, err
		}
	}
	previous.SiteOrders = siteOrders + acknowledged
	previousAvailable := previous.OnHand - previous.Reserved - siteOrders - acknowledged
	if _, ok := out.Attributes[AttrAvailable]; ok {
		if previousAvailable, err = number[int64](out.Attributes, AttrAvailable); err != nil {
			return outRejected, err
		}
	}
	outcome := outApplied
	if previous.OnHand == counted.OnHand && previous.Reserved == counted.Reserved && previous.Min == counted.Min && previous.Max == counted.Max {
		outcome = outUnchanged // the same counts: only the stamp advanced
	}
	if d, ok := stock.DifferenceOf(previous, counted, job, at); ok {
		if err := s.putDifference(ctx, m, job, r, d); err != nil {
			return outRejected, err
		}
	}
	return outcome, s.alert(ctx, m, &previous, previousAvailable, counted, counted.OnHand-counted.Reserved-siteOrders, at)
}

// settle redoes, for a record whose write is the stored level's (same
// stamp, job and line), what follows from the write and may have been
// lost: its difference, from the previous count and site orders the write
// kept on the level (none when the level had no ERP count before), and
// the alert as the stored level stands (raised when below its minimum and
// none is stored, cleared above). A record older than the stored level
// settles nothing.
func (s *ERPStock) settle(ctx context.Context, m merchant.ID, job string, r *erp.Record, counted stock.Level, stored map[string]types.AttributeValue) error {
	st, err := storedStamp(stored)
	if err != nil || st == nil || *st != recordStamp(job, r) {
		return err
	}
	at := s.now()
	if _, unknown := stored[attrErpPrevOnHand].(*types.AttributeValueMemberS); !unknown {
		prevOnHand, err := number[int64](stored, attrErpPrevOnHand)
		if err != nil {
			return err
		}
		prevSiteOrders, err := number[int64](stored, attrErpPrevSiteOrders)
		if err != nil {
			return err
		}
		if d, ok := stock.DifferenceOf(stock.Level{OnHand: prevOnHand, SiteOrders: prevSiteOrders}, counted, job, at); ok {
			if err := s.putDifference(ctx, m, job, r, d); err != nil {
				return err
			}
		}
	}
	level, err := decodeLevel(stored)
	if err != nil {
		return err
	}
	if a, ok := stock.AlertFor(level, level.OnHand-level.Reserved-level.SiteOrders, at); ok {
		return s.raiseIfNone(ctx, m, a)
	}
	return s.clearAlert(ctx, m, counted.Ref, counted.Warehouse, at)
}

// raiseIfNone stores alert a unless an alert of its product and warehouse
// stands (the one raised at the fall stays as it was).
func (s *ERPStock) raiseIfNone(ctx context.Context, m merchant.ID, a stock.Alert) error {
	pk, sk, err := stockAlertKey(m, a.Ref, a.Warehouse)
	if err != nil {
		return err
	}
	av, err := item{PK: pk, SK: sk, Type: typeStockAlert, Doc: a}.attributes()
	if err != nil {
		return err
	}
	av[attrRaisedAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(a.RaisedAt.UnixMilli(), 10)}
	_, err = s.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.Table.Name),
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var cond *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("raise stock alert %s in %s: %w", a.Ref, a.Warehouse, err)
	}
	return nil
}

// putDifference stores d as the latest difference of its product and
// warehouse, unless one of a newer record is stored.
func (s *ERPStock) putDifference(ctx context.Context, m merchant.ID, job string, r *erp.Record, d stock.Difference) error {
	pk, sk, err := stockDiffKey(m, d.Ref, d.Warehouse)
	if err != nil {
		return err
	}
	av, err := item{PK: pk, SK: sk, Type: typeStockDiff, Doc: d}.attributes()
	if err != nil {
		return err
	}
	values := stampValues(job, r)
	av[AttrErpStamp], av[AttrErpJob], av[AttrErpLine] = values[":st"], values[":job"], values[":line"]
	_, err = s.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.Table.Name),
		Item:                      av,
		ConditionExpression:       aws.String(erpNewer),
		ExpressionAttributeNames:  stampNames(),
		ExpressionAttributeValues: values,
	})
	var cond *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("stock difference %s in %s: %w", d.Ref, d.Warehouse, err)
	}
	return nil
}

// alert raises or clears the level's alert after the ERP's count.
func (s *ERPStock) alert(ctx context.Context, m merchant.ID, previous *stock.Level, previousAvailable int64, counted stock.Level, available int64, at time.Time) error {
	a, action := stock.AlertAfterCount(previous, previousAvailable, counted, available, at)
	switch action {
	case stock.AlertRaise:
		alerts := s.Alerts
		if alerts == nil {
			alerts = &StockAlerts{Table: s.Table}
		}
		return alerts.Raise(ctx, m, a)
	case stock.AlertClear:
		return s.clearAlert(ctx, m, counted.Ref, counted.Warehouse, at)
	}
	return nil
}

// clearAlert deletes the alert of a product and warehouse raised at or
// before at: one raised later (an order that took the level down again
// since) stands.
func (s *ERPStock) clearAlert(ctx context.Context, m merchant.ID, ref, warehouse string, at time.Time) error {
	pk, sk, err := stockAlertKey(m, ref, warehouse)
	if err != nil {
		return err
	}
	_, err = s.Table.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.Table.Name),
		Key:                       key(pk, sk),
		ConditionExpression:       aws.String("#at <= :at"),
		ExpressionAttributeNames:  map[string]string{"#at": attrRaisedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberN{Value: strconv.FormatInt(at.UnixMilli(), 10)}},
	})
	var cond *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("clear stock alert %s in %s: %w", ref, warehouse, err)
	}
	return nil
}

// Differences returns merchant m's latest stock differences, one per
// product and warehouse that differed at its last count, by product then
// warehouse: one Query (more pages only past 1 MB).
func (s *ERPStock) Differences(ctx context.Context, m merchant.ID) ([]stock.Difference, error) {
	pk, err := stockDiffPK(m)
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, skStockDiff)
	if err != nil {
		return nil, fmt.Errorf("stock differences of %s: %w", m, err)
	}
	return decodeAll[stock.Difference](items)
}

// DifferencesPage returns limit (1 to 1,000) of merchant m's stock
// differences, by product then warehouse, from the cursor a previous page
// gave ("" for the first): one Query. The cursor is the sort key of the
// last difference returned, encoded; stock.ErrBadCursor for one that is
// not.
func (s *ERPStock) DifferencesPage(ctx context.Context, m merchant.ID, limit int, cursor string) (stock.DifferencePage, error) {
	pk, err := stockDiffPK(m)
	if err != nil {
		return stock.DifferencePage{}, err
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table.Name),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk}, ":sk": &types.AttributeValueMemberS{Value: skStockDiff},
		},
		Limit: aws.Int32(int32(min(max(limit, 1), 1000))),
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		ref, warehouse, ok := strings.Cut(string(raw), "#")
		if err != nil || !ok || !catalog.ValidRef(ref) || !catalog.ValidID(warehouse) {
			return stock.DifferencePage{}, stock.ErrBadCursor
		}
		in.ExclusiveStartKey = key(pk, skStockDiff+string(raw))
	}
	out, err := s.Table.Client.Query(ctx, in)
	if err != nil {
		return stock.DifferencePage{}, fmt.Errorf("stock differences of %s: %w", m, err)
	}
	ds, err := decodeAll[stock.Difference](out.Items)
	if err != nil {
		return stock.DifferencePage{}, err
	}
	page := stock.DifferencePage{Differences: ds}
	if len(out.LastEvaluatedKey) > 0 {
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(strings.TrimPrefix(str(out.LastEvaluatedKey, AttrSK), skStockDiff)))
	}
	return page, nil
}
