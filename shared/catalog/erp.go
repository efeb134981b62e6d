package catalog

import (
	"maps"
	"slices"

	"github.com/comptoir/comptoir/shared/tariff"
)

// DefaultTaxCategory is the tax category of a product the ERP creates
// without one: the standard rate.
const DefaultTaxCategory = "standard"

// MergeERP returns the product as a row of the ERP's articles file (Sage
// F_ARTICLE) leaves it, over the stored product (nil when there is none).
//
// The ERP owns, and the row gives: Ref, EAN, CategoryID, Names,
// Packagings, MinOrderQty, OrderMultiple, TaxCategory, BasePrice,
// Currency, Inactive ("en sommeil"), NoDiscount ("hors remise") and Links.
// Names are merged per language: the row's languages replace the stored
// ones, and a language the ERP does not export (a translation written in
// the back office) is kept. A row without packagings, quantities, tax
// category or currency keeps the stored ones (a unit packaging,
// quantities of 1 and DefaultTaxCategory for a new product).
//
// The site owns, and keeps: Descriptions, Attributes, Images,
// AvailableFrom, PreOrder, Backorder, ProOnly and Tariffs (written by the
// prices files apart). Families are not set here: the caller gives the
// product its category's lineage in the tree (Tree.Families), as every
// save of a product does.
func MergeERP(stored *Product, row Product) Product {
	var p Product
	if stored != nil {
		p = *stored
	}
	p.Ref = row.Ref
	p.EAN = row.EAN
	p.CategoryID = row.CategoryID
	names := make(map[string]string, len(p.Names)+len(row.Names))
	maps.Copy(names, p.Names)
	maps.Copy(names, row.Names)
	p.Names = names
	if len(row.Packagings) > 0 {
		p.Packagings = slices.Clone(row.Packagings)
	} else if len(p.Packagings) == 0 {
		p.Packagings = []Packaging{{Kind: Unit, Units: 1}}
	}
	if row.MinOrderQty > 0 {
		p.MinOrderQty = row.MinOrderQty
	} else if p.MinOrderQty < 1 {
		p.MinOrderQty = 1
	}
	if row.OrderMultiple > 0 {
		p.OrderMultiple = row.OrderMultiple
	} else if p.OrderMultiple < 1 {
		p.OrderMultiple = 1
	}
	if row.TaxCategory != "" {
		p.TaxCategory = row.TaxCategory
	} else if p.TaxCategory == "" {
		p.TaxCategory = DefaultTaxCategory
	}
	p.BasePrice = row.BasePrice
	if row.Currency != "" {
		p.Currency = row.Currency
	}
	p.Inactive = row.Inactive
	p.NoDiscount = row.NoDiscount
	p.Links = slices.Clone(row.Links)
	return p
}

// MergeERPEntry puts a price entry of the ERP (Sage F_ARTCLIENT) into
// entries, replacing the entry of the same scope, scope id and reference,
// or adding it. The entry's quantity breaks come from their own file (Sage
// F_TARIFQTE): an entry without breaks keeps the stored ones. It returns
// the entries and whether they changed.
func MergeERPEntry(entries []tariff.Entry, e tariff.Entry) ([]tariff.Entry, bool) {
	for i, old := range entries {
		if old.Scope != e.Scope || old.ScopeID != e.ScopeID || old.Ref != e.Ref {
			continue
		}
		if len(e.Breaks) == 0 {
			e.Breaks = old.Breaks
		}
		if SameEntry(old, e) {
			return entries, false
		}
		out := slices.Clone(entries)
		out[i] = e
		return out, true
	}
	return append(slices.Clone(entries), e), true
}

// MergeERPBreak puts a quantity break into the entry of scope, scope id
// and reference in entries: the break from the same quantity (or amount)
// is replaced, another is added, breaks sorted by From. found is false
// when entries hold no such entry (the break of a price not imported).
func MergeERPBreak(entries []tariff.Entry, scope tariff.Scope, scopeID, ref string, b tariff.Break) (out []tariff.Entry, found, changed bool) {
	for i, e := range entries {
		if e.Scope != scope || e.ScopeID != scopeID || e.Ref != ref {
			continue
		}
		breaks, changed := MergeBreak(e.Breaks, b)
		if !changed {
			return entries, true, false
		}
		out = slices.Clone(entries)
		out[i].Breaks = breaks
		return out, true, true
	}
	return entries, false, false
}

// MergeBreak puts b into breaks (sorted by From): the break from the same
// quantity is replaced. It returns the breaks and whether they changed.
func MergeBreak(breaks []tariff.Break, b tariff.Break) ([]tariff.Break, bool) {
	for i, old := range breaks {
		if old.From.Equal(b.From) {
			if old.From.String() == b.From.String() && old.Value.String() == b.Value.String() {
				return breaks, false
			}
			out := slices.Clone(breaks)
			out[i] = b
			return out, true
		}
	}
	out := append(slices.Clone(breaks), b)
	slices.SortStableFunc(out, func(x, y tariff.Break) int { return x.From.Cmp(y.From) })
	return out, true
}

// SameEntry reports whether two price entries say the same, amounts
// written alike.
func SameEntry(a, b tariff.Entry) bool {
	if a.Scope != b.Scope || a.ScopeID != b.ScopeID || a.Ref != b.Ref || a.Currency != b.Currency || a.Mode != b.Mode ||
		a.Price.String() != b.Price.String() || a.Discount.String() != b.Discount.String() ||
		!a.Validity.From.Equal(b.Validity.From) || !a.Validity.Until.Equal(b.Validity.Until) || len(a.Breaks) != len(b.Breaks) {
		return false
	}
	for i := range a.Breaks {
		if a.Breaks[i].From.String() != b.Breaks[i].From.String() || a.Breaks[i].Value.String() != b.Breaks[i].Value.String() {
			return false
		}
	}
	return true
}
