package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/stock"
)

// Merchants reads the merchant item (PK=M#<m>, SK=MERCHANT, written by
// Accounts): what the platform set up for a tenant, its country first, the
// seller's country for VAT; it stores the merchant's own settings on it
// (SetMonthEnd), and lists the merchant's warehouses (Warehouses).
type Merchants struct {
	Table Table
	// TTL is how long a merchant and its warehouses stay cached in this
	// process; zero disables the cache. The platform changes a merchant
	// rarely; a setting the merchant's staff change reaches the other
	// functions' caches within TTL (CACHE_TTL).
	TTL time.Duration

	cache      ttlCache[merchant.ID, merchant.Merchant]
	warehouses ttlCache[merchant.ID, []stock.Warehouse]
}

// ErrNoMerchant is merchant.ErrUnknown, returned for a merchant whose item
// does not exist.
var ErrNoMerchant = merchant.ErrUnknown

// ErrMerchantChanged is returned when other writes kept changing the
// merchant item through every attempt of a settings update; nothing was
// stored. It matches merchant.ErrConflict too (errors.Is).
var ErrMerchantChanged error = merchantChanged{}

type merchantChanged struct{}

func (merchantChanged) Error() string { return "the merchant record was changed concurrently" }

// Is makes the error match merchant.ErrConflict: a write that lost its
// races, which a client may retry.
func (merchantChanged) Is(target error) bool { return target == merchant.ErrConflict }

// Merchant returns merchant m with one GetItem, cached for TTL: a warm
// function reads it without a round trip.
func (s *Merchants) Merchant(ctx context.Context, m merchant.ID) (merchant.Merchant, error) {
	if v, ok := s.cache.get(m); ok {
		return v, nil
	}
	pk, sk, err := merchantRecordKey(m)
	if err != nil {
		return merchant.Merchant{}, err
	}
	var v merchant.Merchant
	found, err := s.Table.get(ctx, pk, sk, &v)
	if err != nil {
		return merchant.Merchant{}, fmt.Errorf("merchant %s: %w", m, err)
	}
	if !found {
		return merchant.Merchant{}, fmt.Errorf("merchant %s: %w", m, ErrNoMerchant)
	}
	v.ID = m
	s.cache.put(m, v, s.TTL)
	return v, nil
}

// SetMonthEnd stores how merchant m counts payment terms "fin de mois"
// (merchant.Merchant.MonthEnd) on its item: a strongly consistent GetItem,
// then one UpdateItem conditional on the document read (2 round trips), so
// that a change of the record made meanwhile (by the platform) is never
// lost; a write that loses such a race reads again, up to
// maxCheckAttempts times, then fails with ErrMerchantChanged. The other
// members of the record are kept byte for byte. The merchant is dropped
// from this process's cache; other processes read the new setting within
// their TTL. An invalid method is refused before any round trip; an
// unknown merchant is ErrNoMerchant.
func (s *Merchants) SetMonthEnd(ctx context.Context, m merchant.ID, method payment.MonthEndMethod) (merchant.Merchant, error) {
	if err := method.Validate(); err != nil {
		return merchant.Merchant{}, err
	}
	pk, sk, err := merchantRecordKey(m)
	if err != nil {
		return merchant.Merchant{}, err
	}
	defer s.cache.drop(m)
	for attempt := 0; ; attempt++ {
		out, err := s.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(s.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return merchant.Merchant{}, fmt.Errorf("merchant %s: %w", m, err)
		}
		old, ok := out.Item[AttrDoc].(*types.AttributeValueMemberS)
		if !ok {
			return merchant.Merchant{}, fmt.Errorf("merchant %s: %w", m, ErrNoMerchant)
		}
		doc, err := withMembers(old.Value, map[string]any{"monthEnd": method})
		if err != nil {
			return merchant.Merchant{}, fmt.Errorf("merchant %s: %w", m, err)
		}
		err = replaceDoc(ctx, s.Table, pk, sk, old.Value, doc)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			var v merchant.Merchant
			if err := decodeDoc(map[string]types.AttributeValue{AttrDoc: &types.AttributeValueMemberS{Value: doc}}, &v); err != nil {
				return merchant.Merchant{}, fmt.Errorf("merchant %s: %w", m, err)
			}
			v.ID = m
			return v, nil
		case !errors.As(err, &ccf):
			return merchant.Merchant{}, fmt.Errorf("store month-end method of merchant %s: %w", m, err)
		case attempt+1 >= maxCheckAttempts:
			return merchant.Merchant{}, fmt.Errorf("store month-end method of merchant %s: %d attempts: %w", m, maxCheckAttempts, ErrMerchantChanged)
		}
		if err := backoff(ctx, attempt); err != nil {
			return merchant.Merchant{}, err
		}
	}
}

// Warehouses lists merchant m's warehouses ("dépôts") with one Query of
// the stock partition (PK=M#<m>#STOCK, SK begins with WH#), cached for
// TTL: a warm function lists them without a round trip. A merchant
// without warehouses has none (an empty list, no error).
func (s *Merchants) Warehouses(ctx context.Context, m merchant.ID) ([]stock.Warehouse, error) {
	return listWarehouses(ctx, s.Table, &s.warehouses, s.TTL, m)
}

// listWarehouses reads merchant m's warehouses (1 Query of PK=M#<m>#STOCK,
// SK begins with WH#) unless cache holds them, and keeps them there for
// ttl. Merchants and Orders both list warehouses through it.
func listWarehouses(ctx context.Context, t Table, cache *ttlCache[merchant.ID, []stock.Warehouse], ttl time.Duration, m merchant.ID) ([]stock.Warehouse, error) {
	if v, ok := cache.get(m); ok {
		return v, nil
	}
	pk, prefix, err := warehouseKey(m, "")
	if err != nil {
		return nil, err
	}
	items, err := t.partition(ctx, pk, prefix)
	if err != nil {
		return nil, fmt.Errorf("warehouses of %s: %w", m, err)
	}
	list, err := decodeAll[stock.Warehouse](items)
	if err != nil {
		return nil, fmt.Errorf("warehouses of %s: %w", m, err)
	}
	cache.put(m, list, ttl)
	return list, nil
}
