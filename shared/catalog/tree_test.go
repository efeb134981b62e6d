package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/merchant"
)

// sampleTree is:
//
//	POMPES
//	  POMPES-CHIMIE
//	    POMPES-ACIDE
//	VANNES
//	  VANNES-BILLE
//	SAV (restricted)
//	  SAV-PIECES (restricted, inherited)
func sampleTree() []Category {
	return []Category{
		{ID: "POMPES", Names: map[string]string{"fr": "Pompes"}, Position: 1},
		{ID: "POMPES-CHIMIE", ParentID: "POMPES", Names: map[string]string{"fr": "Pompes chimie"}},
		{ID: "POMPES-ACIDE", ParentID: "POMPES-CHIMIE", Names: map[string]string{"fr": "Pompes acide"}},
		{ID: "VANNES", Names: map[string]string{"fr": "Vannes"}, Position: 2},
		{ID: "VANNES-BILLE", ParentID: "VANNES", Names: map[string]string{"fr": "Vannes à bille"}},
		{ID: "SAV", Names: map[string]string{"fr": "SAV"}, Restricted: true, Position: 3},
		{ID: "SAV-PIECES", ParentID: "SAV", Names: map[string]string{"fr": "Pièces"}, Restricted: true},
	}
}

func ids(cats []Category) []string {
	out := make([]string, 0, len(cats))
	for _, c := range cats {
		out = append(out, c.ID)
	}
	return out
}

func TestTree_PutRefusesBrokenTrees(t *testing.T) {
	cases := []struct {
		name   string
		cat    Category
		field  string
		reason string
	}{
		{"own parent", Category{ID: "VANNES", ParentID: "VANNES"}, "parentId", "own parent"},
		{"unknown parent", Category{ID: "NEW", ParentID: "NOPE"}, "parentId", `no category "NOPE"`},
		{"under its child", Category{ID: "POMPES", ParentID: "POMPES-CHIMIE"}, "parentId", "cycle"},
		{"under its grandchild", Category{ID: "POMPES", ParentID: "POMPES-ACIDE"}, "parentId", "cycle"},
		{"negative position", Category{ID: "NEW", Position: -1}, "position", "0 to"},
		{"huge position", Category{ID: "NEW", Position: MaxPosition + 1}, "position", "0 to"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := NewTree(sampleTree())
			_, err := tree.Put(c.cat)
			var te *TreeError
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalidTree) || te.Field != c.field || !strings.Contains(te.Reason, c.reason) {
				t.Fatalf("err = %v, want %s: ...%s...", err, c.field, c.reason)
			}
			if ch := tree.Changed(); len(ch) != 0 {
				t.Errorf("a refused change changed %v", ids(ch))
			}
		})
	}
}

// chain builds a line of n categories L1 > L2 > ... > Ln.
func chain(prefix string, n int) []Category {
	var out []Category
	for i := 1; i <= n; i++ {
		c := Category{ID: fmt.Sprintf("%s%d", prefix, i), Names: map[string]string{"fr": "x"}}
		if i > 1 {
			c.ParentID = fmt.Sprintf("%s%d", prefix, i-1)
		}
		out = append(out, c)
	}
	return out
}

func TestTree_DepthIsBoundedForTheMovedSubtreeAsAWhole(t *testing.T) {
	cases := []struct {
		name       string
		top, below int // a line of top categories, and a separate line of below
		ok         bool
	}{
		{"exactly the limit", MaxCategoryDepth - 3, 3, true},
		{"one level too many", MaxCategoryDepth - 2, 3, false},
		{"a deep subtree under a root", 1, MaxCategoryDepth - 1, true},
		{"a subtree deeper than the limit below a root", 1, MaxCategoryDepth, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := NewTree(append(chain("T", c.top), chain("B", c.below)...))
			// Move the root of the second line under the bottom of the first.
			_, err := tree.Put(Category{ID: "B1", ParentID: fmt.Sprintf("T%d", c.top), Names: map[string]string{"fr": "x"}})
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidTree) || !strings.Contains(err.Error(), "levels deep") {
					t.Errorf("err = %v", err)
				}
				if c, _ := tree.Category("B1"); c.ParentID != "" {
					t.Errorf("refused move kept: B1 under %s", c.ParentID)
				}
				return
			}
			if got := len(tree.Lineage(fmt.Sprintf("B%d", c.below))); got != c.top+c.below {
				t.Errorf("depth of the deepest category %d", got)
			}
		})
	}
	t.Run("a new category too deep", func(t *testing.T) {
		tree := NewTree(chain("T", MaxCategoryDepth))
		if _, err := tree.Put(Category{ID: "NEW", ParentID: fmt.Sprintf("T%d", MaxCategoryDepth)}); !errors.Is(err, ErrInvalidTree) {
			t.Errorf("err = %v", err)
		}
		if _, ok := tree.Category("NEW"); ok || tree.Created("NEW") {
			t.Error("the refused category is in the tree")
		}
	})
}

func TestTree_RestrictionsAreInherited(t *testing.T) {
	cases := []struct {
		name           string
		put            Category
		wantStored     bool
		wantRestricted []string // every restricted category after the change
	}{
		{"created below a restricted category", Category{ID: "SAV-NEW", ParentID: "SAV"}, true,
			[]string{"SAV", "SAV-NEW", "SAV-PIECES"}},
		{"moved below a restricted category, with its subtree", Category{ID: "POMPES-CHIMIE", ParentID: "SAV-PIECES"}, true,
			[]string{"POMPES-ACIDE", "POMPES-CHIMIE", "SAV", "SAV-PIECES"}},
		{"restricting a category restricts its subtree", Category{ID: "POMPES", Restricted: true, Position: 1}, true,
			[]string{"POMPES", "POMPES-ACIDE", "POMPES-CHIMIE", "SAV", "SAV-PIECES"}},
		{"an unrestricted category stays so", Category{ID: "VANNES-BILLE", ParentID: "VANNES"}, false,
			[]string{"SAV", "SAV-PIECES"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := NewTree(sampleTree())
			got, err := tree.Put(c.put)
			if err != nil {
				t.Fatal(err)
			}
			if got.Restricted != c.wantStored {
				t.Errorf("stored restricted = %v", got.Restricted)
			}
			var restricted []string
			for _, cat := range tree.Categories() {
				if cat.Restricted {
					restricted = append(restricted, cat.ID)
				}
			}
			slices.Sort(restricted)
			if !slices.Equal(restricted, c.wantRestricted) {
				t.Errorf("restricted %v, want %v", restricted, c.wantRestricted)
			}
		})
	}
}

func TestTree_ChangedDeletedAndRefiled(t *testing.T) {
	cases := []struct {
		name                     string
		change                   func(*Tree) error
		changed, deleted, refile []string
		created                  string
	}{
		{"nothing", func(*Tree) error { return nil }, nil, nil, nil, ""},
		{"same category again", func(t *Tree) error {
			_, err := t.Put(Category{ID: "VANNES", Names: map[string]string{"fr": "Vannes"}, Position: 2})
			return err
		}, nil, nil, nil, ""},
		{"renamed", func(t *Tree) error {
			_, err := t.Put(Category{ID: "VANNES", Names: map[string]string{"fr": "Robinetterie"}, Position: 2})
			return err
		}, []string{"VANNES"}, nil, nil, ""},
		{"created", func(t *Tree) error {
			_, err := t.Put(Category{ID: "FILTRES", Names: map[string]string{"fr": "Filtres"}})
			return err
		}, []string{"FILTRES"}, nil, nil, "FILTRES"},
		{"moved: its subtree's products get new families", func(t *Tree) error {
			_, err := t.Put(Category{ID: "POMPES-CHIMIE", ParentID: "VANNES", Names: map[string]string{"fr": "Pompes chimie"}})
			return err
		}, []string{"POMPES-CHIMIE"}, nil, []string{"POMPES-ACIDE", "POMPES-CHIMIE"}, ""},
		{"moved under a restricted category: the subtree is rewritten", func(t *Tree) error {
			_, err := t.Put(Category{ID: "POMPES-CHIMIE", ParentID: "SAV", Names: map[string]string{"fr": "Pompes chimie"}})
			return err
		}, []string{"POMPES-ACIDE", "POMPES-CHIMIE"}, nil, []string{"POMPES-ACIDE", "POMPES-CHIMIE"}, ""},
		{"deleted", func(t *Tree) error { return t.Delete("VANNES-BILLE") }, nil, []string{"VANNES-BILLE"}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := NewTree(sampleTree())
			if err := c.change(tree); err != nil {
				t.Fatal(err)
			}
			if got := ids(tree.Changed()); !slices.Equal(got, c.changed) {
				t.Errorf("changed %v, want %v", got, c.changed)
			}
			if got := tree.Deleted(); !slices.Equal(got, c.deleted) {
				t.Errorf("deleted %v, want %v", got, c.deleted)
			}
			if got := tree.Refiled(); !slices.Equal(got, c.refile) {
				t.Errorf("refiled %v, want %v", got, c.refile)
			}
			for _, cat := range sampleTree() {
				if tree.Created(cat.ID) {
					t.Errorf("%s reported created", cat.ID)
				}
			}
			if c.created != "" && !tree.Created(c.created) {
				t.Errorf("%s not reported created", c.created)
			}
		})
	}
}

func TestTree_Families(t *testing.T) {
	tree := NewTree(sampleTree())
	if _, err := tree.Put(Category{ID: "POMPES-CHIMIE", ParentID: "VANNES"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		p       Product
		want    []string
		changed bool
	}{
		{Product{CategoryID: "POMPES-ACIDE", Families: []string{"POMPES-ACIDE", "POMPES-CHIMIE", "POMPES"}},
			[]string{"POMPES-ACIDE", "POMPES-CHIMIE", "VANNES"}, true},
		{Product{CategoryID: "VANNES-BILLE", Families: []string{"VANNES-BILLE", "VANNES"}}, []string{"VANNES-BILLE", "VANNES"}, false},
		{Product{CategoryID: "VANNES-BILLE"}, []string{"VANNES-BILLE", "VANNES"}, true},
	}
	for _, c := range cases {
		got, changed := tree.Families(c.p)
		if !slices.Equal(got, c.want) || changed != c.changed {
			t.Errorf("%s: %v %v, want %v %v", c.p.CategoryID, got, changed, c.want, c.changed)
		}
	}
}

func TestTree_DeleteRefusesACategoryWithChildren(t *testing.T) {
	cases := []struct {
		id   string
		want error
		text string
	}{
		{"POMPES", ErrHasChildren, "POMPES-CHIMIE"},
		{"SAV", ErrHasChildren, "SAV-PIECES"},
		{"NOPE", ErrNotFound, ""},
		{"POMPES-ACIDE", nil, ""},
	}
	for _, c := range cases {
		tree := NewTree(sampleTree())
		err := tree.Delete(c.id)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) || !strings.Contains(fmt.Sprint(err), c.text) {
			t.Errorf("Delete(%s) = %v, want %v naming %q", c.id, err, c.want, c.text)
		}
		if _, ok := tree.Category(c.id); ok != (c.want == ErrHasChildren) {
			t.Errorf("Delete(%s): still in the tree = %v", c.id, ok)
		}
	}
}

func TestTree_CheckSizeBoundsOneChange(t *testing.T) {
	wide := func(n int) []Category {
		cats := []Category{{ID: "ROOT"}}
		for i := range n {
			cats = append(cats, Category{ID: fmt.Sprintf("C%03d", i), ParentID: "ROOT"})
		}
		return cats
	}
	cases := []struct {
		name     string
		children int
		ok       bool
	}{
		{"restricting a category with the most children one change may rewrite", MaxCategoryChanges - 1, true},
		{"one more", MaxCategoryChanges, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := NewTree(wide(c.children))
			if _, err := tree.Put(Category{ID: "ROOT", Restricted: true}); err != nil {
				t.Fatal(err)
			}
			err := tree.CheckSize()
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrTooManyChanges)) {
				t.Fatalf("CheckSize = %v with %d changes", err, len(tree.Changed()))
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprint(MaxCategoryChanges)) {
				t.Errorf("the problem does not give the bound: %v", err)
			}
		})
	}
}

func TestTree_SubtreeListsParentsFirst(t *testing.T) {
	tree := NewTree(sampleTree())
	if got := tree.Subtree("POMPES"); !slices.Equal(got, []string{"POMPES", "POMPES-CHIMIE", "POMPES-ACIDE"}) {
		t.Errorf("Subtree = %v", got)
	}
	if got := tree.Subtree("NOPE"); got != nil {
		t.Errorf("Subtree(NOPE) = %v", got)
	}
}

// memoryFamilies is an in-memory FamilyStore: a tree, products by
// reference, and a hook run when the tree is read again.
type memoryFamilies struct {
	cats     []Category
	products map[string]Product
	saves    int
	onReread func(m *memoryFamilies)
}

func (s *memoryFamilies) UpdateTree(_ context.Context, _ merchant.ID, change func(*Tree) error) error {
	if s.onReread != nil {
		s.onReread(s)
		s.onReread = nil
	}
	t := NewTree(s.cats)
	if err := change(t); err != nil {
		return err
	}
	s.cats = t.Categories()
	return nil
}

func (s *memoryFamilies) UpdateProduct(_ context.Context, _ merchant.ID, ref string, update func(*Product, bool) error) (Product, bool, error) {
	p, ok := s.products[ref]
	if !ok {
		p = Product{Ref: ref}
	}
	before := slices.Clone(p.Families)
	if err := update(&p, ok); err != nil {
		return Product{}, false, err
	}
	if !slices.Equal(before, p.Families) {
		s.saves++
	}
	s.products[ref] = p
	return p, !ok, nil
}

func (s *memoryFamilies) ProductRefs(_ context.Context, _ merchant.ID, categoryID string) ([]string, error) {
	var out []string
	for ref, p := range s.products {
		if p.CategoryID == categoryID {
			out = append(out, ref)
		}
	}
	out = append(out, "GONE-"+categoryID) // listed by a stale index, no longer stored
	slices.Sort(out)
	return out, nil
}

func TestRefreshFamilies_FollowsTheTreeAsItStandsAtTheEnd(t *testing.T) {
	store := &memoryFamilies{cats: sampleTree(), products: map[string]Product{
		"ACIDE-1":  {Ref: "ACIDE-1", CategoryID: "POMPES-ACIDE", Families: []string{"POMPES-ACIDE", "POMPES-CHIMIE", "POMPES"}, Names: map[string]string{"fr": "kept"}},
		"CHIMIE-1": {Ref: "CHIMIE-1", CategoryID: "POMPES-CHIMIE", Families: []string{"POMPES-CHIMIE", "POMPES"}},
		"BILLE-1":  {Ref: "BILLE-1", CategoryID: "VANNES-BILLE", Families: []string{"VANNES-BILLE", "VANNES"}},
	}}
	// POMPES-CHIMIE moves under VANNES.
	var moved *Tree
	if err := store.UpdateTree(context.Background(), "m", func(tr *Tree) error {
		_, err := tr.Put(Category{ID: "POMPES-CHIMIE", ParentID: "VANNES"})
		moved = tr
		return err
	}); err != nil {
		t.Fatal(err)
	}
	refiled := moved.Refiled()
	// Meanwhile another change moves it under SAV; its own refresh ran
	// before this one's writes.
	store.onReread = func(s *memoryFamilies) {
		tr := NewTree(s.cats)
		if _, err := tr.Put(Category{ID: "POMPES-CHIMIE", ParentID: "SAV"}); err != nil {
			t.Fatal(err)
		}
		s.cats = tr.Categories()
	}
	if err := RefreshFamilies(context.Background(), store, "m", moved, refiled); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ACIDE-1":  {"POMPES-ACIDE", "POMPES-CHIMIE", "SAV"},
		"CHIMIE-1": {"POMPES-CHIMIE", "SAV"},
		"BILLE-1":  {"VANNES-BILLE", "VANNES"},
	}
	for ref, f := range want {
		if got := store.products[ref].Families; !slices.Equal(got, f) {
			t.Errorf("%s families %v, want %v", ref, got, f)
		}
	}
	if store.products["ACIDE-1"].Names["fr"] != "kept" {
		t.Error("the refresh lost the rest of the product")
	}
	if _, ok := store.products["GONE-POMPES-ACIDE"]; ok {
		t.Error("the refresh created a product that is gone")
	}
	if store.saves != 4 {
		t.Errorf("%d product saves, want 4 (2 products, 2 rounds)", store.saves)
	}
}
