package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Catalog is the DynamoDB implementation of catalog.Repository.
//
// Keys:
//
//	category  PK=M#<m>#CATALOG   SK=CAT#<id>
//	product   PK=M#<m>#P#<ref>   SK=PRODUCT   GSI1PK=M#<m>#CAT#<category>  GSI1SK=<ref>
type Catalog struct{ Table Table }

var _ catalog.Repository = (*Catalog)(nil)

const (
	typeCategory = "Category"
	typeProduct  = "Product"
)

// Categories returns the merchant's whole category tree with one Query.
func (c *Catalog) Categories(ctx context.Context, m merchant.ID) ([]catalog.Category, error) {
	pk, _, err := categoryKey(m, "")
	if err != nil {
		return nil, err
	}
	items, err := c.Table.partition(ctx, pk, "CAT#")
	if err != nil {
		return nil, fmt.Errorf("categories of %s: %w", m, err)
	}
	return decodeAll[catalog.Category](items)
}

// ProductsInCategory reads up to limit products filed in one category, in
// reference order, after the reference after, with one Query on GSI1
// (GSI1PK = the category, GSI1SK > after). after is a plain reference: the
// HTTP layer opens sealed cursors, and the partition is always built from the
// caller's merchant.
func (c *Catalog) ProductsInCategory(ctx context.Context, m merchant.ID, categoryID string, limit int, after string) (catalog.Page, error) {
	gpk, err := productsByCategoryKey(m, categoryID)
	if err != nil {
		return catalog.Page{}, err
	}
	if after != "" && !catalog.ValidRef(after) {
		return catalog.Page{}, catalog.ErrInvalidCursor
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(c.Table.Name),
		IndexName:              aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: gpk},
		},
		Limit: aws.Int32(int32(max(limit, 1))),
	}
	if after != "" {
		in.KeyConditionExpression = aws.String("GSI1PK = :pk AND GSI1SK > :after")
		in.ExpressionAttributeValues[":after"] = &types.AttributeValueMemberS{Value: after}
	}
	out, err := c.Table.Client.Query(ctx, in)
	if err != nil {
		return catalog.Page{}, fmt.Errorf("query products of %s/%s: %w", m, categoryID, err)
	}
	page := catalog.Page{Products: make([]catalog.Product, 0, len(out.Items)), Ends: make([]catalog.Position, 0, len(out.Items))}
	for _, av := range out.Items {
		var p catalog.Product
		if err := decodeDoc(av, &p); err != nil {
			return catalog.Page{}, err
		}
		page.Products = append(page.Products, p)
		page.Ends = append(page.Ends, catalog.Position{After: str(av, AttrGSI1SK)})
	}
	if out.LastEvaluatedKey != nil {
		page.Next, page.More = catalog.Position{After: str(out.LastEvaluatedKey, AttrGSI1SK)}, true
	}
	return page, nil
}

// Product reads one product with a single GetItem.
func (c *Catalog) Product(ctx context.Context, m merchant.ID, ref string) (catalog.Product, error) {
	pk, sk, err := productKey(m, ref)
	if err != nil {
		return catalog.Product{}, err
	}
	var p catalog.Product
	found, err := c.Table.get(ctx, pk, sk, &p)
	if err != nil {
		return catalog.Product{}, err
	}
	if !found {
		return catalog.Product{}, catalog.ErrNotFound
	}
	return p, nil
}

// SaveCategories creates or replaces categories, for loads (the demo,
// benchmarks, tests): the caller gives a tree that holds together, with
// inherited restrictions (catalog.InheritRestrictions). Each category's
// document is written with UpdateItem, so that the ProductCount of a
// category loaded again is kept, in transactions of up to 99 categories that
// also add 1 to the tree version (tree.go): a change of the tree decided
// before the load cannot be saved over it.
func (c *Catalog) SaveCategories(ctx context.Context, m merchant.ID, cats []catalog.Category) error {
	pk, sk, err := treeKey(m)
	if err != nil {
		return err
	}
	byID := make(map[string]int, len(cats))
	var unique []catalog.Category
	for _, cat := range cats {
		if i, ok := byID[cat.ID]; ok {
			unique[i] = cat
			continue
		}
		byID[cat.ID] = len(unique)
		unique = append(unique, cat)
	}
	for start := 0; start < len(unique); start += maxTransactItems - 1 {
		tx := []types.TransactWriteItem{{Update: &types.Update{
			TableName: aws.String(c.Table.Name), Key: key(pk, sk),
			UpdateExpression:         aws.String("ADD #v :one SET #t = :type"),
			ExpressionAttributeNames: map[string]string{"#v": AttrVersion, "#t": AttrType},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": &types.AttributeValueMemberN{Value: "1"}, ":type": &types.AttributeValueMemberS{Value: typeTree},
			},
		}}}
		for _, cat := range unique[start:min(start+maxTransactItems-1, len(unique))] {
			up, err := c.categoryUpdate(m, cat)
			if err != nil {
				return err
			}
			tx = append(tx, types.TransactWriteItem{Update: up})
		}
		for attempt := 0; ; attempt++ {
			_, err := c.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
			if err == nil {
				break
			}
			if retry, _ := treeOutcome(err, len(tx)-1, nil); !retry || attempt+1 >= maxTreeAttempts {
				return fmt.Errorf("save categories of %s: %w", m, err)
			}
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
	}
	return nil
}

// Category reads one category with a single GetItem.
func (c *Catalog) Category(ctx context.Context, m merchant.ID, id string) (catalog.Category, error) {
	pk, sk, err := categoryKey(m, id)
	if err != nil {
		return catalog.Category{}, err
	}
	var cat catalog.Category
	found, err := c.Table.get(ctx, pk, sk, &cat)
	if err != nil {
		return catalog.Category{}, err
	}
	if !found {
		return catalog.Category{}, catalog.ErrNotFound
	}
	return cat, nil
}

// Products reads products by reference with BatchGetItem (one round trip per
// 100 references). Unknown references are absent from the result.
func (c *Catalog) Products(ctx context.Context, m merchant.ID, refs []string) (map[string]catalog.Product, error) {
	keys, err := productKeys(m, refs)
	if err != nil {
		return nil, err
	}
	items, err := c.Table.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read products of %s: %w", m, err)
	}
	out := make(map[string]catalog.Product, len(items))
	for _, av := range items {
		var p catalog.Product
		if err := decodeDoc(av, &p); err != nil {
			return nil, err
		}
		out[p.Ref] = p
	}
	return out, nil
}
