package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// StockAlerts stores the alerts raised when a product's available stock in
// a warehouse falls to its alert minimum (stock.Alert), one per product and
// warehouse: a newer fall replaces the alert, a replayed one changes
// nothing.
//
// Keys:
//
//	an alert  PK=M#<m>#STOCK  SK=ALERT#<ref>#<warehouse>  Doc=stock.Alert,
//	          RaisedAt (N, epoch ms)
//
// Access patterns: raise (one conditional PutItem), a merchant's alerts
// (one Query on the partition of its warehouses, begins_with ALERT#,
// following pages).
type StockAlerts struct {
	Table Table
}

const (
	typeStockAlert = "STOCK_ALERT"
	// attrRaisedAt is an alert's raising instant in epoch milliseconds,
	// so that an older alert delivered late does not replace a newer one.
	attrRaisedAt = "RaisedAt"
)

// Raise stores a: one PutItem, on the condition that no newer alert of the
// same product and warehouse is stored. Raising the same alert again (a
// replayed stream record) writes the same item; an older one is ignored.
func (s *StockAlerts) Raise(ctx context.Context, m merchant.ID, a stock.Alert) error {
	if a.Ref == "" || a.Warehouse == "" {
		return fmt.Errorf("stock alert without product or warehouse: %+v", a)
	}
	pk, sk, err := stockAlertKey(m, a.Ref, a.Warehouse)
	if err != nil {
		return err
	}
	av, err := item{PK: pk, SK: sk, Type: typeStockAlert, Doc: a}.attributes()
	if err != nil {
		return err
	}
	at := strconv.FormatInt(a.RaisedAt.UnixMilli(), 10)
	av[attrRaisedAt] = &types.AttributeValueMemberN{Value: at}
	_, err = s.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.Table.Name),
		Item:                      av,
		ConditionExpression:       aws.String("attribute_not_exists(#at) OR #at <= :at"),
		ExpressionAttributeNames:  map[string]string{"#at": attrRaisedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberN{Value: at}},
	})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return nil // a newer alert of this product and warehouse stands
	}
	if err != nil {
		return fmt.Errorf("raise stock alert %s in %s: %w", a.Ref, a.Warehouse, err)
	}
	return nil
}

// List returns merchant m's alerts in key order (product, then warehouse): one Query
// (more pages only past 1 MB of alerts).
func (s *StockAlerts) List(ctx context.Context, m merchant.ID) ([]stock.Alert, error) {
	pk, err := warehousesPK(m)
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, skStockAlert)
	if err != nil {
		return nil, fmt.Errorf("stock alerts of %s: %w", m, err)
	}
	return decodeAll[stock.Alert](items)
}

// warehousesPK is the partition of a merchant's warehouses and stock
// alerts.
func warehousesPK(m merchant.ID) (string, error) {
	pk, _, err := stockAlertKey(m, "", "")
	return pk, err
}
