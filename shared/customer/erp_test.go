package customer

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/payment"
	"github.com/comptoir/comptoir/shared/vat"
)

func TestMergeERP(t *testing.T) {
	check := &vat.Check{Number: "FR40303265045", At: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Method: "vies", Valid: true}
	terms := payment.ThirtyDaysEndOfMonth
	stored := Customer{
		ID: "C0001", Name: "Meunier SA", Kind: Pro, Country: "FR", VATNumber: "FR40303265045", PriceCategory: "PC1",
		CreditLimit: decimal.RequireFromString("5000"), Language: "fr", Address: Address{Line1: "1 rue", PostalCode: "69001", City: "Lyon", Country: "FR"},
		VATCheck: check, Payment: PaymentAccount{Methods: []payment.Method{payment.Transfer}, Terms: &terms},
		PreferredWarehouse: "2", Rep: "R01",
	}
	row := Customer{
		ID: "C0001", Name: "Meunier & Fils SA", Kind: Pro, Country: "FR", VATNumber: "FR 40 303265045", PriceCategory: "PC2",
		BuyingGroup: "BG1", CreditLimit: decimal.RequireFromString("8000"), Language: "fr",
		Address:           Address{Line1: "2 rue", PostalCode: "69002", City: "Lyon", Country: "FR"},
		DeliveryAddresses: []DeliveryAddress{{ID: "D1", Default: true, Address: Address{Line1: "Dépôt", City: "Vénissieux", Country: "FR"}}},
		Rep:               "R02", Dormant: true,
		// What the site owns, were a row to carry it, is not taken.
		VATCheck: &vat.Check{Number: "X"}, Payment: PaymentAccount{Methods: []payment.Method{payment.Card}}, PreferredWarehouse: "9",
	}
	otherNumber := row
	otherNumber.VATNumber = "FR83404833048"
	cases := []struct {
		name    string
		stored  *Customer
		row     Customer
		want    func() Customer
		checked bool
	}{
		{"new account: the row, without what the site owns", nil, row, func() Customer {
			c := row
			c.VATCheck, c.Payment.Methods, c.PreferredWarehouse = nil, nil, ""
			return c
		}, false},
		{"same VAT number (spaces aside): the check is kept", &stored, row, func() Customer {
			c := row
			c.VATCheck, c.Payment.Methods, c.PreferredWarehouse = check, []payment.Method{payment.Transfer}, "2"
			c.Payment.Terms = &terms // the row has none: the stored terms stay
			return c
		}, true},
		{"another VAT number: the check is dropped", &stored, otherNumber, func() Customer {
			c := otherNumber
			c.VATCheck, c.Payment.Methods, c.PreferredWarehouse = nil, []payment.Method{payment.Transfer}, "2"
			c.Payment.Terms = &terms
			return c
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := MergeERP(c.stored, c.row)
			if want := c.want(); !reflect.DeepEqual(got, want) {
				t.Fatalf("MergeERP =\n%+v\nwant\n%+v", got, want)
			}
			if (got.VATCheck != nil) != c.checked {
				t.Errorf("VATCheck = %+v", got.VATCheck)
			}
			if c.stored != nil && got.VATCheck != nil && got.VATCheck == c.stored.VATCheck {
				t.Error("the check is shared with the stored account")
			}
		})
	}
	// A row with terms sets them; a row without terms, delivery addresses
	// or language (a Sage F_COMPTET has no column for the first two) keeps
	// the stored ones, so an import never erases what staff set.
	withTerms := row
	sixty := payment.SixtyDaysNet
	withTerms.Payment.Terms = &sixty
	if got := MergeERP(&stored, withTerms); got.Payment.Terms == nil || *got.Payment.Terms != sixty {
		t.Errorf("terms = %+v, want the row's %+v", got.Payment.Terms, sixty)
	}
	storedWithAddresses := stored
	storedWithAddresses.DeliveryAddresses = []DeliveryAddress{{ID: "L1", Default: true, Address: Address{Line1: "Quai 3", City: "Lyon", Country: "FR"}}}
	bare := row
	bare.Payment.Terms, bare.DeliveryAddresses, bare.Language = nil, nil, ""
	got := MergeERP(&storedWithAddresses, bare)
	if got.Payment.Terms == nil || *got.Payment.Terms != terms {
		t.Errorf("terms = %+v, want the stored %+v", got.Payment.Terms, terms)
	}
	if got.Payment.Terms == stored.Payment.Terms {
		t.Error("the terms are shared with the stored account")
	}
	if !reflect.DeepEqual(got.DeliveryAddresses, storedWithAddresses.DeliveryAddresses) {
		t.Errorf("delivery addresses = %+v, want the stored ones", got.DeliveryAddresses)
	}
	if got.Language != "fr" {
		t.Errorf("language = %q, want the stored fr", got.Language)
	}
	if got.Name != row.Name || got.Rep != row.Rep {
		t.Errorf("got %+v, want the row's name and rep", got)
	}
}

func TestCustomer_CanOrder(t *testing.T) {
	if err := (Customer{ID: "C1"}).CanOrder(); err != nil {
		t.Errorf("active account: %v", err)
	}
	if err := (Customer{ID: "C1", Dormant: true}).CanOrder(); !errors.Is(err, ErrDormant) {
		t.Errorf("dormant account: %v", err)
	}
}

func TestRep_Portfolio(t *testing.T) {
	cases := []struct {
		name        string
		customers   []string
		add, remove string
		want        []string
		changed     bool
	}{
		{"gains a customer", []string{"C1"}, "C2", "", []string{"C1", "C2"}, true},
		{"already has it", []string{"C1", "C2"}, "C2", "", []string{"C1", "C2"}, false},
		{"empty portfolio gains", nil, "C1", "", []string{"C1"}, true},
		{"loses a customer", []string{"C1", "C2", "C3"}, "", "C2", []string{"C1", "C3"}, true},
		{"did not have it", []string{"C1"}, "", "C2", []string{"C1"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Rep{ID: "R1", Customers: c.customers}
			before := append([]string(nil), c.customers...)
			var got Rep
			var changed bool
			if c.add != "" {
				got, changed = r.WithCustomer(c.add)
			} else {
				got, changed = r.WithoutCustomer(c.remove)
			}
			if changed != c.changed || !reflect.DeepEqual(got.Customers, c.want) {
				t.Fatalf("portfolio %v, changed %v; want %v, %v", got.Customers, changed, c.want, c.changed)
			}
			if !reflect.DeepEqual(r.Customers, before) {
				t.Errorf("the rep's own portfolio changed: %v", r.Customers)
			}
		})
	}
}
