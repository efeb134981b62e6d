// Package identity says who is calling: an anonymous visitor, a buyer of one
// customer company, a sales rep with a portfolio, or the merchant's staff.
package identity

import "github.com/comptoir/comptoir/shared/merchant"

// Role is the kind of caller.
type Role string

const (
	// Anonymous callers carry no token.
	Anonymous Role = "anonymous"
	// Buyer is a contact of one customer company ("client professionnel" or
	// consumer); they see only their company's data.
	Buyer Role = "buyer"
	// Rep is a travelling sales rep ("commercial") who orders on behalf of the
	// customers of their portfolio only.
	Rep Role = "rep"
	// Staff is the merchant's back office.
	Staff Role = "staff"
)

// Caller is the verified identity behind a request.
type Caller struct {
	Role     Role
	Subject  string
	Merchant merchant.ID
	// Customer is the buyer's customer account (CT_Num in Sage 100); empty
	// for other roles.
	Customer string
	// Rep is the rep's code; empty for other roles.
	Rep string
}

// IsAnonymous reports whether the caller presented no token.
func (c Caller) IsAnonymous() bool { return c.Role == "" || c.Role == Anonymous }

// Valid reports whether r is a role a token may carry.
func (r Role) Valid() bool { return r == Buyer || r == Rep || r == Staff }
