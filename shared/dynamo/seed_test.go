package dynamo_test

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/comptoir/comptoir/shared/catalog"
)

// TestSeedItems_WriteWhatAFirstSaveWrites loads the same products into two
// fresh tables, with SaveProducts and with SeedItems written by
// BatchWriteItem: the products, their EAN claims and their search entries
// are the same item for item (the category counts aside, which SeedItems
// leaves alone), and the seeded products read back and list by category.
func TestSeedItems_WriteWhatAFirstSaveWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cats := []string{"A", "B"}
	saved, savedTbl := newCatalog(t, cats...)
	seeded, seededTbl := newCatalog(t, cats...)
	var products []catalog.Product
	for i := range 40 {
		p := testProduct(fmt.Sprintf("S-%02d", i), cats[i%2], fmt.Sprintf("Vanne %d série %d", i, i%5))
		p.EAN = ean13(fmt.Sprintf("3760004%05d", i))
		p.Inactive = i%9 == 0
		p.Families = []string{p.CategoryID}
		products = append(products, p)
	}
	if err := saved.SaveProducts(ctx, "m1", products); err != nil {
		t.Fatal(err)
	}
	items, err := seeded.SeedItems("m1", products)
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, it := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		pending := map[string][]types.WriteRequest{seededTbl.Name: reqs}
		for len(pending) > 0 {
			out, err := seededTbl.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				t.Fatal(err)
			}
			pending = out.UnprocessedItems
		}
	}
	want, got := readState(t, savedTbl, "m1"), readState(t, seededTbl, "m1")
	for what, pair := range map[string][2]map[string]rawItem{
		"products": {got.products, want.products}, "EAN claims": {got.eans, want.eans}, "search entries": {got.words, want.words},
	} {
		if !maps.Equal(pair[0], pair[1]) {
			t.Errorf("%s seeded differ from those saved:\n got %v\nwant %v", what, pair[0], pair[1])
		}
	}
	if len(got.products) != 40 || len(got.eans) != 40 || len(got.words) == 0 {
		t.Errorf("seeded %d products, %d EAN claims, %d search entries", len(got.products), len(got.eans), len(got.words))
	}
	p, err := seeded.Product(ctx, "m1", "S-01")
	if err != nil || p.Names["fr"] != products[1].Names["fr"] {
		t.Errorf("a seeded product reads back as %+v, %v", p, err)
	}
	page, err := seeded.ProductsInCategory(ctx, "m1", "B", 50, "")
	if err != nil || len(page.Products) != 20 {
		t.Errorf("category B lists %d seeded products, %v", len(page.Products), err)
	}
}
