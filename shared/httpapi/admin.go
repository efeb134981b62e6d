package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/money"
)

// CatalogAdmin is what the back office needs from catalog storage.
type CatalogAdmin interface {
	catalog.Repository
	// Products reads products by reference; unknown ones are absent.
	Products(ctx context.Context, m merchant.ID, refs []string) (map[string]catalog.Product, error)
	SaveCategories(ctx context.Context, m merchant.ID, cats []catalog.Category) error
	SaveProducts(ctx context.Context, m merchant.ID, products []catalog.Product) error
	DeleteCategory(ctx context.Context, m merchant.ID, id string) error
	// HasProducts reports whether a product is filed directly in the category.
	HasProducts(ctx context.Context, m merchant.ID, categoryID string) (bool, error)
}

// StorefrontAdmin is what the back office needs from storefront storage.
type StorefrontAdmin interface {
	List(ctx context.Context, m merchant.ID) ([]merchant.Storefront, error)
	// HostOwner reads who holds a host, bypassing any cache.
	HostOwner(ctx context.Context, host string) (merchant.Storefront, bool, error)
	Save(ctx context.Context, fronts []merchant.Storefront) error
	// Forget drops hosts from the process's storefront cache.
	Forget(hosts ...string)
}

// AssortmentAdmin is what the back office needs from assortment storage.
type AssortmentAdmin interface {
	AssortmentReader
	Save(ctx context.Context, m merchant.ID, as ...catalog.Assortment) error
	Delete(ctx context.Context, m merchant.ID, scope catalog.AssortmentScope, scopeID string) error
}

// AdminAPI serves the back office ("back-office") of the merchant's staff:
// the category tree, products, assortments and storefronts. Every route
// needs a staff token of the storefront's merchant.
//
// Caches: the storefront and assortment stores given here should be the
// admin function's own; writes drop their entries in this process. The
// other functions keep their cached storefronts and assortments for up to
// CACHE_TTL after a write. Categories and products are never cached.
type AdminAPI struct {
	Pipeline    *Pipeline
	Catalog     CatalogAdmin
	Storefronts StorefrontAdmin
	Assortments AssortmentAdmin
	Pricing     PricingAdmin
}

// Bounds of the back office's inputs, so that a stored item stays well under
// DynamoDB's 400 KB and a request cannot fan out without limit.
const (
	MaxCategoryDepth   = 16
	maxLanguages       = 20
	maxNameLen         = 200
	maxDescriptionLen  = 4000
	maxAttributes      = 50
	maxAttributeLen    = 256
	maxImages          = 20
	maxURLLen          = 1024
	maxPackagings      = 10
	maxLinks           = 50
	maxAssortmentItems = 1000
	maxProductDocBytes = 200 << 10
	productPageForMove = 100
)

// Routes returns the admin function's router.
func (a *AdminAPI) Routes() http.Handler {
	rt := NewRouter()
	rt.Handle("GET /admin/categories", a.staff(a.categories))
	rt.Handle("PUT /admin/categories/{id}", a.staff(a.putCategory))
	rt.Handle("DELETE /admin/categories/{id}", a.staff(a.deleteCategory))
	rt.Handle("GET /admin/products/{ref}", a.staff(a.product))
	rt.Handle("PUT /admin/products/{ref}", a.staff(a.putProduct))
	rt.Handle("GET /admin/assortments", a.staff(a.assortments))
	rt.Handle("PUT /admin/assortments/{scope}/{scopeId}", a.staff(a.putAssortment))
	rt.Handle("DELETE /admin/assortments/{scope}/{scopeId}", a.staff(a.deleteAssortment))
	rt.Handle("GET /admin/storefronts", a.staff(a.storefronts))
	rt.Handle("PUT /admin/storefronts/{id}", a.staff(a.putStorefront))
	rt.Handle("GET /admin/pricing", a.staff(a.pricingSettings))
	rt.Handle("PUT /admin/pricing/policy", a.staff(a.putPolicy))
	rt.Handle("PUT /admin/pricing/rules/{id}", a.staff(a.putRule))
	rt.Handle("DELETE /admin/pricing/rules/{id}", a.staff(a.deleteRule))
	return rt
}

// Conflict: the request is valid but clashes with what is stored.
var Conflict = func(detail string) *Problem { return problem(http.StatusConflict, "conflict", "Conflict", detail) }

// staff lets only the storefront merchant's staff through. A token of
// another merchant never gets here: the pipeline refuses it (invalid-token).
func (a *AdminAPI) staff(h HandlerFunc) http.Handler {
	return a.Pipeline.Handle(func(w http.ResponseWriter, r *Request) error {
		switch {
		case r.Caller.IsAnonymous():
			return Unauthenticated("log in as the merchant's staff to use the back office")
		case r.Caller.Role != identity.Staff || r.Caller.Merchant != r.Merchant():
			return Forbidden("the back office is for the merchant's staff only")
		}
		return h(w, r)
	})
}

// ---------------------------------------------------------------- categories

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

// lazyRegexp compiles a pattern on first use rather than in every API
// function's init: only the admin function matches these.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// ---------------------------------------------------------------- products

// ProductInput is the body of PUT /admin/products/{ref}. Tariffs are not
// part of it (the ERP feeds them) and families are computed from the tree.
type ProductInput struct {
	Names         map[string]string   `json:"names"`
	Descriptions  map[string]string   `json:"descriptions,omitempty"`
	CategoryID    string              `json:"categoryId"`
	EAN           string              `json:"ean,omitempty"`
	Attributes    map[string]string   `json:"attributes,omitempty"`
	Images        []string            `json:"images,omitempty"`
	Packagings    []catalog.Packaging `json:"packagings"`
	MinOrderQty   int                 `json:"minOrderQty"`
	OrderMultiple int                 `json:"orderMultiple"`
	TaxCategory   string              `json:"taxCategory"`
	// BasePrice is a decimal string, excluding VAT.
	BasePrice  string      `json:"basePrice"`
	Currency   string      `json:"currency"`
	Inactive   bool        `json:"inactive,omitempty"`
	ProOnly    bool        `json:"proOnly,omitempty"`
	NoDiscount bool        `json:"noDiscount,omitempty"`
	Links      []LinkInput `json:"links,omitempty"`
}

// LinkInput is a linked article in a product body; Ratio is a decimal
// string.
type LinkInput struct {
	Ref   string           `json:"ref"`
	Kind  catalog.LinkKind `json:"kind"`
	Ratio string           `json:"ratio"`
}

func (in *ProductInput) fields() map[string]any {
	return map[string]any{
		"names": &in.Names, "descriptions": &in.Descriptions, "categoryId": &in.CategoryID, "ean": &in.EAN,
		"attributes": &in.Attributes, "images": &in.Images, "packagings": &in.Packagings,
		"minOrderQty": &in.MinOrderQty, "orderMultiple": &in.OrderMultiple, "taxCategory": &in.TaxCategory,
		"basePrice": &in.BasePrice, "currency": &in.Currency, "inactive": &in.Inactive, "proOnly": &in.ProOnly,
		"noDiscount": &in.NoDiscount, "links": &in.Links,
	}
}

var (
	// decimalText is a plain non-negative decimal: no sign, no exponent.
	decimalText = lazyRegexp(`^[0-9]{1,12}(\.[0-9]{1,6})?$`)
	taxCategory = lazyRegexp(`^[a-z][a-z0-9-]{0,31}$`)
)

// validate checks every field that needs no storage read, and returns the
// parsed base price and link ratios.
func (in *ProductInput) validate(ref string, fe *fieldErrors) (base decimal.Decimal, ratios []decimal.Decimal) {
	fe.texts("names", in.Names, maxNameLen, true)
	fe.texts("descriptions", in.Descriptions, maxDescriptionLen, false)
	if !fe.has("categoryId") && !catalog.ValidID(in.CategoryID) {
		fe.add("categoryId", "is required: a category id")
	}
	if in.EAN != "" && !fe.has("ean") && !ValidEAN13(in.EAN) {
		fe.add("ean", "must be 13 digits with a valid check digit, or empty")
	}
	if len(in.Attributes) > maxAttributes {
		fe.add("attributes", fmt.Sprintf("at most %d attributes", maxAttributes))
	}
	for _, k := range sortedKeys(in.Attributes) {
		if k == "" || len(k) > 64 || strings.TrimSpace(k) != k {
			fe.add("attributes."+k, "an attribute name is 1 to 64 characters without surrounding spaces")
		} else if len(in.Attributes[k]) > maxAttributeLen {
			fe.add("attributes."+k, fmt.Sprintf("at most %d bytes", maxAttributeLen))
		}
	}
	if len(in.Images) > maxImages {
		fe.add("images", fmt.Sprintf("at most %d images", maxImages))
	}
	for i, img := range in.Images {
		u, err := url.Parse(img)
		if err != nil || len(img) > maxURLLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fe.add(fmt.Sprintf("images[%d]", i), "must be an absolute http(s) URL")
		}
	}
	if !fe.has("packagings") {
		switch {
		case len(in.Packagings) == 0:
			fe.add("packagings", "at least one packaging is required")
		case len(in.Packagings) > maxPackagings:
			fe.add("packagings", fmt.Sprintf("at most %d packagings", maxPackagings))
		}
		seen := map[catalog.Packaging]bool{}
		for i, p := range in.Packagings {
			field := fmt.Sprintf("packagings[%d]", i)
			switch {
			case p.Kind != catalog.Unit && p.Kind != catalog.Lot && p.Kind != catalog.Pallet:
				fe.add(field+".kind", "must be unit, lot or pallet")
			case p.Units < 1:
				fe.add(field+".units", "must be at least 1")
			case p.Kind == catalog.Unit && p.Units != 1:
				fe.add(field+".units", "a unit packaging holds 1 unit")
			case seen[p]:
				fe.add(field, "listed twice")
			}
			seen[p] = true
		}
	}
	if !fe.has("minOrderQty") && in.MinOrderQty < 1 {
		fe.add("minOrderQty", "must be at least 1")
	}
	if !fe.has("orderMultiple") && in.OrderMultiple < 1 {
		fe.add("orderMultiple", "must be at least 1")
	}
	if !fe.has("taxCategory") && !taxCategory().MatchString(in.TaxCategory) {
		fe.add("taxCategory", "is required: lowercase letters, digits and '-', such as standard")
	}
	if !fe.has("basePrice") {
		if decimalText().MatchString(in.BasePrice) {
			base = decimal.RequireFromString(in.BasePrice)
		} else {
			fe.add("basePrice", "is required: a decimal string of 0 or more such as \"12.50\" (at most 12 digits and 6 decimals)")
		}
	}
	in.Currency = strings.ToUpper(in.Currency)
	if !fe.has("currency") && !money.ValidCurrency(in.Currency) {
		fe.add("currency", "is required: an ISO 4217 code such as EUR")
	}
	if !fe.has("links") {
		if len(in.Links) > maxLinks {
			fe.add("links", fmt.Sprintf("at most %d linked articles", maxLinks))
		}
		seen := map[string]bool{}
		ratios = make([]decimal.Decimal, len(in.Links))
		for i, l := range in.Links {
			field := fmt.Sprintf("links[%d]", i)
			switch {
			case !catalog.ValidRef(l.Ref):
				fe.add(field+".ref", "must be a product reference")
			case l.Ref == ref:
				fe.add(field+".ref", "a product cannot be linked to itself")
			case seen[l.Ref]:
				fe.add(field+".ref", "linked twice")
			}
			seen[l.Ref] = true
			if l.Kind != catalog.Mandatory && l.Kind != catalog.Optional {
				fe.add(field+".kind", "must be mandatory or optional")
			}
			if decimalText().MatchString(l.Ratio) && decimal.RequireFromString(l.Ratio).IsPositive() {
				ratios[i] = decimal.RequireFromString(l.Ratio)
			} else {
				fe.add(field+".ratio", "must be a decimal string greater than 0, such as \"1\"")
			}
		}
	}
	return base, ratios
}

// ValidEAN13 reports whether s is 13 digits whose last one is the EAN-13
// check digit of the first twelve.
func ValidEAN13(s string) bool {
	if len(s) != 13 {
		return false
	}
	sum := 0
	for i := range 12 {
		d := int(s[i]) - '0'
		if d < 0 || d > 9 {
			return false
		}
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return int(s[12]) == '0'+(10-sum%10)%10
}

func (a *AdminAPI) product(w http.ResponseWriter, r *Request) error {
	ref := r.PathValue("ref")
	if !catalog.ValidRef(ref) {
		return NotFound("no product " + strconv.Quote(ref))
	}
	p, err := a.Catalog.Product(r.Context(), r.Merchant(), ref)
	if errors.Is(err, catalog.ErrNotFound) {
		return NotFound("no product " + strconv.Quote(ref))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// putProduct creates or replaces a product. What the body does not hold is
// kept from the stored product: its tariffs, and any field the back office
// does not manage. Families are computed from the stored tree.
func (a *AdminAPI) putProduct(w http.ResponseWriter, r *Request) error {
	ref := r.PathValue("ref")
	fe := &fieldErrors{}
	if !catalog.ValidRef(ref) {
		fe.add("ref", "must be 1 to 64 printable characters without spaces or '#'")
	}
	var in ProductInput
	if err := decodeFields(r.Request, fe, in.fields()); err != nil {
		return err
	}
	base, ratios := in.validate(ref, fe)
	if fe.has("ref") || fe.decoding {
		return fe.err()
	}
	refs := []string{ref}
	for _, l := range in.Links {
		if catalog.ValidRef(l.Ref) && !slices.Contains(refs, l.Ref) {
			refs = append(refs, l.Ref)
		}
	}
	var (
		cats         []catalog.Category
		stored       map[string]catalog.Product
		catErr, pErr error
		wg           sync.WaitGroup
	)
	wg.Go(func() { cats, catErr = a.Catalog.Categories(r.Context(), r.Merchant()) })
	wg.Go(func() { stored, pErr = a.Catalog.Products(r.Context(), r.Merchant(), refs) })
	wg.Wait()
	if err := errors.Join(catErr, pErr); err != nil {
		return err
	}
	if !fe.has("categoryId") && !slices.ContainsFunc(cats, func(c catalog.Category) bool { return c.ID == in.CategoryID }) {
		fe.add("categoryId", "no category "+strconv.Quote(in.CategoryID))
	}
	for i, l := range in.Links {
		if field := fmt.Sprintf("links[%d].ref", i); !fe.has(field) {
			if _, ok := stored[l.Ref]; !ok {
				fe.add(field, "no product "+strconv.Quote(l.Ref))
			}
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	p, found := stored[ref]
	p.Ref, p.EAN, p.CategoryID = ref, in.EAN, in.CategoryID
	p.Names, p.Descriptions, p.Attributes, p.Images = in.Names, in.Descriptions, in.Attributes, in.Images
	p.Packagings, p.MinOrderQty, p.OrderMultiple = in.Packagings, in.MinOrderQty, in.OrderMultiple
	p.TaxCategory, p.BasePrice, p.Currency = in.TaxCategory, base, in.Currency
	p.Inactive, p.ProOnly, p.NoDiscount = in.Inactive, in.ProOnly, in.NoDiscount
	p.Links = nil
	for i, l := range in.Links {
		p.Links = append(p.Links, catalog.LinkedArticle{Ref: l.Ref, Kind: l.Kind, Ratio: ratios[i]})
	}
	p.Families = catalog.Lineage(cats, p.CategoryID)
	if doc, err := json.Marshal(p); err != nil || len(doc) > maxProductDocBytes {
		return fe.add("body", fmt.Sprintf("the product, tariffs included, would exceed %d KiB", maxProductDocBytes>>10)).err()
	}
	if err := a.Catalog.SaveProducts(r.Context(), r.Merchant(), []catalog.Product{p}); err != nil {
		return err
	}
	return writeJSON(w, createdOr(found), p)
}

// ---------------------------------------------------------------- assortments

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

// ---------------------------------------------------------------- storefronts

// StorefrontInput is the body of PUT /admin/storefronts/{id}. The merchant
// is always the caller's.
type StorefrontInput struct {
	Host      string              `json:"host"`
	Country   string              `json:"country"`
	Language  string              `json:"language"`
	Currency  string              `json:"currency"`
	Mode      merchant.PortalMode `json:"mode"`
	Consumers bool                `json:"consumers,omitempty"`
}

var (
	hostName    = lazyRegexp(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	countryCode = lazyRegexp(`^[A-Z]{2}$`)
	langCode    = lazyRegexp(`^[a-z]{2,3}$`)
)

func (a *AdminAPI) storefronts(w http.ResponseWriter, r *Request) error {
	fronts, err := a.Storefronts.List(r.Context(), r.Merchant())
	if err != nil {
		return err
	}
	if fronts == nil {
		fronts = []merchant.Storefront{}
	}
	sort.Slice(fronts, func(i, j int) bool { return fronts[i].ID < fronts[j].ID })
	return writeJSON(w, http.StatusOK, map[string]any{"storefronts": fronts})
}

// putStorefront creates or replaces one of the caller's merchant's
// storefronts. A host is unique across the deployment: one held by another
// storefront, of this merchant or another, is refused with 409. The check
// reads the host index and then writes: two requests racing for one new
// host can both pass it.
func (a *AdminAPI) putStorefront(w http.ResponseWriter, r *Request) error {
	id := r.PathValue("id")
	fe := &fieldErrors{}
	if !catalog.ValidID(id) {
		fe.add("id", "must be 1 to 64 printable characters without spaces, '#' or '/'")
	}
	var in StorefrontInput
	if err := decodeFields(r.Request, fe, map[string]any{
		"host": &in.Host, "country": &in.Country, "language": &in.Language, "currency": &in.Currency,
		"mode": &in.Mode, "consumers": &in.Consumers,
	}); err != nil {
		return err
	}
	host := strings.ToLower(strings.TrimSpace(in.Host))
	if !fe.has("host") && (len(host) > 253 || !hostName().MatchString(host)) {
		fe.add("host", "is required: a host name without scheme, port or path, such as shop.example.fr")
	}
	in.Country, in.Language, in.Currency = strings.ToUpper(in.Country), strings.ToLower(in.Language), strings.ToUpper(in.Currency)
	if !fe.has("country") && !countryCode().MatchString(in.Country) {
		fe.add("country", "is required: an ISO 3166 alpha-2 code such as FR")
	}
	if !fe.has("language") && !langCode().MatchString(in.Language) {
		fe.add("language", "is required: a language code such as fr")
	}
	if !fe.has("currency") && !money.ValidCurrency(in.Currency) {
		fe.add("currency", "is required: an ISO 4217 code such as EUR")
	}
	if !fe.has("mode") && !in.Mode.Valid() {
		fe.add("mode", "must be closed, partially-open or open")
	}
	if err := fe.err(); err != nil {
		return err
	}
	var (
		fronts          []merchant.Storefront
		owner           merchant.Storefront
		held            bool
		listErr, ownErr error
		wg              sync.WaitGroup
	)
	wg.Go(func() { fronts, listErr = a.Storefronts.List(r.Context(), r.Merchant()) })
	wg.Go(func() { owner, held, ownErr = a.Storefronts.HostOwner(r.Context(), host) })
	wg.Wait()
	if err := errors.Join(listErr, ownErr); err != nil {
		return err
	}
	if held && (owner.Merchant != r.Merchant() || owner.ID != id) {
		p := Conflict("host " + strconv.Quote(host) + " already answers for another storefront")
		p.Errors = []FieldError{{Field: "host", Reason: "already used by another storefront"}}
		return p
	}
	sf := merchant.Storefront{ID: id, Merchant: r.Merchant(), Host: host, Country: in.Country, Language: in.Language,
		Currency: in.Currency, Mode: in.Mode, Consumers: in.Consumers, MerchantLanguage: in.Language}
	var old *merchant.Storefront
	for i, f := range fronts {
		if f.ID == id {
			old = &fronts[i]
		}
	}
	// The merchant's language is the same on all its storefronts.
	switch {
	case old != nil && old.MerchantLanguage != "":
		sf.MerchantLanguage = old.MerchantLanguage
	case len(fronts) > 0 && fronts[0].MerchantLanguage != "":
		sf.MerchantLanguage = fronts[0].MerchantLanguage
	}
	if err := a.Storefronts.Save(r.Context(), []merchant.Storefront{sf}); err != nil {
		return err
	}
	a.Storefronts.Forget(host)
	if old != nil {
		a.Storefronts.Forget(old.Host)
	}
	return writeJSON(w, createdOr(old != nil), sf)
}

// ---------------------------------------------------------------- inputs

// fieldErrors gathers every invalid field of a request, so that one answer
// lists them all.
type fieldErrors struct {
	list []FieldError
	// decoding is set when a field could not be decoded at all.
	decoding bool
}

func (fe *fieldErrors) add(field, reason string) *fieldErrors {
	fe.list = append(fe.list, FieldError{Field: field, Reason: reason})
	return fe
}

// has reports whether field, or a part of it, is already known to be bad.
func (fe *fieldErrors) has(field string) bool {
	for _, e := range fe.list {
		if e.Field == field || strings.HasPrefix(e.Field, field+".") || strings.HasPrefix(e.Field, field+"[") {
			return true
		}
	}
	return false
}

// err is nil without errors, else a 400 problem listing them: invalid-body
// when a field could not be decoded, invalid-parameter otherwise.
func (fe *fieldErrors) err() error {
	if len(fe.list) == 0 {
		return nil
	}
	p := InvalidParameter("some fields are invalid; see errors")
	if fe.decoding {
		p = problem(http.StatusBadRequest, "invalid-body", "Invalid body", "some fields are not the expected JSON; see errors")
	}
	p.Errors = slices.Clone(fe.list)
	slices.SortStableFunc(p.Errors, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return p
}

// texts checks a map of texts per language.
func (fe *fieldErrors) texts(field string, texts map[string]string, maxLen int, required bool) {
	if fe.has(field) {
		return
	}
	some := false
	for _, l := range sortedKeys(texts) {
		t := texts[l]
		switch {
		case !langCode().MatchString(l):
			fe.add(field+"."+l, "not a language code (2 or 3 lowercase letters)")
		case len([]rune(t)) > maxLen:
			fe.add(field+"."+l, fmt.Sprintf("at most %d characters", maxLen))
		}
		some = some || strings.TrimSpace(t) != ""
	}
	switch {
	case len(texts) > maxLanguages:
		fe.add(field, fmt.Sprintf("at most %d languages", maxLanguages))
	case required && !some:
		fe.add(field, "is required: a text in at least one language, such as {\"fr\": \"...\"}")
	}
}

// decodeFields reads a JSON object of at most 1 MiB and decodes each of its
// members into the target of the same name, recording an unknown member or
// a member of the wrong type as a field error rather than stopping at the
// first. A body that is not one JSON object is a problem of its own.
func decodeFields(r *http.Request, fe *fieldErrors, targets map[string]any) error {
	var raw map[string]json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return err
	}
	if raw == nil {
		return problem(http.StatusBadRequest, "invalid-body", "Invalid body", "the body must be a JSON object")
	}
	for _, name := range sortedKeys(raw) {
		target, ok := targets[name]
		if !ok {
			fe.decoding = true
			fe.add(name, "unknown field")
			continue
		}
		dec := json.NewDecoder(strings.NewReader(string(raw[name])))
		dec.DisallowUnknownFields()
		if err := dec.Decode(target); err != nil {
			fe.decoding = true
			field, reason := name, strings.TrimPrefix(err.Error(), "json: ")
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				if te.Field != "" {
					field += "." + te.Field
				}
				reason = "must be " + jsonKind(te.Type.Kind().String()) + ", not " + te.Value
			}
			fe.add(field, reason)
		}
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32":
		return "a whole number"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	}
	return "another type"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// createdOr is 200 when the resource existed, 201 when the request created
// it.
func createdOr(existed bool) int {
	if existed {
		return http.StatusOK
	}
	return http.StatusCreated
}
