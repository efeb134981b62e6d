package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Assortments stores the merchant's assortments.
//
// Keys:
//
//	assortment  PK=M#<m>#ASSORT  SK=<scope>#<scope id>
type Assortments struct {
	Table Table
	// TTL is how long a merchant's assortments stay cached in this process.
	TTL time.Duration

	cache ttlCache[merchant.ID, catalog.Assortments]
}

const typeAssortment = "Assortment"

// All returns the merchant's assortments with one Query, cached for TTL.
func (s *Assortments) All(ctx context.Context, m merchant.ID) (catalog.Assortments, error) {
	if as, ok := s.cache.get(m); ok {
		return as, nil
	}
	pk, err := assortmentsPK(m)
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, "")
	if err != nil {
		return nil, fmt.Errorf("assortments of %s: %w", m, err)
	}
	as, err := decodeAll[catalog.Assortment](items)
	if err != nil {
		return nil, err
	}
	s.cache.put(m, as, s.TTL)
	return as, nil
}

// Save writes assortments, replacing those with the same scope and id, for
// loads (the demo, tests).
func (s *Assortments) Save(ctx context.Context, m merchant.ID, as ...catalog.Assortment) error {
	pk, err := assortmentsPK(m)
	if err != nil {
		return err
	}
	items := make([]item, 0, len(as))
	for _, a := range as {
		items = append(items, item{PK: pk, SK: assortmentSK(a.Scope, a.ScopeID), Type: typeAssortment, Doc: a})
	}
	if err := s.Table.put(ctx, items); err != nil {
		return err
	}
	s.cache.drop(m)
	return nil
}

// Put creates or replaces one assortment with a single PutItem that
// returns the item it replaced: created is true when there was none.
func (s *Assortments) Put(ctx context.Context, m merchant.ID, a catalog.Assortment) (created bool, err error) {
	pk, err := assortmentsPK(m)
	if err != nil {
		return false, err
	}
	av, err := item{PK: pk, SK: assortmentSK(a.Scope, a.ScopeID), Type: typeAssortment, Doc: a}.attributes()
	if err != nil {
		return false, err
	}
	out, err := s.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table.Name), Item: av, ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, fmt.Errorf("save assortment %s/%s: %w", a.Scope, a.ScopeID, err)
	}
	s.cache.drop(m)
	return len(out.Attributes) == 0, nil
}

// Delete removes the assortment of one scope, so its customers see the whole
// catalog again, with a single DeleteItem that returns the item it deleted:
// found is false when there was none.
func (s *Assortments) Delete(ctx context.Context, m merchant.ID, scope catalog.AssortmentScope, scopeID string) (found bool, err error) {
	pk, err := assortmentsPK(m)
	if err != nil {
		return false, err
	}
	found, err = s.Table.remove(ctx, pk, assortmentSK(scope, scopeID))
	if err != nil {
		return false, fmt.Errorf("delete assortment %s/%s: %w", scope, scopeID, err)
	}
	s.cache.drop(m)
	return found, nil
}

func assortmentSK(scope catalog.AssortmentScope, scopeID string) string {
	return string(scope) + "#" + scopeID
}
