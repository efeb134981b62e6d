package pricing

import (
	"strings"
	"testing"
	"time"

	"github.com/comptoir/comptoir/shared/catalog"
)

func TestRule_Validate(t *testing.T) {
	cases := []struct {
		name   string
		rule   Rule
		fields string
	}{
		{"a good percentage", Rule{ID: "A", Kind: Percent, Percent: d("12.5")}, ""},
		{"a good order tier", Rule{ID: "O", Kind: OrderAmountTiers, Currency: "EUR", Tiers: []Break{{From: d("5000"), Value: d("2")}}}, ""},
		{"a good pallet price", Rule{ID: "P", Kind: PackagingDiscount, Packaging: catalog.Pallet, Price: d("850"), Currency: "EUR"}, ""},
		{"bad id and kind", Rule{ID: "a b", Kind: "magic"}, "id,kind"},
		{"percent over 100", Rule{ID: "A", Kind: Percent, Percent: d("101")}, "percent"},
		{"tiers missing", Rule{ID: "Q", Kind: QuantityTiers}, "tiers"},
		{"negative break and rate", Rule{ID: "Q", Kind: QuantityTiers, Tiers: []Break{{From: d("-1"), Value: d("-5")}}}, "tiers[0].from,tiers[0].value"},
		{"money without currency", Rule{ID: "L", Kind: LineAmountTiers, Tiers: []Break{{From: d("100"), Value: d("3")}}}, "currency"},
		{"net price without price", Rule{ID: "N", Kind: NetPrice, Currency: "EUR"}, "price"},
		{"packaging unknown", Rule{ID: "P", Kind: PackagingDiscount, Packaging: "crate", Percent: d("3")}, "packaging"},
		{"validity backwards", Rule{ID: "A", Kind: Percent, Percent: d("1"), Validity: Validity{From: day, Until: day.Add(-48 * time.Hour)}}, "validity.until"},
	}
	for _, c := range cases {
		var got []string
		for _, p := range c.rule.Validate() {
			got = append(got, p.Field)
		}
		if strings.Join(got, ",") != c.fields {
			t.Errorf("%s: fields %v, want %s", c.name, got, c.fields)
		}
	}
}
