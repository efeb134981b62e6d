package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/order"
)

// SeedPreOrder writes a pre-order the way a checkout's placement leaves
// it, so that the tests of Totals and Convert stand on their own: ord's
// item with its indexes, its O#<id> item in its shard (Customer, Units)
// and, per product, Units and Lines added to the product's and the
// customer's totals of the shard; one transaction, conflicts retried
// with jitter until ctx ends.
func (o *Orders) SeedPreOrder(ctx context.Context, ord order.Order) error {
	if ord.PreOrder == nil {
		return fmt.Errorf("order %s is not a pre-order", ord.ID)
	}
	m, season, n := ord.Merchant, ord.PreOrder.Season, ord.PreOrder.Shard
	table := aws.String(o.Table.Name)
	av, err := orderAttributes(m, ord)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	type sum struct{ units, lines int64 }
	var refs []string
	sums := map[string]*sum{}
	var units int64
	for _, l := range ord.Lines {
		s := sums[l.Ref]
		if s == nil {
			s = &sum{}
			sums[l.Ref] = s
			refs = append(refs, l.Ref)
		}
		s.units += l.Units
		s.lines++
		units += l.Units
	}
	ipk, isk, err := preOrderOrderKey(m, season, n, ord.ID)
	if err != nil {
		return err
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: table, Item: map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: ipk}, AttrSK: &types.AttributeValueMemberS{Value: isk},
		AttrCustomer:      &types.AttributeValueMemberS{Value: ord.Customer},
		AttrPreOrderUnits: &types.AttributeValueMemberN{Value: strconv.FormatInt(units, 10)},
	}}})
	for _, ref := range refs {
		ppk, psk, err := preOrderProductKey(m, season, n, ref)
		if err != nil {
			return err
		}
		cpk, csk, err := preOrderCustomerKey(m, season, n, ord.Customer, ref)
		if err != nil {
			return err
		}
		for _, k := range [][2]string{{ppk, psk}, {cpk, csk}} {
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName: table, Key: key(k[0], k[1]),
				UpdateExpression:         aws.String("ADD #u :u, #l :l"),
				ExpressionAttributeNames: map[string]string{"#u": AttrPreOrderUnits, "#l": AttrPreOrderLines},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":u": &types.AttributeValueMemberN{Value: strconv.FormatInt(sums[ref].units, 10)},
					":l": &types.AttributeValueMemberN{Value: strconv.FormatInt(sums[ref].lines, 10)},
				},
			}})
		}
	}
	for attempt := 0; ; attempt++ {
		_, err := o.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		switch {
		case err == nil:
			return nil
		case errors.As(err, &tce) && len(tce.CancellationReasons) > 0 &&
			aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed":
			// The order exists: an earlier attempt whose answer was lost
			// (the client retries internal errors itself) wrote it all.
			return nil
		case !retryable(err) && !seedConflict(err):
			return fmt.Errorf("seed pre-order %s, attempt %d: %w", ord.ID, attempt+1, err)
		}
		if err := jitter(ctx, min(attempt, placeAttempts)); err != nil {
			return fmt.Errorf("seed pre-order %s, attempt %d: %w", ord.ID, attempt+1, err)
		}
	}
}

// seedConflict reports a transaction cancelled by conflicts or throttling
// only.
func seedConflict(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None":
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
			conflict = true
		default:
			return false
		}
	}
	return conflict
}
