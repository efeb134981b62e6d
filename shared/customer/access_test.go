package customer

import (
	"errors"
	"testing"

	"github.com/comptoir/comptoir/shared/identity"
)

func TestAccessFor_WhoseViewEachRoleGets(t *testing.T) {
	buyer := identity.Caller{Role: identity.Buyer, Customer: "C1"}
	rep := identity.Caller{Role: identity.Rep, Rep: "R1"}
	staff := identity.Caller{Role: identity.Staff}
	cases := []struct {
		name      string
		caller    identity.Caller
		requested string
		want      Access
		err       error
	}{
		{"a buyer, naming no one, gets their company", buyer, "", Access{Role: identity.Buyer, Customer: "C1"}, nil},
		{"a buyer naming their company", buyer, "C1", Access{Role: identity.Buyer, Customer: "C1"}, nil},
		{"a buyer naming another company", buyer, "C2", Access{}, ErrOtherCompany},
		{"a rep naming a customer", rep, "C2", Access{Role: identity.Rep, Customer: "C2", Rep: "R1"}, nil},
		{"a rep naming no one", rep, "", Access{}, ErrCustomerRequired},
		{"staff naming a customer", staff, "C3", Access{Role: identity.Staff, Customer: "C3"}, nil},
		{"staff naming no one: list prices", staff, "", Access{Role: identity.Staff}, nil},
		{"anonymous", identity.Caller{}, "C1", Access{}, ErrNotLoggedIn},
		{"an unknown role", identity.Caller{Role: "admin"}, "", Access{}, ErrNotLoggedIn},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AccessFor(c.caller, c.requested)
			if got != c.want || !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
				t.Errorf("AccessFor = %+v, %v; want %+v, %v", got, err, c.want, c.err)
			}
		})
	}
}

func TestAccess_Check_RepsReachOnlyTheirPortfolio(t *testing.T) {
	portfolio := &Rep{ID: "R1", Customers: []string{"C1", "C2"}}
	other := &Rep{ID: "R2", Customers: []string{"C3"}}
	cases := []struct {
		name   string
		access Access
		found  bool
		rep    *Rep
		err    error
	}{
		{"a rep's customer", Access{Role: identity.Rep, Customer: "C2", Rep: "R1"}, true, portfolio, nil},
		{"another rep's customer", Access{Role: identity.Rep, Customer: "C3", Rep: "R1"}, true, portfolio, ErrNotInPortfolio},
		{"an unknown customer, for a rep", Access{Role: identity.Rep, Customer: "C9", Rep: "R1"}, false, portfolio, ErrNotInPortfolio},
		{"a rep without a profile", Access{Role: identity.Rep, Customer: "C1", Rep: "R1"}, true, nil, ErrNotInPortfolio},
		{"a rep without a code", Access{Role: identity.Rep, Customer: "C1"}, true, portfolio, ErrNotInPortfolio},
		{"another rep's profile", Access{Role: identity.Rep, Customer: "C3", Rep: "R1"}, true, other, ErrNotInPortfolio},
		{"a buyer's company", Access{Role: identity.Buyer, Customer: "C1"}, true, nil, nil},
		{"a buyer's unknown company", Access{Role: identity.Buyer, Customer: "C1"}, false, nil, ErrUnknown},
		{"staff, a customer", Access{Role: identity.Staff, Customer: "C3"}, true, nil, nil},
		{"staff, an unknown customer", Access{Role: identity.Staff, Customer: "C9"}, false, nil, ErrUnknown},
		{"staff, list prices", Access{Role: identity.Staff}, false, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.access.Check(c.found, c.rep)
			if !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
				t.Errorf("Check = %v, want %v", err, c.err)
			}
		})
	}
}
