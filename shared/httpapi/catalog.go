package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/merchant"
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
	Amount      decimal.Decimal `json:"amount"`
	Currency    string          `json:"currency"`
	TaxIncluded bool            `json:"taxIncluded"`
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

// availability summarises stock levels for the caller.
func availability(p catalog.Product, levels []stock.Level, showQuantities bool, now time.Time) *AvailabilityView {
	av := &AvailabilityView{Status: stock.Out, Warehouses: make([]WarehouseAvailability, 0, len(levels))}
	rank := map[stock.Status]int{stock.Out: 0, stock.Low: 1, stock.InStock: 2}
	sort.Slice(levels, func(i, j int) bool { return levels[i].Warehouse < levels[j].Warehouse })
	for _, l := range levels {
		w := WarehouseAvailability{Warehouse: l.Warehouse, Status: l.Status()}
		if showQuantities {
			n := l.Available()
			w.Available = &n
		}
		if rank[w.Status] > rank[av.Status] {
			av.Status = w.Status
		}
		av.Warehouses = append(av.Warehouses, w)
	}
	if p.AvailableFrom != nil && p.AvailableFrom.After(now) {
		av.Status, av.AvailableFrom = stock.PreOrder, p.AvailableFrom.Format(time.DateOnly)
	}
	return av
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

func (a *CatalogAPI) products(w http.ResponseWriter, r *Request) error {
	aud, err := a.audience(r)
	if err != nil {
		return err
	}
	catID := r.PathValue("categoryId")
	if !catalog.ValidID(catID) {
		return NotFound("no category " + strconv.Quote(catID))
	}
	limit, err := pageSize(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	cursor := r.URL.Query().Get("cursor")
	// The category check and the page query do not depend on each other:
	// run them together so the page costs one round trip of latency. An
	// unknown category wins over a bad cursor.
	var (
		cat           catalog.Category
		page          catalog.Page
		catErr, pgErr error
		wg            sync.WaitGroup
	)
	wg.Go(func() { cat, catErr = a.Catalog.Category(r.Context(), r.Merchant(), catID) })
	wg.Go(func() { page, pgErr = a.Catalog.ProductsInCategory(r.Context(), r.Merchant(), catID, limit, cursor) })
	wg.Wait()
	if errors.Is(catErr, catalog.ErrNotFound) {
		return NotFound("no category " + strconv.Quote(catID))
	}
	if err := errors.Join(catErr, pgErr); err != nil {
		return err
	}
	if !aud.SeesCategory(cat) {
		return NotFound("no category " + strconv.Quote(catID))
	}
	refs := make([]string, len(page.Products))
	for i, p := range page.Products {
		refs[i] = p.Ref
	}
	v, err := a.viewerFor(r, aud, refs, true)
	if err != nil {
		return err
	}
	out := ProductPage{Items: a.present(r, v, page.Products), NextCursor: page.NextCursor}
	return writeJSON(w, http.StatusOK, out)
}

func (a *CatalogAPI) product(w http.ResponseWriter, r *Request) error {
	aud, err := a.audience(r)
	if err != nil {
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
	view.Availability = availability(p, levels, !r.Caller.IsAnonymous(), v.now)
	return writeJSON(w, http.StatusOK, view)
}

func (a *CatalogAPI) view(p catalog.Product, chain []string) ProductView {
	name, lang := catalog.Text(p.Names, chain)
	desc, _ := catalog.Text(p.Descriptions, []string{lang})
	return ProductView{
		Ref: p.Ref, EAN: p.EAN, CategoryID: p.CategoryID, Name: name, Description: desc, Language: lang,
		Attributes: p.Attributes, Images: p.Images, Packagings: p.Packagings,
		MinOrderQty: p.MinOrderQty, OrderMultiple: p.OrderMultiple, TaxCategory: p.TaxCategory, Links: p.Links,
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
