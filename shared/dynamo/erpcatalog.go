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
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/fx"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/tariff"
)

// ERPCatalog applies the ERP's catalog files (erp.Applier): categories,
// products, prices and their quantity breaks, family discounts, price
// categories, warehouses and exchange rates. Every item it writes carries
// the stamp of the row that wrote it (see erpapply.go), so that an older
// row never overwrites a newer one and a chunk applied twice changes
// nothing the second time.
//
// What each kind writes, and its round trips for a chunk of n rows:
//
//   - categories: the category items and the tree version item, through
//     the tree's own transaction (tree.go), at most erpTreeBatch rows per
//     transaction; the stamp of each category is kept in ErpParts on the
//     tree version item (PK=M#<m>#CATALOG SK=TREE), written in the same
//     transaction. 2 reads + 1 transaction per erpTreeBatch rows, then the
//     families of the products of moved categories (catalog.RefreshFamilies).
//   - products: the product item with everything a product save writes
//     beside it (EAN claim, category counts, search entries; products.go),
//     the product's stamp in ErpStamp/ErpJob/ErpLine on the product item.
//     The tree (2 round trips, for the families), ceil(n/100) BatchGetItem
//     (strongly consistent), then transactions of several products, up to
//     100 writes each (a product without EAN whose name has 4 words
//     writes 5 items, its category's count is one write per transaction),
//     each category's one after the other, up to erpCategoryGroups
//     categories at once. A transaction of several products that is
//     cancelled is done again one product per transaction, after reading
//     them again; a product whose EAN is another's, or whose category is
//     gone, has its rows rejected.
//   - prices and quantity breaks of a price category or a buying group:
//     the entry inside the product item's Tariffs, merged by (scope, scope
//     id, ref), with the product's writes as above; the stamp of each
//     entry (part "P#<scope>#<id>") and break ("B#<scope>#<id>#<from>") in
//     the product item's ErpParts. As any change of the product, a price
//     rewrites the product's copies (its search entries, its EAN claim).
//   - prices and quantity breaks of a customer: the customer price item
//     PK=M#<m>#C#<customer> SK=PRICE#<ref> (pricing.go), through applyERP;
//     breaks under parts "B#<from>". One BatchGetItem per 100 distinct
//     products (does the product exist?) + applyERP's 2 per 100 rows.
//   - family discounts: the discount rule erp.FamilyDiscountRule,
//     PK=M#<m>#RULES SK=RULE#<id> (pricing.go): functions that cache rules
//     (Pricing.TTL) see it within their TTL, as for any rule saved
//     elsewhere.
//   - price categories PK=M#<m>#TARIFF SK=PC#<id>, warehouses
//     PK=M#<m>#STOCK SK=WH#<id>: one item each.
//   - exchange rates: one currency of the day's item PK=M#<m>#FX SK=<day>
//     (fx.go), merged into it, the currency's stamp as part "<currency>";
//     the day's source becomes fx.SourceStaff (the merchant's own rates).
//
// A price or a break for a product that does not exist is Rejected with
// reason "unknown product"; a product filed in a category the tree does
// not hold, with "unknown category".
type ERPCatalog struct{ Table Table }

var _ erp.Applier = ERPCatalog{}

const (
	// erpTreeBatch is the most category rows one tree transaction
	// applies: a change may rewrite catalog.MaxCategoryChanges categories,
	// restrictions passed down included.
	erpTreeBatch = 40
	// erpCategoryGroups bounds the categories whose product transactions
	// are sent at once.
	erpCategoryGroups = 4
)

// Reasons of the rows applying refuses.
const (
	reasonUnknownProduct  = "unknown product"
	reasonUnknownCategory = "unknown category"
)

// Apply applies the records of one chunk, as the kind of the chunk says.
func (c ERPCatalog) Apply(ctx context.Context, ch erp.Chunk) (erp.Counts, []erp.RowError, error) {
	if _, err := merchantPrefix(ch.Merchant); err != nil {
		return erp.Counts{}, nil, err
	}
	var (
		recs    []*erp.Record
		counts  erp.Counts
		rejects []erp.RowError
	)
	for i := range ch.Records {
		r := &ch.Records[i]
		if r.Kind != ch.Kind || !hasPayload(r) {
			counts.Rejected++
			rejects = append(rejects, erp.RowError{Line: r.Line, Reason: fmt.Sprintf("not a row of %s", ch.Kind)})
			continue
		}
		if e := badKeyPart(r); e != nil {
			counts.Rejected++
			rejects = append(rejects, *e)
			continue
		}
		recs = append(recs, r)
	}
	var (
		c2  erp.Counts
		r2  []erp.RowError
		err error
	)
	switch ch.Kind {
	case erp.KindCategories:
		c2, r2, err = c.applyCategories(ctx, ch.Merchant, ch.Job, recs)
	case erp.KindProducts:
		c2, r2, err = c.applyToProducts(ctx, ch.Merchant, ch.Job, recs, seenStamp(ch))
	case erp.KindPrices, erp.KindQuantityBreaks:
		var inProducts, ofCustomers []*erp.Record
		for _, r := range recs {
			if recordScope(r) == tariff.Customer {
				ofCustomers = append(ofCustomers, r)
			} else {
				inProducts = append(inProducts, r)
			}
		}
		var c3 erp.Counts
		var r3 []erp.RowError
		c2, r2, err = c.applyToProducts(ctx, ch.Merchant, ch.Job, inProducts, 0)
		if err == nil {
			c3, r3, err = c.applyCustomerPrices(ctx, ch.Merchant, ch.Job, ofCustomers)
		}
		c2, r2 = c2.Add(c3), append(r2, r3...)
	case erp.KindFamilyDiscounts, erp.KindPriceCategories, erp.KindWarehouses, erp.KindExchangeRates:
		var ws []erpWrite
		for _, r := range recs {
			w, rowErr, err := c.itemWrite(ch.Merchant, r)
			switch {
			case err != nil:
				return erp.Counts{}, nil, err
			case rowErr != nil:
				counts.Rejected++
				rejects = append(rejects, *rowErr)
			default:
				ws = append(ws, w)
			}
		}
		c2, r2, err = c.Table.applyERP(ctx, ch.Job, ws)
	default:
		return erp.Counts{}, nil, fmt.Errorf("apply ERP chunk %s/%d: the catalog does not apply %q", ch.Job, ch.Seq, ch.Kind)
	}
	if err != nil {
		return erp.Counts{}, nil, fmt.Errorf("apply ERP %s chunk %s/%d: %w", ch.Kind, ch.Job, ch.Seq, err)
	}
	rejects = append(rejects, r2...)
	slices.SortStableFunc(rejects, func(a, b erp.RowError) int { return a.Line - b.Line })
	return counts.Add(c2), rejects, nil
}

// seenStamp is the stamp a chunk's records mark their items seen at: the
// file's, for a full file that deactivates what it lacks; 0 otherwise.
func seenStamp(ch erp.Chunk) int64 {
	if !ch.DeactivateMissing || ch.FileStamp.IsZero() {
		return 0
	}
	return ch.FileStamp.UnixNano()
}

// hasPayload reports whether r holds the data of its kind.
func hasPayload(r *erp.Record) bool {
	switch r.Kind {
	case erp.KindCategories:
		return r.Category != nil
	case erp.KindProducts:
		return r.Product != nil
	case erp.KindPrices:
		return r.Price != nil
	case erp.KindQuantityBreaks:
		return r.QuantityBreak != nil
	case erp.KindFamilyDiscounts:
		return r.FamilyDiscount != nil
	case erp.KindPriceCategories:
		return r.PriceCategory != nil
	case erp.KindWarehouses:
		return r.Warehouse != nil
	case erp.KindExchangeRates:
		return r.Rate != nil
	}
	return false
}

// badKeyPart refuses a record whose ids cannot be part of a key (the
// file's reader checks them already: this keeps any other producer of
// chunks from writing odd keys).
func badKeyPart(r *erp.Record) *erp.RowError {
	check := func(column, v string, ok func(string) bool) *erp.RowError {
		if ok(v) {
			return nil
		}
		if len(v) > 80 {
			v = v[:80]
		}
		return &erp.RowError{Line: r.Line, Column: column, Reason: "cannot be an id (1 to 64 bytes, no spaces, '#' or '/')", Value: v}
	}
	scoped := func(scope tariff.Scope, id, ref string) *erp.RowError {
		if e := check("ref", ref, catalog.ValidRef); e != nil {
			return e
		}
		if scope != tariff.Customer && scope != tariff.PriceCategory && scope != tariff.BuyingGroup {
			return &erp.RowError{Line: r.Line, Column: "scope", Reason: "a price is of a customer, a price category or a buying group", Value: string(scope)}
		}
		return check(string(scope), id, catalog.ValidRef)
	}
	switch {
	case r.Category != nil:
		if e := check("id", r.Category.ID, catalog.ValidID); e != nil {
			return e
		}
		if r.Category.ParentID != "" {
			return check("parent", r.Category.ParentID, catalog.ValidID)
		}
	case r.Product != nil:
		if e := check("ref", r.Product.Ref, catalog.ValidRef); e != nil {
			return e
		}
		return check("category", r.Product.CategoryID, catalog.ValidID)
	case r.Price != nil:
		return scoped(r.Price.Scope, r.Price.ScopeID, r.Price.Ref)
	case r.QuantityBreak != nil:
		return scoped(r.QuantityBreak.Scope, r.QuantityBreak.ScopeID, r.QuantityBreak.Ref)
	case r.FamilyDiscount != nil:
		if e := check("customer", r.FamilyDiscount.Customer, catalog.ValidRef); e != nil {
			return e
		}
		return check("family", r.FamilyDiscount.Family, catalog.ValidID)
	case r.PriceCategory != nil:
		return check("id", r.PriceCategory.ID, catalog.ValidID)
	case r.Warehouse != nil:
		return check("id", r.Warehouse.ID, catalog.ValidID)
	}
	return nil
}

// recordScope is the scope of a price or a break.
func recordScope(r *erp.Record) tariff.Scope {
	if r.Price != nil {
		return r.Price.Scope
	}
	if r.QuantityBreak != nil {
		return r.QuantityBreak.Scope
	}
	return ""
}

// sameJSON reports whether doc encodes to stored.
func sameJSON(stored []byte, doc any) bool {
	b, err := json.Marshal(doc)
	return err == nil && stored != nil && bytes.Equal(b, stored)
}

// replaceWith is the merge of a record that owns its whole item: doc.
func replaceWith(doc any) func([]byte) (any, bool, *erp.RowError) {
	return func(stored []byte) (any, bool, *erp.RowError) {
		return doc, !sameJSON(stored, doc), nil
	}
}

// itemWrite is the write of a record of a kind stored as an item of its
// own (or a part of one).
func (c ERPCatalog) itemWrite(m merchant.ID, r *erp.Record) (erpWrite, *erp.RowError, error) {
	w := erpWrite{Rec: r}
	var err error
	switch r.Kind {
	case erp.KindFamilyDiscounts:
		rule := erp.FamilyDiscountRule(*r.FamilyDiscount)
		w.PK, w.SK, err = ruleKey(m, rule.ID)
		w.Type, w.Merge = typeRule, replaceWith(rule)
	case erp.KindPriceCategories:
		w.PK, w.SK, err = priceCategoryKey(m, r.PriceCategory.ID)
		w.Type, w.Merge = "PriceCategory", replaceWith(*r.PriceCategory)
	case erp.KindWarehouses:
		w.PK, w.SK, err = warehouseKey(m, r.Warehouse.ID)
		w.Type, w.Merge = "Warehouse", replaceWith(*r.Warehouse)
	case erp.KindExchangeRates:
		x := *r.Rate
		day := fx.Day(x.Date).Format(time.DateOnly)
		w.PK, w.SK, err = exchangeRatesKey(m, day)
		w.Type, w.Part = typeExchangeRates, x.Currency
		w.Merge = func(stored []byte) (any, bool, *erp.RowError) {
			s := storedRates{Date: day, Source: fx.SourceStaff, Rates: map[string]decimal.Decimal{}}
			if stored != nil {
				if err := json.Unmarshal(stored, &s); err != nil {
					return nil, false, &erp.RowError{Reason: "the stored rates of " + day + " cannot be read"}
				}
			}
			if old, ok := s.Rates[x.Currency]; ok && old.String() == x.PerEUR.String() {
				return s, false, nil
			}
			rates := maps.Clone(s.Rates)
			if rates == nil {
				rates = map[string]decimal.Decimal{}
			}
			rates[x.Currency] = x.PerEUR
			s.Rates, s.Source = rates, fx.SourceStaff
			if err := (fx.Rates{Date: fx.Day(x.Date), Source: s.Source, PerEUR: rates}).Validate(); err != nil {
				return nil, false, &erp.RowError{Column: "rate", Reason: err.Error(), Value: x.PerEUR.String()}
			}
			return s, true, nil
		}
	}
	if err != nil {
		return w, &erp.RowError{Line: r.Line, Reason: err.Error()}, nil
	}
	return w, nil, nil
}

// applyCustomerPrices applies prices and breaks of customers to their
// customer price items, refusing those of unknown products.
func (c ERPCatalog) applyCustomerPrices(ctx context.Context, m merchant.ID, job string, recs []*erp.Record) (erp.Counts, []erp.RowError, error) {
	if len(recs) == 0 {
		return erp.Counts{}, nil, nil
	}
	refs := map[string]bool{}
	for _, r := range recs {
		refs[recordRef(r)] = false
	}
	if err := c.productsExist(ctx, m, refs); err != nil {
		return erp.Counts{}, nil, err
	}
	var (
		counts  erp.Counts
		rejects []erp.RowError
		ws      []erpWrite
	)
	for _, r := range recs {
		ref := recordRef(r)
		if !refs[ref] {
			counts.Rejected++
			rejects = append(rejects, erp.RowError{Line: r.Line, Column: "ref", Reason: reasonUnknownProduct, Value: ref})
			continue
		}
		w := erpWrite{Rec: r, Type: typeCustomerPrice}
		var err error
		if r.Price != nil {
			e := *r.Price
			w.PK, w.SK, err = customerPriceKey(m, e.ScopeID, ref)
			w.Merge = func(stored []byte) (any, bool, *erp.RowError) {
				var old []tariff.Entry
				if stored != nil {
					var s tariff.Entry
					if err := json.Unmarshal(stored, &s); err != nil {
						return nil, false, &erp.RowError{Reason: "the stored price cannot be read"}
					}
					old = []tariff.Entry{s}
				}
				merged, changed := catalog.MergeERPEntry(old, e)
				return merged[len(merged)-1], changed, nil
			}
		} else {
			q := *r.QuantityBreak
			w.PK, w.SK, err = customerPriceKey(m, q.ScopeID, ref)
			w.Part = "B#" + q.Break.From.String()
			w.Merge = func(stored []byte) (any, bool, *erp.RowError) {
				if stored == nil {
					return nil, false, &erp.RowError{Column: "ref", Reason: "no price of customer " + strconv.Quote(q.ScopeID) + " for this product", Value: q.Ref}
				}
				var s tariff.Entry
				if err := json.Unmarshal(stored, &s); err != nil {
					return nil, false, &erp.RowError{Reason: "the stored price cannot be read"}
				}
				breaks, changed := catalog.MergeBreak(s.Breaks, q.Break)
				s.Breaks = breaks
				return s, changed, nil
			}
		}
		if err != nil {
			counts.Rejected++
			rejects = append(rejects, erp.RowError{Line: r.Line, Column: "customer", Reason: err.Error()})
			continue
		}
		ws = append(ws, w)
	}
	c2, r2, err := c.Table.applyERP(ctx, job, ws)
	return counts.Add(c2), append(rejects, r2...), err
}

// recordRef is the product reference a product, price or break row is
// about.
func recordRef(r *erp.Record) string {
	switch {
	case r.Product != nil:
		return r.Product.Ref
	case r.Price != nil:
		return r.Price.Ref
	case r.QuantityBreak != nil:
		return r.QuantityBreak.Ref
	}
	return ""
}

// productsExist sets refs[ref] for the products that exist: BatchGetItem
// of their keys only, strongly consistent, 100 a call, all at once.
func (c ERPCatalog) productsExist(ctx context.Context, m merchant.ID, refs map[string]bool) error {
	list := make([]string, 0, len(refs))
	for ref := range refs {
		list = append(list, ref)
	}
	keys, err := productKeys(m, list)
	if err != nil {
		return err
	}
	found := make([]map[string]bool, (len(keys)+batchGetLimit-1)/batchGetLimit)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(erpParallel)
	for n, start := 0, 0; start < len(keys); n, start = n+1, start+batchGetLimit {
		part := keys[start:min(start+batchGetLimit, len(keys))]
		g.Go(func() error {
			avs := make([]map[string]types.AttributeValue, len(part))
			for i, k := range part {
				avs[i] = key(k[AttrPK], k[AttrSK])
			}
			found[n] = map[string]bool{}
			pending := map[string]types.KeysAndAttributes{c.Table.Name: {Keys: avs, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("PK")}}
			return untilProcessed(gctx, "read products", func() (int, error) {
				out, err := c.Table.Client.BatchGetItem(gctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
				if err != nil {
					return 0, err
				}
				for _, it := range out.Responses[c.Table.Name] {
					found[n][str(it, AttrPK)] = true
				}
				pending = out.UnprocessedKeys
				return len(pending[c.Table.Name].Keys), nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, ref := range list {
		pk, _, _ := productKey(m, ref)
		for _, f := range found {
			if f[pk] {
				refs[ref] = true
			}
		}
	}
	return nil
}

// productChange is the records of one product in a chunk and what they
// make of the product as read.
type productChange struct {
	ref  string
	recs []*erp.Record
	// What was read.
	old   storedProduct
	stamp *erpStamp
	parts map[string]erpStamp
	// seen is ErpSeen as read; seenAt the stamp the records mark the
	// product seen at (0: none), newSeen ErpSeen as they leave it.
	seen, seenAt, newSeen int64
	// What the records make of it.
	p                        catalog.Product
	docChanged, stampChanged bool
	newStamp                 *erpStamp
	newParts                 map[string]erpStamp
	outcomes                 []erpOutcome
	rejects                  []erp.RowError
	// writing are the records whose outcome stands only if the product is
	// written.
	writing []int
	// alone: write the product in a transaction of its own (a shared one
	// was cancelled); skip: what the previous attempt found moot.
	alone bool
	skip  txSkips
}

// productPart is the part of the product item a price or a break row
// writes ("" for the product's own row).
func productPart(r *erp.Record) string {
	switch {
	case r.Price != nil:
		return "P#" + string(r.Price.Scope) + "#" + r.Price.ScopeID
	case r.QuantityBreak != nil:
		q := r.QuantityBreak
		return "B#" + string(q.Scope) + "#" + q.ScopeID + "#" + q.Break.From.String()
	}
	return ""
}

// read takes what the product's item holds (nil: no item).
func (pc *productChange) read(av map[string]types.AttributeValue) error {
	pc.old, pc.stamp, pc.parts, pc.seen = storedProduct{}, nil, nil, 0
	if av == nil {
		return nil
	}
	old, err := decodeStored(av)
	if err != nil {
		return err
	}
	pc.old = old
	if pc.seen, err = numberAttr(av, AttrErpSeen); err != nil {
		return fmt.Errorf("product %s: %w", pc.ref, err)
	}
	if pc.stamp, err = storedStamp(av); err != nil {
		return fmt.Errorf("product %s: %w", pc.ref, err)
	}
	if raw := str(av, AttrErpParts); raw != "" {
		if err := json.Unmarshal([]byte(raw), &pc.parts); err != nil {
			return fmt.Errorf("product %s: stamps of parts: %w", pc.ref, err)
		}
	}
	return nil
}

// apply decides and merges the product's records in their order; tree
// (nil for prices) gives a product row its families.
func (pc *productChange) apply(job string, tree *catalog.Tree) error {
	pc.outcomes, pc.rejects, pc.writing = make([]erpOutcome, len(pc.recs)), nil, nil
	pc.newStamp, pc.newParts = pc.stamp, maps.Clone(pc.parts)
	exists := pc.old.exists
	p := catalog.Product{Ref: pc.ref}
	if exists {
		if err := json.Unmarshal(pc.old.raw, &p); err != nil {
			return fmt.Errorf("decode product %s: %w", pc.ref, err)
		}
	}
	before, err := json.Marshal(p)
	if err != nil {
		return err
	}
	for i, r := range pc.recs {
		s := recordStamp(job, r)
		part := productPart(r)
		stored := pc.newStamp
		if part != "" {
			stored = nil
			if ps, ok := pc.newParts[part]; ok {
				stored = &ps
			}
		}
		if !s.newerThan(stored) {
			continue // Unchanged
		}
		reject := func(column, reason, value string) {
			pc.outcomes[i] = outRejected
			pc.rejects = append(pc.rejects, erp.RowError{Line: r.Line, Column: column, Reason: reason, Value: value})
		}
		switch {
		case r.Product != nil:
			if _, ok := tree.Category(r.Product.CategoryID); !ok {
				reject("category", reasonUnknownCategory, r.Product.CategoryID)
				continue
			}
			var storedP *catalog.Product
			if exists {
				storedP = &p
			}
			np := catalog.MergeERP(storedP, *r.Product)
			np.Families, _ = tree.Families(np)
			p, exists = np, true
		case !exists:
			reject("ref", reasonUnknownProduct, pc.ref)
			continue
		case r.Price != nil:
			p.Tariffs, _ = catalog.MergeERPEntry(p.Tariffs, *r.Price)
		case r.QuantityBreak != nil:
			q := r.QuantityBreak
			tariffs, found, _ := catalog.MergeERPBreak(p.Tariffs, q.Scope, q.ScopeID, q.Ref, q.Break)
			if !found {
				reject("ref", fmt.Sprintf("no price of %s %s for this product", q.Scope, strconv.Quote(q.ScopeID)), q.Ref)
				continue
			}
			p.Tariffs = tariffs
		}
		after, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(before, after) {
			pc.outcomes[i] = outApplied
		}
		before = after
		if part == "" {
			pc.newStamp = &s
		} else {
			if pc.newParts == nil {
				pc.newParts = map[string]erpStamp{}
			}
			pc.newParts[part] = s
		}
		pc.writing = append(pc.writing, i)
	}
	pc.p = p
	pc.docChanged = exists && (!pc.old.exists || !sameJSON(mustJSON(pc.old.p), p))
	pc.newSeen = pc.seen
	if exists && pc.seenAt > pc.seen {
		pc.newSeen = pc.seenAt
	}
	pc.stampChanged = len(pc.writing) > 0 || pc.newSeen != pc.seen
	return nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// fail refuses the records of the product that were to be written.
func (pc *productChange) fail(column, reason, value string) {
	for _, i := range pc.writing {
		pc.outcomes[i] = outRejected
		pc.rejects = append(pc.rejects, erp.RowError{Line: pc.recs[i].Line, Column: column, Reason: reason, Value: value})
	}
	pc.writing, pc.docChanged, pc.stampChanged = nil, false, false
}

// stampAttributes are the product item's stamp attributes as the records
// left them.
func (pc *productChange) stampAttributes() (map[string]types.AttributeValue, error) {
	av := map[string]types.AttributeValue{}
	if s := pc.newStamp; s != nil {
		av[AttrErpStamp] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Stamp, 10)}
		av[AttrErpJob] = &types.AttributeValueMemberS{Value: s.Job}
		av[AttrErpLine] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Line, 10)}
	}
	if len(pc.newParts) > 0 {
		b, err := json.Marshal(pc.newParts)
		if err != nil {
			return nil, err
		}
		av[AttrErpParts] = &types.AttributeValueMemberS{Value: string(b)}
	}
	if pc.newSeen > 0 {
		av[AttrErpSeen] = &types.AttributeValueMemberN{Value: strconv.FormatInt(pc.newSeen, 10)}
	}
	return av, nil
}

// writes are the writes of the product: those of a product save
// (productWrites) with the stamps on the product item, or, when only the
// stamps advanced, one update of them. Both bump the product's Version
// under the condition of the version read, so that a writer that read
// before them (another file, the back office) reads again.
func (c ERPCatalog) productWrites(m merchant.ID, pc *productChange) (writes, error) {
	stamps, err := pc.stampAttributes()
	if err != nil {
		return writes{}, err
	}
	if pc.docChanged {
		s, err := prepareSave(pc.old, pc.p, pc.ref)
		if err != nil {
			return writes{}, err
		}
		w, err := (&Catalog{Table: c.Table}).productWrites(m, s, pc.skip)
		if err != nil {
			return writes{}, err
		}
		for i, part := range w.parts {
			if part == partProduct {
				maps.Copy(w.items[i].Put.Item, stamps)
			}
		}
		return w, nil
	}
	pk, sk, err := productKey(m, pc.ref)
	if err != nil {
		return writes{}, err
	}
	put := versionedPut(aws.String(c.Table.Name), nil, true, pc.old.version)
	names := map[string]string{"#v": AttrVersion}
	values := map[string]types.AttributeValue{":next": &types.AttributeValueMemberN{Value: strconv.FormatInt(pc.old.version+1, 10)}}
	maps.Copy(values, put.ExpressionAttributeValues)
	expr := "SET #v = :next"
	n := 0
	for _, attr := range []string{AttrErpStamp, AttrErpJob, AttrErpLine, AttrErpParts, AttrErpSeen} {
		if v, ok := stamps[attr]; ok {
			n++
			names["#s"+strconv.Itoa(n)] = attr
			values[":s"+strconv.Itoa(n)] = v
			expr += fmt.Sprintf(", #s%d = :s%d", n, n)
		}
	}
	var w writes
	w.add(partProduct, pk, sk, 200, types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(c.Table.Name), Key: key(pk, sk),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       put.ConditionExpression,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}})
	return w, nil
}

// applyToProducts applies product rows, and price and break rows of price
// categories and buying groups, to the product items, as the top of this
// file says.
//
// seen, when set, is the stamp of a full file that deactivates what it
// lacks: each product a record names is marked seen at it (ErpSeen).
func (c ERPCatalog) applyToProducts(ctx context.Context, m merchant.ID, job string, recs []*erp.Record, seen int64) (erp.Counts, []erp.RowError, error) {
	if len(recs) == 0 {
		return erp.Counts{}, nil, nil
	}
	var (
		changes []*productChange
		byRef   = map[string]*productChange{}
		tree    *catalog.Tree
	)
	for _, r := range recs {
		ref := recordRef(r)
		pc, ok := byRef[ref]
		if !ok {
			pc = &productChange{ref: ref, seenAt: seen}
			byRef[ref] = pc
			changes = append(changes, pc)
		}
		pc.recs = append(pc.recs, r)
		if r.Product != nil && tree == nil {
			_, cats, err := (&Catalog{Table: c.Table}).readTree(ctx, m)
			if err != nil {
				return erp.Counts{}, nil, err
			}
			tree = catalog.NewTree(cats)
		}
	}
	pending := changes
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt >= maxSaveAttempts {
			return erp.Counts{}, nil, fmt.Errorf("apply ERP records of job %s: %d products still changed by other writers after %d attempts: %w", job, len(pending), maxSaveAttempts, catalog.ErrConflict)
		}
		if attempt > 0 {
			if err := backoff(ctx, attempt-1); err != nil {
				return erp.Counts{}, nil, err
			}
		}
		if err := c.readProducts(ctx, m, pending); err != nil {
			return erp.Counts{}, nil, err
		}
		groups := map[string][]*productChange{}
		var order []string
		for _, pc := range pending {
			if err := pc.apply(job, tree); err != nil {
				return erp.Counts{}, nil, err
			}
			if !pc.stampChanged {
				continue
			}
			g := ""
			if pc.docChanged {
				g = pc.p.CategoryID
			}
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], pc)
		}
		lost, err := c.writeGroups(ctx, m, order, groups)
		if err != nil {
			return erp.Counts{}, nil, fmt.Errorf("apply ERP records of job %s: %w", job, err)
		}
		pending = lost
	}
	var (
		counts  erp.Counts
		rejects []erp.RowError
	)
	for _, pc := range changes {
		tally(&counts, pc.outcomes)
		rejects = append(rejects, pc.rejects...)
	}
	return counts, rejects, nil
}

// readProducts reads the product items of changes, strongly consistent,
// 100 per BatchGetItem, all at once.
// writeGroups writes the changes of each group (a category, whose tree
// item the writes keep in step), erpCategoryGroups groups at once, and
// returns the changes of the writes that lost a race: to read and apply
// again.
func (c ERPCatalog) writeGroups(ctx context.Context, m merchant.ID, order []string, groups map[string][]*productChange) ([]*productChange, error) {
	var (
		lost []*productChange
		mu   sync.Mutex
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(erpCategoryGroups)
	for _, cat := range order {
		g.Go(func() error {
			l, err := c.writeProducts(gctx, m, groups[cat])
			mu.Lock()
			lost = append(lost, l...)
			mu.Unlock()
			return err
		})
	}
	err := g.Wait()
	return lost, err
}

func (c ERPCatalog) readProducts(ctx context.Context, m merchant.ID, changes []*productChange) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(erpParallel)
	for start := 0; start < len(changes); start += batchGetLimit {
		part := changes[start:min(start+batchGetLimit, len(changes))]
		g.Go(func() error {
			refs := make([]string, len(part))
			for i, pc := range part {
				refs[i] = pc.ref
			}
			keys, err := productKeys(m, refs)
			if err != nil {
				return err
			}
			got, err := c.Table.consistentBatchGet(gctx, keys)
			if err != nil {
				return fmt.Errorf("read products of %s: %w", m, err)
			}
			for i, pc := range part {
				if err := pc.read(got[keys[i][AttrPK]+"|"+keys[i][AttrSK]]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// writeProducts writes the products of one category, several per
// transaction, one transaction after the other (so that two never race
// for the category's count). It returns the products to read and write
// again: those of a transaction of several that was cancelled (they will
// go alone), or of a transaction of one that met another writer. A
// product the save refuses (its EAN is another product's, its category is
// gone, it is too large) has its rows rejected.
func (c ERPCatalog) writeProducts(ctx context.Context, m merchant.ID, changes []*productChange) (lost []*productChange, err error) {
	var (
		tx    productTx
		batch []*productChange
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		items := tx.finish(m, c.Table.Name)
		_, err := c.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		switch {
		case err == nil:
		case len(batch) > 1:
			var tce *types.TransactionCanceledException
			if !errors.As(err, &tce) {
				return fmt.Errorf("save products: %w", err)
			}
			for _, pc := range batch {
				pc.alone = true
			}
			lost = append(lost, batch...)
		default:
			pc := batch[0]
			retry, err := tx.outcome(err, &pc.skip)
			var taken *catalog.EANTakenError
			switch {
			case retry:
				lost = append(lost, pc)
			case errors.As(err, &taken):
				pc.fail("ean", "already the EAN of product "+strconv.Quote(taken.Owner), taken.EAN)
			case errors.Is(err, catalog.ErrNoCategory):
				pc.fail("category", reasonUnknownCategory, pc.p.CategoryID)
			default:
				return fmt.Errorf("save product %s: %w", pc.ref, err)
			}
		}
		tx, batch = productTx{}, nil
		return nil
	}
	for _, pc := range changes {
		w, err := c.productWrites(m, pc)
		switch {
		case errors.Is(err, catalog.ErrTooLarge), errors.Is(err, catalog.ErrNoCategory):
			pc.fail("", err.Error(), "")
			continue
		case err != nil:
			return nil, err
		}
		if pc.alone || !tx.fits(w) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		tx.add(w)
		batch = append(batch, pc)
		if pc.alone {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return lost, flush()
}

// applyCategories applies category rows erpTreeBatch at a time.
func (c ERPCatalog) applyCategories(ctx context.Context, m merchant.ID, job string, recs []*erp.Record) (erp.Counts, []erp.RowError, error) {
	var (
		counts  erp.Counts
		rejects []erp.RowError
	)
	for start := 0; start < len(recs); start += erpTreeBatch {
		c2, r2, err := c.applyCategoryBatch(ctx, m, job, recs[start:min(start+erpTreeBatch, len(recs))])
		if err != nil {
			return erp.Counts{}, nil, err
		}
		counts, rejects = counts.Add(c2), append(rejects, r2...)
	}
	return counts, rejects, nil
}

// readTreeStamps reads the tree's version and the stamps of its categories
// (the tree version item, strongly consistent), then its categories (a
// strongly consistent Query): 2 round trips.
func (c ERPCatalog) readTreeStamps(ctx context.Context, m merchant.ID) (int64, map[string]erpStamp, []catalog.Category, error) {
	pk, sk, err := treeKey(m)
	if err != nil {
		return 0, nil, nil, err
	}
	out, err := c.Table.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(c.Table.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read category tree version of %s: %w", m, err)
	}
	version, err := numberAttr(out.Item, AttrVersion)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("category tree of %s: %w", m, err)
	}
	var parts map[string]erpStamp
	if raw := str(out.Item, AttrErpParts); raw != "" {
		if err := json.Unmarshal([]byte(raw), &parts); err != nil {
			return 0, nil, nil, fmt.Errorf("category tree of %s: stamps of categories: %w", m, err)
		}
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
			return 0, nil, nil, fmt.Errorf("read categories of %s: %w", m, err)
		}
		items = append(items, page.Items...)
	}
	cats, err := decodeAll[catalog.Category](items)
	return version, parts, cats, err
}

// mergeCategory is a category as an ERP row leaves it: the ERP owns its
// parent and its names (per language, as for products); the site keeps a
// restriction the row does not set, and its position when the row gives
// none (0).
func mergeCategory(stored catalog.Category, existed bool, row catalog.Category) catalog.Category {
	if !existed {
		return row
	}
	out := stored
	out.ParentID = row.ParentID
	names := make(map[string]string, len(stored.Names)+len(row.Names))
	maps.Copy(names, stored.Names)
	maps.Copy(names, row.Names)
	out.Names = names
	if row.Position != 0 {
		out.Position = row.Position
	}
	out.Restricted = stored.Restricted || row.Restricted
	return out
}

func sameCategory(a, b catalog.Category) bool {
	return a.ID == b.ID && a.ParentID == b.ParentID && a.Position == b.Position && a.Restricted == b.Restricted && maps.Equal(a.Names, b.Names)
}

// applyCategoryBatch applies category rows in one tree transaction (the
// tree's own, tree.go, with the categories' stamps set on the tree
// version item), read again and decided again when another change of the
// tree got in between. Rows whose parent comes later in the batch are
// put after it. Then the products of the categories that moved get their
// new families (catalog.RefreshFamilies).
func (c ERPCatalog) applyCategoryBatch(ctx context.Context, m merchant.ID, job string, recs []*erp.Record) (erp.Counts, []erp.RowError, error) {
	cat := &Catalog{Table: c.Table}
	for attempt := 0; ; attempt++ {
		version, parts, cats, err := c.readTreeStamps(ctx, m)
		if err != nil {
			return erp.Counts{}, nil, err
		}
		tree := catalog.NewTree(cats)
		outcomes := make([]erpOutcome, len(recs))
		rowErrs := map[int]erp.RowError{}
		newParts := maps.Clone(parts)
		if newParts == nil {
			newParts = map[string]erpStamp{}
		}
		advanced := false
		waiting := make([]int, len(recs))
		for i := range waiting {
			waiting[i] = i
		}
		for progress := true; progress && len(waiting) > 0; {
			progress = false
			var next []int
			for _, i := range waiting {
				r := recs[i]
				id := r.Category.ID
				s := recordStamp(job, r)
				var stored *erpStamp
				if ps, ok := newParts[id]; ok {
					stored = &ps
				}
				if !s.newerThan(stored) {
					outcomes[i], progress = outUnchanged, true
					continue
				}
				prev, existed := tree.Category(id)
				put, err := tree.Put(mergeCategory(prev, existed, *r.Category))
				if err != nil {
					var te *catalog.TreeError
					if !errors.As(err, &te) {
						return erp.Counts{}, nil, err
					}
					column := te.Field
					if column == "parentId" {
						column = "parent"
					}
					rowErrs[i] = erp.RowError{Line: r.Line, Column: column, Reason: te.Reason, Value: r.Category.ParentID}
					next = append(next, i)
					continue
				}
				delete(rowErrs, i)
				progress, advanced = true, true
				newParts[id] = s
				if !existed || !sameCategory(prev, put) {
					outcomes[i] = outApplied
				} else {
					outcomes[i] = outUnchanged
				}
			}
			waiting = next
		}
		var rejects []erp.RowError
		for _, i := range waiting {
			outcomes[i] = outRejected
			rejects = append(rejects, rowErrs[i])
		}
		if err := tree.CheckSize(); err != nil {
			if len(recs) == 1 {
				return erp.Counts{Rejected: 1}, []erp.RowError{{Line: recs[0].Line, Reason: err.Error()}}, nil
			}
			// Restrictions passed down rewrite too many categories at
			// once: half the rows at a time.
			half := len(recs) / 2
			c1, r1, err := c.applyCategoryBatch(ctx, m, job, recs[:half])
			if err != nil {
				return erp.Counts{}, nil, err
			}
			c2, r2, err := c.applyCategoryBatch(ctx, m, job, recs[half:])
			return c1.Add(c2), append(r1, r2...), err
		}
		var counts erp.Counts
		tally(&counts, outcomes)
		changed := tree.Changed()
		if len(changed) == 0 && !advanced {
			return counts, rejects, nil
		}
		tx, err := cat.treeTx(m, version, changed, nil)
		if err != nil {
			return erp.Counts{}, nil, err
		}
		b, err := json.Marshal(newParts)
		if err != nil {
			return erp.Counts{}, nil, err
		}
		bump := tx[0].Update
		bump.UpdateExpression = aws.String(aws.ToString(bump.UpdateExpression) + ", #erpParts = :erpParts")
		bump.ExpressionAttributeNames["#erpParts"] = AttrErpParts
		bump.ExpressionAttributeValues[":erpParts"] = &types.AttributeValueMemberS{Value: string(b)}
		_, err = c.Table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil {
			if refiled := tree.Refiled(); len(refiled) > 0 {
				if err := catalog.RefreshFamilies(ctx, cat, m, tree, refiled); err != nil {
					return erp.Counts{}, nil, err
				}
			}
			return counts, rejects, nil
		}
		retry, err := treeOutcome(err, len(changed), nil)
		if !retry {
			return erp.Counts{}, nil, fmt.Errorf("save category tree of %s: %w", m, err)
		}
		if attempt+1 >= maxTreeAttempts {
			return erp.Counts{}, nil, fmt.Errorf("save category tree of %s: %d attempts: %w", m, maxTreeAttempts, catalog.ErrTreeConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return erp.Counts{}, nil, err
		}
	}
}
