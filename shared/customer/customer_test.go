package customer

import (
	"errors"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/vat"
)

func TestCustomer_ShipTo(t *testing.T) {
	account := Address{Line1: "1 rue de la Paix", PostalCode: "75002", City: "Paris", Country: "FR"}
	brussels := DeliveryAddress{ID: "bxl", Address: Address{Line1: "Rue Haute 12", PostalCode: "1000", City: "Bruxelles", Country: "BE"}}
	koeln := DeliveryAddress{ID: "koeln", Default: true, Address: Address{Line1: "Domkloster 4", PostalCode: "50667", City: "Köln", Country: "DE"}}
	plain := Customer{ID: "C1", Address: account}
	twoAddresses := Customer{ID: "C2", Address: account, DeliveryAddresses: []DeliveryAddress{brussels, koeln}}
	noDefault := Customer{ID: "C3", Address: account, DeliveryAddresses: []DeliveryAddress{brussels}}
	cases := []struct {
		name    string
		c       Customer
		id      string
		want    Address
		wantID  string
		unknown bool
	}{
		{"no delivery address: the account's", plain, "", account, "", false},
		{"the default delivery address", twoAddresses, "", koeln.Address, "koeln", false},
		{"a named delivery address", twoAddresses, "bxl", brussels.Address, "bxl", false},
		{"no default among the delivery addresses: the account's", noDefault, "", account, "", false},
		{"an id of no address of the customer", twoAddresses, "paris", Address{}, "", true},
		{"an id on a customer without delivery addresses", plain, "bxl", Address{}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.c.ShipTo(c.id)
			if c.unknown {
				if !errors.Is(err, ErrUnknownAddress) {
					t.Fatalf("err %v, want ErrUnknownAddress", err)
				}
				return
			}
			d, derr := c.c.Delivery(c.id)
			if err != nil || derr != nil || got != c.want || d.ID != c.wantID {
				t.Fatalf("ShipTo(%q) = %+v, %v; Delivery id %q, want %+v id %q", c.id, got, err, d.ID, c.want, c.wantID)
			}
		})
	}
}

func TestCustomer_TaxBuyer(t *testing.T) {
	const number = "BE0403170701"
	check := &vat.Check{Number: number, At: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Method: vat.FormatOnly, Valid: true}
	former := &vat.Check{Number: "BE0452123457", Method: vat.VIES, Valid: true}
	cases := []struct {
		name      string
		c         Customer
		pro       bool
		withCheck bool
	}{
		{"a pro with a check of its number", Customer{Kind: Pro, VATNumber: number, VATCheck: check}, true, true},
		{"a pro whose number is written with spaces", Customer{Kind: Pro, VATNumber: "be 0403.170.701", VATCheck: check}, true, true},
		{"a pro with a check of a former number", Customer{Kind: Pro, VATNumber: number, VATCheck: former}, true, false},
		{"a pro never checked", Customer{Kind: Pro, VATNumber: number}, true, false},
		{"a consumer", Customer{Kind: Consumer}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.c.TaxBuyer()
			if b.Pro != c.pro || b.VATNumber != c.c.VATNumber || (b.Check != nil) != c.withCheck {
				t.Fatalf("buyer %+v", b)
			}
			if b.Check != nil && b.Check == c.c.VATCheck {
				t.Error("the buyer shares the customer's check")
			}
		})
	}
}
