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
	in.Categories, in.Products = dedupe(in.Categories), dedupe(in.Products)
	switch {
	case len(in.Categories)+len(in.Products) == 0:
		fe.add("categories", "an assortment lists at least one category or product; delete it to lift the limit")
	case len(in.Categories)+len(in.Products) > maxAssortmentItems:
		fe.add("products", fmt.Sprintf("at most %d categories and products together", maxAssortmentItems))
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
		cats                []catalog.Category
		stored              map[string]catalog.Product
		all                 catalog.Assortments
		catErr, pErr, aaErr error
		wg                  sync.WaitGroup
	)
	wg.Go(func() { cats, catErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	if len(refs) > 0 {
		wg.Go(func() { stored, pErr = a.Catalog.Products(r.Context(), r.Merchant(), refs) })
	}
	wg.Go(func() { all, aaErr = a.Assortments.All(r.Context(), r.Merchant()) })
	wg.Wait()
	if err := errors.Join(catErr, pErr, aaErr); err != nil {
		return err
	}
	for i, id := range in.Categories {
		if !slices.ContainsFunc(cats, func(c catalog.Category) bool { return c.ID == id }) {
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
	if err := a.Assortments.Save(r.Context(), r.Merchant(), as); err != nil {
		return err
	}
	return writeJSON(w, createdOr(all.For(scopeFor(scope, scopeID)) != nil), as)
}

// scopeFor spreads a scope into the arguments of Assortments.For.
func scopeFor(scope catalog.AssortmentScope, id string) (customerID, buyingGroup, priceCategory string) {
	switch scope {
	case catalog.ForCustomer:
		return id, "", ""
	case catalog.ForBuyingGroup:
		return "", id, ""
	}
	return "", "", id
}

func (a *AdminAPI) deleteAssortment(w http.ResponseWriter, r *Request) error {
	fe := &fieldErrors{}
	scope, scopeID := assortmentPath(r, fe)
	if fe.has("scope") || fe.has("scopeId") {
		return NotFound("no such assortment")
	}
	all, err := a.Assortments.All(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if all.For(scopeFor(scope, scopeID)) == nil {
		return NotFound("no assortment for " + string(scope) + " " + strconv.Quote(scopeID))
	}
	if err := a.Assortments.Delete(r.Context(), r.Merchant(), scope, scopeID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
