package dynamo_test

import (
	"context"
	"errors"
	"slices"
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
	from := catalog.Position{}
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("%q: no end of pages", text)
		}
		page, err := c.SearchProducts(context.Background(), m, q, chain, limit, from)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if len(page.Ends) != len(page.Products) || len(page.Products) > limit {
			t.Fatalf("%q: %d products, %d positions, limit %d", text, len(page.Products), len(page.Ends), limit)
		}
		for _, p := range page.Products {
			if seen[p.Ref] {
				t.Fatalf("%q: %s found twice", text, p.Ref)
			}
			seen[p.Ref] = true
			refs = append(refs, p.Ref)
		}
		if !page.More {
			return refs
		}
		from = page.Next
	}
}

// resumeEverywhere lists a search by resuming after each product in turn,
// from the position the read gave for it: the list must be the same as read
// page by page.
func resumeEverywhere(t *testing.T, c *dynamo.Catalog, m merchant.ID, text string, chain []string) []string {
	t.Helper()
	q, err := catalog.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	from := catalog.Position{}
	for range 200 {
		page, err := c.SearchProducts(context.Background(), m, q, chain, 2, from)
		if err != nil {
			t.Fatalf("%q from %+v: %v", text, from, err)
		}
		if len(page.Products) == 0 {
			if !page.More {
				return refs
			}
			from = page.Next
			continue
		}
		refs = append(refs, page.Products[0].Ref)
		if len(page.Products) == 1 && !page.More {
			return refs
		}
		from = page.Ends[0]
	}
	t.Fatalf("%q: no end", text)
	return nil
}

// withCategory saves the category "C" of the tests' products for each
// merchant.
func withCategory(t *testing.T, c *dynamo.Catalog, merchants ...merchant.ID) {
	t.Helper()
	for _, m := range merchants {
		if err := c.SaveCategories(context.Background(), m, []catalog.Category{{ID: "C", Names: map[string]string{"fr": "C"}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCatalogSearch_ResavedProductLeavesNoStaleEntry(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	ctx := context.Background()
	c := &dynamo.Catalog{Table: tbl}
	withCategory(t, c, "m1", "m2")
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
	withCategory(t, c, "m1", "m2")
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
	for _, text := range []string{"ax", "pièce", "3760000000031", "x-1"} {
		if got, want := resumeEverywhere(t, c, "m1", text, []string{"fr"}), search(t, c, "m1", text, []string{"fr"}, 100); !slices.Equal(got, want) {
			t.Errorf("%q resumed after each product: %v, want %v", text, got, want)
		}
	}
	ax, _ := catalog.ParseQuery("ax")
	words, _ := catalog.ParseQuery("pièce renforcée")
	ean, _ := catalog.ParseQuery("3760000000031")
	for name, c2 := range map[string]struct {
		q    catalog.Query
		from catalog.Position
	}{
		"a code position for a search of words": {words, catalog.Position{Part: "r", After: "AX-01"}},
		"a name position for an EAN":            {ean, catalog.Position{Part: "w", After: "W-1#fr"}},
		"an unknown part":                       {ax, catalog.Position{Part: "x", After: "AX-01"}},
		"a word key that is no word key":        {ax, catalog.Position{Part: "w", After: "AX-01"}},
		"a reference that is no reference":      {ax, catalog.Position{Part: "r", After: "A X"}},
	} {
		if _, err := c.SearchProducts(ctx, "m1", c2.q, []string{"fr"}, 2, c2.from); !errors.Is(err, catalog.ErrInvalidCursor) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
