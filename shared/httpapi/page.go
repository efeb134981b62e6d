package httpapi

import (
	"context"

	"github.com/comptoir/comptoir/shared/catalog"
)

// pageView is the caller's view of a product list being paged: built on the
// page's first read, with the tariff of the products read (one round trip,
// the one a page needs anyway), so that catalog.Fill can drop what the
// caller may not see and read on.
type pageView struct {
	a   *CatalogAPI
	r   *Request
	aud catalog.Audience
	// opened runs once the view is known: it may refuse the whole list.
	opened func(v *viewer) error
	// shows is a check of the list's own on each product, besides the
	// viewer's; nil keeps every product the viewer sees.
	shows func(p catalog.Product) bool

	v      *viewer
	priced map[string]bool
}

// keep is the catalog.KeepFunc of the list.
func (pv *pageView) keep(_ context.Context, read []catalog.Product) ([]bool, error) {
	if pv.v == nil {
		refs := refsOf(read)
		v, err := pv.a.viewerFor(pv.r, pv.aud, refs, true)
		if err != nil {
			return nil, err
		}
		pv.v, pv.priced = v, make(map[string]bool, len(refs))
		for _, ref := range refs {
			pv.priced[ref] = true
		}
		if pv.opened != nil {
			if err := pv.opened(v); err != nil {
				return nil, err
			}
		}
	}
	keep := make([]bool, len(read))
	for i, p := range read {
		keep[i] = pv.v.sees(p) && (pv.shows == nil || pv.shows(p))
	}
	return keep, nil
}

// viewer returns the view to present the page's products with: the one
// built on the first read, or, when later reads added products whose
// customer prices were not read, one built for the page (one more round
// trip, only on pages that hidden products made read more than once).
func (pv *pageView) viewer(page []catalog.Product) (*viewer, error) {
	if pv.v.customerID == "" || !pv.aud.ShowsPrices() {
		return pv.v, nil
	}
	for _, p := range page {
		if !pv.priced[p.Ref] {
			return pv.a.viewerFor(pv.r, pv.aud, refsOf(page), true)
		}
	}
	return pv.v, nil
}

func refsOf(products []catalog.Product) []string {
	refs := make([]string, len(products))
	for i, p := range products {
		refs[i] = p.Ref
	}
	return refs
}
