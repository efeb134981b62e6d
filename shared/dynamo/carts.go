package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/cart"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Carts stores open carts: one item per customer and owner,
// M#<m>#C#<customer> / CART#<owner>, Type CART, Doc = cart.Stored, with
// the numeric Version every write conditions on and ExpiresAt (the table's
// TTL attribute, epoch seconds) = last write + cart.Lifetime.
//
// Access patterns: Get is 1 GetItem (strongly consistent). Update is 1
// GetItem and 1 PutItem; a write that loses a race gets the cart as it
// stands from the refused PutItem itself (ReturnValuesOnConditionCheckFailure
// ALL_OLD): a version conflict costs no read, and the first merge one
// PutItem more. Later merges (writers still racing) wait a jittered while
// and read the cart again first.
type Carts struct {
	Table Table
	// Now is the clock of expiries; nil means time.Now.
	Now func() time.Time
}

var _ cart.Store = (*Carts)(nil)

// typeCart is the Type of a cart item.
const typeCart = "CART"

// maxCartAttempts bounds the writes of one Update that keeps losing races
// with other writes of the same cart.
const maxCartAttempts = 10

// Get reads a cart: 1 GetItem. A cart never written, or past its expiry
// (the TTL deletes items late), is an empty cart at version 0.
func (c *Carts) Get(ctx context.Context, m merchant.ID, customer string, owner cart.Owner) (cart.Stored, error) {
	pk, sk, err := cartKey(m, customer, string(owner))
	if err != nil {
		return cart.Stored{}, err
	}
	s, err := c.read(ctx, pk, sk, customer, owner, c.now())
	if err != nil {
		return cart.Stored{}, fmt.Errorf("read cart %s of %s: %w", owner, customer, err)
	}
	return s, nil
}

// Update reads the cart, lets update change it and puts the result on the
// condition that the cart is still at the version read (absent or expired
// for version 0), with the version raised by one and the expiry pushed to
// now + cart.Lifetime. See cart.Store for expected: a named version the
// cart is not at fails with *cart.VersionError (update not called); with
// 0, a lost race applies update again to the cart as it now stands, up to
// maxCartAttempts writes, with jittered backoff, then cart.ErrBusy.
func (c *Carts) Update(ctx context.Context, m merchant.ID, customer string, owner cart.Owner, expected int64, update func(*cart.Stored) error) (cart.Stored, error) {
	pk, sk, err := cartKey(m, customer, string(owner))
	if err != nil {
		return cart.Stored{}, err
	}
	now := c.now()
	cur, err := c.read(ctx, pk, sk, customer, owner, now)
	if err != nil {
		return cart.Stored{}, fmt.Errorf("read cart %s of %s: %w", owner, customer, err)
	}
	for attempt := 0; ; attempt++ {
		if expected > 0 && cur.Version != expected {
			return cart.Stored{}, &cart.VersionError{Expected: expected, Current: cur}
		}
		next := cur
		next.Lines = slices.Clone(cur.Lines)
		for i := range next.Lines {
			next.Lines[i].BroughtBy = slices.Clone(next.Lines[i].BroughtBy)
		}
		if err := update(&next); err != nil {
			return cart.Stored{}, err
		}
		now = c.now()
		next.Customer, next.Owner = customer, owner
		next.Version = cur.Version + 1
		next.UpdatedAt = now.UTC()
		next.ExpiresAt = now.Add(cart.Lifetime).UTC().Truncate(time.Second)
		old, won, err := c.put(ctx, pk, sk, next, cur.Version, now)
		if err != nil {
			return cart.Stored{}, fmt.Errorf("write cart %s of %s: %w", owner, customer, err)
		}
		if won {
			return next, nil
		}
		// Another write got there first: old is the cart as it stands.
		if cur, err = decodeCart(old, customer, owner, now); err != nil {
			return cart.Stored{}, err
		}
		if expected > 0 {
			return cart.Stored{}, &cart.VersionError{Expected: expected, Current: cur}
		}
		if attempt+1 >= maxCartAttempts {
			return cart.Stored{}, cart.ErrBusy
		}
		if attempt == 0 {
			// The first retry goes at once, over the cart the refusal
			// returned.
			continue
		}
		// Writers still racing: wait a jittered while, then read the cart
		// as it stands after it.
		if err := backoff(ctx, attempt); err != nil {
			return cart.Stored{}, err
		}
		now = c.now()
		if cur, err = c.read(ctx, pk, sk, customer, owner, now); err != nil {
			return cart.Stored{}, fmt.Errorf("read cart %s of %s: %w", owner, customer, err)
		}
	}
}

// read reads a cart with a strongly consistent GetItem.
func (c *Carts) read(ctx context.Context, pk, sk, customer string, owner cart.Owner, now time.Time) (cart.Stored, error) {
	out, err := c.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(c.Table.Name),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return cart.Stored{}, err
	}
	return decodeCart(out.Item, customer, owner, now)
}

// decodeCart turns a stored item into a cart; no item, or an item past its
// expiry at now, is the empty cart at version 0.
func decodeCart(av map[string]types.AttributeValue, customer string, owner cart.Owner, now time.Time) (cart.Stored, error) {
	empty := cart.Stored{Customer: customer, Owner: owner, Lines: []cart.Line{}}
	if len(av) == 0 {
		return empty, nil
	}
	expires, err := numberAttr(av, AttrExpires)
	if err != nil {
		return cart.Stored{}, err
	}
	if expires > 0 && expires <= now.Unix() {
		return empty, nil
	}
	var s cart.Stored
	if err := decodeDoc(av, &s); err != nil {
		return cart.Stored{}, fmt.Errorf("decode cart %s: %w", str(av, AttrSK), err)
	}
	if s.Version, err = numberAttr(av, AttrVersion); err != nil {
		return cart.Stored{}, err
	}
	if s.Lines == nil {
		s.Lines = []cart.Line{}
	}
	s.Customer, s.Owner = customer, owner
	if expires > 0 {
		s.ExpiresAt = time.Unix(expires, 0).UTC()
	}
	return s, nil
}

// put writes next over the version read: absent (or expired at now) for
// version 0, else that Version. When another write got there first, won is
// false and old is the item as it stands (nil when there is none).
func (c *Carts) put(ctx context.Context, pk, sk string, next cart.Stored, version int64, now time.Time) (old map[string]types.AttributeValue, won bool, err error) {
	doc, err := json.Marshal(next)
	if err != nil {
		return nil, false, fmt.Errorf("encode cart: %w", err)
	}
	in := &dynamodb.PutItemInput{
		TableName: aws.String(c.Table.Name),
		Item: map[string]types.AttributeValue{
			AttrPK:      &types.AttributeValueMemberS{Value: pk},
			AttrSK:      &types.AttributeValueMemberS{Value: sk},
			AttrType:    &types.AttributeValueMemberS{Value: typeCart},
			AttrDoc:     &types.AttributeValueMemberS{Value: string(doc)},
			AttrVersion: &types.AttributeValueMemberN{Value: strconv.FormatInt(next.Version, 10)},
			AttrExpires: &types.AttributeValueMemberN{Value: strconv.FormatInt(next.ExpiresAt.Unix(), 10)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if version == 0 {
		// A cart the TTL has not deleted yet counts as absent.
		in.ConditionExpression = aws.String("attribute_not_exists(PK) OR #e <= :now")
		in.ExpressionAttributeNames = map[string]string{"#e": AttrExpires}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}}
	} else {
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": AttrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)}}
	}
	_, err = c.Table.Client.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil, true, nil
	case errors.As(err, &ccf):
		return ccf.Item, false, nil
	}
	return nil, false, err
}

func (c *Carts) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
