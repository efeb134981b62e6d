package customer

import (
	"errors"

	"github.com/comptoir/comptoir/shared/identity"
)

// Errors of access to a customer's prices and catalog view; the HTTP layer
// maps them to problems.
var (
	// ErrUnknown is a customer account that does not exist.
	ErrUnknown = errors.New("unknown customer")
	// ErrNotLoggedIn is an anonymous caller asking for a customer's prices.
	ErrNotLoggedIn = errors.New("log in to see prices")
	// ErrOtherCompany is a buyer naming another company than their own.
	ErrOtherCompany = errors.New("a buyer can only see their own company's prices")
	// ErrCustomerRequired is a rep naming no customer.
	ErrCustomerRequired = errors.New("customer is required: name a customer of your portfolio")
	// ErrNotInPortfolio is a rep naming a customer outside their portfolio,
	// or one that does not exist: a rep cannot tell the two apart, so that
	// naming accounts reveals nothing of the others.
	ErrNotInPortfolio = errors.New("the customer is not in the rep's portfolio")
)

// Access is whose view a caller asked for: the customer account to read
// (empty for list prices), and for a rep their code, whose portfolio must
// hold that customer.
type Access struct {
	Role identity.Role
	// Customer is the account to read; empty for list prices.
	Customer string
	// Rep is the rep whose portfolio must hold Customer; set for a rep only.
	Rep string
}

// AccessFor decides whose view a caller gets from the customer they name: a
// buyer always their own company (naming another one is ErrOtherCompany), a
// rep the customer they must name (checked by Check against their
// portfolio), staff any customer or none, for list prices. Anonymous callers
// get ErrNotLoggedIn.
func AccessFor(c identity.Caller, requested string) (Access, error) {
	switch c.Role {
	case identity.Buyer:
		if requested != "" && requested != c.Customer {
			return Access{}, ErrOtherCompany
		}
		return Access{Role: c.Role, Customer: c.Customer}, nil
	case identity.Rep:
		if requested == "" {
			return Access{}, ErrCustomerRequired
		}
		return Access{Role: c.Role, Customer: requested, Rep: c.Rep}, nil
	case identity.Staff:
		return Access{Role: c.Role, Customer: requested}, nil
	}
	return Access{}, ErrNotLoggedIn
}

// Check decides once the account and the rep are read: found says whether
// the customer account exists, rep is the rep's profile (nil when unknown).
// A rep reaches only the customers of their portfolio (ErrNotInPortfolio,
// for an unknown customer too); for the others an unknown customer is
// ErrUnknown.
func (a Access) Check(found bool, rep *Rep) error {
	if a.Role == identity.Rep {
		if !found || rep == nil || a.Rep == "" || rep.ID != "" && rep.ID != a.Rep || !rep.Serves(a.Customer) {
			return ErrNotInPortfolio
		}
		return nil
	}
	if !found && a.Customer != "" {
		return ErrUnknown
	}
	return nil
}
