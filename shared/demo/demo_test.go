package demo

import (
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/customer"
	"github.com/comptoir/comptoir/shared/merchant"
	"github.com/comptoir/comptoir/shared/vat"
)

func TestBuild_MeetsTheDemoBrief(t *testing.T) {
	d := Build()
	products := d.Products[Hydro]
	if len(products) < 500 {
		t.Errorf("hydro has %d products, want at least 500", len(products))
	}
	refs := map[string]catalog.Product{}
	cats := map[string]bool{}
	for _, c := range d.Categories[Hydro] {
		cats[c.ID] = true
	}
	for _, p := range products {
		if _, dup := refs[p.Ref]; dup {
			t.Errorf("duplicate reference %s", p.Ref)
		}
		refs[p.Ref] = p
		if !cats[p.CategoryID] {
			t.Errorf("%s is in unknown category %s", p.Ref, p.CategoryID)
		}
		if p.Names["fr"] == "" || p.Names["en"] == "" {
			t.Errorf("%s lacks a French or English name", p.Ref)
		}
		if !catalog.ValidRef(p.Ref) || len(p.EAN) != 13 {
			t.Errorf("%s: bad reference or EAN %q", p.Ref, p.EAN)
		}
		if !p.BasePrice.IsPositive() {
			t.Errorf("%s: price %s", p.Ref, p.BasePrice)
		}
	}
	pump, ok := refs[PumpRef]
	if !ok || len(pump.Links) == 0 || pump.Links[0].Ref != SealKitRef || pump.Links[0].Kind != catalog.Mandatory {
		t.Errorf("the pump must link the acid-resistant seal kit as mandatory: %+v", pump.Links)
	}
	if _, ok := refs[SealKitRef]; !ok {
		t.Error("seal kit missing")
	}
	if len(d.Warehouses) != 3 || len(d.PriceCats) != 2 || len(d.BuyingGroups) != 1 || len(d.Reps) != 2 {
		t.Errorf("warehouses %d, price categories %d, buying groups %d, reps %d", len(d.Warehouses), len(d.PriceCats), len(d.BuyingGroups), len(d.Reps))
	}
	pros, consumers := 0, 0
	countries := map[string]bool{}
	for _, c := range d.Customers {
		switch c.Kind {
		case customer.Pro:
			pros++
			countries[c.Country] = true
			switch c.ID {
			case BEProInvalidVAT:
				if vat.WellFormed(c.VATNumber) || c.VATCheck == nil || c.VATCheck.Valid || !c.VATCheck.For(c.VATNumber) {
					t.Errorf("%s: VAT number %s must fail its check digits, and its check say so: %+v", c.ID, c.VATNumber, c.VATCheck)
				}
			case CHPro:
				if c.VATNumber != "" {
					t.Errorf("%s: a Swiss pro has no EU VAT number, got %s", c.ID, c.VATNumber)
				}
			default:
				if !vat.WellFormed(c.VATNumber) {
					t.Errorf("%s: VAT number %s is not well formed", c.ID, c.VATNumber)
				}
				if c.Country != "FR" && (c.VATCheck == nil || !c.VATCheck.Valid || !c.VATCheck.For(c.VATNumber)) {
					t.Errorf("%s: a pro of another member state needs a passed check of its number: %+v", c.ID, c.VATCheck)
				}
			}
		case customer.Consumer:
			consumers++
		}
	}
	if pros != 12 || consumers != 4 || !countries["FR"] || !countries["BE"] || !countries["DE"] || !countries["CH"] {
		t.Errorf("pros %d consumers %d countries %v", pros, consumers, countries)
	}
}

func TestBuild_EANsAreValidAndUniquePerMerchant(t *testing.T) {
	d := Build()
	for m, products := range d.Products {
		owner := map[string]string{}
		for _, p := range products {
			if !catalog.ValidEAN13(p.EAN) {
				t.Errorf("%s/%s: EAN %q", m, p.Ref, p.EAN)
			}
			if o, dup := owner[p.EAN]; dup {
				t.Errorf("%s: %s and %s share EAN %s", m, o, p.Ref, p.EAN)
			}
			owner[p.EAN] = p.Ref
		}
	}
}

func TestBuild_StorefrontsAreUnderTheirMerchantsDomains(t *testing.T) {
	d := Build()
	owners := map[merchant.ID]merchant.Merchant{}
	for _, m := range d.Merchants {
		owners[m.ID] = m
	}
	for _, sf := range d.Storefronts {
		if !owners[sf.Merchant].Owns(sf.Host) {
			t.Errorf("%s/%s: %s is not under %v", sf.Merchant, sf.ID, sf.Host, owners[sf.Merchant].Domains)
		}
		for id, m := range owners {
			if id != sf.Merchant && m.Owns(sf.Host) {
				t.Errorf("%s also owns %s", id, sf.Host)
			}
		}
	}
	if owners[Hydro].Owns("jardin-be.localhost") || !owners[Jardin].Owns("jardin-be.localhost") {
		t.Error("jardin-be.localhost is Jardin Saison's")
	}
}

func TestBuild_CustomersOfTheTaxScenarios(t *testing.T) {
	byID := map[string]customer.Customer{}
	for _, c := range Build().Customers {
		byID[c.ID] = c
	}
	cases := []struct {
		id, addressID string
		kind          customer.Kind
		shipTo        string
	}{
		{"C0001", "", customer.Pro, "FR"},
		{BEProTwoSites, "", customer.Pro, "BE"},
		{BEProTwoSites, "lille", customer.Pro, "FR"},
		{BEProInvalidVAT, "", customer.Pro, "BE"},
		{CHPro, "", customer.Pro, "CH"},
		{BEConsumer, "", customer.Consumer, "BE"},
		{DEConsumer, "", customer.Consumer, "DE"},
		{USConsumer, "", customer.Consumer, "US"},
	}
	for _, c := range cases {
		cu, ok := byID[c.id]
		if !ok {
			t.Errorf("no customer %s", c.id)
			continue
		}
		a, err := cu.ShipTo(c.addressID)
		if err != nil || cu.Kind != c.kind || a.Country != c.shipTo {
			t.Errorf("%s ship-to %q: %s %+v %v, want %s to %s", c.id, c.addressID, cu.Kind, a, err, c.kind, c.shipTo)
		}
	}
}

// TestBuild_OrderingSettings checks what a checkout of the demo needs: each
// storefront's warehouse, shipping and payment methods valid, the payment
// accounts of the pros within the law, the end-of-month reading set, a
// backorderable product, and the pump's mandatory seal kit in stock beside
// every pump.
func TestBuild_OrderingSettings(t *testing.T) {
	d := Build()
	warehouses := map[merchant.ID]map[string]bool{Hydro: {}, Jardin: {}}
	for _, w := range d.Warehouses {
		warehouses[Hydro][w.ID] = true
	}
	for _, w := range d.JardinWarehouses {
		warehouses[Jardin][w.ID] = true
	}
	for _, sf := range d.Storefronts {
		name := string(sf.Merchant) + "/" + sf.ID
		if !warehouses[sf.Merchant][sf.Warehouse] {
			t.Errorf("%s: warehouse %q is not one of its merchant's", name, sf.Warehouse)
		}
		if len(sf.Shipping.Methods) == 0 || sf.Shipping.FreeFrom == nil || !sf.Shipping.FreeFrom.IsPositive() {
			t.Errorf("%s: shipping %+v", name, sf.Shipping)
		}
		ids := map[string]bool{}
		servesHome := false
		for _, m := range sf.Shipping.Methods {
			if !catalog.ValidID(m.ID) || ids[m.ID] || m.Name == "" || len(m.Rates) == 0 {
				t.Errorf("%s: method %+v", name, m)
			}
			ids[m.ID] = true
			countries := map[string]bool{}
			for _, r := range m.Rates {
				if r.Country != "*" && !merchant.KnownCountry(r.Country) || countries[r.Country] || r.Amount.IsNegative() || !r.Amount.Equal(r.Amount.Round(2)) {
					t.Errorf("%s: %s rate %+v", name, m.ID, r)
				}
				countries[r.Country] = true
				servesHome = servesHome || r.Country == sf.Country
			}
		}
		if !ids["standard"] || !servesHome {
			t.Errorf("%s: no standard method, or none to its own country", name)
		}
		for c, methods := range sf.PaymentMethods {
			if c != "*" && !merchant.KnownCountry(c) || len(methods) == 0 {
				t.Errorf("%s: payment methods %s %v", name, c, methods)
			}
			for _, m := range methods {
				if m != "card" && m != "transfer" {
					t.Errorf("%s: payment method %q in %s", name, m, c)
				}
			}
		}
	}
	for _, m := range d.Merchants {
		if m.MonthEnd.Validate() != nil {
			t.Errorf("%s: month-end reading %q", m.ID, m.MonthEnd)
		}
	}
	onAccount := map[string]string{}
	for _, c := range append(append([]customer.Customer{}, d.Customers...), d.JardinClients...) {
		if c.PreferredWarehouse != "" && !warehouses[Hydro][c.PreferredWarehouse] {
			t.Errorf("%s: preferred warehouse %q", c.ID, c.PreferredWarehouse)
		}
		if c.Payment.Terms == nil {
			continue
		}
		if c.Kind != customer.Pro || c.Payment.Terms.Validate() != nil || !c.CreditLimit.IsPositive() {
			t.Errorf("%s: %s with terms %v and limit %s", c.ID, c.Kind, c.Payment.Terms, c.CreditLimit)
		}
		onAccount[c.ID] = c.Payment.Terms.String()
	}
	for id, terms := range map[string]string{"C0001": "30-eom", "C0002": "60-net", "C0003": "30-after-delivery"} {
		if onAccount[id] != terms {
			t.Errorf("%s: terms %q, want %s", id, onAccount[id], terms)
		}
	}
	products := map[string]catalog.Product{}
	for _, p := range d.Products[Hydro] {
		products[p.Ref] = p
	}
	if p := products[BackorderRef]; !p.Backorder || p.Inactive {
		t.Errorf("%s must allow backorders: %+v", BackorderRef, p)
	}
	pump := products[PumpRef]
	if len(pump.Links) == 0 || pump.Links[0].Ref != SealKitRef || pump.Links[0].Kind != catalog.Mandatory || products[SealKitRef].Inactive {
		t.Errorf("the pump's mandatory seal kit: %+v", pump.Links)
	}
	stockOf := map[string]int64{}
	for _, l := range d.StockLevels {
		stockOf[l.Ref+"@"+l.Warehouse] = l.Available()
	}
	for _, w := range d.Warehouses {
		pumps, kits := stockOf[PumpRef+"@"+w.ID], stockOf[SealKitRef+"@"+w.ID]
		if pumps <= 0 || kits < pumps*pump.Links[0].Ratio.IntPart() {
			t.Errorf("warehouse %s: %d pumps and %d seal kits", w.ID, pumps, kits)
		}
	}
	if len(d.JardinStock) != len(d.Products[Jardin]) {
		t.Errorf("Jardin has %d levels for %d products", len(d.JardinStock), len(d.Products[Jardin]))
	}
}
