package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/roundtrip"
)

// put is a tree change that puts a category under parent.
func put(id, parent string) func(*catalog.Tree) error {
	return func(tr *catalog.Tree) error {
		_, err := tr.Put(catalog.Category{ID: id, ParentID: parent, Names: map[string]string{"fr": id}})
		return err
	}
}

// productCount reads a category item's ProductCount; -1 when it has none.
func productCount(t *testing.T, tbl dynamo.Table, m merchant.ID, id string) int {
	t.Helper()
	out, err := tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(tbl.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "M#" + string(m) + "#CATALOG"},
			"SK": &types.AttributeValueMemberS{Value: "CAT#" + id},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, ok := out.Item[dynamo.AttrProductCount].(*types.AttributeValueMemberN)
	if !ok {
		return -1
	}
	v, _ := strconv.Atoi(n.Value)
	return v
}

func fileProduct(ctx context.Context, c *dynamo.Catalog, m merchant.ID, ref, category string) error {
	_, _, err := c.UpdateProduct(ctx, m, ref, func(p *catalog.Product, _ bool) error {
		*p = catalog.Product{Ref: ref, CategoryID: category, Names: map[string]string{"fr": ref},
			Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
			TaxCategory: "standard", BasePrice: decimal.NewFromInt(10), Currency: "EUR", Families: []string{category}}
		return nil
	})
	return err
}

// acyclic checks that every category of m reaches a root.
func acyclic(t *testing.T, c *dynamo.Catalog, m merchant.ID) []catalog.Category {
	t.Helper()
	cats, err := c.Categories(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	tree := catalog.NewTree(cats)
	for _, cat := range cats {
		l := tree.Lineage(cat.ID)
		if last, ok := tree.Category(l[len(l)-1]); !ok || last.ParentID != "" {
			t.Fatalf("%s does not reach a root: %v", cat.ID, l)
		}
	}
	return cats
}

func TestCatalog_UpdateTree_ConcurrentMovesNeverBuildACycle(t *testing.T) {
	t.Parallel()
	c, _ := newCatalog(t, "A", "B", "C")
	ctx := context.Background()
	const rounds = 15
	outcomes := map[string]int{}
	for round := range rounds {
		// Two-cycles and a three-cycle asked for at once, each move
		// twice.
		moves := [][2]string{{"A", "B"}, {"B", "A"}, {"B", "C"}, {"C", "A"}, {"A", "B"}, {"B", "A"}, {"B", "C"}, {"C", "A"}}
		errs := make([]error, len(moves))
		var wg sync.WaitGroup
		for i, mv := range moves {
			wg.Go(func() { errs[i] = c.UpdateTree(ctx, "m1", put(mv[0], mv[1])) })
		}
		wg.Wait()
		for i, err := range errs {
			switch {
			case err == nil:
				outcomes["saved"]++
			case errors.Is(err, catalog.ErrInvalidTree):
				outcomes["refused"]++
			case errors.Is(err, catalog.ErrTreeConflict):
				outcomes["gave up"]++
			default:
				t.Fatalf("round %d, move %v: %v", round, moves[i], err)
			}
		}
		acyclic(t, c, "m1")
		// Back to three roots for the next round.
		for _, id := range []string{"A", "B", "C"} {
			if err := c.UpdateTree(ctx, "m1", put(id, "")); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d moves: %v", rounds*8, outcomes)
	if outcomes["saved"] == 0 || outcomes["refused"] == 0 {
		t.Errorf("the moves did not race: %v", outcomes)
	}
	if cats := acyclic(t, c, "m2"); len(cats) != 3 {
		t.Errorf("the other merchant's tree changed: %+v", cats)
	}
}

func TestCatalog_UpdateTree_KeepsProductCountsAndRoundTrips(t *testing.T) {
	t.Parallel()
	c, tbl := newCatalog(t, "POMPES", "VANNES")
	ctx := context.Background()
	for _, ref := range []string{"P1", "P2"} {
		if err := fileProduct(ctx, c, "m1", ref, "POMPES"); err != nil {
			t.Fatal(err)
		}
	}
	if n := productCount(t, tbl, "m1", "POMPES"); n != 2 {
		t.Fatalf("POMPES counts %d products", n)
	}
	calls := roundtrip.WithCounter(ctx)
	err := c.UpdateTree(calls, "m1", func(tr *catalog.Tree) error {
		_, err := tr.Put(catalog.Category{ID: "POMPES", ParentID: "VANNES", Names: map[string]string{"fr": "Pompes", "en": "Pumps"}, Position: 4})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := roundtrip.Calls(calls); got != 3 {
		t.Errorf("a tree change took %d round trips, want 3 (version, tree, transaction)", got)
	}
	if n := productCount(t, tbl, "m1", "POMPES"); n != 2 {
		t.Errorf("after a move POMPES counts %d products", n)
	}
	got, err := c.Category(ctx, "m1", "POMPES")
	if err != nil || got.ParentID != "VANNES" || got.Names["en"] != "Pumps" || got.Position != 4 {
		t.Errorf("saved %+v, %v", got, err)
	}
	// A load of the same categories keeps the counts too.
	if err := c.SaveCategories(ctx, "m1", []catalog.Category{{ID: "POMPES", Names: map[string]string{"fr": "Pompes"}}}); err != nil {
		t.Fatal(err)
	}
	if n := productCount(t, tbl, "m1", "POMPES"); n != 2 {
		t.Errorf("after a load POMPES counts %d products", n)
	}
	// A change that changes nothing writes nothing.
	calls = roundtrip.WithCounter(ctx)
	if err := c.UpdateTree(calls, "m1", put("VANNES", "")); err != nil || roundtrip.Calls(calls) != 2 {
		t.Errorf("a change to nothing: %v in %d round trips", err, roundtrip.Calls(calls))
	}
	// An error of the change is returned as is, and nothing is written.
	boom := errors.New("boom")
	if err := c.UpdateTree(ctx, "m1", func(tr *catalog.Tree) error { _ = put("NEW", "")(tr); return boom }); err != boom {
		t.Errorf("err = %v", err)
	}
	if _, err := c.Category(ctx, "m1", "NEW"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a failed change wrote NEW: %v", err)
	}
}

func TestCatalog_UpdateTree_DeleteRefusesACategoryWithProducts(t *testing.T) {
	t.Parallel()
	c, tbl := newCatalog(t, "FULL", "EMPTY")
	ctx := context.Background()
	if err := fileProduct(ctx, c, "m1", "P1", "FULL"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		m    merchant.ID
		id   string
		want error
	}{
		{"m1", "FULL", catalog.ErrHasProducts},
		{"m1", "NOPE", catalog.ErrNotFound},
		{"m2", "FULL", nil}, // the other merchant's FULL is empty
		{"m1", "EMPTY", nil},
	}
	for _, tc := range cases {
		err := c.UpdateTree(ctx, tc.m, func(tr *catalog.Tree) error { return tr.Delete(tc.id) })
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("delete %s/%s: %v, want %v", tc.m, tc.id, err, tc.want)
		}
		if errors.Is(err, catalog.ErrHasProducts) {
			var te *catalog.TreeError
			if !errors.As(err, &te) || te.Reason != `category "FULL" still holds 1 product(s): move or re-file them first` {
				t.Errorf("reason %v", err)
			}
		}
	}
	if n := productCount(t, tbl, "m1", "FULL"); n != 1 {
		t.Errorf("FULL counts %d", n)
	}
	for m, want := range map[merchant.ID][]string{"m1": {"FULL"}, "m2": {"EMPTY"}} {
		cats, err := c.Categories(ctx, m)
		var got []string
		for _, cat := range cats {
			got = append(got, cat.ID)
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: categories %v (%v), want %v", m, got, err, want)
		}
	}
}

// A product filed in a category while it is deleted: never both.
func TestCatalog_UpdateTree_DeleteRacingAProductNeverOrphansIt(t *testing.T) {
	t.Parallel()
	c, _ := newCatalog(t)
	ctx := context.Background()
	outcomes := map[string]int{}
	for round := range 20 {
		id := fmt.Sprintf("CAT%02d", round)
		if err := c.UpdateTree(ctx, "m1", put(id, "")); err != nil {
			t.Fatal(err)
		}
		var delErr, fileErr error
		var wg sync.WaitGroup
		wg.Go(func() { delErr = c.UpdateTree(ctx, "m1", func(tr *catalog.Tree) error { return tr.Delete(id) }) })
		wg.Go(func() { fileErr = fileProduct(ctx, c, "m1", "P"+id, id) })
		wg.Wait()
		_, catErr := c.Category(ctx, "m1", id)
		switch {
		case delErr == nil && errors.Is(fileErr, catalog.ErrNoCategory) && errors.Is(catErr, catalog.ErrNotFound):
			outcomes["deleted first"]++
		case errors.Is(delErr, catalog.ErrHasProducts) && fileErr == nil && catErr == nil:
			outcomes["filed first"]++
		default:
			t.Fatalf("round %d: delete %v, file %v, category %v", round, delErr, fileErr, catErr)
		}
	}
	t.Logf("%v", outcomes)
}

func TestCatalog_UpdateTree_RefusesAChangeTooLargeForOneTransaction(t *testing.T) {
	t.Parallel()
	c, _ := newCatalog(t, "ROOT")
	ctx := context.Background()
	var cats []catalog.Category
	for i := range catalog.MaxCategoryChanges {
		cats = append(cats, catalog.Category{ID: fmt.Sprintf("C%03d", i), ParentID: "ROOT", Names: map[string]string{"fr": "x"}})
	}
	if err := c.SaveCategories(ctx, "m1", cats); err != nil {
		t.Fatal(err)
	}
	err := c.UpdateTree(ctx, "m1", func(tr *catalog.Tree) error {
		_, err := tr.Put(catalog.Category{ID: "ROOT", Names: map[string]string{"fr": "x"}, Restricted: true})
		return err
	})
	if !errors.Is(err, catalog.ErrTooManyChanges) {
		t.Fatalf("err = %v", err)
	}
	if root, _ := c.Category(ctx, "m1", "ROOT"); root.Restricted {
		t.Error("part of the change was saved")
	}
}
