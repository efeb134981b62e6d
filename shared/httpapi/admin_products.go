package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/money"
	"github.com/shopspring/decimal"
)

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

var taxCategory = lazyRegexp(`^[a-z][a-z0-9-]{0,31}$`)

// validate checks every field that needs no storage read, and returns the
// parsed base price and link ratios.
func (in *ProductInput) validate(ref string, fe *fieldErrors) (base decimal.Decimal, ratios []decimal.Decimal) {
	fe.texts("names", in.Names, maxNameLen, true)
	fe.paragraphs("descriptions", in.Descriptions, maxDescriptionLen, false)
	if !fe.has("categoryId") && !catalog.ValidID(in.CategoryID) {
		fe.add("categoryId", "is required: a category id")
	}
	if in.EAN != "" && !fe.has("ean") && !catalog.ValidEAN13(in.EAN) {
		fe.add("ean", "must be 13 digits with a valid check digit, or empty")
	}
	if len(in.Attributes) > maxAttributes {
		fe.add("attributes", fmt.Sprintf("at most %d attributes", maxAttributes))
	}
	for _, k := range sortedKeys(in.Attributes) {
		if !catalog.ValidAttributeName(k) {
			fe.add("attributes."+k, fmt.Sprintf("an attribute name is 1 to %d characters of plain text (no control characters or bidirectional marks) without surrounding spaces", catalog.MaxAttributeNameLen))
		} else if !catalog.ValidAttributeValue(in.Attributes[k]) {
			fe.add("attributes."+k, fmt.Sprintf("at most %d bytes of plain text (no control characters or bidirectional marks)", catalog.MaxAttributeValueLen))
		}
	}
	if len(in.Images) > maxImages {
		fe.add("images", fmt.Sprintf("at most %d images", maxImages))
	}
	for i, img := range in.Images {
		if !catalog.ValidImageURL(img) {
			fe.add(fmt.Sprintf("images[%d]", i), fmt.Sprintf("must be an absolute http(s) URL of at most %d bytes, without spaces or control characters", catalog.MaxImageURLLen))
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
			case !catalog.ValidQuantity(p.Units):
				fe.add(field+".units", fmt.Sprintf("must be 1 to %d", catalog.MaxUnits))
			case p.Kind == catalog.Unit && p.Units != 1:
				fe.add(field+".units", "a unit packaging holds 1 unit")
			case seen[p]:
				fe.add(field, "listed twice")
			}
			seen[p] = true
		}
	}
	if !fe.has("minOrderQty") && !catalog.ValidQuantity(in.MinOrderQty) {
		fe.add("minOrderQty", fmt.Sprintf("must be 1 to %d units", catalog.MaxUnits))
	}
	if !fe.has("orderMultiple") && !catalog.ValidQuantity(in.OrderMultiple) {
		fe.add("orderMultiple", fmt.Sprintf("must be 1 to %d units", catalog.MaxUnits))
	}
	if !fe.has("taxCategory") && !taxCategory().MatchString(in.TaxCategory) {
		fe.add("taxCategory", "is required: lowercase letters, digits and '-', such as standard")
	}
	if !fe.has("basePrice") {
		var err error
		if base, err = money.ParseAmount(in.BasePrice); err != nil {
			fe.add("basePrice", "is required, excluding VAT: "+err.Error())
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
			if ratio, err := money.ParseAmount(l.Ratio); err == nil && ratio.IsPositive() {
				ratios[i] = ratio
			} else {
				fe.add(field+".ratio", "must be a decimal string greater than 0, such as \"1\" (at most 4 decimals)")
			}
		}
	}
	return base, ratios
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

// putProduct creates or replaces a product through the product store's
// UpdateProduct: what the body does not hold is kept from the stored product
// (its tariffs, and any field the back office does not manage), families
// come from the tree read after the product, and the product, its search
// entries, its EAN claim and its category's count are written in one
// transaction conditioned on the product read. A save that loses a race is
// applied again to the product as the other save left it.
//
// Round trips: the product (GetItem), the linked products (BatchGetItem)
// in parallel, then the tree (Query), then the transaction: 3 or 4, 3 deep.
// An unchanged product is not written.
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
	ctx, m := r.Context(), r.Merchant()
	var (
		linkRefs []string
		linked   map[string]catalog.Product
		linkErr  error
		links    sync.WaitGroup
	)
	for _, l := range in.Links {
		if catalog.ValidRef(l.Ref) && l.Ref != ref && !slices.Contains(linkRefs, l.Ref) {
			linkRefs = append(linkRefs, l.Ref)
		}
	}
	if len(linkRefs) > 0 {
		links.Go(func() { linked, linkErr = a.Catalog.Products(ctx, m, linkRefs) })
	}
	defer links.Wait()
	// references checks what the body names in storage: the category in the
	// tree, the linked products.
	references := func(fe *fieldErrors) (*catalog.Tree, error) {
		cats, err := a.Catalog.Categories(ctx, m)
		links.Wait()
		if err := errors.Join(err, linkErr); err != nil {
			return nil, err
		}
		tree := catalog.NewTree(cats)
		if _, ok := tree.Category(in.CategoryID); !ok && !fe.has("categoryId") {
			fe.add("categoryId", "no category "+strconv.Quote(in.CategoryID))
		}
		for i, l := range in.Links {
			if field := fmt.Sprintf("links[%d].ref", i); !fe.has(field) {
				if _, ok := linked[l.Ref]; !ok {
					fe.add(field, "no product "+strconv.Quote(l.Ref))
				}
			}
		}
		return tree, nil
	}
	if len(fe.list) > 0 {
		// Invalid already: list what storage would refuse too, write nothing.
		if _, err := references(fe); err != nil {
			return err
		}
		return fe.err()
	}
	saved, created, err := a.Catalog.UpdateProduct(ctx, m, ref, func(p *catalog.Product, _ bool) error {
		// The tree is read after the product, on every attempt: a category
		// move whose family refresh saved this product meanwhile makes this
		// save read both again.
		fe := &fieldErrors{}
		tree, err := references(fe)
		if err != nil {
			return err
		}
		if err := fe.err(); err != nil {
			return err
		}
		in.apply(p, base, ratios)
		p.Families, _ = tree.Families(*p)
		return nil
	})
	var taken *catalog.EANTakenError
	switch {
	case errors.As(err, &taken):
		c := Conflict("the EAN is already used by another product")
		c.Errors = []FieldError{{Field: "ean", Reason: "already the EAN of product " + strconv.Quote(taken.Owner)}}
		return c
	case errors.Is(err, catalog.ErrNoCategory):
		return fe.add("categoryId", "no category "+strconv.Quote(in.CategoryID)).err()
	case errors.Is(err, catalog.ErrTooLarge):
		return fe.add("body", fmt.Sprintf("the product, tariffs included, would exceed %d KiB", catalog.MaxProductBytes>>10)).err()
	case errors.Is(err, catalog.ErrConflict):
		return Conflict("product " + strconv.Quote(ref) + " was being changed by other requests at the same time; send the request again")
	case err != nil:
		return err
	}
	return writeJSON(w, createdOr(!created), saved)
}

// apply sets on p every field the body describes.
func (in *ProductInput) apply(p *catalog.Product, base decimal.Decimal, ratios []decimal.Decimal) {
	p.EAN, p.CategoryID = in.EAN, in.CategoryID
	p.Names, p.Descriptions, p.Attributes, p.Images = in.Names, in.Descriptions, in.Attributes, in.Images
	p.Packagings, p.MinOrderQty, p.OrderMultiple = in.Packagings, in.MinOrderQty, in.OrderMultiple
	p.TaxCategory, p.BasePrice, p.Currency = in.TaxCategory, base, in.Currency
	p.Inactive, p.ProOnly, p.NoDiscount = in.Inactive, in.ProOnly, in.NoDiscount
	p.Links = nil
	for i, l := range in.Links {
		p.Links = append(p.Links, catalog.LinkedArticle{Ref: l.Ref, Kind: l.Kind, Ratio: ratios[i]})
	}
}
