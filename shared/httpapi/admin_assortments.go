package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/comptoir/comptoir/shared/catalog"
)

// AssortmentInput is the body of PUT /admin/assortments/{scope}/{scopeId}.
type AssortmentInput struct {
	Categories []string `json:"categories,omitempty"`
	Products   []string `json:"products,omitempty"`
}

func (a *AdminAPI) assortments(w http.ResponseWriter, r *Request) error {
	as, err := a.Assortments.All(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	out := slices.Clone(as)
	if out == nil {
		out = catalog.Assortments{}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].ScopeID < out[j].ScopeID
	})
	return writeJSON(w, http.StatusOK, map[string]any{"assortments": out})
}

// assortmentPath reads and checks {scope}/{scopeId}.
func assortmentPath(r *Request, fe *fieldErrors) (catalog.AssortmentScope, string) {
	scope, id := catalog.AssortmentScope(r.PathValue("scope")), r.PathValue("scopeId")
	if scope != catalog.ForCustomer && scope != catalog.ForBuyingGroup && scope != catalog.ForPriceCategory {
		fe.add("scope", "must be customer, buying-group or price-category")
	}
	if !catalog.ValidID(id) {
		fe.add("scopeId", "must be a customer, buying group or price category id")
	}
	return scope, id
}

func (a *AdminAPI) putAssortment(w http.ResponseWriter, r *Request) error {
	fe := &fieldErrors{}
	scope, scopeID := assortmentPath(r, fe)
	var in AssortmentInput
	if err := decodeFields(r.Request, fe, map[string]any{"categories": &in.Categories, "products": &in.Products}); err != nil {
		return err
	}
	if fe.decoding {
		return fe.err()
	}
	// Counted before removing repeats, so that a huge list is refused
	// before it is searched.
	if len(in.Categories)+len(in.Products) > maxAssortmentItems {
		return fe.add("products", fmt.Sprintf("at most %d categories and products together", maxAssortmentItems)).err()
	}
	in.Categories, in.Products = dedupe(in.Categories), dedupe(in.Products)
	if len(in.Categories)+len(in.Products) == 0 {
		fe.add("categories", "an assortment lists at least one category or product; delete it to lift the limit")
	}
	for i, id := range in.Categories {
		if !catalog.ValidID(id) {
			fe.add(fmt.Sprintf("categories[%d]", i), "must be a category id")
		}
	}
	var refs []string
	for i, ref := range in.Products {
		if catalog.ValidRef(ref) {
			refs = append(refs, ref)
		} else {
			fe.add(fmt.Sprintf("products[%d]", i), "must be a product reference")
		}
	}
	if fe.has("scope") || fe.has("scopeId") || fe.has("products") {
		return fe.err()
	}
	var (
		cats         []catalog.Category
		stored       map[string]catalog.Product
		catErr, pErr error
		wg           sync.WaitGroup
	)
	wg.Go(func() { cats, catErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	if len(refs) > 0 {
		wg.Go(func() { stored, pErr = a.Catalog.Products(r.Context(), r.Merchant(), refs) })
	}
	wg.Wait()
	if err := errors.Join(catErr, pErr); err != nil {
		return err
	}
	for i, id := range in.Categories {
		if catalog.ValidID(id) && !slices.ContainsFunc(cats, func(c catalog.Category) bool { return c.ID == id }) {
			fe.add(fmt.Sprintf("categories[%d]", i), "no category "+strconv.Quote(id))
		}
	}
	for i, ref := range in.Products {
		if _, ok := stored[ref]; !ok && catalog.ValidRef(ref) {
			fe.add(fmt.Sprintf("products[%d]", i), "no product "+strconv.Quote(ref))
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	as := catalog.Assortment{Scope: scope, ScopeID: scopeID, Categories: in.Categories, Products: in.Products}
	created, err := a.Assortments.Put(r.Context(), r.Merchant(), as)
	if err != nil {
		return err
	}
	return writeJSON(w, createdOr(!created), as)
}

func (a *AdminAPI) deleteAssortment(w http.ResponseWriter, r *Request) error {
	fe := &fieldErrors{}
	scope, scopeID := assortmentPath(r, fe)
	if fe.has("scope") || fe.has("scopeId") {
		return NotFound("no such assortment")
	}
	found, err := a.Assortments.Delete(r.Context(), r.Merchant(), scope, scopeID)
	if err != nil {
		return err
	}
	if !found {
		return NotFound("no assortment for " + string(scope) + " " + strconv.Quote(scopeID))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
