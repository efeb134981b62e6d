package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// CategoryInput is the body of PUT /admin/categories/{id}.
type CategoryInput struct {
	Names      map[string]string `json:"names"`
	ParentID   string            `json:"parentId,omitempty"`
	Position   int               `json:"position"`
	Restricted bool              `json:"restricted"`
}

func (a *AdminAPI) categories(w http.ResponseWriter, r *Request) error {
	cats, err := a.Catalog.Categories(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if cats == nil {
		cats = []catalog.Category{}
	}
	catalog.SortTree(cats)
	return writeJSON(w, http.StatusOK, map[string]any{"categories": cats})
}

// putCategory creates or replaces a category. The whole tree is saved with
// inherited restrictions (only the categories that change are written), and
// when the category moves, the families of every product below it are
// recomputed and the products saved again.
func (a *AdminAPI) putCategory(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	fe := &fieldErrors{}
	if !catalog.ValidID(id) {
		fe.add("id", "must be 1 to 64 printable characters without spaces, '#' or '/'")
	}
	var in CategoryInput
	if err := decodeFields(r.Request, fe, map[string]any{
		"names": &in.Names, "parentId": &in.ParentID, "position": &in.Position, "restricted": &in.Restricted,
	}); err != nil {
		return err
	}
	fe.texts("names", in.Names, maxNameLen, true)
	if in.Position < 0 && !fe.has("position") {
		fe.add("position", "must be 0 or more")
	}
	if in.ParentID != "" && !catalog.ValidID(in.ParentID) {
		fe.add("parentId", "must be a category id")
	}
	if fe.has("id") || fe.decoding {
		return fe.err()
	}
	cats, err := a.Catalog.Categories(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	byID := make(map[string]catalog.Category, len(cats))
	for _, c := range cats {
		byID[c.ID] = c
	}
	if p := in.ParentID; p != "" && !fe.has("parentId") {
		_, parentExists := byID[p]
		switch {
		case p == id:
			fe.add("parentId", "a category cannot be its own parent")
		case !parentExists:
			fe.add("parentId", "no category "+strconv.Quote(p))
		case slices.Contains(catalog.Lineage(cats, p), id):
			fe.add("parentId", "the parent is below this category: the tree would have a cycle")
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	existing, found := byID[id]
	cat := catalog.Category{ID: id, ParentID: in.ParentID, Names: in.Names, Position: in.Position, Restricted: in.Restricted}
	tree := make([]catalog.Category, 0, len(cats)+1)
	for _, c := range cats {
		if c.ID != id {
			tree = append(tree, c)
		}
	}
	tree = catalog.InheritRestrictions(append(tree, cat))
	var changed []catalog.Category
	for _, c := range tree {
		lineage := catalog.Lineage(tree, c.ID)
		if slices.Contains(lineage, id) && len(lineage) > MaxCategoryDepth {
			return fe.add("parentId", fmt.Sprintf("the tree would be deeper than %d levels", MaxCategoryDepth)).err()
		}
		if c.ID == id {
			cat = c
		}
		if old, ok := byID[c.ID]; !ok || !sameCategory(old, c) {
			changed = append(changed, c)
		}
	}
	if err := a.Catalog.SaveCategories(r.Context(), r.Merchant(), changed); err != nil {
		return err
	}
	if found && existing.ParentID != cat.ParentID {
		if err := a.refreshFamilies(r.Context(), r.Merchant(), tree, id); err != nil {
			return err
		}
	}
	return writeJSON(w, createdOr(found), cat)
}

func sameCategory(a, b catalog.Category) bool {
	if a.ParentID != b.ParentID || a.Position != b.Position || a.Restricted != b.Restricted || len(a.Names) != len(b.Names) {
		return false
	}
	for l, n := range a.Names {
		if b.Names[l] != n {
			return false
		}
	}
	return true
}

// refreshFamilies saves again, with their families recomputed from tree,
// the products filed in rootID and every category below it: a family
// discount or an assortment of a former ancestor must stop matching them.
// It reads and writes one page of products at a time; a product edited
// concurrently between its read and its write loses that edit.
func (a *AdminAPI) refreshFamilies(ctx context.Context, m merchant.ID, tree []catalog.Category, rootID string) error {
	for _, c := range tree {
		if !slices.Contains(catalog.Lineage(tree, c.ID), rootID) {
			continue
		}
		cursor := ""
		for {
			page, err := a.Catalog.ProductsInCategory(ctx, m, c.ID, productPageForMove, cursor)
			if err != nil {
				return fmt.Errorf("refresh families of %s: %w", c.ID, err)
			}
			var moved []catalog.Product
			for _, p := range page.Products {
				if f := catalog.Lineage(tree, p.CategoryID); !slices.Equal(f, p.Families) {
					p.Families = f
					moved = append(moved, p)
				}
			}
			if len(moved) > 0 {
				if err := a.Catalog.SaveProducts(ctx, m, moved); err != nil {
					return fmt.Errorf("refresh families of %s: %w", c.ID, err)
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return nil
}

// deleteCategory removes a category that has neither sub-categories nor
// products.
func (a *AdminAPI) deleteCategory(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	notFound := NotFound("no category " + strconv.Quote(id))
	if !catalog.ValidID(id) {
		return notFound
	}
	var (
		cats          []catalog.Category
		hasProducts   bool
		catErr, pdErr error
		wg            sync.WaitGroup
	)
	wg.Go(func() { cats, catErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	wg.Go(func() { hasProducts, pdErr = a.Catalog.HasProducts(r.Context(), r.Merchant(), id) })
	wg.Wait()
	if err := errors.Join(catErr, pdErr); err != nil {
		return err
	}
	found := false
	var children []string
	for _, c := range cats {
		found = found || c.ID == id
		if c.ParentID == id {
			children = append(children, c.ID)
		}
	}
	switch {
	case !found:
		return notFound
	case len(children) > 0:
		slices.Sort(children)
		return Conflict("category " + strconv.Quote(id) + " still has sub-categories: " + strings.Join(children, ", "))
	case hasProducts:
		return Conflict("category " + strconv.Quote(id) + " still has products: move or re-file them first")
	}
	if err := a.Catalog.DeleteCategory(r.Context(), r.Merchant(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
