package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Category tree writes. Keys:
//
//	tree version  PK=M#<m>#CATALOG  SK=TREE  Version (number)
//
// Every change of a merchant's tree is one TransactWriteItems:
//
//   - the tree version item, updated to Version + 1 on the condition that
//     Version is still the one read before the change (attribute_not_exists
//     for a tree never changed through UpdateTree);
//   - each category created or changed, with UpdateItem SET Doc, Type: the
//     ProductCount attribute that product saves maintain (products.go) is
//     kept;
//   - each category deleted, on the condition attribute_not_exists
//     (ProductCount) OR ProductCount = 0.
//
// The version is read first, with a strongly consistent GetItem, then the
// categories, with a strongly consistent Query: the categories read hold
// every change up to that version, and any later one makes the version
// condition fail. So a change is always decided on the whole tree as it
// stands when it is saved: two concurrent moves cannot build a cycle, and a
// product filed in a category while it is deleted either makes the delete
// fail (its count is no longer 0) or fails itself (the category is gone).

const (
	typeTree = "CategoryTree"
	// maxTreeAttempts bounds the reads and writes of one tree change
	// against concurrent changes of the same tree.
	maxTreeAttempts = 8
)

var _ catalog.FamilyStore = (*Catalog)(nil)

// readTree reads the tree's version (0 when it has none) and then its
// categories, both strongly consistent: 2 round trips.
func (c *Catalog) readTree(ctx context.Context, m merchant.ID) (int64, []catalog.Category, error) {
	pk, sk, err := treeKey(m)
	if err != nil {
		return 0, nil, err
	}
	out, err := c.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(c.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, nil, fmt.Errorf("read category tree version of %s: %w", m, err)
	}
	version, err := numberAttr(out.Item, AttrVersion)
	if err != nil {
		return 0, nil, fmt.Errorf("category tree of %s: %w", m, err)
	}
	pages := dynamodb.NewQueryPaginator(c.Table.Client, &dynamodb.QueryInput{
		TableName:              aws.String(c.Table.Name),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
			":sk": &types.AttributeValueMemberS{Value: "CAT#"},
		},
		ConsistentRead: aws.Bool(true),
	})
	var items []map[string]types.AttributeValue
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, nil, fmt.Errorf("read categories of %s: %w", m, err)
		}
		items = append(items, page.Items...)
	}
	cats, err := decodeAll[catalog.Category](items)
	return version, cats, err
}

// numberAttr reads a number attribute as an int64, 0 when absent.
func numberAttr(av map[string]types.AttributeValue, name string) (int64, error) {
	n, ok := av[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s = %q: %w", name, n.Value, err)
	}
	return v, nil
}

// UpdateTree reads the merchant's category tree (2 round trips), lets change
// modify it and saves what changed in one transaction (1 round trip), as the
// top of this file says. When another change got in between, it reads the
// tree again and calls change again, up to maxTreeAttempts times with
// jittered backoff, then fails with catalog.ErrTreeConflict. A change that
// changes nothing writes nothing. Deleting a category that still counts
// products fails with a *catalog.TreeError wrapping catalog.ErrHasProducts.
func (c *Catalog) UpdateTree(ctx context.Context, m merchant.ID, change func(t *catalog.Tree) error) error {
	for attempt := 0; ; attempt++ {
		version, cats, err := c.readTree(ctx, m)
		if err != nil {
			return err
		}
		tree := catalog.NewTree(cats)
		if err := change(tree); err != nil {
			return err
		}
		if err := tree.CheckSize(); err != nil {
			return err
		}
		changed, deleted := tree.Changed(), tree.Deleted()
		if len(changed)+len(deleted) == 0 {
			return nil
		}
		tx, err := c.treeTx(m, version, changed, deleted)
		if err != nil {
			return err
		}
		_, err = c.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil {
			return nil
		}
		retry, err := treeOutcome(err, len(changed), deleted)
		if !retry {
			return fmt.Errorf("save category tree of %s: %w", m, err)
		}
		if attempt+1 >= maxTreeAttempts {
			return fmt.Errorf("save category tree of %s: %d attempts: %w", m, maxTreeAttempts, catalog.ErrTreeConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// treeTx builds the transaction of one tree change: the version item first,
// then the changed categories, then the deleted ones.
func (c *Catalog) treeTx(m merchant.ID, version int64, changed []catalog.Category, deleted []string) ([]types.TransactWriteItem, error) {
	if n := 1 + len(changed) + len(deleted); n > maxTransactItems {
		return nil, fmt.Errorf("category tree of %s: %d writes, more than a transaction holds", m, n)
	}
	table := aws.String(c.Table.Name)
	pk, sk, err := treeKey(m)
	if err != nil {
		return nil, err
	}
	bump := &types.Update{
		TableName: table, Key: key(pk, sk),
		UpdateExpression:         aws.String("SET #v = :next, #t = :type"),
		ExpressionAttributeNames: map[string]string{"#v": AttrVersion, "#t": AttrType},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": &types.AttributeValueMemberN{Value: strconv.FormatInt(version+1, 10)},
			":type": &types.AttributeValueMemberS{Value: typeTree},
		},
		ConditionExpression: aws.String("attribute_not_exists(#v)"),
	}
	if version > 0 {
		bump.ConditionExpression = aws.String("#v = :read")
		bump.ExpressionAttributeValues[":read"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)}
	}
	tx := []types.TransactWriteItem{{Update: bump}}
	for _, cat := range changed {
		up, err := c.categoryUpdate(m, cat)
		if err != nil {
			return nil, err
		}
		tx = append(tx, types.TransactWriteItem{Update: up})
	}
	for _, id := range deleted {
		cpk, csk, _ := categoryKey(m, id)
		tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{
			TableName: table, Key: key(cpk, csk),
			ConditionExpression:                 aws.String("attribute_not_exists(#n) OR #n = :zero"),
			ExpressionAttributeNames:            map[string]string{"#n": AttrProductCount},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":zero": &types.AttributeValueMemberN{Value: "0"}},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	return tx, nil
}

// categoryUpdate writes a category's document and type and leaves its other
// attributes (ProductCount) as they are.
func (c *Catalog) categoryUpdate(m merchant.ID, cat catalog.Category) (*types.Update, error) {
	pk, sk, err := categoryKey(m, cat.ID)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(cat)
	if err != nil {
		return nil, fmt.Errorf("encode category %s: %w", cat.ID, err)
	}
	return &types.Update{
		TableName: aws.String(c.Table.Name), Key: key(pk, sk),
		UpdateExpression:         aws.String("SET #d = :doc, #t = :type"),
		ExpressionAttributeNames: map[string]string{"#d": AttrDoc, "#t": AttrType},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":doc":  &types.AttributeValueMemberS{Value: string(doc)},
			":type": &types.AttributeValueMemberS{Value: typeCategory},
		},
	}, nil
}

// treeOutcome reads why a tree transaction was cancelled: retry is true
// when the tree changed in between (or the transaction met another one);
// otherwise err says why the change cannot be saved.
func treeOutcome(cause error, changed int, deleted []string) (retry bool, err error) {
	var tce *types.TransactionCanceledException
	if !errors.As(cause, &tce) {
		return false, cause
	}
	var failure error
	for i, r := range tce.CancellationReasons {
		switch code := aws.ToString(r.Code); {
		case code == "" || code == "None":
		case code == "TransactionConflict" || code == "ThrottlingError" || code == "ProvisionedThroughputExceeded":
			retry = true
		case code != "ConditionalCheckFailed":
			return false, cause
		case i == 0:
			// The tree changed: whatever else failed was decided on a
			// stale read.
			return true, nil
		case i > changed && i-changed-1 < len(deleted):
			id := deleted[i-changed-1]
			n, _ := numberAttr(r.Item, AttrProductCount)
			failure = &catalog.TreeError{Err: catalog.ErrHasProducts,
				Reason: fmt.Sprintf("category %s still holds %d product(s): move or re-file them first", strconv.Quote(id), n)}
		default:
			return false, cause
		}
	}
	if failure != nil {
		return false, failure
	}
	return retry, cause
}

// ProductRefs returns the references of the products filed directly in a
// category, inactive ones included: a Query of GSI1 reading only the
// references, one round trip per 1 MB. The index is eventually consistent:
// a product filed a moment ago may be missing.
func (c *Catalog) ProductRefs(ctx context.Context, m merchant.ID, categoryID string) ([]string, error) {
	gpk, err := productsByCategoryKey(m, categoryID)
	if err != nil {
		return nil, err
	}
	pages := dynamodb.NewQueryPaginator(c.Table.Client, &dynamodb.QueryInput{
		TableName:                 aws.String(c.Table.Name),
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: gpk}},
		ProjectionExpression:      aws.String(AttrGSI1SK),
	})
	var refs []string
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("products of %s/%s: %w", m, categoryID, err)
		}
		for _, av := range out.Items {
			refs = append(refs, str(av, AttrGSI1SK))
		}
	}
	return refs, nil
}
