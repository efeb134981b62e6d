package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/cursor"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/comptoir/comptoir/shared/pricing"
	"github.com/comptoir/comptoir/shared/stock"
)

// CatalogReader is what the catalog routes need from storage.
type CatalogReader interface {
	catalog.Repository
	Category(ctx context.Context, m merchant.ID, id string) (catalog.Category, error)
	ProductWithStock(ctx context.Context, m merchant.ID, ref string) (catalog.Product, []stock.Level, error)
}

// CatalogAPI serves the catalog routes.
type CatalogAPI struct {
	Pipeline *Pipeline
	Catalog  CatalogReader
	// Prices reads the caller's tariff so that pages show their own prices.
	Prices pricing.Store
	// Assortments limit what some customers see.
	Assortments AssortmentReader
	// Now is the clock that picks valid prices; nil means time.Now.
	Now func() time.Time
	// Cursors seals the page cursors, with the deployment's key
	// (CURSOR_KEY); nil seals them with a key of this process only.
	Cursors *cursor.Sealer
	// Tax reads what VAT-inclusive prices need (the merchant, its rates,
	// its distance-selling state); nil: the seed rates, with the
	// storefront's country as the seller's.
	Tax pricing.TaxSource
}

// Page size bounds for product lists.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Routes returns the catalog function's router.
func (a *CatalogAPI) Routes() http.Handler {
	rt := NewRouter()
	rt.Handle("GET /catalog/categories", a.Pipeline.Handle(a.categories))
	rt.Handle("GET /catalog/categories/{categoryId}/products", a.Pipeline.Handle(a.products))
	rt.Handle("GET /catalog/products/{ref}", a.Pipeline.Handle(a.product))
	rt.Handle("GET /catalog/search", a.Pipeline.Handle(a.search))
	return rt
}

// CategoryView is a category as shown to a caller, in one language.
type CategoryView struct {
	ID       string `json:"id"`
	ParentID string `json:"parentId,omitempty"`
	Name     string `json:"name"`
	Language string `json:"language"`
	Position int    `json:"position"`
}

// PriceView is a price as shown to a caller: their own unit price at the
// minimum order quantity, where it comes from, and their quantity breaks.
type PriceView struct {
	// Amount is printed with the currency's minor units, or more decimals
	// when the unit price has them.
	Amount      money.Amount `json:"amount"`
	Currency    string       `json:"currency"`
	TaxIncluded bool         `json:"taxIncluded"`
	// Source is the price source that won (customer, buying-group,
	// price-category or base).
	Source string `json:"source"`
	// Net is true for a net price: no further discount applies.
	Net    bool                 `json:"net"`
	Breaks []pricing.PriceBreak `json:"breaks,omitempty"`
}

// ProductView is a product as shown to a caller, in one language.
type ProductView struct {
	Ref           string                  `json:"ref"`
	EAN           string                  `json:"ean,omitempty"`
	CategoryID    string                  `json:"categoryId"`
	Name          string                  `json:"name"`
	Description   string                  `json:"description,omitempty"`
	Language      string                  `json:"language"`
	Attributes    map[string]string       `json:"attributes,omitempty"`
	Images        []string                `json:"images,omitempty"`
	Packagings    []catalog.Packaging     `json:"packagings"`
	MinOrderQty   int                     `json:"minOrderQty"`
	OrderMultiple int                     `json:"orderMultiple"`
	TaxCategory   string                  `json:"taxCategory"`
	Links         []catalog.LinkedArticle `json:"links,omitempty"`
	// Price is absent when the portal mode hides prices from the caller.
	Price *PriceView `json:"price,omitempty"`
	// Availability is given on the product detail only.
	Availability *AvailabilityView `json:"availability,omitempty"`
	// PreOrder is set on a product taken on pre-order: a line of it goes
	// into a pre-order of its season (admin_preorder.go).
	PreOrder *PreOrderView `json:"preOrder,omitempty"`
}

// AvailabilityView tells where a product can be served from.
type AvailabilityView struct {
	// Status is the best of the warehouses', or pre-order until
	// AvailableFrom.
	Status        stock.Status            `json:"status"`
	AvailableFrom string                  `json:"availableFrom,omitempty"`
	Warehouses    []WarehouseAvailability `json:"warehouses"`
}

// WarehouseAvailability is a product's availability in one warehouse; the
// quantity is shown to logged-in callers only.
type WarehouseAvailability struct {
	Warehouse string       `json:"warehouse"`
	Status    stock.Status `json:"status"`
	Available *int64       `json:"available,omitempty"`
}

// availabilityView formats a product's stock roll-up (stock.RollUp) for the
// caller: quantities are shown to logged-in callers only.
func availabilityView(av stock.Availability, showQuantities bool) *AvailabilityView {
	out := &AvailabilityView{Status: av.Status, Warehouses: make([]WarehouseAvailability, 0, len(av.Warehouses))}
	if av.AvailableFrom != nil {
		out.AvailableFrom = av.AvailableFrom.Format(time.DateOnly)
	}
	for _, w := range av.Warehouses {
		wv := WarehouseAvailability{Warehouse: w.Warehouse, Status: w.Status}
		if showQuantities {
			n := w.Available
			wv.Available = &n
		}
		out.Warehouses = append(out.Warehouses, wv)
	}
	return out
}

// ProductPage is one page of a product list.
type ProductPage struct {
	Items      []ProductView `json:"items"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

func (a *CatalogAPI) audience(r *Request) (catalog.Audience, error) {
	aud := catalog.Audience{Mode: r.Storefront.Mode, Caller: r.Caller}
	if aud.NeedsLogin() {
		return aud, Unauthenticated("this storefront is a closed extranet: log in to see the catalog")
	}
	return aud, nil
}

func (a *CatalogAPI) categories(w http.ResponseWriter, r *Request) error {
	aud, err := a.audience(r)
	if err != nil {
		return err
	}
	if _, err := queryParams(r); err != nil {
		return err
	}
	var (
		cats          []catalog.Category
		v             *viewer
		catErr, vwErr error
		wg            sync.WaitGroup
	)
	wg.Go(func() { cats, catErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	wg.Go(func() { v, vwErr = a.viewerFor(r, aud, nil, false) })
	wg.Wait()
	if err := errors.Join(vwErr, catErr); err != nil {
		return err
	}
	chain := r.Storefront.LanguageChain(requestedLanguage(r.Request))
	visible := make([]catalog.Category, 0, len(cats))
	for _, c := range visibleCategories(cats, aud) {
		if v.assortment.ShowsCategory(c.ID, cats) {
			visible = append(visible, c)
		}
	}
	catalog.SortTree(visible)
	out := make([]CategoryView, 0, len(visible))
	for _, c := range visible {
		name, lang := catalog.Text(c.Names, chain)
		out = append(out, CategoryView{ID: c.ID, ParentID: c.ParentID, Name: name, Language: lang, Position: c.Position})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"categories": out})
}

// visibleCategories drops the categories the audience may not see. A
// restriction is stored on every category below a restricted one
// (catalog.InheritRestrictions), so each category decides alone.
func visibleCategories(cats []catalog.Category, aud catalog.Audience) []catalog.Category {
	out := make([]catalog.Category, 0, len(cats))
	for _, c := range cats {
		if aud.SeesCategory(c) {
			out = append(out, c)
		}
	}
	return out
}

// products serves GET /catalog/categories/{categoryId}/products: the
// products filed in the category and in every category below it that the
// caller may see, merged in reference order, one page at a time. Every page
// holds limit products except the last (see catalog.Fill for the bound).
//
// Round trips: the tree and the category's own products, in parallel; for a
// category with sub-categories, their products (one Query each, in
// parallel); the caller's view (a customer's tariff for the products read).
// Only when products hidden from the caller leave the page short: more reads,
// and the tariff of the products they added.
func (a *CatalogAPI) products(w http.ResponseWriter, r *Request) error {
	aud, err := a.audience(r)
	if err != nil {
		return err
	}
	params, err := queryParams(r)
	if err != nil {
		return err
	}
	catID := r.PathValue("categoryId")
	notFound := NotFound("no category " + strconv.Quote(catID))
	if !catalog.ValidID(catID) {
		return notFound
	}
	limit, err := pageSize(params.Get("limit"))
	if err != nil {
		return err
	}
	list := []string{"category", catID}
	from, err := a.openCursor(r, params, list...)
	if err != nil {
		return err
	}
	// The tree and the category's own products do not depend on each
	// other: read them together.
	lister := catalog.NewCategoryLister(a.Catalog, r.Merchant(), catID)
	n := catalog.ReadSize(limit, 0)
	var (
		tree         []catalog.Category
		first        catalog.Page
		trErr, pgErr error
		wg           sync.WaitGroup
	)
	wg.Go(func() { tree, trErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	wg.Go(func() { first, pgErr = lister.Read(r.Context(), from, n) })
	wg.Wait()
	if err := errors.Join(trErr, pgErr); err != nil {
		return err
	}
	byID := make(map[string]catalog.Category, len(tree))
	for _, c := range tree {
		byID[c.ID] = c
	}
	if c, ok := byID[catID]; !ok || !aud.SeesCategory(c) {
		return notFound
	}
	listed := map[string]bool{catID: true}
	var below []string
	for _, id := range catalog.Descendants(tree, catID) {
		if aud.SeesCategory(byID[id]) {
			below = append(below, id)
			listed[id] = true
		}
	}
	if len(listed) > catalog.MaxListedCategories {
		return InvalidParameter(fmt.Sprintf("category %q has more than %d categories below it: list its sub-categories one by one", catID, catalog.MaxListedCategories-1))
	}
	if len(below) > 0 {
		if first, err = lister.Extend(r.Context(), below, first, from, n); err != nil {
			return err
		}
	}
	pv := &pageView{a: a, r: r, aud: aud,
		// A category the customer's assortment hides is not there for
		// them, nor are the sub-categories it hides.
		opened: func(v *viewer) error {
			if !v.assortment.ShowsCategory(catID, tree) {
				return notFound
			}
			for id := range listed {
				if !v.assortment.ShowsCategory(id, tree) {
					delete(listed, id)
				}
			}
			lister.Retain(func(id string) bool { return listed[id] })
			return nil
		},
		shows: func(p catalog.Product) bool { return listed[p.CategoryID] },
	}
	page, err := catalog.Fill(r.Context(), first, lister.Read, limit, pv.keep)
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

func (a *CatalogAPI) product(w http.ResponseWriter, r *Request) error {
	aud, err := a.audience(r)
	if err != nil {
		return err
	}
	if _, err := queryParams(r); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	notFound := NotFound("no product " + strconv.Quote(ref))
	if !catalog.ValidRef(ref) {
		return notFound
	}
	// The product and the caller's view are read together.
	var (
		p           catalog.Product
		v           *viewer
		pErr, vwErr error
		wg          sync.WaitGroup
	)
	var levels []stock.Level
	wg.Go(func() { p, levels, pErr = a.Catalog.ProductWithStock(r.Context(), r.Merchant(), ref) })
	wg.Go(func() { v, vwErr = a.viewerFor(r, aud, []string{ref}, true) })
	wg.Wait()
	if errors.Is(pErr, catalog.ErrNotFound) {
		return notFound
	}
	if err := errors.Join(vwErr, pErr); err != nil {
		return err
	}
	if !v.sees(p) {
		return notFound
	}
	// Only anonymous callers can be kept out of a category: look it up
	// only for them.
	if aud.Caller.IsAnonymous() && aud.Mode != merchant.Open {
		cat, err := a.Catalog.Category(r.Context(), r.Merchant(), p.CategoryID)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return err
		}
		if err == nil && !aud.SeesCategory(cat) {
			return notFound
		}
	}
	view := a.present(r, v, []catalog.Product{p})[0]
	view.Availability = availabilityView(stock.RollUp(levels, p.AvailableFrom, v.now), !r.Caller.IsAnonymous())
	return writeJSON(w, http.StatusOK, view)
}

func (a *CatalogAPI) view(p catalog.Product, chain []string) ProductView {
	name, lang := catalog.Text(p.Names, chain)
	desc, _ := catalog.Text(p.Descriptions, []string{lang})
	return ProductView{
		Ref: p.Ref, EAN: p.EAN, CategoryID: p.CategoryID, Name: name, Description: desc, Language: lang,
		Attributes: p.Attributes, Images: p.Images, Packagings: p.Packagings,
		MinOrderQty: p.MinOrderQty, OrderMultiple: p.OrderMultiple, TaxCategory: p.TaxCategory, Links: p.Links,
		PreOrder: preOrderView(p.PreOrder),
	}
}

func pageSize(s string) (int, error) {
	if s == "" {
		return DefaultPageSize, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageSize {
		return 0, InvalidParameter("limit must be a whole number from 1 to " + strconv.Itoa(MaxPageSize))
	}
	return n, nil
}

// requestedLanguage is the ?lang= parameter, else the first language of
// Accept-Language (its primary subtag), else empty.
func requestedLanguage(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return primaryTag(l)
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if tag != "" && tag != "*" {
			return primaryTag(tag)
		}
	}
	return ""
}

func primaryTag(tag string) string {
	tag, _, _ = strings.Cut(strings.TrimSpace(tag), "-")
	tag = strings.ToLower(tag)
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for _, c := range tag {
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	return tag
}
