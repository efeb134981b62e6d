package cart

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/catalog"
)

// screws: minimum 6, multiple 6, sold by unit and by pallet of 48.
var screws = catalog.Product{Ref: "VIS", MinOrderQty: 6, OrderMultiple: 6,
	Packagings: []catalog.Packaging{{Kind: catalog.Unit, Units: 1}, {Kind: catalog.Pallet, Units: 48}}}

func TestCheckQuantity(t *testing.T) {
	lots := catalog.Product{Ref: "LOT6", MinOrderQty: 10, OrderMultiple: 4, Packagings: []catalog.Packaging{{Kind: catalog.Lot, Units: 6}}}
	plain := catalog.Product{Ref: "PLAIN"}
	absurd := catalog.Product{Ref: "ABSURD", Packagings: []catalog.Packaging{{Kind: catalog.Pallet, Units: 2_000_000_000}}}
	tests := []struct {
		name         string
		p            catalog.Product
		pack         catalog.PackagingKind
		q            int64
		reason       Reason // empty: valid
		above, below int64
		msg          string
	}{
		{"minimum is valid", screws, catalog.Unit, 6, "", 0, 0, ""},
		{"twice the multiple is valid", screws, catalog.Unit, 12, "", 0, 0, ""},
		{"default packaging is unit", screws, "", 18, "", 0, 0, ""},
		{"below the minimum", screws, catalog.Unit, 5, BelowMinimum, 6, 0, "5 units is below the minimum order of 6 units; nearest valid quantity: 6 (6 units)"},
		{"not a multiple, both neighbours", screws, catalog.Unit, 7, NotMultiple, 12, 6, "nearest valid quantity: 12 (12 units), or 6 (6 units)"},
		{"not a multiple, further up", screws, catalog.Unit, 17, NotMultiple, 18, 12, "17 units is not a multiple of 6 units"},
		{"zero", screws, catalog.Unit, 0, NotPositive, 6, 0, "at least 1"},
		{"negative", screws, catalog.Unit, -3, NotPositive, 6, 0, ""},
		{"one pallet of 48", screws, catalog.Pallet, 1, "", 0, 0, ""},
		{"three pallets", screws, catalog.Pallet, 3, "", 0, 0, ""},
		{"not sold by lot", screws, catalog.Lot, 1, NotSoldBy, 0, 0, "VIS is not sold by lot"},
		{"more units than a line holds", screws, catalog.Unit, 1_000_000_001, TooLarge, 0, 999_999_996, "nearest valid quantity: 999999996"},
		{"more pallets than a line holds", screws, catalog.Pallet, 20_833_334, TooLarge, 0, 20_833_333, ""},
		{"most pallets a line holds", screws, catalog.Pallet, 20_833_333, "", 0, 0, ""},
		{"largest int64 does not wrap", screws, catalog.Pallet, math.MaxInt64, TooLarge, 0, 20_833_333, ""},
		{"lot of 6, minimum 10, multiple 4: 2 lots", lots, catalog.Lot, 2, "", 0, 0, ""},
		{"lot of 6: 1 lot is below the minimum", lots, catalog.Lot, 1, BelowMinimum, 2, 0, ""},
		{"lot of 6: 3 lots is 18 units, not a multiple of 4", lots, catalog.Lot, 3, NotMultiple, 4, 2, ""},
		{"no rules, no packaging: one unit", plain, catalog.Unit, 1, "", 0, 0, ""},
		{"no packaging listed: not sold by pallet", plain, catalog.Pallet, 1, NotSoldBy, 0, 0, ""},
		{"packaging of absurd units", absurd, catalog.Pallet, 1, NoValidQuantity, 0, 0, "cannot be ordered by pallet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckQuantity(tt.p, tt.pack, tt.q)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var qe *QuantityError
			if !errors.As(err, &qe) {
				t.Fatalf("want a QuantityError, got %v", err)
			}
			if qe.Reason != tt.reason || qe.Above != tt.above || qe.Below != tt.below || qe.Asked != tt.q {
				t.Errorf("got reason %s above %d below %d asked %d, want %s %d %d %d", qe.Reason, qe.Above, qe.Below, qe.Asked, tt.reason, tt.above, tt.below, tt.q)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not say %q", err.Error(), tt.msg)
			}
			for _, q := range []int64{qe.Above, qe.Below} {
				if q != 0 && CheckQuantity(tt.p, tt.pack, q) != nil {
					t.Errorf("suggested quantity %d is not valid", q)
				}
			}
		})
	}
}

func TestAtLeastUnits(t *testing.T) {
	tests := []struct {
		pack  catalog.PackagingKind
		units int64
		want  int64
		fails bool
	}{
		{catalog.Unit, 0, 6, false},
		{catalog.Unit, 1, 6, false},
		{catalog.Unit, 6, 6, false},
		{catalog.Unit, 7, 12, false},
		{catalog.Pallet, 48, 1, false},
		{catalog.Pallet, 49, 2, false},
		{catalog.Unit, 1_000_000_000, 0, true},
	}
	for _, tt := range tests {
		r, err := RulesFor(screws, tt.pack)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.AtLeastUnits(tt.units)
		if (err != nil) != tt.fails || got != tt.want {
			t.Errorf("%s AtLeastUnits(%d) = %d, %v; want %d, fails %v", tt.pack, tt.units, got, err, tt.want, tt.fails)
		}
	}
}

func TestDefaultPackaging(t *testing.T) {
	tests := []struct {
		packs []catalog.Packaging
		want  catalog.PackagingKind
	}{
		{nil, catalog.Unit},
		{[]catalog.Packaging{{Kind: catalog.Pallet, Units: 48}, {Kind: catalog.Unit, Units: 1}}, catalog.Unit},
		{[]catalog.Packaging{{Kind: catalog.Lot, Units: 4}, {Kind: catalog.Pallet, Units: 40}}, catalog.Lot},
	}
	for _, tt := range tests {
		if got := DefaultPackaging(catalog.Product{Packagings: tt.packs}); got != tt.want {
			t.Errorf("%v: got %s, want %s", tt.packs, got, tt.want)
		}
	}
}
