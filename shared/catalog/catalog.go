// Package catalog holds the merchant's product catalog: the category tree
// ("arborescence"), products with their texts per language, packaging units and
// order quantity rules, and the rules that decide what a caller may see of it.
package catalog

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/tariff"
)

// Category is one node of the merchant's category tree ("famille").
type Category struct {
	ID       string `json:"id"`
	ParentID string `json:"parentId,omitempty"`
	// Names holds the category name per language code.
	Names    map[string]string `json:"names"`
	Position int               `json:"position"`
	// Restricted categories are hidden from anonymous visitors of a partially
	// open storefront.
	Restricted bool `json:"restricted,omitempty"`
}

// PackagingKind is how a product is sold: by unit, by lot of N, by pallet of N.
type PackagingKind string

const (
	// Unit is the product sold one by one.
	Unit PackagingKind = "unit"
	// Lot is a pack of N units ("lot").
	Lot PackagingKind = "lot"
	// Pallet is a pallet of N units ("palette").
	Pallet PackagingKind = "pallet"
)

// Packaging is one way a product can be ordered.
type Packaging struct {
	Kind  PackagingKind `json:"kind"`
	Units int           `json:"units"`
}

// LinkKind says whether a linked article must ship with its product.
type LinkKind string

const (
	// Mandatory companions are added with the product and cannot drop below
	// the ratio ("article lié obligatoire").
	Mandatory LinkKind = "mandatory"
	// Optional companions are suggested; the buyer chooses the quantity.
	Optional LinkKind = "optional"
)

// LinkedArticle is a companion product with its ratio per unit of the product.
type LinkedArticle struct {
	Ref   string          `json:"ref"`
	Kind  LinkKind        `json:"kind"`
	Ratio decimal.Decimal `json:"ratio"`
}

// Product is an article of the catalog (F_ARTICLE in Sage 100).
type Product struct {
	Ref          string            `json:"ref"`
	EAN          string            `json:"ean,omitempty"`
	CategoryID   string            `json:"categoryId"`
	Names        map[string]string `json:"names"`
	Descriptions map[string]string `json:"descriptions,omitempty"`
	Attributes   map[string]string `json:"attributes,omitempty"`
	Images       []string          `json:"images,omitempty"`
	Packagings   []Packaging       `json:"packagings"`
	// MinOrderQty is the smallest quantity, in units, a line may hold.
	MinOrderQty int `json:"minOrderQty"`
	// OrderMultiple is the step, in units, a line quantity must respect.
	OrderMultiple int    `json:"orderMultiple"`
	TaxCategory   string `json:"taxCategory"`
	// BasePrice is the list price excluding VAT (AR_PrixVen) in Currency.
	BasePrice decimal.Decimal `json:"basePrice"`
	Currency  string          `json:"currency"`
	// Inactive products ("en sommeil", AR_Sommeil) are never shown.
	Inactive bool `json:"inactive,omitempty"`
	// ProOnly products are hidden from consumers and anonymous visitors.
	ProOnly bool            `json:"proOnly,omitempty"`
	Links   []LinkedArticle `json:"links,omitempty"`
	// AvailableFrom is set on seasonal products taken on pre-order until
	// that day; pre-orders do not consume stock.
	AvailableFrom *time.Time `json:"availableFrom,omitempty"`
	// PreOrder, when set, takes the product on pre-order ("précommande"):
	// a cart line of it goes into a pre-order of its season and never
	// consumes stock. Staff set it with AvailableFrom =
	// PreOrder.AvailableFrom, and clear both together.
	PreOrder *PreOrder `json:"preOrder,omitempty"`
	// NoDiscount marks a product "hors remise": excluded from every discount.
	NoDiscount bool `json:"noDiscount,omitempty"`
	// Backorder allows what stock cannot serve at checkout to be ordered
	// anyway as a backorder ("reliquat"), shipped when the goods come in;
	// without it such a line is refused with the quantity available.
	Backorder bool `json:"backorder,omitempty"`
	// Families are the product's category and its ancestors, nearest first,
	// so that a family discount can match without reading the tree.
	Families []string `json:"families,omitempty"`
	// Tariffs are the product's price-category and buying-group price
	// entries, kept with the product so that one read prices it for any
	// customer. Customer-specific entries are stored with the customer.
	Tariffs []tariff.Entry `json:"tariffs,omitempty"`
}

// Errors the catalog returns; the HTTP layer maps them to problem types.
var (
	ErrNotFound = errors.New("not found")
	// ErrInvalidCursor: a position that does not belong to the list it is
	// used on.
	ErrInvalidCursor = errors.New("invalid cursor")
)

// Repository is the catalog's storage port.
type Repository interface {
	// Categories returns the whole category tree of the merchant.
	Categories(ctx context.Context, m merchant.ID) ([]Category, error)
	// ProductsInCategory reads up to limit products filed in one category
	// (not below it), in reference order, with a reference after after
	// (empty: from the first). Each product's end position is its
	// reference.
	ProductsInCategory(ctx context.Context, m merchant.ID, categoryID string, limit int, after string) (Page, error)
	// Product returns one product by reference, or ErrNotFound.
	Product(ctx context.Context, m merchant.ID, ref string) (Product, error)
}

// Text picks the text for the first language of the chain that has one, and
// says which language it used. With no match it falls back to any text, in
// language-code order, so a product is never nameless.
func Text(texts map[string]string, chain []string) (text, language string) {
	for _, l := range chain {
		if t, ok := texts[l]; ok && t != "" {
			return t, l
		}
	}
	best := ""
	for l, t := range texts {
		if t != "" && (best == "" || l < best) {
			best = l
		}
	}
	return texts[best], best
}

// InheritRestrictions marks every category below a restricted one as
// restricted too, so that one category read is enough to decide visibility.
// Loaders call it on the whole tree before saving it.
func InheritRestrictions(cats []Category) []Category {
	byID := make(map[string]Category, len(cats))
	for _, c := range cats {
		byID[c.ID] = c
	}
	out := make([]Category, len(cats))
	for i, c := range cats {
		for cur, depth := c, 0; depth < 64; depth++ {
			if cur.Restricted {
				c.Restricted = true
				break
			}
			parent, ok := byID[cur.ParentID]
			if cur.ParentID == "" || !ok {
				break
			}
			cur = parent
		}
		out[i] = c
	}
	return out
}

// SortTree orders categories as a tree is listed: by parent, then position,
// then id.
func SortTree(cats []Category) {
	slices.SortFunc(cats, func(a, b Category) int {
		if a.ParentID != b.ParentID {
			return strings.Compare(a.ParentID, b.ParentID)
		}
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Lineage returns a category and its ancestors, nearest first.
func Lineage(cats []Category, categoryID string) []string {
	byID := make(map[string]Category, len(cats))
	for _, c := range cats {
		byID[c.ID] = c
	}
	var out []string
	for id, depth := categoryID, 0; id != "" && depth < 64; depth++ {
		out = append(out, id)
		c, ok := byID[id]
		if !ok {
			break
		}
		id = c.ParentID
	}
	return out
}

// ValidRef reports whether s can be a product reference: 1 to 64 printable
// characters without spaces or '#'.
func ValidRef(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '#' || r == 0x7f {
			return false
		}
	}
	return true
}

// ValidID reports whether s can be a category identifier.
func ValidID(s string) bool { return ValidRef(s) && !strings.ContainsAny(s, "/") }
