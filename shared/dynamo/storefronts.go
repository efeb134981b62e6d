package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
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
//	storefront  PK=M#<m>#STOREFRONT  SK=<id>   Version (number)
//	host claim  PK=HOST#<host>       SK=HOST   Merchant, Storefront; Doc = the storefront
//
// The host claim is the only item keyed without a merchant: it is how a
// request's merchant is found from its Host header, with one GetItem. A
// storefront and its host claim are written in one TransactWriteItems
// (UpdateStorefront): the storefront under a condition on the Version read,
// the claim under attribute_not_exists(PK) OR (Merchant, Storefront) = this
// storefront, and the release of a former host's claim under the same
// condition. So a host answers for one storefront at most, whatever saves
// race.
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

const (
	typeStorefront = "Storefront"
	typeHostClaim  = "HostClaim"
	// AttrMerchant and AttrStorefront name the holder of a host claim.
	AttrMerchant   = "Merchant"
	AttrStorefront = "Storefront"
	// maxStorefrontAttempts bounds the reads and writes of one storefront
	// save against concurrent saves of the same storefront.
	maxStorefrontAttempts = 8
)

var _ merchant.StorefrontStore = (*Storefronts)(nil)

// ByHost returns the storefront that answers for host, or
// merchant.ErrUnknownHost. A host that no storefront could have is unknown
// without a read. Results, misses included, are cached for TTL so that a
// warm function resolves its storefront without a round trip; a cold one
// reads the host claim with one strongly consistent GetItem.
func (s *Storefronts) ByHost(ctx context.Context, host string) (merchant.Storefront, error) {
	host, err := merchant.CanonicalHost(merchant.NormalizeHost(host))
	if err != nil {
		return merchant.Storefront{}, merchant.ErrUnknownHost
	}
	if c, ok := s.cache.get(host); ok {
		if !c.found {
			return merchant.Storefront{}, merchant.ErrUnknownHost
		}
		return c.s, nil
	}
	pk, sk := hostClaimKey(host)
	out, err := s.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return merchant.Storefront{}, fmt.Errorf("resolve host %s: %w", host, err)
	}
	var sf merchant.Storefront
	if out.Item != nil {
		if err := decodeDoc(out.Item, &sf); err != nil {
			return merchant.Storefront{}, err
		}
	}
	s.cache.put(host, cachedStorefront{s: sf, found: out.Item != nil}, s.TTL)
	if out.Item == nil {
		return merchant.Storefront{}, merchant.ErrUnknownHost
	}
	return sf, nil
}

// List returns the merchant's storefronts with one Query on their partition.
func (s *Storefronts) List(ctx context.Context, m merchant.ID) ([]merchant.Storefront, error) {
	pk, _, err := storefrontKey(m, "")
	if err != nil {
		return nil, err
	}
	items, err := s.Table.partition(ctx, pk, "")
	if err != nil {
		return nil, fmt.Errorf("storefronts of %s: %w", m, err)
	}
	return decodeAll[merchant.Storefront](items)
}

// Forget drops hosts from this process's cache, so that the next request
// on them reads the table again. Other processes keep their copy for TTL.
func (s *Storefronts) Forget(hosts ...string) {
	for _, h := range hosts {
		if c, err := merchant.CanonicalHost(merchant.NormalizeHost(h)); err == nil {
			s.cache.drop(c)
		}
	}
}

// Save writes storefronts and their host claims, for loads (the demo,
// benchmarks, tests), with BatchWriteItem: it does not check that a host is
// free, nor release the former host of a storefront loaded again. The
// admin API saves through UpdateStorefront.
func (s *Storefronts) Save(ctx context.Context, fronts []merchant.Storefront) error {
	var reqs []types.WriteRequest
	for _, f := range fronts {
		host, err := merchant.CanonicalHost(f.Host)
		if err != nil {
			return fmt.Errorf("storefront %s of %s: %w", f.ID, f.Merchant, err)
		}
		f.Host = host
		sfItem, claim, err := s.storefrontItems(f, 0)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: sfItem}},
			types.WriteRequest{PutRequest: &types.PutRequest{Item: claim}})
	}
	return s.Table.write(ctx, reqs)
}

// storefrontItems returns the storefront item, with version when above 0,
// and its host claim.
func (s *Storefronts) storefrontItems(f merchant.Storefront, version int64) (sfItem, claim map[string]types.AttributeValue, err error) {
	pk, sk, err := storefrontKey(f.Merchant, f.ID)
	if err != nil {
		return nil, nil, err
	}
	doc, err := json.Marshal(f)
	if err != nil {
		return nil, nil, fmt.Errorf("encode storefront %s: %w", f.ID, err)
	}
	sfItem, err = item{PK: pk, SK: sk, Type: typeStorefront, Doc: json.RawMessage(doc)}.attributes()
	if err != nil {
		return nil, nil, err
	}
	if version > 0 {
		sfItem[AttrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)}
	}
	hpk, hsk := hostClaimKey(f.Host)
	claim, err = item{PK: hpk, SK: hsk, Type: typeHostClaim, Doc: json.RawMessage(doc)}.attributes()
	if err != nil {
		return nil, nil, err
	}
	claim[AttrMerchant] = &types.AttributeValueMemberS{Value: string(f.Merchant)}
	claim[AttrStorefront] = &types.AttributeValueMemberS{Value: f.ID}
	return sfItem, claim, nil
}

// storedStorefront is a storefront and its merchant as read before a save.
type storedStorefront struct {
	exists  bool
	sf      merchant.Storefront
	version int64
	owner   merchant.Merchant
}

// readForUpdate reads a storefront and its merchant's item with one
// TransactGetItems: a consistent view of both.
func (s *Storefronts) readForUpdate(ctx context.Context, m merchant.ID, id string) (storedStorefront, error) {
	pk, sk, err := storefrontKey(m, id)
	if err != nil {
		return storedStorefront{}, err
	}
	mpk, msk, _ := merchantRecordKey(m)
	table := aws.String(s.Table.Name)
	out, err := s.Table.Client.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: table, Key: key(pk, sk)}},
		{Get: &types.Get{TableName: table, Key: key(mpk, msk)}},
	}})
	if err != nil {
		return storedStorefront{}, fmt.Errorf("read storefront %s of %s: %w", id, m, err)
	}
	var st storedStorefront
	if len(out.Responses) == 2 {
		if av := out.Responses[0].Item; av != nil {
			st.exists = true
			if err := decodeDoc(av, &st.sf); err != nil {
				return storedStorefront{}, err
			}
			if st.version, err = numberAttr(av, AttrVersion); err != nil {
				return storedStorefront{}, fmt.Errorf("storefront %s of %s: %w", id, m, err)
			}
		}
		if av := out.Responses[1].Item; av != nil {
			if err := decodeDoc(av, &st.owner); err != nil {
				return storedStorefront{}, err
			}
		}
	}
	st.owner.ID = m
	return st, nil
}

// UpdateStorefront reads the storefront and its merchant (1 round trip),
// applies update and saves the storefront with its host claim, and the
// release of its former host, in one transaction (1 round trip): see the
// top of this file. A save that loses a race with another save of the
// storefront reads it again and applies update again, up to
// maxStorefrontAttempts times in all, with jittered backoff, then fails with
// merchant.ErrConflict. A storefront left as stored is not written again.
func (s *Storefronts) UpdateStorefront(ctx context.Context, m merchant.ID, id string, update func(sf *merchant.Storefront, exists bool, owner merchant.Merchant) error) (merchant.Storefront, bool, error) {
	keepFormer := false
	for attempt := 0; ; attempt++ {
		old, err := s.readForUpdate(ctx, m, id)
		if err != nil {
			return merchant.Storefront{}, false, err
		}
		sf := merchant.Storefront{ID: id, Merchant: m}
		if old.exists {
			sf = old.sf
		}
		if err := update(&sf, old.exists, old.owner); err != nil {
			return merchant.Storefront{}, false, err
		}
		if sf.ID != id || sf.Merchant != m {
			return merchant.Storefront{}, false, fmt.Errorf("save storefront %s of %s: the update changed its id or merchant", id, m)
		}
		host, err := merchant.CanonicalHost(sf.Host)
		if err != nil {
			return merchant.Storefront{}, false, fmt.Errorf("save storefront %s of %s: %w", id, m, err)
		}
		sf.Host = host
		if old.exists && reflect.DeepEqual(old.sf, sf) {
			return sf, false, nil
		}
		tx, err := s.storefrontTx(old, sf, keepFormer)
		if err != nil {
			return merchant.Storefront{}, false, err
		}
		_, err = s.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil {
			s.Forget(sf.Host)
			if old.exists {
				s.Forget(old.sf.Host)
			}
			return sf, !old.exists, nil
		}
		retry, formerHeld, err := storefrontOutcome(err)
		keepFormer = keepFormer || formerHeld
		if !retry {
			return merchant.Storefront{}, false, fmt.Errorf("save storefront %s of %s: %w", id, m, err)
		}
		if attempt+1 >= maxStorefrontAttempts {
			return merchant.Storefront{}, false, fmt.Errorf("save storefront %s of %s: %d attempts: %w", id, m, maxStorefrontAttempts, merchant.ErrConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return merchant.Storefront{}, false, err
		}
	}
}

// storefrontTx builds the transaction of a storefront save: the storefront,
// its host claim, and the release of its former host unless keepFormer (a
// previous attempt found that claim held by another storefront: not ours
// to release).
func (s *Storefronts) storefrontTx(old storedStorefront, sf merchant.Storefront, keepFormer bool) ([]types.TransactWriteItem, error) {
	sfItem, claim, err := s.storefrontItems(sf, old.version+1)
	if err != nil {
		return nil, err
	}
	table := aws.String(s.Table.Name)
	put := versionedPut(table, sfItem, old.exists, old.version)
	ours := aws.String("attribute_not_exists(PK) OR (#m = :m AND #s = :s)")
	names := map[string]string{"#m": AttrMerchant, "#s": AttrStorefront}
	values := map[string]types.AttributeValue{
		":m": &types.AttributeValueMemberS{Value: string(sf.Merchant)},
		":s": &types.AttributeValueMemberS{Value: sf.ID},
	}
	tx := []types.TransactWriteItem{
		{Put: put},
		{Put: &types.Put{TableName: table, Item: claim, ConditionExpression: ours, ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
	}
	if old.exists && old.sf.Host != sf.Host && !keepFormer {
		if former, err := merchant.CanonicalHost(old.sf.Host); err == nil {
			hpk, hsk := hostClaimKey(former)
			tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{
				TableName: table, Key: key(hpk, hsk), ConditionExpression: ours, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			}})
		}
	}
	return tx, nil
}

// storefrontOutcome reads why a storefront transaction was cancelled: retry
// is true when the storefront changed in between, or the transaction met
// another one, or the former host's claim is held by another storefront
// (formerHeld: the retry leaves it); otherwise err says why the save cannot
// be done.
func storefrontOutcome(cause error) (retry, formerHeld bool, err error) {
	var tce *types.TransactionCanceledException
	if !errors.As(cause, &tce) {
		return false, false, cause
	}
	var failure error
	for i, r := range tce.CancellationReasons {
		switch code := aws.ToString(r.Code); {
		case code == "" || code == "None":
		case code == "TransactionConflict" || code == "ThrottlingError" || code == "ProvisionedThroughputExceeded":
			retry = true
		case code != "ConditionalCheckFailed":
			return false, false, cause
		case i == 0:
			// The storefront changed: what else failed was decided on a
			// stale read.
			return true, false, nil
		case i == 1:
			failure = merchant.ErrHostTaken
		default:
			formerHeld, retry = true, true
		}
	}
	if failure != nil {
		return false, formerHeld, failure
	}
	return retry, formerHeld, cause
}
