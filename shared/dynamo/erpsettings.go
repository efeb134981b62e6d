package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/merchant"
)

// ERPSettings stores a merchant's ERP settings (erp.Settings): one item,
// PK=M#<m>#ERP SK=SETTINGS, the settings in Doc and Version beside it.
//
//   - Settings: 1 GetItem, strongly consistent (a file dropped right after a
//     save is read with it).
//   - UpdateSettings: 1 GetItem strongly consistent, then 1 PutItem on
//     Version = the version read (attribute_not_exists(PK) for the first
//     save); a lost race reads and updates again (jittered, maxSaveAttempts).
type ERPSettings struct{ Table Table }

var _ erp.SettingsStore = (*ERPSettings)(nil)

const typeERPSettings = "ERPSettings"

// Settings returns the merchant's ERP settings; the zero settings (version
// 0) when none were saved.
func (s *ERPSettings) Settings(ctx context.Context, m merchant.ID) (erp.Settings, error) {
	set, _, err := s.read(ctx, m)
	return set, err
}

func (s *ERPSettings) read(ctx context.Context, m merchant.ID) (erp.Settings, bool, error) {
	pk, sk, err := erpSettingsKey(m)
	if err != nil {
		return erp.Settings{}, false, err
	}
	out, err := s.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return erp.Settings{}, false, fmt.Errorf("read the ERP settings of %s: %w", m, err)
	}
	if out.Item == nil {
		return erp.Settings{Kinds: map[erp.Kind]erp.KindSettings{}}, false, nil
	}
	var set erp.Settings
	if err := decodeDoc(out.Item, &set); err != nil {
		return erp.Settings{}, false, fmt.Errorf("ERP settings of %s: %w", m, err)
	}
	if set.Version, err = number[int64](out.Item, AttrVersion); err != nil {
		return erp.Settings{}, false, err
	}
	if set.Kinds == nil {
		set.Kinds = map[erp.Kind]erp.KindSettings{}
	}
	return set, true, nil
}

// UpdateSettings applies update to the stored settings and saves them over
// the version read (see the type).
func (s *ERPSettings) UpdateSettings(ctx context.Context, m merchant.ID, update func(*erp.Settings) error) (erp.Settings, error) {
	pk, sk, err := erpSettingsKey(m)
	if err != nil {
		return erp.Settings{}, err
	}
	for attempt := 0; ; attempt++ {
		set, exists, err := s.read(ctx, m)
		if err != nil {
			return erp.Settings{}, err
		}
		version := set.Version
		next := set
		next.Kinds = make(map[erp.Kind]erp.KindSettings, len(set.Kinds))
		for k, ks := range set.Kinds {
			ks.Mapping = maps.Clone(ks.Mapping)
			next.Kinds[k] = ks
		}
		if err := update(&next); err != nil {
			return erp.Settings{}, err
		}
		next.Version = version + 1
		av, err := item{PK: pk, SK: sk, Type: typeERPSettings, Doc: next}.attributes()
		if err != nil {
			return erp.Settings{}, err
		}
		av[AttrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(next.Version, 10)}
		put := versionedPut(aws.String(s.Table.Name), av, exists, version)
		_, err = s.Table.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return next, nil
		case !errors.As(err, &ccf):
			return erp.Settings{}, fmt.Errorf("save the ERP settings of %s: %w", m, err)
		case attempt+1 >= maxSaveAttempts:
			return erp.Settings{}, fmt.Errorf("save the ERP settings of %s: %d attempts: %w", m, maxSaveAttempts, erp.ErrSettingsConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return erp.Settings{}, err
		}
	}
}
