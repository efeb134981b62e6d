// Package dynamo is the DynamoDB adapter: the single-table key design and the
// repositories that the domain packages declare. See docs/architecture.md for
// every key and access pattern.
package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/roundtrip"
)

// Attribute names of the table and its first global secondary index.
const (
	AttrPK     = "PK"
	AttrSK     = "SK"
	AttrGSI1PK = "GSI1PK"
	AttrGSI1SK = "GSI1SK"
	AttrType   = "Type"
	AttrDoc    = "Doc"
	// AttrExpires is the table's TTL attribute (epoch seconds).
	AttrExpires = "ExpiresAt"
	// GSI1 is the overloaded index: products by category.
	GSI1 = "GSI1"
)

// Table is a handle on the single table.
type Table struct {
	Client *dynamodb.Client
	Name   string
}

// ErrBadMerchant is returned for a merchant identifier that cannot be used in
// a key (empty, or holding the key separator).
var ErrBadMerchant = errors.New("invalid merchant id")

// merchantPrefix returns "M#<merchant>", the first part of every item key.
func merchantPrefix(m merchant.ID) (string, error) {
	if m == "" || strings.ContainsAny(string(m), "#/ ") {
		return "", ErrBadMerchant
	}
	return "M#" + string(m), nil
}

// WithCallCounter returns a context that counts the DynamoDB round trips
// made with it (roundtrip.WithCounter); read the count with Calls.
func WithCallCounter(ctx context.Context) context.Context { return roundtrip.WithCounter(ctx) }

// Calls returns the number of round trips made with ctx so far
// (roundtrip.Calls).
func Calls(ctx context.Context) int64 { return roundtrip.Calls(ctx) }

// CountRoundTrips is a client option that counts every operation sent to
// DynamoDB, and apart every attempt (retries included), in the request's
// counter (roundtrip).
func CountRoundTrips(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, roundtrip.Count)
}

// item is the stored shape of every entity: keys, a type tag and the domain
// value as a JSON document.
type item struct {
	PK, SK, GSI1PK, GSI1SK, Type string
	Doc                          any
}

func (it item) attributes() (map[string]types.AttributeValue, error) {
	doc, err := json.Marshal(it.Doc)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", it.Type, it.PK, err)
	}
	av := map[string]types.AttributeValue{
		AttrPK:   &types.AttributeValueMemberS{Value: it.PK},
		AttrSK:   &types.AttributeValueMemberS{Value: it.SK},
		AttrType: &types.AttributeValueMemberS{Value: it.Type},
		AttrDoc:  &types.AttributeValueMemberS{Value: string(doc)},
	}
	if it.GSI1PK != "" {
		av[AttrGSI1PK] = &types.AttributeValueMemberS{Value: it.GSI1PK}
		av[AttrGSI1SK] = &types.AttributeValueMemberS{Value: it.GSI1SK}
	}
	return av, nil
}

// decodeDoc unmarshals the Doc attribute of a stored item into v.
func decodeDoc(av map[string]types.AttributeValue, v any) error {
	s, ok := av[AttrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("item %v has no document", str(av, AttrPK))
	}
	return json.Unmarshal([]byte(s.Value), v)
}

func str(av map[string]types.AttributeValue, name string) string {
	if s, ok := av[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// put writes items with BatchWriteItem, 25 at a time, retrying unprocessed
// items. It is for loads (demo data, imports), not for conditional writes.
func (t Table) put(ctx context.Context, items []item) error {
	reqs := make([]types.WriteRequest, 0, len(items))
	for _, it := range items {
		av, err := it.attributes()
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return t.write(ctx, reqs)
}

// write sends put and delete requests with BatchWriteItem, 25 at a time,
// retrying unprocessed ones with backoff.
func (t Table) write(ctx context.Context, reqs []types.WriteRequest) error {
	for start := 0; start < len(reqs); start += 25 {
		pending := map[string][]types.WriteRequest{t.Name: reqs[start:min(start+25, len(reqs))]}
		err := untilProcessed(ctx, "batch write", func() (int, error) {
			out, err := t.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return 0, err
			}
			pending = out.UnprocessedItems
			return len(pending[t.Name]), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// partition reads every item of a partition whose sort key starts with
// skPrefix (all of them for ""), following pages.
func (t Table) partition(ctx context.Context, pk, skPrefix string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	}
	if skPrefix != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :sk)")
		in.ExpressionAttributeValues[":sk"] = &types.AttributeValueMemberS{Value: skPrefix}
	}
	return t.query(ctx, pk, in)
}

// partitionBetween reads the items of a partition whose sort keys are
// from from to to, both included, page after page.
func (t Table) partitionBetween(ctx context.Context, pk, from, to string) ([]map[string]types.AttributeValue, error) {
	return t.query(ctx, pk, &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   &types.AttributeValueMemberS{Value: pk},
			":from": &types.AttributeValueMemberS{Value: from},
			":to":   &types.AttributeValueMemberS{Value: to},
		},
	})
}

func (t Table) query(ctx context.Context, pk string, in *dynamodb.QueryInput) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	pages := dynamodb.NewQueryPaginator(t.Client, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", pk, err)
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

// decodeAll decodes the documents of items.
func decodeAll[T any](items []map[string]types.AttributeValue) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, av := range items {
		var v T
		if err := decodeDoc(av, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// get reads one item by key; found is false when it does not exist.
func (t Table) get(ctx context.Context, pk, sk string, v any) (found bool, err error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Name),
		Key:       key(pk, sk),
	})
	if err != nil {
		return false, fmt.Errorf("get %s %s: %w", pk, sk, err)
	}
	if out.Item == nil {
		return false, nil
	}
	return true, decodeDoc(out.Item, v)
}

// remove deletes one item; found says whether it existed.
func (t Table) remove(ctx context.Context, pk, sk string) (found bool, err error) {
	out, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:    aws.String(t.Name),
		Key:          key(pk, sk),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, err
	}
	return len(out.Attributes) > 0, nil
}

// versionedPut puts item (which carries its new Version) only over the
// version that was read: none when the item did not exist, an item without
// Version when version is 0 (written before versions), else that Version.
// A concurrent save in between makes the condition fail.
func versionedPut(table *string, item map[string]types.AttributeValue, exists bool, version int64) *types.Put {
	put := &types.Put{TableName: table, Item: item}
	switch {
	case !exists:
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	case version == 0:
		put.ConditionExpression = aws.String("attribute_exists(PK) AND attribute_not_exists(#v)")
		put.ExpressionAttributeNames = map[string]string{"#v": AttrVersion}
	default:
		put.ConditionExpression = aws.String("#v = :v")
		put.ExpressionAttributeNames = map[string]string{"#v": AttrVersion}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)}}
	}
	return put
}
