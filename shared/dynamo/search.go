package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Product search index ("recherche"). Keys:
//
//	product (active)  PK=M#<m>#P#<ref>       SK=PRODUCT     GSI2PK=M#<m>#REF#<first character of REF>  GSI2SK=<REF>
//	EAN claim         PK=M#<m>#EAN#<ean>     SK=EAN         Ref=<ref>, Doc = the product
//	word entry        PK=M#<m>#W#<word>      SK=<ref>#<lang> Doc = the product
//
// <REF> is the reference in upper case, so that a reference prefix matches
// whatever its case. <word> is a normalized word of the product's name in
// <lang> (catalog.IndexWords). Index entries carry a copy of the product so
// that one Query answers a search page without a BatchGetItem; every product
// save rewrites them with the product in one transaction and deletes those
// its new version no longer has (products.go), so a copy is never older than
// its product. Inactive products are left out of the reference index and
// have no word entries; their EAN claim stays, and searches ignore it.

// Attribute names of the second global secondary index.
const (
	AttrGSI2PK = "GSI2PK"
	AttrGSI2SK = "GSI2SK"
	// GSI2 is the overloaded index: products by reference prefix.
	GSI2 = "GSI2"
)

const (
	typeProductEAN  = "ProductEAN"
	typeProductWord = "ProductWord"

	// phaseCode and phaseName are the two parts of a search's results:
	// EAN and reference-prefix matches first, name matches after.
	phaseCode = "r"
	phaseName = "w"
)

var _ catalog.Searcher = (*Catalog)(nil)

// searchEntries returns the word entries of a product, each holding doc (a
// copy of the product): one per word catalog.IndexWords gives for its names.
// Inactive products have none.
func searchEntries(m merchant.ID, p catalog.Product, doc json.RawMessage) ([]item, error) {
	if p.Inactive {
		return nil, nil
	}
	words := catalog.IndexWords(p)
	out := make([]item, 0, len(words))
	for _, w := range words {
		pk, sk, err := wordKey(m, w.Word, p.Ref, w.Language)
		if err != nil {
			return nil, err
		}
		out = append(out, item{PK: pk, SK: sk, Type: typeProductWord, Doc: doc})
	}
	return out, nil
}

// checkSearchPosition reports whether from can be a position of q's list:
// the code part (resuming after a reference) for a reference-like query, the
// name part (resuming after a word entry's sort key <ref>#<lang>) for a query
// with words. Positions come from sealed cursors; this check keeps a bug from
// turning into a query on some other key.
func checkSearchPosition(from catalog.Position, q catalog.Query) error {
	switch {
	case from.IsStart():
	case from.Part == phaseCode && q.RefLike && (from.After == "" || catalog.ValidRef(from.After)):
	case from.Part == phaseName && q.SearchesNames() && (from.After == "" || validWordSK(from.After)):
	default:
		return catalog.ErrInvalidCursor
	}
	return nil
}

// validWordSK reports whether s can be a word entry's sort key.
func validWordSK(s string) bool {
	ref, lang, ok := strings.Cut(s, "#")
	return ok && catalog.ValidRef(ref) && lang != "" && len(lang) <= 16 && !strings.ContainsAny(lang, "# ")
}

// SearchProducts reads up to limit search candidates from a position of the
// search's list:
//
//   - when q is reference-like, its exact EAN match (from the start only)
//     and the products whose reference starts with it, in reference order,
//     from one Query on GSI2 (and one GetItem of the EAN entry, in parallel);
//     positions of this part are {r, <last reference>};
//   - then, when q has words, the products whose name in the language the
//     chain shows it in holds every word, in reference order, from one Query
//     on the partition of q's longest word; the other words and the language
//     are checked on the entries' documents; positions of this part are
//     {w, <ref>#<lang>}, the last word entry read.
//
// A read covers one part only, except a read from the start of a
// reference-like query with words, which reads both parts in parallel so that
// a word that is no reference prefix ("inox") still answers at once. So a
// read costs 1 or 2 round trips (3 with an EAN), all in parallel. A position
// never names a partition: partitions are rebuilt from the merchant.
func (c *Catalog) SearchProducts(ctx context.Context, m merchant.ID, q catalog.Query, chain []string, limit int, from catalog.Position) (catalog.Page, error) {
	if _, err := merchantPrefix(m); err != nil {
		return catalog.Page{}, err
	}
	if !q.RefLike && !q.SearchesNames() {
		return catalog.Page{}, catalog.ErrEmptyQuery
	}
	if err := checkSearchPosition(from, q); err != nil {
		return catalog.Page{}, err
	}
	limit = max(limit, 1)
	first := from.IsStart()
	part := from.Part
	if first {
		part = phaseName
		if q.RefLike {
			part = phaseCode
		}
	}
	nameEnd := func(p catalog.Product) catalog.Position {
		return catalog.Position{Part: phaseName, After: wordSK(p, chain)}
	}
	if part == phaseName {
		hits, next, err := c.nameMatches(ctx, m, q, chain, from.After, limit)
		if err != nil {
			return catalog.Page{}, err
		}
		page := catalog.Page{Products: hits, Ends: make([]catalog.Position, len(hits))}
		for i, p := range hits {
			page.Ends[i] = nameEnd(p)
		}
		if next != "" {
			page.Next, page.More = catalog.Position{Part: phaseName, After: next}, true
		}
		return page, nil
	}

	var (
		ean                     *catalog.Product
		refs, names             []catalog.Product
		refsMore                bool
		namesNext               string
		eanErr, refErr, nameErr error
		wg                      sync.WaitGroup
		speculate               = first && q.SearchesNames()
		lookUpEAN               = first && q.EANLike
	)
	wg.Go(func() { refs, refsMore, refErr = c.refPrefixMatches(ctx, m, q.Text, from.After, limit) })
	if lookUpEAN {
		wg.Go(func() { ean, eanErr = c.eanMatch(ctx, m, q.Text) })
	}
	if speculate {
		wg.Go(func() { names, namesNext, nameErr = c.nameMatches(ctx, m, q, chain, "", limit) })
	}
	wg.Wait()
	if err := joinErrs(eanErr, refErr, nameErr); err != nil {
		return catalog.Page{}, err
	}
	page := catalog.Page{Products: make([]catalog.Product, 0, limit), Ends: make([]catalog.Position, 0, limit)}
	full := func() catalog.Page {
		page.Next, page.More = page.Ends[len(page.Ends)-1], true
		return page
	}
	seen := map[string]bool{}
	if ean != nil {
		// The EAN match leads the list, ahead of the reference matches,
		// which resume from their start after it.
		page.Products = append(page.Products, *ean)
		page.Ends = append(page.Ends, catalog.Position{Part: phaseCode})
		seen[ean.Ref] = true
	}
	for _, p := range refs {
		// Past the start, the EAN match was listed already.
		if seen[p.Ref] || !first && q.EANLike && p.EAN == q.Text {
			continue
		}
		if len(page.Products) == limit {
			return full(), nil
		}
		seen[p.Ref] = true
		page.Products = append(page.Products, p)
		page.Ends = append(page.Ends, catalog.Position{Part: phaseCode, After: p.Ref})
	}
	switch {
	case refsMore:
		page.Next, page.More = catalog.Position{Part: phaseCode, After: refs[len(refs)-1].Ref}, true
		return page, nil
	case !q.SearchesNames():
		return page, nil
	case !speculate:
		// The reference matches end with this read: name matches start
		// with the next one.
		page.Next, page.More = catalog.Position{Part: phaseName}, true
		return page, nil
	}
	for _, p := range names {
		if len(page.Products) == limit {
			return full(), nil
		}
		page.Products = append(page.Products, p)
		page.Ends = append(page.Ends, nameEnd(p))
	}
	if namesNext != "" {
		page.Next, page.More = catalog.Position{Part: phaseName, After: namesNext}, true
	}
	return page, nil
}

func joinErrs(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// wordSK is the sort key of the word entry a name match was found by: its
// reference and the language its name is shown in.
func wordSK(p catalog.Product, chain []string) string {
	_, lang := catalog.Text(p.Names, chain)
	return p.Ref + "#" + lang
}

// eanMatch reads the EAN entry with one GetItem; nil when there is none.
func (c *Catalog) eanMatch(ctx context.Context, m merchant.ID, ean string) (*catalog.Product, error) {
	pk, sk, err := eanKey(m, ean)
	if err != nil {
		return nil, err
	}
	var p catalog.Product
	found, err := c.Table.get(ctx, pk, sk, &p)
	if err != nil || !found || p.EAN != ean || p.Inactive {
		return nil, err
	}
	return &p, nil
}

// refPrefixMatches returns up to limit products whose reference starts with
// prefix (ignoring case) after the reference after, with one Query on GSI2
// (whose entries are the product items themselves); more says whether others
// follow.
func (c *Catalog) refPrefixMatches(ctx context.Context, m merchant.ID, prefix, after string, limit int) (out []catalog.Product, more bool, err error) {
	gpk, gsk, err := refIndexKey(m, prefix)
	if err != nil {
		return nil, false, err
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(c.Table.Name),
		IndexName:              aws.String(GSI2),
		KeyConditionExpression: aws.String("GSI2PK = :pk AND begins_with(GSI2SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: gpk},
			":prefix": &types.AttributeValueMemberS{Value: gsk},
		},
		// One more than a page, to know whether another page follows.
		Limit: aws.Int32(int32(limit + 1)),
	}
	if after != "" {
		pk, sk, _ := productKey(m, after)
		_, ask, _ := refIndexKey(m, after)
		start := key(pk, sk)
		start[AttrGSI2PK] = &types.AttributeValueMemberS{Value: gpk}
		start[AttrGSI2SK] = &types.AttributeValueMemberS{Value: ask}
		in.ExclusiveStartKey = start
	}
	res, err := c.Table.Client.Query(ctx, in)
	if err != nil {
		return nil, false, fmt.Errorf("query references of %s starting %q: %w", m, prefix, err)
	}
	for _, av := range res.Items {
		var p catalog.Product
		if err := decodeDoc(av, &p); err != nil {
			return nil, false, err
		}
		out = append(out, p)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	// Fewer items than asked and a last key: the 1 MB page limit cut the
	// answer short.
	return out, res.LastEvaluatedKey != nil && len(out) > 0, nil
}

// nameScanBudget is how many word entries one page may read, for limit hits:
// entries whose other words or language do not match are skipped, so a page
// reads more entries than it shows.
func nameScanBudget(limit int) int32 { return int32(min(max(5*limit, 50), 500)) }

// nameMatches returns up to limit products whose name matches q, from one
// Query on the word partition of q's longest word, starting after the sort
// key after. next is the sort key to resume after, empty when the partition
// is exhausted.
func (c *Catalog) nameMatches(ctx context.Context, m merchant.ID, q catalog.Query, chain []string, after string, limit int) (hits []catalog.Product, next string, err error) {
	word := q.Words[0]
	for _, w := range q.Words[1:] {
		if utf8.RuneCountInString(w) > utf8.RuneCountInString(word) {
			word = w
		}
	}
	pk, _, err := wordKey(m, word, "", "")
	if err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(c.Table.Name),
		KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
		},
		Limit: aws.Int32(nameScanBudget(limit)),
	}
	if after != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND SK > :after")
		in.ExpressionAttributeValues[":after"] = &types.AttributeValueMemberS{Value: after}
	}
	res, err := c.Table.Client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query word %q of %s: %w", word, m, err)
	}
	for i, av := range res.Items {
		sk := str(av, AttrSK)
		ref, lang, _ := strings.Cut(sk, "#")
		var p catalog.Product
		if err := decodeDoc(av, &p); err != nil {
			return nil, "", err
		}
		// The entry counts only under the language the product's name is
		// shown in, and only if that name holds every word; products found
		// by reference or EAN were listed before.
		if _, shown := catalog.Text(p.Names, chain); p.Ref != ref || shown != lang || p.Inactive ||
			!q.MatchesName(p, chain) || q.MatchesCode(p) {
			continue
		}
		hits = append(hits, p)
		if len(hits) == limit {
			if i < len(res.Items)-1 || res.LastEvaluatedKey != nil {
				return hits, sk, nil
			}
			return hits, "", nil
		}
	}
	if res.LastEvaluatedKey != nil {
		return hits, str(res.LastEvaluatedKey, AttrSK), nil
	}
	return hits, "", nil
}
