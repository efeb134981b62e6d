package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Merchants reads the merchant item (PK=M#<m>, SK=MERCHANT, written by
// Accounts): what the platform set up for a tenant, its country first, the
// seller's country for VAT.
type Merchants struct {
	Table Table
	// TTL is how long a merchant stays cached in this process; zero
	// disables the cache. The platform changes a merchant rarely.
	TTL time.Duration

	cache ttlCache[merchant.ID, merchant.Merchant]
}

// ErrNoMerchant is merchant.ErrUnknown, returned for a merchant whose item
// does not exist.
var ErrNoMerchant = merchant.ErrUnknown

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
