// Package cart holds the rules a buyer's cart applies, without storage or
// HTTP: the order quantity rules of a product (minimum, multiple, packaging
// units) with the nearest valid quantity, the linked articles ("articles
// liés") that follow their product, and the quick order pasted from a
// spreadsheet.
//
// # Quantities
//
// A line's quantity is a number of packages of one packaging (unit, lot,
// pallet). It is valid when it is at least 1 and at most
// pricing.MaxQuantity, its units (quantity × the packaging's units) are at
// most pricing.MaxLineUnits, at least the product's minimum order quantity
// and a multiple of its order multiple (both in units; 0 means 1). The
// nearest valid quantity of a refused one is the smallest valid quantity
// not below it; the largest valid quantity below it is given too when
// there is one.
//
// # Linked articles
//
// A mandatory companion needs, in units, the ratio × the units of each
// product line that links it, summed, rounded up to a whole unit, then up to
// a valid quantity of the companion in its default packaging (see
// DefaultPackaging). Units of the companion held in other lines of the cart
// count towards that need. A companion line that came with its products
// follows them up and down and leaves with the last of them; once the buyer
// sets its quantity above the need, it is the buyer's: it is still raised
// when the need grows, but never lowered or removed by its products.
//
// A companion hidden from the customer by the assortment does not follow
// its product: the product cannot be ordered (NotOrderableError names the
// companion). The cart never holds an article the customer may not see, and
// the product is not sold without what must ship with it. The same holds
// for a companion missing from the catalog or that cannot be ordered at the
// quantity its product needs.
package cart

import (
	"fmt"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/pricing"
)

// Reason says why a quantity is refused.
type Reason string

// Reasons a quantity is refused.
const (
	// NotSoldBy: the product is not sold in that packaging.
	NotSoldBy Reason = "not-sold-by-packaging"
	// NoValidQuantity: no quantity of that packaging meets the product's
	// rules within the bounds of a line.
	NoValidQuantity Reason = "no-valid-quantity"
	// NotPositive: the quantity is zero or negative.
	NotPositive Reason = "not-positive"
	// BelowMinimum: fewer units than the minimum order quantity.
	BelowMinimum Reason = "below-minimum"
	// NotMultiple: the units are not a multiple of the order multiple.
	NotMultiple Reason = "not-multiple"
	// TooLarge: more packages or units than a line may hold.
	TooLarge Reason = "too-large"
)

// QuantityError is a refused quantity, with the nearest valid ones.
type QuantityError struct {
	Ref       string
	Packaging catalog.PackagingKind
	Asked     int64
	Reason    Reason
	// Rules are the product's rules in that packaging (zero for NotSoldBy
	// and NoValidQuantity).
	Rules QuantityRules
	// Above is the smallest valid quantity not below Asked, 0 if none.
	Above int64
	// Below is the largest valid quantity below Asked, 0 if none.
	Below int64
}

// Error says what is wrong and the nearest valid quantity.
func (e *QuantityError) Error() string {
	var why string
	r := e.Rules
	switch e.Reason {
	case NotSoldBy:
		return fmt.Sprintf("%s is not sold by %s", e.Ref, e.Packaging)
	case NoValidQuantity:
		return fmt.Sprintf("%s cannot be ordered by %s: no quantity meets its minimum and multiple within a line", e.Ref, e.Packaging)
	case NotPositive:
		why = "a quantity must be at least 1"
	case BelowMinimum:
		why = fmt.Sprintf("%d units is below the minimum order of %d units", e.Asked*r.Units, r.MinUnits)
	case NotMultiple:
		why = fmt.Sprintf("%d units is not a multiple of %d units", e.Asked*r.Units, r.MultipleUnits)
	case TooLarge:
		why = fmt.Sprintf("a line holds at most %d × %s", r.Highest, e.Packaging)
	}
	msg := fmt.Sprintf("%s: %d × %s of %d units refused, %s", e.Ref, e.Asked, e.Packaging, r.Units, why)
	switch {
	case e.Above > 0 && e.Below > 0:
		msg += fmt.Sprintf("; nearest valid quantity: %d (%d units), or %d (%d units)", e.Above, e.Above*r.Units, e.Below, e.Below*r.Units)
	case e.Above > 0:
		msg += fmt.Sprintf("; nearest valid quantity: %d (%d units)", e.Above, e.Above*r.Units)
	case e.Below > 0:
		msg += fmt.Sprintf("; nearest valid quantity: %d (%d units)", e.Below, e.Below*r.Units)
	}
	return msg
}

// QuantityRules are a product's order rules in one packaging, in packages.
type QuantityRules struct {
	Ref       string
	Packaging catalog.PackagingKind
	// Units is the units of one package.
	Units int64
	// MinUnits and MultipleUnits are the product's rules, in units.
	MinUnits      int64
	MultipleUnits int64
	// Lowest is the smallest valid quantity, Highest the largest, and every
	// valid quantity is a multiple of Step.
	Lowest, Highest, Step int64
}

// DefaultPackaging is how a product is ordered when no packaging is given:
// by unit when it is sold by unit (or has no packaging listed), else its
// first packaging.
func DefaultPackaging(p catalog.Product) catalog.PackagingKind {
	if len(p.Packagings) == 0 {
		return catalog.Unit
	}
	for _, pk := range p.Packagings {
		if pk.Kind == catalog.Unit && pk.Units > 0 {
			return catalog.Unit
		}
	}
	return p.Packagings[0].Kind
}

// RulesFor returns the quantity rules of p in a packaging (empty: its
// default packaging). It fails with a *QuantityError when p is not sold in
// that packaging or no quantity of it is valid.
func RulesFor(p catalog.Product, packaging catalog.PackagingKind) (QuantityRules, error) {
	if packaging == "" {
		packaging = DefaultPackaging(p)
	}
	var units int64
	for _, pk := range p.Packagings {
		if pk.Kind == packaging && pk.Units > 0 {
			units = int64(pk.Units)
			break
		}
	}
	if units == 0 && packaging == catalog.Unit && len(p.Packagings) == 0 {
		units = 1
	}
	if units == 0 {
		return QuantityRules{}, &QuantityError{Ref: p.Ref, Packaging: packaging, Reason: NotSoldBy}
	}
	r := QuantityRules{Ref: p.Ref, Packaging: packaging, Units: units, MinUnits: max(1, int64(p.MinOrderQty)), MultipleUnits: max(1, int64(p.OrderMultiple))}
	if units > pricing.MaxLineUnits || r.MinUnits > pricing.MaxLineUnits || r.MultipleUnits > pricing.MaxLineUnits {
		return QuantityRules{}, &QuantityError{Ref: p.Ref, Packaging: packaging, Reason: NoValidQuantity}
	}
	// q × units is a multiple of m exactly when q is a multiple of
	// m / gcd(units, m).
	r.Step = r.MultipleUnits / gcd(units, r.MultipleUnits)
	r.Lowest = ceilDiv(max(1, ceilDiv(r.MinUnits, units)), r.Step) * r.Step
	r.Highest = min(int64(pricing.MaxQuantity), pricing.MaxLineUnits/units) / r.Step * r.Step
	if r.Highest < r.Lowest {
		return QuantityRules{}, &QuantityError{Ref: p.Ref, Packaging: packaging, Reason: NoValidQuantity}
	}
	return r, nil
}

// Check returns nil when quantity packages are valid, else a *QuantityError
// with the nearest valid quantities.
func (r QuantityRules) Check(quantity int64) error {
	e := &QuantityError{Ref: r.Ref, Packaging: r.Packaging, Asked: quantity, Rules: r}
	switch {
	case quantity < 1:
		e.Reason, e.Above = NotPositive, r.Lowest
	case quantity > r.Highest:
		e.Reason, e.Below = TooLarge, r.Highest
	case quantity < r.Lowest:
		e.Reason, e.Above = BelowMinimum, r.Lowest
	case quantity%r.Step != 0:
		e.Reason = NotMultiple
		if up := ceilDiv(quantity, r.Step) * r.Step; up <= r.Highest {
			e.Above = up
		}
		if down := quantity / r.Step * r.Step; down >= r.Lowest {
			e.Below = down
		}
	default:
		return nil
	}
	return e
}

// AtLeastUnits returns the smallest valid quantity holding at least units
// units, or a *QuantityError with Reason TooLarge when none does.
func (r QuantityRules) AtLeastUnits(units int64) (int64, error) {
	if units > r.Highest*r.Units {
		return 0, &QuantityError{Ref: r.Ref, Packaging: r.Packaging, Asked: ceilDiv(units, r.Units), Reason: TooLarge, Rules: r, Below: r.Highest}
	}
	q := max(r.Lowest, ceilDiv(max(units, 0), r.Units))
	return ceilDiv(q, r.Step) * r.Step, nil
}

// CheckQuantity checks quantity packages of p in a packaging (empty: its
// default packaging): nil, or a *QuantityError that says why and gives the
// nearest valid quantity.
func CheckQuantity(p catalog.Product, packaging catalog.PackagingKind, quantity int64) error {
	r, err := RulesFor(p, packaging)
	if err != nil {
		e := err.(*QuantityError)
		e.Asked = quantity
		return e
	}
	return r.Check(quantity)
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0 and a small enough not to overflow.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
