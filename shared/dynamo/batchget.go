package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// batchGetLimit is DynamoDB's maximum number of keys per BatchGetItem.
const batchGetLimit = 100

// batchGet reads items by key, 100 keys per round trip, retrying unprocessed
// keys with backoff. Items are returned keyed by PK+"|"+SK; missing ones are
// absent.
func (t Table) batchGet(ctx context.Context, keys []map[string]string) (map[string]map[string]types.AttributeValue, error) {
	return t.batchGetItems(ctx, keys, false)
}

// consistentBatchGet is batchGet with strongly consistent reads (twice the
// read capacity): the items as of every write acknowledged before it.
func (t Table) consistentBatchGet(ctx context.Context, keys []map[string]string) (map[string]map[string]types.AttributeValue, error) {
	return t.batchGetItems(ctx, keys, true)
}

func (t Table) batchGetItems(ctx context.Context, keys []map[string]string, consistent bool) (map[string]map[string]types.AttributeValue, error) {
	out := make(map[string]map[string]types.AttributeValue, len(keys))
	for start := 0; start < len(keys); start += batchGetLimit {
		chunk := keys[start:min(start+batchGetLimit, len(keys))]
		avs := make([]map[string]types.AttributeValue, len(chunk))
		for i, k := range chunk {
			avs[i] = key(k[AttrPK], k[AttrSK])
		}
		pending := map[string]types.KeysAndAttributes{t.Name: {Keys: avs, ConsistentRead: aws.Bool(consistent)}}
		err := untilProcessed(ctx, "batch get", func() (int, error) {
			res, err := t.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return 0, err
			}
			for _, it := range res.Responses[t.Name] {
				out[str(it, AttrPK)+"|"+str(it, AttrSK)] = it
			}
			pending = res.UnprocessedKeys
			return len(pending[t.Name].Keys), nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keyOf builds a key for batchGet.
func keyOf(pk, sk string) map[string]string { return map[string]string{AttrPK: pk, AttrSK: sk} }
