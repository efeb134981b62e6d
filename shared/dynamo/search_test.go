package dynamo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/testenv"
)

func search(t *testing.T, c *dynamo.Catalog, m merchant.ID, text string, chain []string, limit int) []string {
	t.Helper()
	q, err := catalog.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("%q: no end of pages", text)
		}
		page, err := c.SearchProducts(context.Background(), m, q, chain, limit, cursor)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		for _, p := range page.Products {
			if seen[p.Ref] {
				t.Fatalf("%q: %s found twice", text, p.Ref)
			}
			seen[p.Ref] = true
			refs = append(refs, p.Ref)
		}
		if page.NextCursor == "" {
			return refs
		}
		cursor = page.NextCursor
	}
}

func TestCatalogSearch_ResavedProductLeavesNoStaleEntry(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	c := &dynamo.Catalog{Table: tbl}
	for _, m := range []merchant.ID{"m1", "m2"} {
		if err := c.SaveCategories(ctx, m, []catalog.Category{{ID: "C", Names: map[string]string{"fr": "C"}}}); err != nil {
			t.Fatal(err)
		}
	}
	p := catalog.Product{Ref: "V-1", EAN: "3760000000017", CategoryID: "C", Names: map[string]string{"fr": "Vanne laiton", "en": "Brass valve"}}
	if err := c.SaveProducts(ctx, "m1", []catalog.Product{p}); err != nil {
		t.Fatal(err)
	}
	if got := search(t, c, "m1", "laiton", []string{"fr"}, 10); len(got) != 1 {
		t.Fatalf("laiton → %v", got)
	}
	p.Names = map[string]string{"fr": "Vanne inox"}
	p.EAN = "3760000000024"
	if err := c.SaveProducts(ctx, "m1", []catalog.Product{p}); err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]int{"laiton": 0, "brass": 0, "3760000000017": 0, "inox": 1, "3760000000024": 1, "vanne": 1} {
		if got := search(t, c, "m1", text, []string{"en", "fr"}, 10); len(got) != want {
			t.Errorf("after renaming, %q → %v, want %d hit(s)", text, got, want)
		}
	}
	// Without an English name, the product is searched in French even when
	// English comes first.
	if got := search(t, c, "m1", "inox", []string{"en", "fr"}, 10); len(got) != 1 {
		t.Errorf("fallback: %v", got)
	}
	p.Inactive = true
	if err := c.SaveProducts(ctx, "m1", []catalog.Product{p}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"inox", "3760000000024", "V-1", "v-"} {
		if got := search(t, c, "m1", text, []string{"fr"}, 10); len(got) != 0 {
			t.Errorf("inactive product found by %q: %v", text, got)
		}
	}
}

func TestCatalogSearch_PaginatesCodesThenNamesAndIsolatesMerchants(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	c := &dynamo.Catalog{Table: tbl}
	for _, m := range []merchant.ID{"m1", "m2"} {
		if err := c.SaveCategories(ctx, m, []catalog.Category{{ID: "C", Names: map[string]string{"fr": "C"}}}); err != nil {
			t.Fatal(err)
		}
	}
	var products []catalog.Product
	for i := range 30 {
		ref := string(rune('A'+i%3)) + "X-" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		products = append(products, catalog.Product{Ref: ref, CategoryID: "C", Names: map[string]string{"fr": "Pièce n°" + ref}})
	}
	// Products named after a reference prefix: found by name after the
	// reference matches.
	products = append(products, catalog.Product{Ref: "Z-1", CategoryID: "C", Names: map[string]string{"fr": "Joint AX renforcé"}})
	if err := c.SaveProducts(ctx, "m1", products); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveProducts(ctx, "m2", products[:5]); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 3, 7, 100} {
		got := search(t, c, "m1", "ax", []string{"fr"}, limit)
		if len(got) != 11 || got[10] != "Z-1" {
			t.Errorf("limit %d: ax → %v", limit, got)
		}
		if got := search(t, c, "m1", "pièce", []string{"fr"}, limit); len(got) != 30 {
			t.Errorf("limit %d: pièce → %d hits", limit, len(got))
		}
	}
	if got := search(t, c, "m2", "pièce", []string{"fr"}, 2); len(got) != 5 {
		t.Errorf("m2: %v", got)
	}
	// A numeric reference that is also an EAN: listed once, EAN first.
	numeric := []catalog.Product{
		{Ref: "37600000000312", EAN: "3760000000048", CategoryID: "C", Names: map[string]string{"fr": "Raccord"}},
		{Ref: "3760000000031", EAN: "3760000000031", CategoryID: "C", Names: map[string]string{"fr": "Manchon"}},
		{Ref: "W-1", EAN: "3760000000055", CategoryID: "C", Names: map[string]string{"fr": "Coude"}},
	}
	if err := c.SaveProducts(ctx, "m1", numeric); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 2, 10} {
		if got := search(t, c, "m1", "3760000000031", []string{"fr"}, limit); len(got) != 2 || got[0] != "3760000000031" {
			t.Errorf("limit %d: numeric reference and EAN → %v", limit, got)
		}
		if got := search(t, c, "m1", "3760000000055", []string{"fr"}, limit); len(got) != 1 || got[0] != "W-1" {
			t.Errorf("limit %d: EAN → %v", limit, got)
		}
	}
	q, _ := catalog.ParseQuery("ax")
	page, err := c.SearchProducts(ctx, "m1", q, []string{"fr"}, 2, "")
	if err != nil || page.NextCursor == "" {
		t.Fatal(page, err)
	}
	for name, try := range map[string]func() error{
		"other merchant": func() error { _, err := c.SearchProducts(ctx, "m2", q, []string{"fr"}, 2, page.NextCursor); return err },
		"other language": func() error { _, err := c.SearchProducts(ctx, "m1", q, []string{"en"}, 2, page.NextCursor); return err },
		"garbage": func() error {
			_, err := c.SearchProducts(ctx, "m1", q, []string{"fr"}, 2, "eyJzIjoiMTIzIn0")
			return err
		},
	} {
		if err := try(); !errors.Is(err, catalog.ErrInvalidCursor) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
