package catalog

import (
	"testing"

	"github.com/comptoir/comptoir/shared/identity"
	"github.com/comptoir/comptoir/shared/merchant"
)

func TestText_FollowsTheChainThenFallsBack(t *testing.T) {
	texts := map[string]string{"fr": "Pompe", "en": "Pump"}
	cases := []struct {
		chain    []string
		text     string
		language string
	}{
		{[]string{"en", "fr"}, "Pump", "en"},
		{[]string{"de", "fr"}, "Pompe", "fr"},
		{[]string{"de"}, "Pump", "en"}, // nothing in the chain: any text, in code order
		{nil, "Pump", "en"},
	}
	for _, c := range cases {
		text, lang := Text(texts, c.chain)
		if text != c.text || lang != c.language {
			t.Errorf("Text(%v) = %q/%q, want %q/%q", c.chain, text, lang, c.text, c.language)
		}
	}
	if text, lang := Text(nil, []string{"fr"}); text != "" || lang != "" {
		t.Errorf("Text(nil) = %q/%q", text, lang)
	}
}

func TestValidRef(t *testing.T) {
	for ref, want := range map[string]bool{
		"PMP-ACID-100": true, "": false, "A B": false, "A#B": false,
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm": false,
	} {
		if got := ValidRef(ref); got != want {
			t.Errorf("ValidRef(%q) = %v", ref, got)
		}
	}
}

func TestAudience_PortalModes(t *testing.T) {
	anon := identity.Caller{Role: identity.Anonymous}
	buyer := identity.Caller{Role: identity.Buyer, Customer: "C1", Merchant: "m"}
	restricted := Category{ID: "SAV", Restricted: true}
	proOnly := Product{Ref: "P", ProOnly: true}
	asleep := Product{Ref: "Z", Inactive: true}
	cases := []struct {
		name                                    string
		aud                                     Audience
		needsLogin, prices, restricted, proOnly bool
	}{
		{"closed anonymous", Audience{merchant.Closed, anon}, true, false, false, false},
		{"closed buyer", Audience{merchant.Closed, buyer}, false, true, true, true},
		{"partial anonymous", Audience{merchant.PartiallyOpen, anon}, false, false, false, false},
		{"partial buyer", Audience{merchant.PartiallyOpen, buyer}, false, true, true, true},
		{"open anonymous", Audience{merchant.Open, anon}, false, true, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.aud.NeedsLogin(); got != c.needsLogin {
				t.Errorf("NeedsLogin = %v", got)
			}
			if got := c.aud.ShowsPrices(); got != c.prices {
				t.Errorf("ShowsPrices = %v", got)
			}
			if got := c.aud.SeesCategory(restricted); got != c.restricted {
				t.Errorf("SeesCategory(restricted) = %v", got)
			}
			if got := c.aud.SeesProduct(proOnly); got != c.proOnly {
				t.Errorf("SeesProduct(pro-only) = %v", got)
			}
			if c.aud.SeesProduct(asleep) {
				t.Error("an inactive product is visible")
			}
		})
	}
}

func TestInheritRestrictions(t *testing.T) {
	cats := InheritRestrictions([]Category{
		{ID: "SAV", Restricted: true},
		{ID: "SAV-ROUES", ParentID: "SAV"},
		{ID: "SAV-ROUES-BRONZE", ParentID: "SAV-ROUES"},
		{ID: "POMPES"},
		{ID: "POMPES-CHIMIE", ParentID: "POMPES"},
	})
	want := map[string]bool{"SAV": true, "SAV-ROUES": true, "SAV-ROUES-BRONZE": true, "POMPES": false, "POMPES-CHIMIE": false}
	for _, c := range cats {
		if c.Restricted != want[c.ID] {
			t.Errorf("%s restricted = %v", c.ID, c.Restricted)
		}
	}
}

func TestAssortments(t *testing.T) {
	tree := []Category{{ID: "POMPES"}, {ID: "POMPES-CHIMIE", ParentID: "POMPES"}, {ID: "VANNES"}, {ID: "VANNES-BILLE", ParentID: "VANNES"}}
	as := Assortments{
		{Scope: ForPriceCategory, ScopeID: "2", Categories: []string{"VANNES"}},
		{Scope: ForBuyingGroup, ScopeID: "ACHATPRO", Categories: []string{"POMPES-CHIMIE"}, Products: []string{"V-1"}},
		{Scope: ForCustomer, ScopeID: "C9", Products: []string{"P-1"}},
	}
	if as.For("C1", "", "1") != nil {
		t.Error("a customer without assortment is limited")
	}
	if a := as.For("C9", "ACHATPRO", "2"); a == nil || a.Scope != ForCustomer {
		t.Errorf("the customer's own assortment must win: %+v", a)
	}
	grp := as.For("C2", "ACHATPRO", "2")
	if grp == nil || grp.Scope != ForBuyingGroup {
		t.Fatalf("buying group must win over price category: %+v", grp)
	}
	pump := Product{Ref: "P-2", CategoryID: "POMPES-CHIMIE", Families: []string{"POMPES-CHIMIE", "POMPES"}}
	valve := Product{Ref: "V-1", CategoryID: "VANNES-BILLE", Families: []string{"VANNES-BILLE", "VANNES"}}
	other := Product{Ref: "V-2", CategoryID: "VANNES-BILLE", Families: []string{"VANNES-BILLE", "VANNES"}}
	if !grp.Allows(pump) || !grp.Allows(valve) || grp.Allows(other) {
		t.Error("group assortment: by category and by explicit product")
	}
	for id, want := range map[string]bool{"POMPES": true, "POMPES-CHIMIE": true, "VANNES": false, "VANNES-BILLE": false} {
		if got := grp.ShowsCategory(id, tree); got != want {
			t.Errorf("ShowsCategory(%s) = %v", id, got)
		}
	}
	var none *Assortment
	if !none.Allows(other) || !none.ShowsCategory("VANNES", tree) {
		t.Error("no assortment shows everything")
	}
}

func TestSortTree(t *testing.T) {
	cats := []Category{{ID: "B", ParentID: "A", Position: 2}, {ID: "A"}, {ID: "C", ParentID: "A", Position: 1}, {ID: "D", ParentID: "A", Position: 1}}
	SortTree(cats)
	var got string
	for _, c := range cats {
		got += c.ID
	}
	if got != "ACDB" {
		t.Fatalf("order %s, want ACDB", got)
	}
}
