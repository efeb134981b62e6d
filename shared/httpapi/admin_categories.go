package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/comptoir/comptoir/shared/catalog"
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

// putCategory creates or replaces a category: the tree rules are the
// catalog's (catalog.Tree.Put), the tree is saved in one atomic change
// (catalog.TreeRepository), and when the category moves, the products below
// it get their new families (catalog.RefreshFamilies).
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
	if !fe.has("position") && (in.Position < 0 || in.Position > catalog.MaxPosition) {
		fe.add("position", fmt.Sprintf("must be 0 to %d", catalog.MaxPosition))
	}
	if in.ParentID != "" && !fe.has("parentId") && !catalog.ValidID(in.ParentID) {
		fe.add("parentId", "must be a category id")
	}
	if fe.has("id") || fe.decoding {
		return fe.err()
	}
	var (
		saved   catalog.Category
		created bool
		tree    *catalog.Tree
	)
	err := a.Catalog.UpdateTree(r.Context(), r.Merchant(), func(t *catalog.Tree) error {
		_, exists := t.Category(id)
		c, err := t.Put(catalog.Category{ID: id, ParentID: in.ParentID, Names: in.Names, Position: in.Position, Restricted: in.Restricted})
		var te *catalog.TreeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			// Listed with the other invalid fields, if not already.
			if !fe.has(te.Field) {
				fe.add(te.Field, te.Reason)
			}
		case err != nil:
			return err
		}
		if err := fe.err(); err != nil {
			return err
		}
		saved, created, tree = c, !exists, t
		return nil
	})
	if err != nil {
		return treeProblem(err)
	}
	if refiled := tree.Refiled(); len(refiled) > 0 {
		err := catalog.RefreshFamilies(r.Context(), a.Catalog, r.Merchant(), tree, refiled)
		if errors.Is(err, catalog.ErrConflict) || errors.Is(err, catalog.ErrTreeConflict) {
			return Conflict("the category was saved, but products below it were being changed at the same time " +
				"and some kept their former families; each gets its new families at its next save")
		}
		if err != nil {
			return err
		}
	}
	return writeJSON(w, createdOr(!created), saved)
}

// treeProblem maps the errors of a tree change to problems; others are
// returned as they are.
func treeProblem(err error) error {
	var te *catalog.TreeError
	switch {
	case errors.Is(err, catalog.ErrTreeConflict):
		return Conflict("the category tree was being changed by other requests at the same time; try again")
	case errors.As(err, &te) && te.Field == "" && (errors.Is(err, catalog.ErrHasChildren) ||
		errors.Is(err, catalog.ErrHasProducts) || errors.Is(err, catalog.ErrTooManyChanges)):
		return Conflict(te.Reason)
	}
	return err
}

// deleteCategory removes a category that has neither sub-categories nor
// products, in one atomic change of the tree: a product filed in it
// meanwhile makes the delete fail, never the product orphaned.
func (a *AdminAPI) deleteCategory(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	if !catalog.ValidID(id) {
		return NotFound("no such category")
	}
	err := a.Catalog.UpdateTree(r.Context(), r.Merchant(), func(t *catalog.Tree) error { return t.Delete(id) })
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return NotFound("no category " + strconv.Quote(id))
	case err != nil:
		return treeProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
