package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/stock"
)

// ProductWithStock reads a product and its stock level in every warehouse
// with one Query of the product's partition (the levels are stored beside
// the product).
func (c *Catalog) ProductWithStock(ctx context.Context, m merchant.ID, ref string) (catalog.Product, []stock.Level, error) {
	pk, sk, err := productKey(m, ref)
	if err != nil {
		return catalog.Product{}, nil, err
	}
	out, err := c.Table.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(c.Table.Name),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	})
	if err != nil {
		return catalog.Product{}, nil, fmt.Errorf("read product %s of %s: %w", ref, m, err)
	}
	var (
		p      catalog.Product
		found  bool
		levels []stock.Level
	)
	for _, av := range out.Items {
		switch s := str(av, AttrSK); {
		case s == sk:
			if err := decodeDoc(av, &p); err != nil {
				return catalog.Product{}, nil, err
			}
			found = true
		case strings.HasPrefix(s, "STOCK#"):
			l, err := decodeLevel(av)
			if err != nil {
				return catalog.Product{}, nil, err
			}
			levels = append(levels, l)
		}
	}
	if !found {
		return catalog.Product{}, nil, catalog.ErrNotFound
	}
	return p, levels, nil
}
