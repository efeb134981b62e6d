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
	"github.com/comptoir/comptoir/shared/order"
)

// Idempotency records of checkouts:
//
//	PK=M#<m>#IDEM#<customer>#<key>  SK=IDEM  Type=IDEM, Status INPROGRESS|COMPLETED,
//	RequestHash, CartHash, OrderID, LeaseUntil (N, epoch ms), ExpiresAt (TTL, 24 h)
//
// Begin is one conditional UpdateItem: it starts the record when there is
// none (or it expired: TTL deletion lags), or takes over an INPROGRESS
// record of the same request whose lease ran out, keeping its order
// number; otherwise the condition fails and returns the record as it
// stands (ALL_OLD). Place completes the record in the order's transaction.

// Attributes of an idempotency record.
const (
	AttrRequestHash = "RequestHash"
	AttrCartHash    = "CartHash"
	AttrOrderID     = "OrderID"
	AttrLeaseUntil  = "LeaseUntil"
)

// Statuses of an idempotency record.
const (
	idemInProgress = "INPROGRESS"
	idemCompleted  = "COMPLETED"
	typeIdem       = "IDEM"
	// idemLifetime is how long a key is remembered.
	idemLifetime = 24 * time.Hour
)

// Begin claims an idempotency key (see order.IdempotencyStore): 1
// conditional UpdateItem; a record that expired but is not deleted yet
// costs a second, conditional on the expiry read.
func (o *Orders) Begin(ctx context.Context, m merchant.ID, k order.IdempotencyKey, c order.Claim) (order.Claimed, error) {
	pk, sk, err := idempotencyKey(m, k.Customer, k.Key)
	if err != nil {
		return order.Claimed{}, err
	}
	now := c.Now
	if now.IsZero() {
		now = o.now()
	}
	vals := map[string]types.AttributeValue{
		":ip":    &types.AttributeValueMemberS{Value: idemInProgress},
		":rh":    &types.AttributeValueMemberS{Value: c.RequestHash},
		":ch":    &types.AttributeValueMemberS{Value: c.CartHash},
		":id":    &types.AttributeValueMemberS{Value: c.OrderID},
		":lease": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(c.Lease).UnixMilli(), 10)},
		":nowms": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
		":nows":  &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		":exp":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(idemLifetime).Unix(), 10)},
		":ty":    &types.AttributeValueMemberS{Value: typeIdem},
	}
	names := map[string]string{
		"#st": AttrStatus, "#rh": AttrRequestHash, "#ch": AttrCartHash, "#oid": AttrOrderID,
		"#lu": AttrLeaseUntil, "#ex": AttrExpires, "#ty": AttrType,
	}
	// A live record of the same request on the same cart whose lease ran
	// out is taken over with its order number; an absent one starts. The
	// same request on another cart is not the same checkout: the record
	// is returned as it stands.
	out, err := o.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(o.Table.Name), Key: key(pk, sk),
		UpdateExpression:                    aws.String("SET #ty = :ty, #st = :ip, #rh = :rh, #ch = :ch, #oid = if_not_exists(#oid, :id), #lu = :lease, #ex = if_not_exists(#ex, :exp)"),
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR (#ex > :nows AND #st = :ip AND #rh = :rh AND #ch = :ch AND #lu < :nowms)"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           vals,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return order.Claimed{State: order.Started, OrderID: str(out.Attributes, AttrOrderID), RequestHash: c.RequestHash, CartHash: c.CartHash}, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return order.Claimed{}, fmt.Errorf("begin idempotency key of %s: %w", k.Customer, err)
	}
	old := ccf.Item
	expires, err := number[int64](old, AttrExpires)
	if err != nil {
		return order.Claimed{}, err
	}
	if expires > now.Unix() {
		return claimedOf(old), nil
	}
	// The record expired: the key starts afresh with a new order number,
	// on the condition that nobody restarted it meanwhile.
	vals[":was"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(expires, 10)}
	_, err = o.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(o.Table.Name), Key: key(pk, sk),
		UpdateExpression:                    aws.String("SET #ty = :ty, #st = :ip, #rh = :rh, #ch = :ch, #oid = :id, #lu = :lease, #ex = :exp"),
		ConditionExpression:                 aws.String("#ex = :was"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           removeUnused(vals, ":nowms", ":nows"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	switch {
	case err == nil:
		return order.Claimed{State: order.Started, OrderID: c.OrderID, RequestHash: c.RequestHash, CartHash: c.CartHash}, nil
	case errors.As(err, &ccf):
		return claimedOf(ccf.Item), nil
	}
	return order.Claimed{}, fmt.Errorf("restart idempotency key of %s: %w", k.Customer, err)
}

// removeUnused drops values an expression does not use (DynamoDB refuses
// unused ones).
func removeUnused(vals map[string]types.AttributeValue, names ...string) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(vals))
	for k, v := range vals {
		out[k] = v
	}
	for _, n := range names {
		delete(out, n)
	}
	return out
}

// claimedOf reads a record another request holds or completed.
func claimedOf(av map[string]types.AttributeValue) order.Claimed {
	c := order.Claimed{State: order.InFlight, OrderID: str(av, AttrOrderID), RequestHash: str(av, AttrRequestHash), CartHash: str(av, AttrCartHash)}
	if str(av, AttrStatus) == idemCompleted {
		c.State = order.Completed
	}
	return c
}

// Release deletes a started claim that placed no order, on the condition
// that it is in progress with orderID (1 conditional DeleteItem); a record
// that no longer is (completed, or taken over) is left as it is.
func (o *Orders) Release(ctx context.Context, m merchant.ID, k order.IdempotencyKey, orderID string) error {
	pk, sk, err := idempotencyKey(m, k.Customer, k.Key)
	if err != nil {
		return err
	}
	_, err = o.Table.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(o.Table.Name), Key: key(pk, sk),
		ConditionExpression:      aws.String("#st = :ip AND #oid = :id"),
		ExpressionAttributeNames: map[string]string{"#st": AttrStatus, "#oid": AttrOrderID},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":ip": &types.AttributeValueMemberS{Value: idemInProgress},
			":id": &types.AttributeValueMemberS{Value: orderID},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release idempotency key of %s: %w", k.Customer, err)
	}
	return nil
}
