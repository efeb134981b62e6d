package tax_test

import (
	"slices"
	"testing"

	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/tax"
)

func TestMemberStates(t *testing.T) {
	ms := tax.MemberStates()
	if len(ms) != 27 || !slices.IsSorted(ms) || !slices.Contains(ms, "GR") || slices.Contains(ms, "EL") || slices.Contains(ms, "GB") {
		t.Fatalf("member states %v", ms)
	}
	for _, c := range ms {
		if !tax.InEU(c) || !merchant.KnownCountry(c) {
			t.Errorf("%s: InEU %v, KnownCountry %v", c, tax.InEU(c), merchant.KnownCountry(c))
		}
	}
	ms[0] = "XX"
	if tax.MemberStates()[0] != "AT" {
		t.Error("the caller's slice changed the list")
	}
	for _, c := range []struct {
		country string
		in      bool
	}{{"fr", true}, {"EL", true}, {"el", true}, {"GR", true}, {"CH", false}, {"GP", false}, {"MC", false}, {"", false}, {"EU", false}} {
		if got := tax.InEU(c.country); got != c.in {
			t.Errorf("InEU(%q) = %v", c.country, got)
		}
	}
}

func TestBetweenMemberStates(t *testing.T) {
	cases := []struct {
		from, to string
		want     bool
	}{
		{"FR", "BE", true},
		{"fr", "EL", true}, // Greece by its VAT prefix
		{"DE", "MC", true}, // Monaco is France for VAT
		{"FR", "MC", false},
		{"FR", "FR", false},
		{"FR", "CH", false},
		{"US", "FR", false},
		{"FR", "GP", false}, // Guadeloupe is outside the EU's VAT area
	}
	for _, c := range cases {
		if got := tax.BetweenMemberStates(c.from, c.to); got != c.want {
			t.Errorf("BetweenMemberStates(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
