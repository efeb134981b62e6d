package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
)

func TestCatalog_ProductsInCategory_ResumesAfterAPlainReference(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	c := &dynamo.Catalog{Table: tbl}
	var products, want []catalog.Product
	for i := range 12 {
		p := catalog.Product{Ref: fmt.Sprintf("V-%02d", i), CategoryID: "VANNES-BILLE", Names: map[string]string{"fr": "Vanne"}}
		products = append(products, p)
		want = append(want, p)
	}
	products = append(products, catalog.Product{Ref: "P-01", CategoryID: "POMPES", Names: map[string]string{"fr": "Pompe"}})
	for _, m := range []merchant.ID{"m1", "m2"} {
		if err := c.SaveCategories(ctx, m, []catalog.Category{{ID: "VANNES-BILLE"}, {ID: "POMPES"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SaveProducts(ctx, "m1", products); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveProducts(ctx, "m2", products[:3]); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for reads := 1; ; reads++ {
		page, err := c.ProductsInCategory(ctx, "m1", "VANNES-BILLE", 5, after)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range page.Products {
			if page.Ends[i] != (catalog.Position{After: p.Ref}) {
				t.Errorf("end of %s: %+v", p.Ref, page.Ends[i])
			}
			got = append(got, p.Ref)
		}
		if !page.More {
			break
		}
		if reads > 5 {
			t.Fatal("no end")
		}
		after = page.Next.After
	}
	if !slices.Equal(got, refsOf(want)) {
		t.Errorf("listed %v", got)
	}
	// A position is a plain reference: it need not exist any more.
	page, err := c.ProductsInCategory(ctx, "m1", "VANNES-BILLE", 3, "V-04x")
	if err != nil || len(page.Products) != 3 || page.Products[0].Ref != "V-05" {
		t.Errorf("after a reference that is gone: %v, %v", refsOf(page.Products), err)
	}
	if _, err := c.ProductsInCategory(ctx, "m1", "VANNES-BILLE", 3, "V 04"); !errors.Is(err, catalog.ErrInvalidCursor) {
		t.Errorf("an impossible reference: %v", err)
	}
}

func refsOf(ps []catalog.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Ref
	}
	return out
}
