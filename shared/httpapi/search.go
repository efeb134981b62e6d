package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
)

// search serves GET /catalog/search: products found by reference prefix,
// exact EAN or the words of their name, as the caller may see them, one
// page at a time. Every page holds limit products except the last (see
// catalog.Fill for the bound).
//
// Round trips: the search itself (one Query, or from the start of a
// reference-like text a Query on the reference index, a Query on the word
// index and, for an EAN, a GetItem, all in parallel), the category tree in
// parallel for an anonymous visitor of a storefront that is not open, then
// the caller's view (their tariff for the products read; rules and
// assortments come from the function's cache when warm). Only when products
// hidden from the caller leave the page short: more reads, and the tariff of
// the products they added.
func (a *CatalogAPI) search(w http.ResponseWriter, r *Request) error {
	aud, err := a.audience(r)
	if err != nil {
		return err
	}
	params, err := queryParams(r)
	if err != nil {
		return err
	}
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
	list := []string{"search", q.Text, strings.Join(chain, ",")}
	from, err := a.openCursor(r, params, list...)
	if err != nil {
		return err
	}
	read := func(ctx context.Context, from catalog.Position, n int) (catalog.Page, error) {
		return searcher.SearchProducts(ctx, r.Merchant(), q, chain, n, from)
	}
	// Only anonymous visitors of a storefront that is not open can be kept
	// out of a category: read the tree for them only, with the search.
	needTree := aud.Caller.IsAnonymous() && aud.Mode != merchant.Open
	var (
		first            catalog.Page
		cats             []catalog.Category
		searchErr, trErr error
		wg               sync.WaitGroup
	)
	wg.Go(func() { first, searchErr = read(r.Context(), from, catalog.ReadSize(limit, 0)) })
	if needTree {
		wg.Go(func() { cats, trErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	}
	wg.Wait()
	if err := errors.Join(searchErr, trErr); err != nil {
		return err
	}
	pv := &pageView{a: a, r: r, aud: aud}
	if needTree {
		hidden := hiddenCategories(cats, aud)
		pv.shows = func(p catalog.Product) bool { return !inHiddenCategory(p, hidden) }
	}
	page, err := catalog.Fill(r.Context(), first, read, limit, pv.keep)
	if err != nil {
		return err
	}
	v, err := pv.viewer(page.Products)
	if err != nil {
		return err
	}
	next, err := a.sealCursor(r, page, list...)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ProductPage{Items: a.present(r, v, page.Products), NextCursor: next})
}

// hiddenCategories are the categories of the tree the audience may not see
// (a restricted category or one below it).
func hiddenCategories(cats []catalog.Category, aud catalog.Audience) map[string]bool {
	hidden := make(map[string]bool, len(cats))
	for _, c := range cats {
		if !aud.SeesCategory(c) {
			hidden[c.ID] = true
		}
	}
	return hidden
}

// inHiddenCategory reports whether a product is filed in a hidden category
// or below one. A product whose category is not in the tree stays, as on its
// detail page.
func inHiddenCategory(p catalog.Product, hidden map[string]bool) bool {
	if hidden[p.CategoryID] {
		return true
	}
	for _, f := range p.Families {
		if hidden[f] {
			return true
		}
	}
	return false
}
