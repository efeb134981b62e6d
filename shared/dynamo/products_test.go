package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
)

// newCatalog returns a catalog over a fresh table whose merchants m1 and m2
// have the categories ids.
func newCatalog(t *testing.T, ids ...string) (*dynamo.Catalog, dynamo.Table) {
	t.Helper()
	tbl := testenv.Table(t)
	c := &dynamo.Catalog{Table: tbl}
	var cats []catalog.Category
	for _, id := range ids {
		cats = append(cats, catalog.Category{ID: id, Names: map[string]string{"fr": id}})
	}
	for _, m := range []merchant.ID{"m1", "m2"} {
		if err := c.SaveCategories(context.Background(), m, cats); err != nil {
			t.Fatal(err)
		}
	}
	return c, tbl
}

func testProduct(ref, category, name string) catalog.Product {
	return catalog.Product{Ref: ref, CategoryID: category, Names: map[string]string{"fr": name},
		Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
		TaxCategory: "standard", BasePrice: decimal.NewFromInt(10), Currency: "EUR"}
}

// replace is an update that stores p whatever is stored.
func replace(p catalog.Product) func(*catalog.Product, bool) error {
	return func(q *catalog.Product, _ bool) error { *q = p; return nil }
}

// tableState is every catalog item of a merchant, read raw.
type tableState struct {
	products map[string]rawItem // by reference
	eans     map[string]rawItem // by EAN
	words    map[string]rawItem // by "<word> <ref>#<lang>"
	counts   map[string]int     // ProductCount by category
}

type rawItem struct {
	doc, ref string
	version  int
	gsi2     bool
}

// readState scans the table (tests only) for m's products, index entries
// and category counts.
func readState(t *testing.T, tbl dynamo.Table, m merchant.ID) tableState {
	t.Helper()
	s := tableState{products: map[string]rawItem{}, eans: map[string]rawItem{}, words: map[string]rawItem{}, counts: map[string]int{}}
	prefix := "M#" + string(m) + "#"
	pages := dynamodb.NewScanPaginator(tbl.Client, &dynamodb.ScanInput{TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range out.Items {
			pk, sk := attr(av, "PK"), attr(av, "SK")
			rest, ok := strings.CutPrefix(pk, prefix)
			if !ok {
				continue
			}
			it := rawItem{doc: attr(av, "Doc"), ref: attr(av, dynamo.AttrRef), gsi2: attr(av, dynamo.AttrGSI2PK) != ""}
			if n, ok := av[dynamo.AttrVersion].(*types.AttributeValueMemberN); ok {
				it.version, _ = strconv.Atoi(n.Value)
			}
			switch {
			case strings.HasPrefix(rest, "P#") && sk == "PRODUCT":
				s.products[strings.TrimPrefix(rest, "P#")] = it
			case strings.HasPrefix(rest, "EAN#"):
				s.eans[strings.TrimPrefix(rest, "EAN#")] = it
			case strings.HasPrefix(rest, "W#"):
				s.words[strings.TrimPrefix(rest, "W#")+" "+sk] = it
			case rest == "CATALOG":
				if n, ok := av[dynamo.AttrProductCount].(*types.AttributeValueMemberN); ok {
					s.counts[strings.TrimPrefix(sk, "CAT#")], _ = strconv.Atoi(n.Value)
				}
			}
		}
	}
	return s
}

func attr(av map[string]types.AttributeValue, name string) string {
	if s, ok := av[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// checkConsistent fails the test unless every index entry and count of m
// matches its products exactly: each active product has its reference key
// and one word entry per catalog.IndexWords entry, each product with an EAN
// holds its claim, every copy is the product's current document, no entry
// is left over, and each category counts the products filed in it.
func checkConsistent(t *testing.T, tbl dynamo.Table, m merchant.ID) tableState {
	t.Helper()
	s := readState(t, tbl, m)
	wantWords := map[string]string{}
	wantCounts := map[string]int{}
	for ref, it := range s.products {
		var p catalog.Product
		if err := json.Unmarshal([]byte(it.doc), &p); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		wantCounts[p.CategoryID]++
		if it.gsi2 == p.Inactive {
			t.Errorf("%s: in the reference index %v, inactive %v", ref, it.gsi2, p.Inactive)
		}
		if p.EAN != "" {
			if claim, ok := s.eans[p.EAN]; !ok || claim.ref != ref || claim.doc != it.doc {
				t.Errorf("%s: EAN claim %s is %+v", ref, p.EAN, claim)
			}
		}
		if !p.Inactive {
			for _, w := range catalog.IndexWords(p) {
				wantWords[w.Word+" "+ref+"#"+w.Language] = it.doc
			}
		}
	}
	for ean, claim := range s.eans {
		if owner, ok := s.products[claim.ref]; !ok || !strings.Contains(owner.doc, `"ean":"`+ean+`"`) {
			t.Errorf("EAN claim %s of %q is left over", ean, claim.ref)
		}
	}
	for k, doc := range wantWords {
		if got, ok := s.words[k]; !ok || got.doc != doc {
			t.Errorf("word entry %s missing or stale: %q", k, got.doc)
		}
	}
	for k := range s.words {
		if _, ok := wantWords[k]; !ok {
			t.Errorf("word entry %s is left over", k)
		}
	}
	for cat, n := range s.counts {
		if n != wantCounts[cat] {
			t.Errorf("category %s counts %d products, holds %d", cat, n, wantCounts[cat])
		}
	}
	for cat, n := range wantCounts {
		if s.counts[cat] != n {
			t.Errorf("category %s holds %d products, counts %d", cat, n, s.counts[cat])
		}
	}
	return s
}

func TestUpdateProduct_ConcurrentSavesLoseNoUpdateAndLeaveNoStaleEntry(t *testing.T) {
	t.Parallel()
	c, tbl := newCatalog(t, "C", "D")
	ctx := context.Background()
	const writers = 20
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		saved     int
		conflicts int
	)
	for i := range writers {
		wg.Go(func() {
			// Each save renames the product, moves it, changes its EAN
			// and counts itself in MinOrderQty.
			_, _, err := c.UpdateProduct(ctx, "m1", "X", func(p *catalog.Product, exists bool) error {
				if !exists {
					*p = testProduct("X", "C", "")
					p.MinOrderQty = 0
				}
				p.Names = map[string]string{"fr": fmt.Sprintf("Vanne%02d modele%02d", i, i), "en": fmt.Sprintf("Valve%02d", i)}
				p.CategoryID = []string{"C", "D"}[i%2]
				p.EAN = ean13(fmt.Sprintf("3760000%05d", i))
				p.BasePrice = decimal.NewFromInt(int64(100 + i))
				p.MinOrderQty++
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				saved++
			case errors.Is(err, catalog.ErrConflict):
				conflicts++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	t.Logf("%d saves, %d gave up", saved, conflicts)
	final, err := c.Product(ctx, "m1", "X")
	if err != nil {
		t.Fatal(err)
	}
	if saved == 0 || final.MinOrderQty != saved {
		t.Errorf("%d saves succeeded, the product counts %d: an update was lost", saved, final.MinOrderQty)
	}
	s := checkConsistent(t, tbl, "m1")
	if len(s.eans) != 1 || len(s.words) != 3 {
		t.Errorf("%d EAN claims and %d word entries, want 1 and 3", len(s.eans), len(s.words))
	}
	if v := s.products["X"].version; v != saved {
		t.Errorf("version %d after %d saves", v, saved)
	}

	// Made inactive and pro-only, it leaves every index but its EAN claim.
	if _, created, err := c.UpdateProduct(ctx, "m1", "X", func(p *catalog.Product, _ bool) error {
		p.Inactive, p.ProOnly = true, true
		return nil
	}); err != nil || created {
		t.Fatal(created, err)
	}
	s = checkConsistent(t, tbl, "m1")
	if len(s.words) != 0 || len(s.eans) != 1 || s.products["X"].gsi2 {
		t.Errorf("inactive product still indexed: %d words, reference key %v", len(s.words), s.products["X"].gsi2)
	}
}

func TestUpdateProduct_EANIsUniquePerMerchant(t *testing.T) {
	t.Parallel()
	c, tbl := newCatalog(t, "C")
	ctx := context.Background()
	ean := ean13("376000000001")
	withEAN := func(ref, e string) catalog.Product {
		p := testProduct(ref, "C", "Produit "+ref)
		p.EAN = e
		return p
	}
	if _, _, err := c.UpdateProduct(ctx, "m1", "A", replace(withEAN("A", ean))); err != nil {
		t.Fatal(err)
	}
	var taken *catalog.EANTakenError
	if _, _, err := c.UpdateProduct(ctx, "m1", "B", replace(withEAN("B", ean))); !errors.As(err, &taken) || taken.Owner != "A" || taken.EAN != ean {
		t.Fatalf("a second product with A's EAN: %v", err)
	}
	if _, err := c.Product(ctx, "m1", "B"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("the refused product was stored: %v", err)
	}
	// Another merchant has its own EANs.
	if _, _, err := c.UpdateProduct(ctx, "m2", "B", replace(withEAN("B", ean))); err != nil {
		t.Errorf("other merchant: %v", err)
	}

	// A changed EAN releases the former one, in the same write.
	other := ean13("376000000002")
	if _, _, err := c.UpdateProduct(ctx, "m1", "A", replace(withEAN("A", other))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.UpdateProduct(ctx, "m1", "B", replace(withEAN("B", ean))); err != nil {
		t.Fatalf("the released EAN: %v", err)
	}
	// An inactive product keeps its claim.
	inactive := withEAN("A", other)
	inactive.Inactive = true
	if _, _, err := c.UpdateProduct(ctx, "m1", "A", replace(inactive)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.UpdateProduct(ctx, "m1", "C", replace(withEAN("C", other))); !errors.As(err, &taken) || taken.Owner != "A" {
		t.Errorf("the EAN of an inactive product: %v", err)
	}

	// Products racing for one EAN: exactly one wins each time.
	for round := range 8 {
		contested := ean13(fmt.Sprintf("3760000001%02d", round))
		refs := []string{fmt.Sprintf("R%d-1", round), fmt.Sprintf("R%d-2", round), fmt.Sprintf("R%d-3", round)}
		errs := make([]error, len(refs))
		var wg sync.WaitGroup
		for i, ref := range refs {
			wg.Go(func() { _, _, errs[i] = c.UpdateProduct(ctx, "m1", ref, replace(withEAN(ref, contested))) })
		}
		wg.Wait()
		var winners []string
		for i, err := range errs {
			switch {
			case err == nil:
				winners = append(winners, refs[i])
			case !errors.As(err, &taken):
				t.Errorf("round %d, %s: %v", round, refs[i], err)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %v won EAN %s", round, winners, contested)
		}
		for i, err := range errs {
			if err != nil && (!errors.As(err, &taken) || taken.Owner != winners[0]) {
				t.Errorf("round %d, %s: %v, want the EAN of %s", round, refs[i], err, winners[0])
			}
		}
	}
	checkConsistent(t, tbl, "m1")
	checkConsistent(t, tbl, "m2")
}

func TestUpdateProduct_CountsProductsPerCategoryAndRefusesMissingOnes(t *testing.T) {
	t.Parallel()
	c, tbl := newCatalog(t, "A", "B")
	ctx := context.Background()
	counts := func() map[string]int { return readState(t, tbl, "m1").counts }
	p := testProduct("P", "A", "Pompe")
	p.EAN = ean13("376000000003")
	if _, created, err := c.UpdateProduct(ctx, "m1", "P", replace(p)); err != nil || !created {
		t.Fatal(created, err)
	}
	if n := counts(); n["A"] != 1 || n["B"] != 0 {
		t.Errorf("after creating in A: %v", n)
	}
	p.CategoryID = "B"
	if _, created, err := c.UpdateProduct(ctx, "m1", "P", replace(p)); err != nil || created {
		t.Fatal(created, err)
	}
	if n := counts(); n["A"] != 0 || n["B"] != 1 {
		t.Errorf("after moving to B: %v", n)
	}

	for _, tc := range []struct {
		name string
		ref  string
		p    catalog.Product
	}{
		{"a new product in a missing category", "Q", func() catalog.Product {
			q := testProduct("Q", "NOPE", "Joint")
			q.EAN = ean13("376000000004")
			return q
		}()},
		{"a stored product moved to a missing category", "P", func() catalog.Product { q := p; q.CategoryID = "NOPE"; return q }()},
		{"a product without a category", "Q", testProduct("Q", "", "Joint")},
	} {
		if _, _, err := c.UpdateProduct(ctx, "m1", tc.ref, replace(tc.p)); !errors.Is(err, catalog.ErrNoCategory) {
			t.Errorf("%s: %v, want ErrNoCategory", tc.name, err)
		}
	}
	s := checkConsistent(t, tbl, "m1")
	if len(s.products) != 1 || len(s.eans) != 1 || s.counts["NOPE"] != 0 {
		t.Errorf("a refused save wrote something: %d products, %d EAN claims, counts %v", len(s.products), len(s.eans), s.counts)
	}
	if cats, err := c.Categories(ctx, "m1"); err != nil || len(cats) != 2 {
		t.Errorf("categories %v, %v: a count must not create a category", cats, err)
	}

	// A category deleted under a product that stays in it: the save fails.
	if _, err := tbl.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tbl.Name), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "M#m1#CATALOG"}, "SK": &types.AttributeValueMemberS{Value: "CAT#B"},
	}}); err != nil {
		t.Fatal(err)
	}
	p.Names = map[string]string{"fr": "Pompe renommée"}
	if _, _, err := c.UpdateProduct(ctx, "m1", "P", replace(p)); !errors.Is(err, catalog.ErrNoCategory) {
		t.Errorf("saving a product whose category was deleted: %v", err)
	}
	// Moving it out of the deleted category works: there is nothing left
	// to count there.
	p.CategoryID = "A"
	if _, _, err := c.UpdateProduct(ctx, "m1", "P", replace(p)); err != nil {
		t.Fatal(err)
	}
	if n := counts(); n["A"] != 1 {
		t.Errorf("after moving out of a deleted category: %v", n)
	}
	if cats, err := c.Categories(ctx, "m1"); err != nil || len(cats) != 1 {
		t.Errorf("categories %v, %v: the deleted category came back", cats, err)
	}
}

func TestUpdateProduct_ReadsOnceAndWritesOnce(t *testing.T) {
	t.Parallel()
	c, _ := newCatalog(t, "C")
	ctx := context.Background()
	p := testProduct("P", "C", "Pompe doseuse")
	refused := errors.New("refused")
	for _, tc := range []struct {
		name    string
		update  func(*catalog.Product, bool) error
		calls   int64
		created bool
		err     error
	}{
		{"create", replace(p), 2, true, nil},
		{"unchanged: no write", replace(p), 1, false, nil},
		{"change", func(q *catalog.Product, _ bool) error { q.ProOnly = true; return nil }, 2, false, nil},
		{"the update refuses: no write", func(*catalog.Product, bool) error { return refused }, 1, false, refused},
	} {
		calls := dynamo.WithCallCounter(ctx)
		_, created, err := c.UpdateProduct(calls, "m1", "P", tc.update)
		if !errors.Is(err, tc.err) || created != tc.created || dynamo.Calls(calls) != tc.calls {
			t.Errorf("%s: created %v, %v in %d round trips; want %v, %v in %d", tc.name, created, err, dynamo.Calls(calls), tc.created, tc.err, tc.calls)
		}
	}
	got, err := c.Product(ctx, "m1", "P")
	if err != nil || !got.ProOnly {
		t.Errorf("stored %+v, %v", got, err)
	}
	if _, _, err := c.UpdateProduct(ctx, "m1", "P", func(q *catalog.Product, _ bool) error { q.Ref = "Q"; return nil }); err == nil {
		t.Error("an update changed the reference")
	}
}

// TestUpdateProduct_LargestProductFitsOneTransaction saves a product of
// catalog.MaxProductBytes whose names make catalog.MaxIndexedWords entries,
// then changes every word, its EAN and its category: the largest
// transaction a save can send (85 writes, 42 copies).
func TestUpdateProduct_LargestProductFitsOneTransaction(t *testing.T) {
	t.Parallel()
	c, tbl := newCatalog(t, "A", "B")
	ctx := context.Background()
	words := func(prefix string) string {
		var b strings.Builder
		for i := range catalog.MaxIndexedWords {
			fmt.Fprintf(&b, "%s%02d ", prefix, i)
		}
		return b.String()
	}
	largest := func(prefix, category, ean string) catalog.Product {
		p := testProduct("BIG", category, "")
		p.Names = map[string]string{"fr": words(prefix + "fr"), "en": words(prefix + "en"), "de": words(prefix + "de")}
		p.EAN = ean
		p.Descriptions = map[string]string{"fr": ""}
		doc, _ := json.Marshal(p)
		p.Descriptions["fr"] = strings.Repeat("x", catalog.MaxProductBytes-len(doc))
		if doc, _ := json.Marshal(p); len(doc) != catalog.MaxProductBytes {
			t.Fatalf("%d bytes", len(doc))
		}
		return p
	}
	if _, _, err := c.UpdateProduct(ctx, "m1", "BIG", replace(largest("a", "A", ean13("376000000005")))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.UpdateProduct(ctx, "m1", "BIG", replace(largest("b", "B", ean13("376000000006")))); err != nil {
		t.Fatal(err)
	}
	s := checkConsistent(t, tbl, "m1")
	if len(s.words) != catalog.MaxIndexedWords {
		t.Errorf("%d word entries, want %d", len(s.words), catalog.MaxIndexedWords)
	}
	tooLarge := largest("c", "B", "")
	tooLarge.Descriptions["fr"] += "x"
	if _, _, err := c.UpdateProduct(ctx, "m1", "BIG", replace(tooLarge)); !errors.Is(err, catalog.ErrTooLarge) {
		t.Errorf("one byte more: %v", err)
	}
}

func TestSaveProducts_LoadsEachProductWithItsIndexAndCounts(t *testing.T) {
	t.Parallel()
	cats := []string{"A", "B", "C"}
	c, tbl := newCatalog(t, cats...)
	ctx := context.Background()
	var products []catalog.Product
	for i := range 60 {
		p := testProduct(fmt.Sprintf("L-%02d", i), cats[i%3], fmt.Sprintf("Article %d série %d", i, i%7))
		p.EAN = ean13(fmt.Sprintf("3760001%05d", i))
		p.Inactive = i%10 == 0
		products = append(products, p)
	}
	calls := dynamo.WithCallCounter(ctx)
	if err := c.SaveProducts(calls, "m1", products); err != nil {
		t.Fatal(err)
	}
	// Per category: one BatchGetItem, and transactions of several products.
	if n := dynamo.Calls(calls); n > 3*3 {
		t.Errorf("%d round trips for %d products in 3 categories, want at most 9", n, len(products))
	}
	s := checkConsistent(t, tbl, "m1")
	if len(s.products) != 60 || s.counts["A"] != 20 || len(s.eans) != 60 {
		t.Errorf("%d products, %d EAN claims, counts %v", len(s.products), len(s.eans), s.counts)
	}
	// Loading again writes nothing that did not change: one read per
	// category.
	calls = dynamo.WithCallCounter(ctx)
	if err := c.SaveProducts(calls, "m1", products); err != nil || dynamo.Calls(calls) != 3 {
		t.Errorf("reload: %v in %d round trips", err, dynamo.Calls(calls))
	}
	// Renamed, moved, with new EANs: the index follows.
	for i := range products {
		products[i].Names["fr"] = fmt.Sprintf("Pièce %d", i)
		products[i].CategoryID = cats[(i+1)%3]
		products[i].EAN = ean13(fmt.Sprintf("3760002%05d", i))
	}
	if err := c.SaveProducts(ctx, "m1", products); err != nil {
		t.Fatal(err)
	}
	s = checkConsistent(t, tbl, "m1")
	if len(s.eans) != 60 || s.counts["A"] != 20 {
		t.Errorf("after the second load: %d EAN claims, counts %v", len(s.eans), s.counts)
	}

	// A load naming an EAN twice: the second product's transaction fails,
	// is done again product by product, and reports the duplicate.
	a, b := testProduct("DUP-A", "A", "Joint"), testProduct("DUP-B", "A", "Joint")
	a.EAN, b.EAN = ean13("376000300000"), ean13("376000300000")
	if err := c.SaveProducts(ctx, "m1", []catalog.Product{a, b}); !errors.Is(err, catalog.ErrEANTaken) {
		t.Errorf("a duplicate EAN in a load: %v", err)
	}
	if _, err := c.Product(ctx, "m1", "DUP-A"); err != nil {
		t.Errorf("the first of two products sharing an EAN: %v", err)
	}
	checkConsistent(t, tbl, "m1")
	if !slices.ContainsFunc(products, func(p catalog.Product) bool { return p.Inactive }) {
		t.Fatal("the load should hold inactive products")
	}
}

// ean13 completes twelve digits with their check digit.
func ean13(first12 string) string {
	d, ok := catalog.EAN13CheckDigit(first12)
	if !ok {
		panic(first12)
	}
	return first12 + string(d)
}
