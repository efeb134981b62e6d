package cart

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/pricing"
)

// Products finds the products a cart refers to.
type Products interface {
	// Product returns the product of a reference, false when the catalog
	// has none.
	Product(ref string) (catalog.Product, bool)
}

// ProductMap is a Products over a map of products by reference.
type ProductMap map[string]catalog.Product

// Product returns the product of ref.
func (m ProductMap) Product(ref string) (catalog.Product, bool) {
	p, ok := m[ref]
	return p, ok
}

// Visibility reports whether the customer may see a product (audience and
// assortment); nil lets the customer see every product.
type Visibility func(catalog.Product) bool

// Line is one line of a cart.
type Line struct {
	Ref       string                `json:"ref"`
	Packaging catalog.PackagingKind `json:"packaging"`
	// Quantity is a number of packages.
	Quantity int64 `json:"quantity"`
	// BroughtBy are the references of the products whose mandatory links
	// need this line, sorted; empty for a line no product needs.
	BroughtBy []string `json:"broughtBy,omitempty"`
	// Chosen marks a line the buyer added or set; a line that only came
	// with its products is not chosen, and follows them.
	Chosen bool `json:"chosen,omitempty"`
}

// Suggestion is an optional companion of a product of the cart.
type Suggestion struct {
	Ref string `json:"ref"`
	// For is the product that suggests it.
	For   string          `json:"for"`
	Ratio decimal.Decimal `json:"ratio"`
}

// Errors of cart operations, besides *QuantityError, *NotOrderableError
// and *CompanionError.
var (
	// ErrUnknownProduct: no product has that reference.
	ErrUnknownProduct = errors.New("unknown product")
	// ErrHidden: the customer may not see the product.
	ErrHidden = errors.New("product hidden from the customer")
	// ErrNotInCart: the cart has no such line.
	ErrNotInCart = errors.New("no such line in the cart")
	// ErrLinkLoop: mandatory links lead back to their product, and the
	// companions would grow without end.
	ErrLinkLoop = errors.New("mandatory linked articles form a loop")
)

// maxLinkDepth bounds how many levels of companions of companions follow a
// product.
const maxLinkDepth = 8

// NotOrderableError is a product that cannot be ordered because of a
// mandatory companion.
type NotOrderableError struct {
	Ref       string
	Companion string
	// Why says what is wrong with the companion.
	Why string
}

// Error names the product and its companion.
func (e *NotOrderableError) Error() string {
	return fmt.Sprintf("%s cannot be ordered: its mandatory linked article %s %s", e.Ref, e.Companion, e.Why)
}

// CompanionError is a mandatory companion that the buyer tried to remove or
// lower below what its products in the cart need.
type CompanionError struct {
	Companion string
	// Products are the products of the cart that need it.
	Products []string
	// NeededUnits is what they need, in units of the companion.
	NeededUnits int64
}

// Error names the products that need the companion.
func (e *CompanionError) Error() string {
	return fmt.Sprintf("%s is a mandatory linked article of %s: the cart must hold at least %d units of it while %s in the cart",
		e.Companion, strings.Join(e.Products, ", "), e.NeededUnits, map[bool]string{true: "they are", false: "it is"}[len(e.Products) > 1])
}

// Cart is a buyer's cart with the rules of its lines.
type Cart struct {
	products Products
	visible  Visibility
	lines    []Line
}

// New returns a cart over a catalog and the customer's visibility (nil:
// everything), holding lines as stored (not checked again).
func New(products Products, visible Visibility, lines ...Line) *Cart {
	if visible == nil {
		visible = func(catalog.Product) bool { return true }
	}
	return &Cart{products: products, visible: visible, lines: cloneLines(lines)}
}

// Lines returns a copy of the cart's lines, in the order they came.
func (c *Cart) Lines() []Line { return cloneLines(c.lines) }

// Change is what an operation did beside the line it was asked for.
type Change struct {
	// Suggestions are the optional companions of the product, not in the
	// cart yet and visible to the customer.
	Suggestions []Suggestion `json:"suggestions,omitempty"`
}

// Add adds quantity packages of ref in a packaging (empty: the product's
// default), or raises its line by that much, with its mandatory companions.
func (c *Cart) Add(ref string, packaging catalog.PackagingKind, quantity int64) (Change, error) {
	p, err := c.orderable(ref)
	if err != nil {
		return Change{}, err
	}
	if packaging == "" {
		packaging = DefaultPackaging(p)
	}
	total := quantity
	if i := c.find(ref, packaging); i >= 0 && quantity > 0 {
		if quantity > pricing.MaxQuantity {
			total = quantity
		} else {
			total = c.lines[i].Quantity + quantity
		}
	}
	return c.set(p, packaging, total)
}

// SetQuantity sets the line of ref in a packaging (empty: the product's
// default) to quantity packages; 0 removes it. A mandatory companion cannot
// go below what its products need.
func (c *Cart) SetQuantity(ref string, packaging catalog.PackagingKind, quantity int64) (Change, error) {
	if quantity == 0 {
		return Change{}, c.Remove(ref, packaging)
	}
	p, err := c.orderable(ref)
	if err != nil {
		return Change{}, err
	}
	if packaging == "" {
		packaging = DefaultPackaging(p)
	}
	return c.set(p, packaging, quantity)
}

// Remove removes the line of ref in a packaging (empty: the product's
// default), and the companions that came with it that no other product
// needs; a shared companion is lowered to what remains needed. A mandatory
// companion cannot be removed while its products need it.
func (c *Cart) Remove(ref string, packaging catalog.PackagingKind) error {
	if packaging == "" {
		if p, ok := c.products.Product(ref); ok {
			packaging = DefaultPackaging(p)
		} else {
			packaging = catalog.Unit
		}
	}
	i := c.find(ref, packaging)
	if i < 0 {
		return ErrNotInCart
	}
	next := cloneLines(c.lines)
	next = slices.Delete(next, i, i+1)
	return c.commit(next, ref)
}

// set puts the line of p in packaging at quantity, then settles the
// companions.
func (c *Cart) set(p catalog.Product, packaging catalog.PackagingKind, quantity int64) (Change, error) {
	rules, err := RulesFor(p, packaging)
	if err != nil {
		e := err.(*QuantityError)
		e.Asked = quantity
		return Change{}, e
	}
	if err := rules.Check(quantity); err != nil {
		return Change{}, err
	}
	if err := c.companionsOrderable(p); err != nil {
		return Change{}, err
	}
	next := cloneLines(c.lines)
	if i := c.find(p.Ref, packaging); i >= 0 {
		l := &next[i]
		// A companion line set to exactly what its products need keeps
		// following them; any other quantity makes it the buyer's.
		if len(l.BroughtBy) == 0 || l.Quantity != quantity {
			l.Chosen = true
		}
		l.Quantity = quantity
	} else {
		next = append(next, Line{Ref: p.Ref, Packaging: packaging, Quantity: quantity, Chosen: true})
	}
	if err := c.commit(next, p.Ref); err != nil {
		return Change{}, err
	}
	return Change{Suggestions: c.suggestions(p)}, nil
}

// commit settles the companions of next and makes it the cart's lines. The
// buyer's change to touched must not leave a mandatory companion below its
// need.
func (c *Cart) commit(next []Line, touched string) error {
	needs, err := c.needs(next)
	if err != nil {
		return err
	}
	if n, ok := needs[touched]; ok {
		if have := c.unitsOf(next, touched); have < n.units {
			return &CompanionError{Companion: touched, Products: n.by, NeededUnits: n.units}
		}
	}
	for depth := 0; ; depth++ {
		changed, err := c.settle(&next, needs)
		if err != nil {
			return err
		}
		if !changed {
			break
		}
		if depth == maxLinkDepth {
			return ErrLinkLoop
		}
		if needs, err = c.needs(next); err != nil {
			return err
		}
	}
	c.lines = next
	return nil
}

// need is what the products of a cart need of one companion.
type need struct {
	units int64
	by    []string
}

// needs sums, per mandatory companion, what the lines need of it in units.
func (c *Cart) needs(lines []Line) (map[string]need, error) {
	exact := map[string]decimal.Decimal{}
	by := map[string][]string{}
	for _, l := range lines {
		p, ok := c.products.Product(l.Ref)
		if !ok {
			continue
		}
		rules, err := RulesFor(p, l.Packaging)
		if err != nil {
			continue
		}
		units := decimal.NewFromInt(l.Quantity * rules.Units)
		for _, link := range p.Links {
			if link.Kind != catalog.Mandatory || !link.Ratio.IsPositive() || link.Ref == "" {
				continue
			}
			exact[link.Ref] = exact[link.Ref].Add(link.Ratio.Mul(units))
			if !slices.Contains(by[link.Ref], p.Ref) {
				by[link.Ref] = append(by[link.Ref], p.Ref)
			}
		}
	}
	out := make(map[string]need, len(exact))
	for ref, u := range exact {
		u = u.Ceil()
		if u.GreaterThan(decimal.NewFromInt(pricing.MaxLineUnits)) {
			return nil, &NotOrderableError{Ref: by[ref][0], Companion: ref, Why: "would need more than a line may hold"}
		}
		slices.Sort(by[ref])
		out[ref] = need{units: u.IntPart(), by: by[ref]}
	}
	return out, nil
}

// settle brings every companion line to what its products need: it creates
// or raises them, lowers or removes those that only followed products, and
// reports whether anything changed.
func (c *Cart) settle(lines *[]Line, needs map[string]need) (bool, error) {
	changed := false
	refs := make([]string, 0, len(needs))
	for ref := range needs {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	for _, ref := range refs {
		n := needs[ref]
		p, ok := c.products.Product(ref)
		if !ok {
			return false, &NotOrderableError{Ref: n.by[0], Companion: ref, Why: "is not in the catalog"}
		}
		pack := DefaultPackaging(p)
		rules, err := RulesFor(p, pack)
		if err != nil {
			return false, &NotOrderableError{Ref: n.by[0], Companion: ref, Why: "cannot be ordered: " + err.Error()}
		}
		i := indexOf(*lines, ref, pack)
		other := c.unitsOf(*lines, ref)
		if i >= 0 {
			other -= (*lines)[i].Quantity * rules.Units
		}
		want := int64(0)
		if n.units > other {
			if want, err = rules.AtLeastUnits(n.units - other); err != nil {
				return false, &NotOrderableError{Ref: n.by[0], Companion: ref, Why: "cannot be ordered at the quantity it needs: " + err.Error()}
			}
		}
		if have := int64(0); want > 0 {
			if i >= 0 {
				have = (*lines)[i].Quantity
			}
			if want > have && (p.Inactive || !c.visible(p)) {
				return false, &NotOrderableError{Ref: n.by[0], Companion: ref, Why: "is not available to this customer"}
			}
		}
		switch {
		case i < 0 && want > 0:
			*lines = append(*lines, Line{Ref: ref, Packaging: pack, Quantity: want, BroughtBy: n.by})
			changed = true
		case i >= 0:
			l := &(*lines)[i]
			l.BroughtBy = n.by
			if l.Chosen && l.Quantity >= want {
				continue
			}
			if want == 0 {
				*lines = slices.Delete(*lines, i, i+1)
				changed = true
				continue
			}
			if l.Quantity != want {
				l.Quantity, changed = want, true
			}
		}
	}
	// Lines that only followed products no longer in the cart leave.
	kept := (*lines)[:0]
	for _, l := range *lines {
		if _, needed := needs[l.Ref]; !needed && len(l.BroughtBy) > 0 {
			if !l.Chosen {
				changed = true
				continue
			}
			l.BroughtBy = nil
		}
		kept = append(kept, l)
	}
	*lines = kept
	return changed, nil
}

// orderable returns the product of ref when the customer may order it.
func (c *Cart) orderable(ref string) (catalog.Product, error) {
	p, ok := c.products.Product(ref)
	if !ok {
		return catalog.Product{}, fmt.Errorf("%s: %w", ref, ErrUnknownProduct)
	}
	if p.Inactive || !c.visible(p) {
		return catalog.Product{}, fmt.Errorf("%s: %w", ref, ErrHidden)
	}
	return p, nil
}

// companionsOrderable refuses a product whose mandatory companion is missing
// or hidden from the customer (see the package documentation).
func (c *Cart) companionsOrderable(p catalog.Product) error {
	for _, link := range p.Links {
		if link.Kind != catalog.Mandatory || !link.Ratio.IsPositive() {
			continue
		}
		cp, ok := c.products.Product(link.Ref)
		switch {
		case !ok:
			return &NotOrderableError{Ref: p.Ref, Companion: link.Ref, Why: "is not in the catalog"}
		case cp.Inactive || !c.visible(cp):
			return &NotOrderableError{Ref: p.Ref, Companion: link.Ref, Why: "is not available to this customer"}
		}
	}
	return nil
}

// suggestions are p's optional companions the customer may see and the
// cart does not hold.
func (c *Cart) suggestions(p catalog.Product) []Suggestion {
	var out []Suggestion
	for _, link := range p.Links {
		if link.Kind != catalog.Optional || c.unitsOf(c.lines, link.Ref) > 0 {
			continue
		}
		if cp, ok := c.products.Product(link.Ref); !ok || cp.Inactive || !c.visible(cp) {
			continue
		}
		out = append(out, Suggestion{Ref: link.Ref, For: p.Ref, Ratio: link.Ratio})
	}
	return out
}

// unitsOf is the units of ref across lines.
func (c *Cart) unitsOf(lines []Line, ref string) int64 {
	var units int64
	for _, l := range lines {
		if l.Ref != ref {
			continue
		}
		p, ok := c.products.Product(ref)
		if !ok {
			continue
		}
		if r, err := RulesFor(p, l.Packaging); err == nil {
			units += l.Quantity * r.Units
		}
	}
	return units
}

func (c *Cart) find(ref string, packaging catalog.PackagingKind) int {
	return indexOf(c.lines, ref, packaging)
}

func indexOf(lines []Line, ref string, packaging catalog.PackagingKind) int {
	return slices.IndexFunc(lines, func(l Line) bool { return l.Ref == ref && l.Packaging == packaging })
}

func cloneLines(lines []Line) []Line {
	out := make([]Line, len(lines))
	for i, l := range lines {
		l.BroughtBy = slices.Clone(l.BroughtBy)
		out[i] = l
	}
	return out
}
