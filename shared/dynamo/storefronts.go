package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Storefronts stores storefronts and resolves them from a host name.
//
// Keys:
//
//	storefront  PK=M#<m>#STOREFRONT  SK=<id>  GSI1PK=HOST#<host>  GSI1SK=STOREFRONT
type Storefronts struct {
	Table Table
	// TTL is how long a resolved host stays cached in this process; zero
	// disables the cache.
	TTL time.Duration

	cache ttlCache[string, cachedStorefront]
}

type cachedStorefront struct {
	s     merchant.Storefront
	found bool
}

const typeStorefront = "Storefront"

// ByHost returns the storefront that answers for host, or
// merchant.ErrUnknownHost. Results, misses included, are cached for TTL so
// that a warm function resolves its storefront without a round trip.
func (s *Storefronts) ByHost(ctx context.Context, host string) (merchant.Storefront, error) {
	host = merchant.NormalizeHost(host)
	if host == "" {
		return merchant.Storefront{}, merchant.ErrUnknownHost
	}
	if c, ok := s.cache.get(host); ok {
		if !c.found {
			return merchant.Storefront{}, merchant.ErrUnknownHost
		}
		return c.s, nil
	}
	sf, found, err := s.queryHost(ctx, host)
	if err != nil {
		return merchant.Storefront{}, err
	}
	s.cache.put(host, cachedStorefront{s: sf, found: found}, s.TTL)
	if !found {
		return merchant.Storefront{}, merchant.ErrUnknownHost
	}
	return sf, nil
}

// queryHost reads the GSI1 host entry of a normalized host.
func (s *Storefronts) queryHost(ctx context.Context, host string) (merchant.Storefront, bool, error) {
	out, err := s.Table.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table.Name),
		IndexName:              aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :h AND GSI1SK = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": &types.AttributeValueMemberS{Value: "HOST#" + host},
			":t": &types.AttributeValueMemberS{Value: "STOREFRONT"},
		},
		Limit: aws.Int32(1),
	})
	if err != nil {
		return merchant.Storefront{}, false, fmt.Errorf("resolve host %s: %w", host, err)
	}
	if len(out.Items) == 0 {
		return merchant.Storefront{}, false, nil
	}
	var sf merchant.Storefront
	if err := decodeDoc(out.Items[0], &sf); err != nil {
		return merchant.Storefront{}, false, err
	}
	return sf, true, nil
}

// Save writes storefronts; each host must be unique across the deployment.
func (s *Storefronts) Save(ctx context.Context, fronts []merchant.Storefront) error {
	items := make([]item, 0, len(fronts))
	for _, f := range fronts {
		p, err := merchantPrefix(f.Merchant)
		if err != nil {
			return err
		}
		f.Host = merchant.NormalizeHost(f.Host)
		items = append(items, item{PK: p + "#STOREFRONT", SK: f.ID, GSI1PK: "HOST#" + f.Host, GSI1SK: "STOREFRONT", Type: typeStorefront, Doc: f})
	}
	return s.Table.put(ctx, items)
}
