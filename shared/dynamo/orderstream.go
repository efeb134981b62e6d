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

	"github.com/comptoir/comptoir/shared/merchant"
)

// OrderFollowUp is what the functions that follow placed orders write
// besides the orders themselves: the marks of an order exported to the ERP
// (as placed, and as cancelled),
// and the stock of an expired hold given back.
//
// Keys (in the order's partition):
//
//	export mark    PK=M#<m>#ORDER#<id>  SK=EXPORT      ExportedAt
//	cancellation   PK=M#<m>#ORDER#<id>  SK=EXPORT#CANCELLED  ExportedAt
//	hold released  PK=M#<m>#ORDER#<id>  SK=RELEASED#<n>#<hold's ExpiresAt>  ReleasedAt
//
// Access patterns: is an order exported (one GetItem), mark it exported
// (one conditional PutItem), give an expired hold back (one
// TransactWriteItems: the mark and one update per level).
type OrderFollowUp struct {
	Table Table
}

// HeldStock is units a stock hold took from one warehouse's level of a
// product: the document of a hold item is the list of them.
type HeldStock struct {
	Ref       string `json:"ref"`
	Warehouse string `json:"warehouse"`
	Units     int64  `json:"units"`
}

// maxHoldTakes is the most levels one hold gives back in its transaction,
// beside the release mark.
const maxHoldTakes = maxTransactItems - 1

// OrderExport is what of an order is exported to the ERP: the order as
// placed, or as cancelled. Each has its own mark.
type OrderExport string

// What of an order is exported.
const (
	ExportPlaced    OrderExport = ""
	ExportCancelled OrderExport = "cancelled"
)

// exportMarkKey is the mark of the export what of order id.
func exportMarkKey(m merchant.ID, id string, what OrderExport) (pk, sk string, err error) {
	switch what {
	case ExportPlaced:
		return orderExportKey(m, id)
	case ExportCancelled:
		return orderCancelExportKey(m, id)
	}
	return "", "", fmt.Errorf("%w: export %q of order %s", ErrBadOrderKey, string(what), id)
}

// Exported reports whether the files of the export what of order id were
// written (its export mark exists): one GetItem.
func (f *OrderFollowUp) Exported(ctx context.Context, m merchant.ID, id string, what OrderExport) (bool, error) {
	pk, sk, err := exportMarkKey(m, id, what)
	if err != nil {
		return false, err
	}
	out, err := f.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(f.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String(AttrPK),
	})
	if err != nil {
		return false, fmt.Errorf("export mark of order %s: %w", id, err)
	}
	return out.Item != nil, nil
}

// MarkExported puts the mark of the export what of order id, once: one
// PutItem on attribute_not_exists; a mark that exists already is not an
// error.
func (f *OrderFollowUp) MarkExported(ctx context.Context, m merchant.ID, id string, what OrderExport, at time.Time) error {
	pk, sk, err := exportMarkKey(m, id, what)
	if err != nil {
		return err
	}
	_, err = f.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(f.Table.Name),
		Item: map[string]types.AttributeValue{
			AttrPK:       &types.AttributeValueMemberS{Value: pk},
			AttrSK:       &types.AttributeValueMemberS{Value: sk},
			AttrType:     &types.AttributeValueMemberS{Value: "EXPORT"},
			"ExportedAt": &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339Nano)},
		},
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var cond *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("mark order %s exported: %w", id, err)
	}
	return nil
}

// GiveBackHold gives the stock of order id's n-th hold, the one that
// expires at expiresAt (epoch seconds), back to the levels it was taken
// from, once: the hold was removed while it still held (nobody consumed
// or returned it), so its stock is owed whatever became of the order. One
// transaction puts the release mark (attribute_not_exists, so that a
// replayed record gives nothing twice) and adds each take back:
// Available + units, SiteOrders − units. A level that no longer exists is
// skipped. given is false when the hold was given back already.
func (f *OrderFollowUp) GiveBackHold(ctx context.Context, m merchant.ID, id string, n int, expiresAt int64, takes []HeldStock, at time.Time) (given bool, err error) {
	if len(takes) > maxHoldTakes {
		return false, fmt.Errorf("hold %d of order %s: %d takes, at most %d", n, id, len(takes), maxHoldTakes)
	}
	mpk, msk, err := orderReleasedKey(m, id, n, expiresAt)
	if err != nil {
		return false, err
	}
	for {
		items := []types.TransactWriteItem{{Put: &types.Put{
			TableName: aws.String(f.Table.Name),
			Item: map[string]types.AttributeValue{
				AttrPK:       &types.AttributeValueMemberS{Value: mpk},
				AttrSK:       &types.AttributeValueMemberS{Value: msk},
				AttrType:     &types.AttributeValueMemberS{Value: "HOLD-RELEASED"},
				"ReleasedAt": &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339Nano)},
			},
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}}
		for _, t := range takes {
			pk, sk, err := stockLevelKey(m, t.Ref, t.Warehouse)
			if err != nil {
				return false, err
			}
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName:                aws.String(f.Table.Name),
				Key:                      key(pk, sk),
				UpdateExpression:         aws.String("SET #a = #a + :u, #s = #s - :u"),
				ConditionExpression:      aws.String("attribute_exists(#a) AND attribute_exists(#s)"),
				ExpressionAttributeNames: map[string]string{"#a": AttrAvailable, "#s": AttrSiteOrders},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":u": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Units, 10)},
				},
			}})
		}
		_, err := f.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			if err != nil {
				return false, fmt.Errorf("give hold %d of order %s back: %w", n, id, err)
			}
			return true, nil
		}
		reasons := cancelled.CancellationReasons
		if len(reasons) == 0 || aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
			if len(reasons) == 0 {
				return false, fmt.Errorf("give hold %d of order %s back: %w", n, id, err)
			}
			return false, nil // given back already
		}
		// Levels deleted since the hold took from them are skipped; any
		// other reason (a conflict) is retried by the stream.
		kept := takes[:0:0]
		for i, t := range takes {
			if i+1 < len(reasons) && aws.ToString(reasons[i+1].Code) == "ConditionalCheckFailed" {
				continue
			}
			kept = append(kept, t)
		}
		if len(kept) == len(takes) {
			return false, fmt.Errorf("give hold %d of order %s back: %w", n, id, err)
		}
		takes = kept
	}
}
