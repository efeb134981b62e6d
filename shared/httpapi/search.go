package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// search serves GET /catalog/search: products found by reference prefix,
// exact EAN or the words of their name, as the caller may see them, one
// page at a time.
//
// Round trips: the search itself (one Query, or on the first page of a
// reference-like text a Query on the reference index, a Query on the word
// index and, for an EAN, a GetItem, all in parallel), the category tree in
// parallel for an anonymous visitor of a storefront that is not open, then
// the caller's view (their tariff for the page's products; rules and
// assortments come from the function's cache when warm).
func (a *CatalogAPI) search(w http.ResponseWriter, r *Request) error {
	aud, err := a.audience(r)
	if err != nil {
		return err
	}
	params := r.URL.Query()
	text := params.Get("q")
	if n := utf8.RuneCountInString(text); n == 0 || n > catalog.MaxQueryLen {
		return InvalidParameter("q is required: a reference, an EAN or words, 1 to " + strconv.Itoa(catalog.MaxQueryLen) + " characters")
	}
	q, err := catalog.ParseQuery(text)
	if errors.Is(err, catalog.ErrEmptyQuery) {
		return InvalidParameter("q holds neither a reference nor a word of " + strconv.Itoa(catalog.MinWordLen) + " characters or more")
	}
	if err != nil {
		return err
	}
	limit, err := pageSize(params.Get("limit"))
	if err != nil {
		return err
	}
	searcher, ok := a.Catalog.(catalog.Searcher)
	if !ok {
		return errors.New("the catalog store cannot search")
	}
	chain := r.Storefront.LanguageChain(requestedLanguage(r.Request))
	// Only anonymous visitors of a storefront that is not open can be kept
	// out of a category: read the tree for them only, with the search.
	needTree := aud.Caller.IsAnonymous() && aud.Mode != merchant.Open
	var (
		page             catalog.Page
		cats             []catalog.Category
		searchErr, trErr error
		wg               sync.WaitGroup
	)
	wg.Go(func() {
		page, searchErr = searcher.SearchProducts(r.Context(), r.Merchant(), q, chain, limit, params.Get("cursor"))
	})
	if needTree {
		wg.Go(func() { cats, trErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	}
	wg.Wait()
	if err := errors.Join(searchErr, trErr); err != nil {
		return err
	}
	found := page.Products
	if needTree {
		found = inVisibleCategories(found, cats, aud)
	}
	refs := make([]string, len(found))
	for i, p := range found {
		refs[i] = p.Ref
	}
	v, err := a.viewerFor(r, aud, refs, true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ProductPage{Items: a.present(r, v, found), NextCursor: page.NextCursor})
}

// inVisibleCategories drops the products of a category the audience may not
// see (a restricted category or one below it). A product whose category is
// not in the tree stays, as on its detail page.
func inVisibleCategories(products []catalog.Product, cats []catalog.Category, aud catalog.Audience) []catalog.Product {
	hidden := make(map[string]bool, len(cats))
	for _, c := range cats {
		hidden[c.ID] = true
	}
	for _, c := range visibleCategories(cats, aud) {
		delete(hidden, c.ID)
	}
	out := make([]catalog.Product, 0, len(products))
	for _, p := range products {
		keep := !hidden[p.CategoryID]
		for _, f := range p.Families {
			keep = keep && !hidden[f]
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}
