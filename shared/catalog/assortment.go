package catalog

import "slices"

// AssortmentScope is who an assortment limits.
type AssortmentScope string

const (
	// ForCustomer limits one customer account.
	ForCustomer AssortmentScope = "customer"
	// ForBuyingGroup limits the members of a buying group ("centrale").
	ForBuyingGroup AssortmentScope = "buying-group"
	// ForPriceCategory limits the customers of a price category.
	ForPriceCategory AssortmentScope = "price-category"
)

// Assortment limits what some customers may see to some categories (and
// everything below them) and an explicit list of products: "some buying
// groups list only part of the products". A product is visible when it is in
// one of the categories or in the list.
type Assortment struct {
	Scope      AssortmentScope `json:"scope"`
	ScopeID    string          `json:"scopeId"`
	Categories []string        `json:"categories,omitempty"`
	Products   []string        `json:"products,omitempty"`
}

// Allows reports whether the assortment lets its customers see p. A nil
// assortment allows everything.
func (a *Assortment) Allows(p Product) bool {
	if a == nil {
		return true
	}
	if slices.Contains(a.Products, p.Ref) {
		return true
	}
	families := p.Families
	if len(families) == 0 {
		families = []string{p.CategoryID}
	}
	for _, f := range families {
		if slices.Contains(a.Categories, f) {
			return true
		}
	}
	return false
}

// ShowsCategory reports whether the category tree shows a category to the
// assortment's customers: one of its categories, anything below one, or an
// ancestor leading to one. tree holds every category of the merchant. A nil
// assortment shows everything.
func (a *Assortment) ShowsCategory(id string, tree []Category) bool {
	if a == nil {
		return true
	}
	for _, l := range Lineage(tree, id) {
		if slices.Contains(a.Categories, l) {
			return true
		}
	}
	for _, allowed := range a.Categories {
		if slices.Contains(Lineage(tree, allowed), id) {
			return true
		}
	}
	return false
}

// Assortments are all of a merchant's assortments.
type Assortments []Assortment

// For returns the assortment that applies to a customer: the most specific
// one (customer, then buying group, then price category), or nil when the
// customer sees the whole catalog.
func (as Assortments) For(customerID, buyingGroup, priceCategory string) *Assortment {
	for _, want := range []struct {
		scope AssortmentScope
		id    string
	}{{ForCustomer, customerID}, {ForBuyingGroup, buyingGroup}, {ForPriceCategory, priceCategory}} {
		if want.id == "" {
			continue
		}
		for i := range as {
			if as[i].Scope == want.scope && as[i].ScopeID == want.id {
				return &as[i]
			}
		}
	}
	return nil
}
