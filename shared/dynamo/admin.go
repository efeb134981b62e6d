package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Back-office operations of the adapters: what the admin function needs
// beyond the readers and loaders of the other files.

// DeleteCategory removes one category item. It does not look at the tree or
// the products: the caller checks that nothing hangs below it.
func (c *Catalog) DeleteCategory(ctx context.Context, m merchant.ID, id string) error {
	pk, sk, err := categoryKey(m, id)
	if err != nil {
		return err
	}
	if _, err := c.Table.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(c.Table.Name), Key: key(pk, sk)}); err != nil {
		return fmt.Errorf("delete category %s/%s: %w", m, id, err)
	}
	return nil
}

// HasProducts reports whether at least one product, active or not, is filed
// directly in the category: one Query on GSI1 with Limit 1.
func (c *Catalog) HasProducts(ctx context.Context, m merchant.ID, categoryID string) (bool, error) {
	gpk, err := productsByCategoryKey(m, categoryID)
	if err != nil {
		return false, err
	}
	out, err := c.Table.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(c.Table.Name),
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: gpk}},
		Limit:                     aws.Int32(1),
	})
	if err != nil {
		return false, fmt.Errorf("query products of %s/%s: %w", m, categoryID, err)
	}
	return len(out.Items) > 0, nil
}

// List returns the merchant's storefronts with one Query on their partition.
func (s *Storefronts) List(ctx context.Context, m merchant.ID) ([]merchant.Storefront, error) {
	p, err := merchantPrefix(m)
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, p+"#STOREFRONT", "")
	if err != nil {
		return nil, fmt.Errorf("storefronts of %s: %w", m, err)
	}
	return decodeAll[merchant.Storefront](items)
}

// HostOwner returns the storefront that holds host in the GSI1 host entry,
// bypassing the cache; found is false when no storefront has it. GSI reads
// are eventually consistent: a host saved a moment ago may not show yet.
func (s *Storefronts) HostOwner(ctx context.Context, host string) (sf merchant.Storefront, found bool, err error) {
	host = merchant.NormalizeHost(host)
	if host == "" {
		return merchant.Storefront{}, false, nil
	}
	return s.queryHost(ctx, host)
}

// Forget drops hosts from this process's cache, so that the next request
// on them reads the table again. Other processes keep their copy for TTL.
func (s *Storefronts) Forget(hosts ...string) {
	for _, h := range hosts {
		s.cache.drop(merchant.NormalizeHost(h))
	}
}
