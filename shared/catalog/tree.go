package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Bounds of the category tree.
const (
	// MaxCategoryDepth is how many levels the tree may have: a root
	// category is at depth 1.
	MaxCategoryDepth = 16
	// MaxCategoryChanges is how many categories one change of the tree may
	// create, rewrite or delete (a moved or restricted category passes its
	// restriction on to everything below it), so that the change is saved
	// whole or not at all.
	MaxCategoryChanges = 90
	// MaxPosition is the largest position of a category among its siblings.
	MaxPosition = 1_000_000
)

// Errors of the tree rules. A *TreeError wraps one of them.
var (
	// ErrInvalidTree: the change would leave the tree broken (unknown
	// parent, cycle, too deep); the request is at fault.
	ErrInvalidTree = errors.New("invalid category tree")
	// ErrHasChildren: a category with sub-categories cannot be deleted.
	ErrHasChildren = errors.New("category has sub-categories")
	// ErrHasProducts: a category that still holds products cannot be
	// deleted.
	ErrHasProducts = errors.New("category has products")
	// ErrTooManyChanges: the change would rewrite more than
	// MaxCategoryChanges categories at once.
	ErrTooManyChanges = errors.New("too many categories changed at once")
	// ErrTreeConflict: other changes kept changing the tree while this one
	// was being saved, and it gave up. Trying again later may succeed.
	ErrTreeConflict = errors.New("the category tree was changed concurrently")
)

// TreeError is a change the tree rules refuse: Field names the input at
// fault ("parentId", or "" for the change as a whole) and Reason says why,
// for the person who asked for it.
type TreeError struct {
	Field  string
	Reason string
	Err    error
}

func (e *TreeError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func (e *TreeError) Unwrap() error { return e.Err }

// Tree is a merchant's whole category tree being changed: it holds the tree
// as read and as changed, so that a save writes only what changed and the
// products whose families changed can be found.
type Tree struct {
	read map[string]Category
	now  map[string]Category
}

// NewTree returns the tree of cats, as read from storage.
func NewTree(cats []Category) *Tree {
	t := &Tree{read: make(map[string]Category, len(cats)), now: make(map[string]Category, len(cats))}
	for _, c := range cats {
		t.read[c.ID] = c
		t.now[c.ID] = c
	}
	return t
}

// Categories returns the tree's categories in tree order (SortTree).
func (t *Tree) Categories() []Category {
	out := slices.Collect(maps.Values(t.now))
	SortTree(out)
	return out
}

// Category returns one category of the tree.
func (t *Tree) Category(id string) (Category, bool) {
	c, ok := t.now[id]
	return c, ok
}

// Lineage returns a category and its ancestors, nearest first: the families
// of a product filed in it.
func (t *Tree) Lineage(id string) []string { return lineage(t.now, id) }

func lineage(byID map[string]Category, id string) []string {
	var out []string
	for depth := 0; id != "" && depth <= 4*MaxCategoryDepth; depth++ {
		out = append(out, id)
		c, ok := byID[id]
		if !ok {
			break
		}
		id = c.ParentID
	}
	return out
}

// children returns the ids of the categories directly below id, sorted.
func (t *Tree) children(id string) []string {
	var out []string
	for _, c := range t.now {
		if c.ParentID == id {
			out = append(out, c.ID)
		}
	}
	slices.Sort(out)
	return out
}

// Subtree returns id and every category below it, parents before children.
func (t *Tree) Subtree(id string) []string {
	if _, ok := t.now[id]; !ok {
		return nil
	}
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children(out[i])...)
	}
	return out
}

// Put creates or replaces a category and returns it as stored. Its parent
// must exist and must not be the category or one of its descendants, and the
// tree must stay within MaxCategoryDepth levels. A category below a
// restricted one is restricted too, and restricting a category restricts
// everything below it (the stored flag is the effective one, so that one
// category read decides its visibility).
func (t *Tree) Put(c Category) (Category, error) {
	if p := c.ParentID; p != "" {
		parent, ok := t.now[p]
		switch {
		case p == c.ID:
			return Category{}, invalid("parentId", "a category cannot be its own parent")
		case !ok:
			return Category{}, invalid("parentId", "no category "+strconv.Quote(p))
		case slices.Contains(t.Lineage(p), c.ID):
			return Category{}, invalid("parentId", "the parent is below this category: the tree would have a cycle")
		}
		c.Restricted = c.Restricted || parent.Restricted
	}
	if c.Position < 0 || c.Position > MaxPosition {
		return Category{}, invalid("position", fmt.Sprintf("must be 0 to %d", MaxPosition))
	}
	old, existed := t.now[c.ID]
	t.now[c.ID] = c
	if depth := len(t.Lineage(c.ID)) + t.height(c.ID) - 1; depth > MaxCategoryDepth {
		t.restore(c.ID, old, existed)
		return Category{}, invalid("parentId", fmt.Sprintf("the tree would be %d levels deep, more than %d", depth, MaxCategoryDepth))
	}
	if c.Restricted {
		for _, id := range t.Subtree(c.ID)[1:] {
			d := t.now[id]
			d.Restricted = true
			t.now[id] = d
		}
	}
	return c, nil
}

func (t *Tree) restore(id string, old Category, existed bool) {
	if existed {
		t.now[id] = old
	} else {
		delete(t.now, id)
	}
}

// height is the number of levels of the subtree below and including id.
func (t *Tree) height(id string) int {
	h := 0
	for level := []string{id}; len(level) > 0 && h <= 4*MaxCategoryDepth; h++ {
		var next []string
		for _, p := range level {
			next = append(next, t.children(p)...)
		}
		level = next
	}
	return h
}

// Delete removes a category that has no sub-categories. Whether it still
// holds products is for the storage to check as it deletes it.
func (t *Tree) Delete(id string) error {
	if _, ok := t.now[id]; !ok {
		return ErrNotFound
	}
	if kids := t.children(id); len(kids) > 0 {
		return &TreeError{Reason: "category " + strconv.Quote(id) + " still has sub-categories: " + strings.Join(kids, ", "), Err: ErrHasChildren}
	}
	delete(t.now, id)
	return nil
}

// Changed returns the categories created or changed since the tree was read,
// by id.
func (t *Tree) Changed() []Category {
	var out []Category
	for id, c := range t.now {
		if old, ok := t.read[id]; !ok || !sameCategory(old, c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Category) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Deleted returns the ids of the categories deleted since the tree was read.
func (t *Tree) Deleted() []string {
	var out []string
	for id := range t.read {
		if _, ok := t.now[id]; !ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Created reports whether category id did not exist when the tree was read.
func (t *Tree) Created(id string) bool {
	_, read := t.read[id]
	_, now := t.now[id]
	return now && !read
}

// CheckSize refuses a change that creates, rewrites or deletes more than
// MaxCategoryChanges categories.
func (t *Tree) CheckSize() error {
	if n := len(t.Changed()) + len(t.Deleted()); n > MaxCategoryChanges {
		return &TreeError{Reason: fmt.Sprintf("this change would rewrite %d categories, more than the %d one change may: "+
			"restrict or move the sub-categories first, in smaller steps", n, MaxCategoryChanges), Err: ErrTooManyChanges}
	}
	return nil
}

// Refiled returns the categories, existing before and after the change,
// whose lineage changed: the products filed in them need their families
// refreshed. Sorted by id.
func (t *Tree) Refiled() []string {
	var out []string
	for id := range t.now {
		if _, ok := t.read[id]; ok && !slices.Equal(lineage(t.read, id), lineage(t.now, id)) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Families returns the families of p in the tree (its category and the
// category's ancestors), and whether they differ from the ones p has: the
// refresh a product needs after its category moved.
func (t *Tree) Families(p Product) (families []string, changed bool) {
	f := t.Lineage(p.CategoryID)
	return f, !slices.Equal(f, p.Families)
}

func invalid(field, reason string) error {
	return &TreeError{Field: field, Reason: reason, Err: ErrInvalidTree}
}

func sameCategory(a, b Category) bool {
	return a.ID == b.ID && a.ParentID == b.ParentID && a.Position == b.Position && a.Restricted == b.Restricted && maps.Equal(a.Names, b.Names)
}

// TreeRepository stores the category tree so that concurrent changes cannot
// break it.
type TreeRepository interface {
	// UpdateTree reads the merchant's tree, lets change modify it and
	// saves what it changed in one atomic write, on the condition that
	// nothing else changed the tree since it was read; otherwise it reads
	// again and calls change again, a bounded number of times. An error
	// from change is returned as is and nothing is saved. Deleting a
	// category that still holds products fails with ErrHasProducts.
	UpdateTree(ctx context.Context, m merchant.ID, change func(t *Tree) error) error
}

// FamilyStore is what RefreshFamilies needs from storage.
type FamilyStore interface {
	TreeRepository
	ProductStore
	// ProductRefs returns the references of the products filed directly in
	// a category, inactive ones included.
	ProductRefs(ctx context.Context, m merchant.ID, categoryID string) ([]string, error)
}

// maxRefreshRounds bounds how many times RefreshFamilies starts again
// because the tree changed again while it ran.
const maxRefreshRounds = 4

// errProductGone aborts the refresh of a product that no longer exists.
var errProductGone = errors.New("product gone")

// RefreshFamilies gives the products filed in the refiled categories of a
// change (Tree.Refiled) their families in tree, the tree as saved. Each
// product is saved through UpdateProduct, so that an edit of the product
// made meanwhile is kept, and a product whose families are already right is
// not written. When it is done, it reads the tree again: if another change
// moved one of these categories meanwhile, its own refresh may have run
// before this one, so this one starts again with the new tree, up to
// maxRefreshRounds times. The last refresh to finish thus always leaves the
// families of the current tree.
func RefreshFamilies(ctx context.Context, store FamilyStore, m merchant.ID, tree *Tree, refiled []string) error {
	for round := 0; len(refiled) > 0; round++ {
		if round >= maxRefreshRounds {
			return fmt.Errorf("refresh families: the tree kept changing: %w", ErrTreeConflict)
		}
		for _, id := range refiled {
			refs, err := store.ProductRefs(ctx, m, id)
			if err != nil {
				return fmt.Errorf("refresh families of %s: %w", id, err)
			}
			for _, ref := range refs {
				_, _, err := store.UpdateProduct(ctx, m, ref, func(p *Product, exists bool) error {
					if !exists {
						return errProductGone
					}
					p.Families, _ = tree.Families(*p)
					return nil
				})
				if err != nil && !errors.Is(err, errProductGone) {
					return fmt.Errorf("refresh families of %s: %w", ref, err)
				}
			}
		}
		var now *Tree
		if err := store.UpdateTree(ctx, m, func(t *Tree) error { now = t; return nil }); err != nil {
			return fmt.Errorf("refresh families: read the tree again: %w", err)
		}
		var again []string
		for _, id := range refiled {
			if !slices.Equal(tree.Lineage(id), now.Lineage(id)) {
				again = append(again, id)
			}
		}
		tree, refiled = now, again
	}
	return nil
}
