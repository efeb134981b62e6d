package catalog

import (
	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

// Audience is what decides visibility: the storefront's portal mode and who
// is calling.
type Audience struct {
	Mode   merchant.PortalMode
	Caller identity.Caller
}

// NeedsLogin reports whether the storefront refuses anonymous callers
// altogether (a closed extranet).
func (a Audience) NeedsLogin() bool {
	return a.Mode == merchant.Closed && a.Caller.IsAnonymous()
}

// ShowsPrices reports whether prices may be shown: always on an open
// storefront, only to logged-in callers otherwise.
func (a Audience) ShowsPrices() bool {
	return a.Mode == merchant.Open || !a.Caller.IsAnonymous()
}

// SeesCategory reports whether the category is visible: restricted categories
// need a login unless the storefront is open.
func (a Audience) SeesCategory(c Category) bool {
	return !c.Restricted || a.Mode == merchant.Open || !a.Caller.IsAnonymous()
}

// SeesProduct reports whether the product is visible: inactive products never
// are, pro-only products only to logged-in professional callers.
func (a Audience) SeesProduct(p Product) bool {
	if p.Inactive {
		return false
	}
	if p.ProOnly && a.Caller.IsAnonymous() {
		return false
	}
	return true
}
