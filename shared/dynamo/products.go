package dynamo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Product writes. A product is saved with everything derived from it in one
// TransactWriteItems:
//
//   - the product item, with its GSI1 key (its category), its GSI2 key (its
//     reference, active products only) and a Version number attribute, under
//     the condition attribute_not_exists(PK) for a new product and
//     Version = <the version read> otherwise;
//   - its EAN claim M#<m>#EAN#<ean> / EAN (a copy of the product, with the
//     owning reference in a Ref attribute), under the condition
//     attribute_not_exists(PK) OR Ref = <ref>: an EAN is unique per
//     merchant. The claim exists for inactive products too; searches
//     ignore inactive copies;
//   - the release of a former EAN's claim, if still its own;
//   - its category's ProductCount: ADD 1 on the category it is filed in
//     when new or moved there, ADD -1 on the one it left, both under
//     attribute_exists(PK); a ConditionCheck attribute_exists(PK) when it
//     stays in its category. Filing a product in a missing category fails;
//     a category counting products cannot be deleted;
//   - its word entries (search.go), none for an inactive product, and the
//     deletion of those its stored version had and the new one has not.
//
// catalog.MaxIndexedWords and catalog.MaxProductBytes bound that to 85
// writes and under 4 MB. So the search index, the EAN claims and the
// category counts are never out of step with the products, whatever saves
// race: of two concurrent saves of a product, the second's condition fails,
// and it reads the product again and applies its change to the new version.
//
// Loads (SaveProducts) pack the same writes of several products into one
// transaction, with one count change per category.

// Attributes kept outside the document.
const (
	// AttrVersion is the version of an item saved under optimistic
	// concurrency (a product, the category tree): a number each save
	// increments, and conditions on.
	AttrVersion = "Version"
	// AttrRef is the reference of the product that holds an EAN claim.
	AttrRef = "Ref"
	// AttrProductCount is a category item's number of products filed
	// directly in it, inactive ones included, maintained by product saves.
	AttrProductCount = "ProductCount"
)

const (
	// maxSaveAttempts bounds the reads and writes of one product save
	// against concurrent saves of the same product.
	maxSaveAttempts = 10
	// maxTransactItems is DynamoDB's limit of writes per transaction.
	maxTransactItems = 100
	// loadWorkers bounds the categories SaveProducts loads at once.
	loadWorkers = 4
)

var _ catalog.ProductStore = (*Catalog)(nil)

// storedProduct is a product as read before a save.
type storedProduct struct {
	exists bool
	p      catalog.Product
	// raw is the stored document; version the stored Version, 0 when the
	// item has none.
	raw     []byte
	version int64
	// erpStamps are the stamp attributes of the ERP row that last wrote
	// the product (ErpStamp, ErpJob, ErpLine, ErpParts): a back-office
	// save keeps them, so that an older ERP file cannot overwrite what a
	// newer one wrote.
	erpStamps map[string]types.AttributeValue
}

// readForUpdate reads a product item with a strongly consistent GetItem.
func (c *Catalog) readForUpdate(ctx context.Context, m merchant.ID, ref string) (storedProduct, error) {
	pk, sk, err := productKey(m, ref)
	if err != nil {
		return storedProduct{}, err
	}
	out, err := c.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(c.Table.Name),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return storedProduct{}, fmt.Errorf("read product %s of %s: %w", ref, m, err)
	}
	if out.Item == nil {
		return storedProduct{}, nil
	}
	return decodeStored(out.Item)
}

// readStored reads products with BatchGetItem (1 round trip per 100),
// eventually consistent: a stale read only makes a conditioned write fail.
func (c *Catalog) readStored(ctx context.Context, m merchant.ID, refs []string) (map[string]storedProduct, error) {
	keys, err := productKeys(m, refs)
	if err != nil {
		return nil, err
	}
	items, err := c.Table.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read products of %s: %w", m, err)
	}
	out := make(map[string]storedProduct, len(items))
	for _, av := range items {
		s, err := decodeStored(av)
		if err != nil {
			return nil, err
		}
		out[s.p.Ref] = s
	}
	return out, nil
}

func decodeStored(av map[string]types.AttributeValue) (storedProduct, error) {
	s := storedProduct{exists: true, raw: []byte(str(av, AttrDoc))}
	if err := json.Unmarshal(s.raw, &s.p); err != nil {
		return storedProduct{}, fmt.Errorf("decode product %s: %w", str(av, AttrPK), err)
	}
	for _, name := range []string{AttrErpStamp, AttrErpJob, AttrErpLine, AttrErpParts, AttrErpSeen} {
		if v, ok := av[name]; ok {
			if s.erpStamps == nil {
				s.erpStamps = map[string]types.AttributeValue{}
			}
			s.erpStamps[name] = v
		}
	}
	if n, ok := av[AttrVersion].(*types.AttributeValueMemberN); ok {
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return storedProduct{}, fmt.Errorf("product %s: version %q: %w", str(av, AttrPK), n.Value, err)
		}
		s.version = v
	}
	return s, nil
}

// UpdateProduct reads a product (1 round trip), applies update and saves
// the result in one transaction (1 round trip); see the top of this file.
// A save that loses a race with another save of the product reads it again
// and applies update again, up to maxSaveAttempts times in all, with
// jittered backoff, then fails with catalog.ErrConflict.
func (c *Catalog) UpdateProduct(ctx context.Context, m merchant.ID, ref string, update func(p *catalog.Product, exists bool) error) (catalog.Product, bool, error) {
	if !catalog.ValidRef(ref) {
		return catalog.Product{}, false, fmt.Errorf("save product: invalid reference %q", ref)
	}
	var skip txSkips
	for attempt := 0; ; attempt++ {
		old, err := c.readForUpdate(ctx, m, ref)
		if err != nil {
			return catalog.Product{}, false, err
		}
		// update gets its own copy, decoded again, so that old stays as
		// stored.
		p := catalog.Product{Ref: ref}
		if old.exists {
			if err := json.Unmarshal(old.raw, &p); err != nil {
				return catalog.Product{}, false, err
			}
		}
		if err := update(&p, old.exists); err != nil {
			return catalog.Product{}, false, err
		}
		save, err := prepareSave(old, p, ref)
		switch {
		case err != nil:
			return catalog.Product{}, false, err
		case save.unchanged:
			return p, false, nil
		}
		w, err := c.productWrites(m, save, skip)
		if err != nil {
			return catalog.Product{}, false, err
		}
		var tx productTx
		tx.add(w)
		items := tx.finish(m, c.Table.Name)
		_, err = c.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return p, !old.exists, nil
		}
		retry, err := tx.outcome(err, &skip)
		if !retry {
			return catalog.Product{}, false, fmt.Errorf("save product %s of %s: %w", ref, m, err)
		}
		if attempt+1 >= maxSaveAttempts {
			return catalog.Product{}, false, fmt.Errorf("save product %s of %s: %d attempts: %w", ref, m, maxSaveAttempts, catalog.ErrConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return catalog.Product{}, false, err
		}
	}
}

// save is a product ready to be written over its stored version.
type save struct {
	old storedProduct
	p   catalog.Product
	doc []byte
	// unchanged is set when p is the stored product: nothing to write.
	unchanged bool
}

// prepareSave checks what storage needs of p and encodes it.
func prepareSave(old storedProduct, p catalog.Product, ref string) (save, error) {
	switch {
	case p.Ref != ref:
		return save{}, fmt.Errorf("save product %s: the update changed its reference to %q", ref, p.Ref)
	case !catalog.ValidID(p.CategoryID):
		return save{}, fmt.Errorf("save product %s in category %q: %w", ref, p.CategoryID, catalog.ErrNoCategory)
	case p.EAN != "" && !catalog.ValidRef(p.EAN):
		return save{}, fmt.Errorf("save product %s: EAN %q cannot be stored", ref, p.EAN)
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return save{}, fmt.Errorf("encode product %s: %w", ref, err)
	}
	if len(doc) > catalog.MaxProductBytes {
		return save{}, fmt.Errorf("save product %s (%d bytes): %w", ref, len(doc), catalog.ErrTooLarge)
	}
	s := save{old: old, p: p, doc: doc}
	if old.exists {
		before, err := json.Marshal(old.p)
		s.unchanged = err == nil && bytes.Equal(before, doc)
	}
	return s, nil
}

// SaveProducts creates or replaces products, for loads (the demo,
// benchmarks): every field is the given one, the stored tariffs included.
// Products are written with the writes of UpdateProduct under the same
// conditions, several products per transaction (up to 100 writes and 4 MB,
// the count of their category added up once), after reading them with one
// BatchGetItem per 100: about 1 round trip per 6 products of the demo
// instead of 2 per product. A transaction that fails (a product changed
// since it was read, two products claiming one EAN) is done again one
// product at a time through UpdateProduct, which reports the product's
// error. Categories are loaded concurrently, up to loadWorkers at a time;
// the products of one category one transaction after the other, so that
// two transactions never race for one category's count. Products left
// unchanged are not written. It stops at the first failure.
func (c *Catalog) SaveProducts(ctx context.Context, m merchant.ID, products []catalog.Product) error {
	var (
		order  []string
		byCat  = map[string][]catalog.Product{}
		g, gtx = errgroup.WithContext(ctx)
	)
	for _, p := range products {
		if _, ok := byCat[p.CategoryID]; !ok {
			order = append(order, p.CategoryID)
		}
		byCat[p.CategoryID] = append(byCat[p.CategoryID], p)
	}
	g.SetLimit(loadWorkers)
	for _, cat := range order {
		g.Go(func() error { return c.saveBatches(gtx, m, byCat[cat]) })
	}
	return g.Wait()
}

// saveBatches saves products, packed into as few transactions as fit.
func (c *Catalog) saveBatches(ctx context.Context, m merchant.ID, products []catalog.Product) error {
	for start := 0; start < len(products); start += batchGetLimit {
		chunk := products[start:min(start+batchGetLimit, len(products))]
		refs := make([]string, len(chunk))
		for i, p := range chunk {
			refs[i] = p.Ref
		}
		stored, err := c.readStored(ctx, m, refs)
		if err != nil {
			return err
		}
		var (
			tx    productTx
			batch []catalog.Product
		)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			items := tx.finish(m, c.Table.Name)
			if _, err := c.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
				for _, p := range batch {
					if _, _, err := c.UpdateProduct(ctx, m, p.Ref, func(q *catalog.Product, _ bool) error { *q = p; return nil }); err != nil {
						return err
					}
				}
			}
			tx, batch = productTx{}, nil
			return nil
		}
		for _, p := range chunk {
			if !catalog.ValidRef(p.Ref) {
				return fmt.Errorf("save product: invalid reference %q", p.Ref)
			}
			s, err := prepareSave(stored[p.Ref], p, p.Ref)
			if err != nil {
				return err
			}
			if s.unchanged {
				continue
			}
			w, err := c.productWrites(m, s, txSkips{})
			if err != nil {
				return err
			}
			if !tx.fits(w) {
				if err := flush(); err != nil {
					return err
				}
			}
			tx.add(w)
			batch = append(batch, p)
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

// txPart is what one write of a product transaction is for.
type txPart int

const (
	partProduct     txPart = iota
	partClaim              // the EAN claim
	partRelease            // the release of a former EAN
	partFileIn             // ADD a positive count on a category
	partFileOut            // ADD a negative count on a category
	partKeptInPlace        // ConditionCheck of a category
	partEntry              // a search entry, written or deleted
)

// maxTransactBytes is what SaveProducts packs into one transaction, by its
// estimate of the items' sizes, below DynamoDB's 4 MB.
const maxTransactBytes = 3_500_000

// writes are the writes of one product save but its category's count:
// the category it is filed in (fileIn, when new there), the one it left
// (fileOut), or the one it stays in (stays).
type writes struct {
	items                 []types.TransactWriteItem
	parts                 []txPart
	keys                  []string
	bytes                 int
	ean, formerEAN        string
	fileIn, fileOut, stay string
}

func (w *writes) add(part txPart, pk, sk string, size int, it types.TransactWriteItem) {
	w.items = append(w.items, it)
	w.parts = append(w.parts, part)
	w.keys = append(w.keys, pk+"\x00"+sk)
	w.bytes += size + len(pk) + len(sk) + 100
}

// productTx is a transaction of one or more product saves.
type productTx struct {
	items []types.TransactWriteItem
	parts []txPart
	keys  map[string]bool
	bytes int
	// counts are the changes of category counts, checks the categories
	// that must exist.
	counts map[string]int
	checks map[string]bool
	// ean, formerEAN and formerCategory name, for a transaction of one
	// product, what its claim, its release and its decrement are about.
	ean, formerEAN, formerCategory string
}

// categories returns how many category writes the transaction would hold
// with w added.
func (tx *productTx) categories(w writes) int {
	n := len(tx.checks)
	for c := range tx.counts {
		if !tx.checks[c] {
			n++
		}
	}
	for _, c := range []string{w.fileIn, w.fileOut, w.stay} {
		if _, counted := tx.counts[c]; c != "" && !counted && !tx.checks[c] {
			n++
		}
	}
	return n
}

// fits reports whether w can join the transaction: within DynamoDB's
// limits, and no item written twice.
func (tx *productTx) fits(w writes) bool {
	if len(tx.items)+len(w.items)+tx.categories(w) > maxTransactItems || tx.bytes+w.bytes > maxTransactBytes {
		return false
	}
	for _, k := range w.keys {
		if tx.keys[k] {
			return false
		}
	}
	return true
}

func (tx *productTx) add(w writes) {
	if tx.keys == nil {
		tx.keys, tx.counts, tx.checks = map[string]bool{}, map[string]int{}, map[string]bool{}
	}
	tx.items = append(tx.items, w.items...)
	tx.parts = append(tx.parts, w.parts...)
	for _, k := range w.keys {
		tx.keys[k] = true
	}
	tx.bytes += w.bytes
	if w.fileIn != "" {
		tx.counts[w.fileIn]++
	}
	if w.fileOut != "" {
		tx.counts[w.fileOut]--
		tx.formerCategory = w.fileOut
	}
	if w.stay != "" {
		tx.checks[w.stay] = true
	}
	tx.ean, tx.formerEAN = w.ean, w.formerEAN
}

// finish appends the category writes, one per category: ADD its count
// change, or a ConditionCheck when it has none; each under the condition
// attribute_exists(PK), so that a count never creates a category.
func (tx *productTx) finish(m merchant.ID, table string) []types.TransactWriteItem {
	cats := make([]string, 0, len(tx.counts)+len(tx.checks))
	for c := range tx.counts {
		cats = append(cats, c)
	}
	for c := range tx.checks {
		if _, counted := tx.counts[c]; !counted {
			cats = append(cats, c)
		}
	}
	slices.Sort(cats)
	for _, c := range cats {
		pk, sk, _ := categoryKey(m, c)
		exists := aws.String("attribute_exists(PK)")
		switch d := tx.counts[c]; {
		case d == 0:
			tx.items = append(tx.items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: aws.String(table), Key: key(pk, sk), ConditionExpression: exists,
			}})
			tx.parts = append(tx.parts, partKeptInPlace)
		default:
			tx.items = append(tx.items, types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(table), Key: key(pk, sk),
				UpdateExpression:          aws.String("ADD #n :d"),
				ConditionExpression:       exists,
				ExpressionAttributeNames:  map[string]string{"#n": AttrProductCount},
				ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.Itoa(d)}},
			}})
			if d > 0 {
				tx.parts = append(tx.parts, partFileIn)
			} else {
				tx.parts = append(tx.parts, partFileOut)
			}
		}
	}
	return tx.items
}

// txSkips are the writes a retry leaves out because the previous attempt
// found them moot: a former EAN claim held by another product (never
// ours to release), a former category that no longer exists.
type txSkips struct{ release, fileOut string }

// productWrites returns the writes that save s but its category's count.
func (c *Catalog) productWrites(m merchant.ID, s save, skip txSkips) (writes, error) {
	var w writes
	p, old := s.p, s.old
	table := aws.String(c.Table.Name)
	raw := json.RawMessage(s.doc)
	refValue := &types.AttributeValueMemberS{Value: p.Ref}

	// The product.
	pk, sk, err := productKey(m, p.Ref)
	if err != nil {
		return w, err
	}
	gpk, err := productsByCategoryKey(m, p.CategoryID)
	if err != nil {
		return w, err
	}
	av, err := item{PK: pk, SK: sk, GSI1PK: gpk, GSI1SK: p.Ref, Type: typeProduct, Doc: raw}.attributes()
	if err != nil {
		return w, err
	}
	if !p.Inactive {
		rpk, rsk, _ := refIndexKey(m, p.Ref)
		av[AttrGSI2PK] = &types.AttributeValueMemberS{Value: rpk}
		av[AttrGSI2SK] = &types.AttributeValueMemberS{Value: rsk}
	}
	maps.Copy(av, old.erpStamps)
	av[AttrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(old.version+1, 10)}
	put := versionedPut(table, av, old.exists, old.version)
	w.add(partProduct, pk, sk, len(raw), types.TransactWriteItem{Put: put})

	// The EAN claim, and the release of the former one.
	ours := "attribute_not_exists(PK) OR #ref = :ref"
	if p.EAN != "" {
		epk, esk, _ := eanKey(m, p.EAN)
		av, err := item{PK: epk, SK: esk, Type: typeProductEAN, Doc: raw}.attributes()
		if err != nil {
			return w, err
		}
		av[AttrRef] = refValue
		w.ean = p.EAN
		w.add(partClaim, epk, esk, len(raw), types.TransactWriteItem{Put: &types.Put{
			TableName: table, Item: av, ConditionExpression: aws.String(ours),
			ExpressionAttributeNames:            map[string]string{"#ref": AttrRef},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":ref": refValue},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	if former := old.p.EAN; old.exists && former != "" && former != p.EAN && catalog.ValidRef(former) && skip.release != former {
		epk, esk, _ := eanKey(m, former)
		w.formerEAN = former
		w.add(partRelease, epk, esk, 0, types.TransactWriteItem{Delete: &types.Delete{
			TableName: table, Key: key(epk, esk), ConditionExpression: aws.String(ours),
			ExpressionAttributeNames:  map[string]string{"#ref": AttrRef},
			ExpressionAttributeValues: map[string]types.AttributeValue{":ref": refValue},
		}})
	}

	// The category.
	switch former := old.p.CategoryID; {
	case old.exists && former == p.CategoryID:
		w.stay = p.CategoryID
	default:
		w.fileIn = p.CategoryID
		if old.exists && catalog.ValidID(former) && skip.fileOut != former {
			w.fileOut = former
		}
	}

	// The search entries.
	entries, err := searchEntries(m, p, raw)
	if err != nil {
		return w, err
	}
	written := make(map[string]bool, len(entries))
	for _, e := range entries {
		av, err := e.attributes()
		if err != nil {
			return w, err
		}
		written[e.PK+"\x00"+e.SK] = true
		w.add(partEntry, e.PK, e.SK, len(raw), types.TransactWriteItem{Put: &types.Put{TableName: table, Item: av}})
	}
	if old.exists {
		former, err := searchEntries(m, old.p, nil)
		if err != nil {
			return w, err
		}
		for _, e := range former {
			if !written[e.PK+"\x00"+e.SK] {
				w.add(partEntry, e.PK, e.SK, 0, types.TransactWriteItem{Delete: &types.Delete{TableName: table, Key: key(e.PK, e.SK)}})
			}
		}
	}
	if len(w.items)+2 > maxTransactItems {
		return w, fmt.Errorf("save product %s: %d writes, more than a transaction holds", p.Ref, len(w.items)+2)
	}
	return w, nil
}

// outcome reads why a transaction of one product was cancelled: retry is
// true when another attempt, after reading the product again, may succeed;
// otherwise err says why the save cannot be done.
func (tx *productTx) outcome(cause error, skip *txSkips) (retry bool, err error) {
	var tce *types.TransactionCanceledException
	if !errors.As(cause, &tce) {
		return false, cause
	}
	var (
		productChanged bool
		failure        error
	)
	for i, r := range tce.CancellationReasons {
		code := aws.ToString(r.Code)
		switch {
		case code == "" || code == "None":
			continue
		case i >= len(tx.parts):
			return false, cause
		case code == "TransactionConflict" || code == "ThrottlingError" || code == "ProvisionedThroughputExceeded":
			retry = true
			continue
		case code != "ConditionalCheckFailed":
			return false, cause
		}
		switch tx.parts[i] {
		case partProduct:
			productChanged = true
		case partClaim:
			failure = &catalog.EANTakenError{EAN: tx.ean, Owner: str(r.Item, AttrRef)}
		case partRelease:
			skip.release, retry = tx.formerEAN, true
		case partFileIn, partKeptInPlace:
			failure = catalog.ErrNoCategory
		case partFileOut:
			skip.fileOut, retry = tx.formerCategory, true
		default:
			return false, cause
		}
	}
	switch {
	case productChanged:
		// What else failed was decided on a stale read.
		return true, nil
	case failure != nil:
		return false, failure
	case retry:
		return true, nil
	}
	return false, cause
}
