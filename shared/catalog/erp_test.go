package catalog_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/comptoir/comptoir/shared/catalog"
	"github.com/comptoir/comptoir/shared/tariff"
)

func TestMergeERP_TheERPFieldsReplaceAndTheSiteFieldsStay(t *testing.T) {
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	stored := catalog.Product{
		Ref: "VIS-10", EAN: "3700000000017", CategoryID: "old", Names: map[string]string{"fr": "Vis", "en": "Screw"},
		Descriptions: map[string]string{"fr": "Une vis"}, Attributes: map[string]string{"diametre": "10"},
		Images: []string{"https://img.example/vis.jpg"}, Packagings: []catalog.Packaging{{Kind: catalog.Lot, Units: 10}},
		MinOrderQty: 10, OrderMultiple: 10, TaxCategory: "standard", BasePrice: decimal.RequireFromString("1.20"), Currency: "EUR",
		ProOnly: true, Backorder: true, AvailableFrom: &from, PreOrder: &catalog.PreOrder{Season: "S27", AvailableFrom: from},
		Families: []string{"old"}, Tariffs: []tariff.Entry{{Scope: tariff.PriceCategory, ScopeID: "1", Ref: "VIS-10", Price: decimal.RequireFromString("1")}},
		Links: []catalog.LinkedArticle{{Ref: "ECROU", Kind: catalog.Optional, Ratio: decimal.NewFromInt(1)}},
	}
	row := catalog.Product{
		Ref: "VIS-10", CategoryID: "new", Names: map[string]string{"fr": "Vis inox"},
		Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1,
		TaxCategory: "reduced", BasePrice: decimal.RequireFromString("1.35"), Currency: "EUR", Inactive: true, NoDiscount: true,
	}
	got := catalog.MergeERP(&stored, row)
	want := stored
	want.EAN, want.CategoryID, want.Names = "", "new", map[string]string{"fr": "Vis inox", "en": "Screw"}
	want.Packagings, want.MinOrderQty, want.OrderMultiple = row.Packagings, 1, 1
	want.TaxCategory, want.BasePrice, want.Inactive, want.NoDiscount, want.Links = "reduced", row.BasePrice, true, true, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged\n%+v\nwant\n%+v", got, want)
	}
	if stored.Names["fr"] != "Vis" || stored.CategoryID != "old" {
		t.Errorf("the stored product was changed: %+v", stored)
	}
}

func TestMergeERP_ANewProductGetsItsQuantitiesAndPackaging(t *testing.T) {
	cases := []struct {
		name string
		row  catalog.Product
		want catalog.Product
	}{
		{"bare row", catalog.Product{Ref: "A", CategoryID: "c", Names: map[string]string{"fr": "A"}, Currency: "EUR"},
			catalog.Product{Ref: "A", CategoryID: "c", Names: map[string]string{"fr": "A"}, Currency: "EUR",
				Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}}, MinOrderQty: 1, OrderMultiple: 1, TaxCategory: catalog.DefaultTaxCategory}},
		{"full row", catalog.Product{Ref: "A", CategoryID: "c", Names: map[string]string{"fr": "A"}, Currency: "EUR",
			Packagings: []catalog.Packaging{{Kind: catalog.Pallet, Units: 40}}, MinOrderQty: 40, OrderMultiple: 40},
			catalog.Product{Ref: "A", CategoryID: "c", Names: map[string]string{"fr": "A"}, Currency: "EUR",
				Packagings: []catalog.Packaging{{Kind: catalog.Pallet, Units: 40}}, MinOrderQty: 40, OrderMultiple: 40, TaxCategory: catalog.DefaultTaxCategory}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := catalog.MergeERP(nil, c.row); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestMergeERPEntry_ReplacesTheSameScopeAndKeepsItsBreaks(t *testing.T) {
	d := decimal.RequireFromString
	brk := []tariff.Break{{From: d("10"), Value: d("0.90")}}
	stored := []tariff.Entry{
		{Scope: tariff.PriceCategory, ScopeID: "1", Ref: "A", Currency: "EUR", Price: d("1.00"), Breaks: brk},
		{Scope: tariff.PriceCategory, ScopeID: "2", Ref: "A", Currency: "EUR", Price: d("2.00")},
	}
	cases := []struct {
		name    string
		e       tariff.Entry
		changed bool
		want    []tariff.Entry
	}{
		{"same", tariff.Entry{Scope: tariff.PriceCategory, ScopeID: "1", Ref: "A", Currency: "EUR", Price: d("1.00")}, false, stored},
		{"new price", tariff.Entry{Scope: tariff.PriceCategory, ScopeID: "1", Ref: "A", Currency: "EUR", Price: d("1.10")}, true,
			[]tariff.Entry{{Scope: tariff.PriceCategory, ScopeID: "1", Ref: "A", Currency: "EUR", Price: d("1.10"), Breaks: brk}, stored[1]}},
		{"another scope", tariff.Entry{Scope: tariff.BuyingGroup, ScopeID: "1", Ref: "A", Currency: "EUR", Price: d("0.80")}, true,
			append(append([]tariff.Entry{}, stored...), tariff.Entry{Scope: tariff.BuyingGroup, ScopeID: "1", Ref: "A", Currency: "EUR", Price: d("0.80")})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := catalog.MergeERPEntry(stored, c.e)
			if changed != c.changed || !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v changed=%v, want %+v changed=%v", got, changed, c.want, c.changed)
			}
			if stored[0].Price.String() != "1" && stored[0].Price.String() != "1.00" {
				t.Errorf("stored entries changed: %+v", stored)
			}
		})
	}
}

func TestMergeERPBreak_ReplacesTheSameFromAndKeepsBreaksSorted(t *testing.T) {
	d := decimal.RequireFromString
	entries := []tariff.Entry{{Scope: tariff.PriceCategory, ScopeID: "1", Ref: "A", Breaks: []tariff.Break{{From: d("10"), Value: d("5")}, {From: d("50"), Value: d("8")}}}}
	cases := []struct {
		name           string
		scopeID        string
		b              tariff.Break
		found, changed bool
		want           []tariff.Break
	}{
		{"same", "1", tariff.Break{From: d("10"), Value: d("5")}, true, false, entries[0].Breaks},
		{"new value", "1", tariff.Break{From: d("10"), Value: d("6")}, true, true, []tariff.Break{{From: d("10"), Value: d("6")}, {From: d("50"), Value: d("8")}}},
		{"between", "1", tariff.Break{From: d("20"), Value: d("7")}, true, true, []tariff.Break{{From: d("10"), Value: d("5")}, {From: d("20"), Value: d("7")}, {From: d("50"), Value: d("8")}}},
		{"no such price", "2", tariff.Break{From: d("20"), Value: d("7")}, false, false, entries[0].Breaks},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, found, changed := catalog.MergeERPBreak(entries, tariff.PriceCategory, c.scopeID, "A", c.b)
			if found != c.found || changed != c.changed || !reflect.DeepEqual(got[0].Breaks, c.want) {
				t.Errorf("got %+v found=%v changed=%v", got[0].Breaks, found, changed)
			}
		})
	}
	if len(entries[0].Breaks) != 2 || entries[0].Breaks[0].Value.String() != "5" {
		t.Errorf("stored breaks changed: %+v", entries[0].Breaks)
	}
}
